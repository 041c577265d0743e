"""lib.selection: the one-standard-error rule picks the simplest candidate the data cannot tell from the best."""

import math

import pandas as pd
import pytest

from lib import selection


def table(**scores: tuple[float, float]) -> pd.DataFrame:
    """A comparison table: candidate -> (mean CV macro-F1, its standard deviation over the folds)."""
    rows = [{"candidate": name, "cv_macro_f1": mean, "cv_macro_f1_std": std} for name, (mean, std) in scores.items()]
    return pd.DataFrame(rows)


def test_the_standard_error_is_the_spread_over_the_root_of_the_folds():
    assert selection.standard_error(0.02, 4) == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("scores", "champion", "within"),
    [
        pytest.param(
            {"random_forest": (0.990, 0.010), "logistic_regression": (0.986, 0.012), "baseline": (0.2, 0.01)},
            "logistic_regression",
            ("logistic_regression", "random_forest"),
            id="a-simpler-candidate-within-noise-wins",
        ),
        pytest.param(
            {"random_forest": (0.990, 0.010), "logistic_regression": (0.980, 0.012)},
            "random_forest",
            ("random_forest",),
            id="a-simpler-candidate-beyond-noise-loses",
        ),
        pytest.param(
            {
                "logistic_regression": (0.990, 0.0135),
                "gradient_boosting": (0.9856, 0.013),
                "random_forest": (0.981, 0.01),
            },
            "logistic_regression",
            ("logistic_regression", "gradient_boosting"),
            id="the-best-is-also-the-simplest",
        ),
    ],
)
def test_the_rule(scores, champion, within):
    """With 5 folds, the line is the best mean minus its std / sqrt(5); the simplest candidate above it wins."""
    choice = selection.choose(table(**scores), folds=5)
    best_mean, best_std = max(scores.values())
    assert choice.line == pytest.approx(best_mean - best_std / math.sqrt(5))
    assert choice.champion == champion and choice.within_noise == within
    assert champion in choice.explain()


def test_the_explanation_says_when_nothing_is_within_the_noise():
    choice = selection.choose(table(random_forest=(0.99, 0.001), baseline=(0.2, 0.01)), folds=5)
    assert choice.champion == "random_forest" and "no other candidate comes within" in choice.explain()


def test_an_undeclared_candidate_or_an_empty_table_is_refused():
    with pytest.raises(KeyError, match="not declared in lib/modeling.py"):
        selection.choose(table(mystery=(0.9, 0.01)), folds=5)
    with pytest.raises(ValueError, match="empty"):
        selection.choose(table(), folds=5)
