"""The champion against the success criteria agreed at inception, overall and per island.

The criteria are checked as every stage checks them (``lib.requirements.Requirements.checks``, on the
metrics of ``lib.modeling.evaluate``); here each one is a test of its own, so a report names what failed.
"""

import pytest

from lib import modeling, schema


@pytest.fixture(scope="module")
def checks(model, test_set, requirements):
    """Each criterion on the held-out test set, by name (``macro-F1``, ``accuracy on <island>``)."""
    return {check.criterion: check for check in requirements.checks(modeling.evaluate(model, test_set))}


def test_performance_floor(checks):
    """Macro-F1 on the held-out test set is at least requirements.min_macro_f1."""
    assert checks["macro-F1"].met, str(checks["macro-F1"])


@pytest.mark.parametrize("island", schema.ISLANDS)
def test_island_slice(test_set, checks, island):
    """Accuracy on each island's test rows is at least requirements.min_island_accuracy."""
    assert (test_set["island"] == island).any(), f"no test rows from {island}"
    check = checks[f"accuracy on {island}"]
    assert check.met, str(check)
