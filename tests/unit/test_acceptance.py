"""lib.course.lessons.acceptance: the inception table carries the thresholds it is given."""

from lib.course.lessons import acceptance
from lib.requirements import Requirements


def test_table_states_the_thresholds():
    """The thresholds passed in are the ones the table promises."""
    table = acceptance.requirements_markdown(Requirements(0.93, 0.85, 42))
    assert "at least 0.93" in table and "at least 0.85" in table and "at most 42 ms" in table


def test_table_covers_users_goal_success_and_constraints():
    """Every aspect the inception issue lists has a row."""
    aspects = [row[0] for row in acceptance.requirements_rows(Requirements(0.95, 0.9, 100))]
    for aspect in [
        "Users",
        "Goal",
        "Success: quality",
        "Success: fairness across sites",
        "Success: speed",
        "Data constraints",
        "Ethical constraints",
    ]:
        assert aspect in aspects
