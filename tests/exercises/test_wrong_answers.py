"""The grading can fail: every exercise test fails on a planted wrong answer (``wrong_answers.py``).

A test that passes whatever the student answers grades nothing. Each planted answer replaces the
worked solution in its module for one run of the exercise test, which must fail on one of its checks.
Under ``--answers`` (grading a student's folder) these tests are skipped: they test the tests.
"""

import importlib
import inspect
from pathlib import Path

import pytest

from lib.course import handout
from tests.exercises import test_solutions
from tests.exercises.wrong_answers import WRONG, Wrong

NEEDS_PIPELINE = {"project", "raw", "splits"}


def _case(wrong: Wrong):
    """The planted answer as a parameter, marked as its exercise test is (pipeline, slow)."""
    test = getattr(test_solutions, wrong.test, None)
    uses = set(inspect.signature(test).parameters) if test else set()
    marks = [pytest.mark.pipeline] if uses & NEEDS_PIPELINE else []
    marks += [mark for mark in getattr(test, "pytestmark", []) if mark.name == "slow"]
    return pytest.param(wrong, marks=marks, id=f"{wrong.test.removeprefix('test_')}: {wrong.mistake}")


def _a_hand_out() -> bool:
    """Whether the exercise modules are a hand-out's stubs (``make handout``), with no solution to plant in."""
    folder = Path(importlib.import_module("exercises").__path__[0])
    return any(handout.STUB_NOTE in path.read_text(encoding="utf-8") for path in folder.glob("*.py"))


@pytest.fixture(autouse=True)
def _not_when_grading(request):
    if request.config.getoption("--answers", default=None):
        pytest.skip("grading a student's answers: the planted wrong answers test the worked solutions' tests")
    if _a_hand_out():
        pytest.skip("a hand-out: the planted wrong answers test the worked solutions' tests, which it does not hold")


def test_every_exercise_test_has_a_planted_wrong_answer():
    """Each test of test_solutions.py that grades an exercise is covered by at least one planted answer."""
    graded = {name for name, test in vars(test_solutions).items() if name.startswith("test_") and callable(test)}
    planted = {wrong.test for wrong in WRONG}
    assert graded - planted == set(), "exercise tests with no wrong answer planted"
    assert planted - graded == set(), "planted answers for tests that do not exist"


@pytest.mark.parametrize("wrong", [_case(wrong) for wrong in WRONG])
def test_an_exercise_test_fails_on_a_planted_wrong_answer(wrong: Wrong, request, monkeypatch):
    """The wrong answer in place of the solution: the exercise test must fail on a check, not pass or crash."""
    monkeypatch.setattr(importlib.import_module(f"exercises.{wrong.module}"), wrong.attribute, wrong.answer)
    test = getattr(test_solutions, wrong.test)
    arguments = {name: request.getfixturevalue(name) for name in inspect.signature(test).parameters}
    with pytest.raises(AssertionError):
        test(**arguments)
