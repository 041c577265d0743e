"""Worked solutions to the "Your turn" exercises of the lessons, one module per lesson.

Each module's functions do one exercise and return what it asks for, so the test
suite (``tests/exercises/``) runs every solution and checks its answer; ``python -m
exercises.<module>`` prints the answers on this project's data.
"""
