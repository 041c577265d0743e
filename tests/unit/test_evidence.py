"""lib.evidence: the intervals beside the scores that decide, the paired difference, and what one bird can change."""

import numpy as np
import pytest
from sklearn.metrics import f1_score

from lib import evidence

SPECIES = np.array(["Adelie", "Chinstrap", "Gentoo"])


def labels(sizes, seed=0):
    """True species in the given numbers, shuffled."""
    truth = np.repeat(SPECIES, sizes)
    return np.random.default_rng(seed).permutation(truth)


def with_errors(truth, errors, seed=0):
    """``truth`` with ``errors`` birds answered as the next species."""
    predicted = truth.copy()
    wrong = np.random.default_rng(seed).choice(len(truth), errors, replace=False)
    predicted[wrong] = SPECIES[(np.searchsorted(SPECIES, truth[wrong]) + 1) % 3]
    return predicted


def test_a_perfect_score_on_few_birds_has_a_wide_exact_interval():
    """11 right out of 11 shows an accuracy of at least 0.715, no more: the lower end is 0.025 ** (1 / 11)."""
    interval = evidence.proportion(11, 11)
    assert interval.value == 1.0 and interval.high == 1.0
    assert interval.low == pytest.approx(0.025 ** (1 / 11), abs=1e-9) and interval.n == 11
    assert evidence.proportion(0, 20).low == 0.0
    assert "11 penguins" in str(interval)


@pytest.mark.parametrize(("successes", "n"), [(0, 0), (5, 4), (-1, 3)])
def test_a_proportion_of_nothing_or_more_than_everything_is_refused(successes, n):
    with pytest.raises(ValueError, match="n"):
        evidence.proportion(successes, n)


def test_the_exact_interval_covers_the_true_accuracy_at_least_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    for truth, n in ((0.93, 19), (0.8, 60)):
        draws = rng.binomial(n, truth, 400)
        covered = [evidence.proportion(int(k), n).low <= truth <= evidence.proportion(int(k), n).high for k in draws]
        assert np.mean(covered) >= 0.95


def test_macro_f1_is_scikit_learns_and_its_interval_holds_it_and_narrows_with_more_birds():
    truth = labels([40, 20, 30])
    predicted = with_errors(truth, 6)
    interval = evidence.macro_f1(truth, predicted)
    assert interval.value == pytest.approx(f1_score(truth, predicted, average="macro"))
    assert interval.low < interval.value < interval.high and interval.n == 90
    assert evidence.macro_f1(truth, predicted) == interval  # the same seed, the same interval
    big = np.tile(truth, 4)
    wider = interval.high - interval.low
    narrower = evidence.macro_f1(big, np.tile(predicted, 4))
    assert 0.35 < (narrower.high - narrower.low) / wider < 0.65  # four times the birds: about half the width


def test_without_an_error_the_bootstrap_cannot_show_one():
    """The percentile bootstrap resamples the birds it has: with no error among them, its interval is [1, 1]."""
    truth = labels([38, 17, 31])
    assert (evidence.macro_f1(truth, truth).low, evidence.macro_f1(truth, truth).high) == (1.0, 1.0)


def test_the_paired_difference_sees_what_two_separate_intervals_cannot():
    truth = labels([120, 60, 90])
    worse = with_errors(truth, 30, seed=2)
    better = worse.copy()
    fixed = np.flatnonzero(worse != truth)[:8]
    better[fixed] = truth[fixed]  # the same model, with 8 of its errors fixed
    difference = evidence.paired_difference(truth, worse, better)
    first, second = evidence.macro_f1(truth, worse), evidence.macro_f1(truth, better)
    assert difference.value == pytest.approx(second.value - first.value)
    assert difference.low > 0  # paired: the improvement is shown
    assert first.high > second.low  # unpaired, the two intervals overlap
    same = evidence.paired_difference(truth, worse, worse)
    assert (same.value, same.low, same.high) == (0.0, 0.0, 0.0)


def test_one_error_is_the_costliest_single_mistake():
    """On the 86 birds of the course's test split (38, 17, 31), the costliest mistake, a Chinstrap answered as
    Gentoo, costs 0.0154 of macro-F1 (answered as Adelie, 0.0144): checked against every single error."""
    truth = labels([38, 17, 31])
    step = evidence.one_error(truth)
    every = [
        1 - f1_score(truth, np.where(np.arange(len(truth)) == bird, other, truth), average="macro")
        for bird in (0, int(np.argmax(truth == "Chinstrap")), int(np.argmax(truth == "Gentoo")))
        for other in SPECIES
        if other != truth[bird]
    ]
    assert step["macro_f1"] == pytest.approx(max(every)) == pytest.approx(0.015392, abs=1e-6)
    assert step["accuracy"] == pytest.approx(1 / 86)
    assert evidence.one_error(labels([152, 68, 124]))["macro_f1"] < step["macro_f1"] / 3
    with pytest.raises(ValueError, match="two species"):
        evidence.one_error(["Adelie"] * 5)


@pytest.mark.parametrize(
    ("low", "high", "needs", "expected"),
    [
        (0.96, 0.99, ">=", "met"),
        (0.90, 0.94, ">=", "failed"),
        (0.93, 0.97, ">=", "undecided"),
        (0.95, 0.99, ">=", "met"),  # the threshold itself passes
        (10.0, 90.0, "<=", "met"),
        (120.0, 130.0, "<=", "failed"),
        (90.0, 110.0, "<=", "undecided"),
    ],
)
def test_status_reads_where_the_whole_interval_lies(low, high, needs, expected):
    threshold = 0.95 if needs == ">=" else 100.0
    interval = evidence.Interval((low + high) / 2, low, high, 50, "test")
    assert evidence.status(interval, needs, threshold) == expected
