"""lib.requirements: the inception criteria as one type, checked the same way by every stage."""

import pytest

from lib.requirements import Check, RequirementNotMet, Requirements

NEEDS = Requirements(min_macro_f1=0.95, min_island_accuracy=0.9, max_p99_latency_ms=100)


def test_the_checks_cover_macro_f1_and_each_island_present():
    """One check per criterion the metrics allow, macro-F1 first, islands in schema order; thresholds pass."""
    metrics = {"test_macro_f1": 0.95, "test_accuracy_Dream": 0.9, "test_accuracy_Biscoe": 0.89, "test_f1_Adelie": 0.1}
    checks = NEEDS.checks(metrics)
    assert [check.criterion for check in checks] == ["macro-F1", "accuracy on Biscoe", "accuracy on Dream"]
    assert [check.met for check in checks] == [True, False, True]


def test_latency_is_an_upper_bound():
    assert NEEDS.latency(100.0).met and not NEEDS.latency(100.5).met
    assert str(NEEDS.latency(120.0)) == "p99 latency (ms) = 120.0000 > 100.00"


def test_enforce_returns_the_checks_or_names_every_failure():
    """Met criteria come back; missed ones are all named in the error, and nothing met is."""
    good = {"test_macro_f1": 0.97, "test_accuracy_Biscoe": 0.95, "test_accuracy_Dream": 1.0}
    assert [str(check) for check in NEEDS.enforce(good)][0] == "macro-F1 = 0.9700 >= 0.95"
    bad = {"test_macro_f1": 0.90, "test_accuracy_Biscoe": 0.80, "test_accuracy_Dream": 1.0}
    with pytest.raises(RequirementNotMet) as error:
        NEEDS.enforce(bad, model="the baseline")
    message = str(error.value)
    assert message.startswith("the baseline does not meet the inception requirements on the test set")
    assert "macro-F1 = 0.9000 < 0.95" in message and "accuracy on Biscoe = 0.8000 < 0.90" in message
    assert "Dream" not in message and "Nothing was registered or exported" in message


def test_from_params_reads_and_checks_the_section(tmp_path):
    """The thresholds come from params.yaml; a value out of range is refused by its rule, named."""
    (tmp_path / "params.yaml").write_text(
        "requirements:\n  min_macro_f1: 0.8\n  min_island_accuracy: 0.7\n  max_p99_latency_ms: 50\n", encoding="utf-8"
    )
    assert Requirements.from_params(tmp_path / "params.yaml") == Requirements(0.8, 0.7, 50)
    (tmp_path / "params.yaml").write_text(
        "requirements:\n  min_macro_f1: 0.8\n  min_island_accuracy: 0.7\n  max_group_gap: 0.1\n", encoding="utf-8"
    )
    assert Requirements.from_params(tmp_path / "params.yaml") == Requirements(0.8, 0.7, max_group_gap=0.1)
    (tmp_path / "params.yaml").write_text(
        "requirements:\n  min_macro_f1: 95\n  min_island_accuracy: 0.7\n  max_p99_latency_ms: 50\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="'min_macro_f1' is 95"):
        Requirements.from_params(tmp_path / "params.yaml")


def test_a_check_reads_as_a_sentence():
    assert str(Check("macro-F1", 0.5, ">=", 0.95)) == "macro-F1 = 0.5000 < 0.95"
