"""How sure a score is: a 95% interval beside every score that decides, and the difference between two models.

A score measured on a few dozen penguins is an estimate, not a property of the model: another
draw of penguins from the same population gives another score. Every score a lesson uses to
decide is therefore printed with a 95% interval and the number of penguins it rests on, computed
here the same way everywhere:

- **a proportion** (accuracy on an island, recall of a species: right answers out of ``n``):
  the exact binomial interval of Clopper and Pearson (:func:`proportion`). Exact, not the normal
  approximation, because the course's groups are small and its scores often perfect: for 11 right
  out of 11 the normal approximation gives the useless [1, 1], while the exact interval, [0.72, 1],
  says what 11 birds can show, and never covers the truth less often than 95% of the time;
- **macro-F1**, which is not a proportion: a percentile bootstrap (:func:`macro_f1`), the
  penguins resampled with replacement within each species, so that every resample holds every
  species as the evaluation set does. It resamples the birds it has: on a perfect score its interval
  is [1, 1] whatever their number, so there the exact intervals of the accuracies, and a minimum
  number of birds, carry the uncertainty;
- **the difference between two models on the same penguins** (:func:`paired_difference`): the
  same bootstrap, both models scored on each resample, so that what the two share (the birds both
  get right, most of those both get wrong) moves both scores alike and largely cancels out (exactly
  for an accuracy, approximately for macro-F1). Paired, it is far narrower than two separate
  intervals would suggest.

:func:`one_error` says what one bird can change (the resolution of an evaluation set), and
:func:`status` reads an interval against a threshold: ``met`` when the whole interval is on the
right side, ``failed`` when the whole of it is on the wrong side, ``undecided`` when it straddles.

These intervals are about the *test* penguins: how much the score would move on another draw of
them. The standard deviation across cross-validation folds (lesson 2.2) is another quantity: how
much a candidate's score moves between folds of the *training* data, which the selection rule
turns into a standard error of the mean over the folds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from lib import schema

CONFIDENCE = 0.95
RESAMPLES = 2000  # bootstrap resamples: the interval's ends move by well under 0.01 between seeds
MET, FAILED, UNDECIDED = "met", "failed", "undecided"
Labels: TypeAlias = Sequence[str] | np.ndarray | pd.Series  # species, one per penguin


@dataclass(frozen=True)
class Interval:
    """A score, its 95% interval and the number of penguins it rests on, and how the interval was computed."""

    value: float
    low: float
    high: float
    n: int
    method: str

    def bracket(self) -> str:
        """The score and its interval, as ``0.9844 [0.9683, 0.9962]``."""
        return f"{self.value:.4f} [{self.low:.4f}, {self.high:.4f}]"

    def __str__(self) -> str:
        return f"{self.bracket()} on {self.n} penguins"


def proportion(successes: int, n: int, confidence: float = CONFIDENCE) -> Interval:
    """``successes`` out of ``n``, with its exact (Clopper-Pearson) interval (95% unless ``confidence`` says)."""
    if n <= 0:
        raise ValueError(f"a proportion needs at least one penguin, got n={n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")
    ci = binomtest(int(successes), int(n)).proportion_ci(confidence_level=confidence, method="exact")
    return Interval(successes / n, float(ci.low), float(ci.high), int(n), "exact binomial (Clopper-Pearson)")


def _codes(truth: Labels, *predictions: Labels) -> tuple[np.ndarray, list[np.ndarray], int]:
    """The labels as integer codes over the species found on either side, in a fixed order."""
    arrays = [np.asarray(list(map(str, labels))) for labels in (truth, *predictions)]
    seen = np.unique(np.concatenate(arrays))  # sorted
    return (
        np.searchsorted(seen, arrays[0]),
        [np.searchsorted(seen, array) for array in arrays[1:]],
        len(seen),
    )


def _macro_f1(truth: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """Macro-F1 of each row of ``truth``/``predicted`` (resamples x penguins), as scikit-learn computes it.

    The classes are those found on either side of the whole evaluation set; a class absent from a
    row on both sides is left out of that row's mean, as ``f1_score`` leaves it out.
    """
    total_f1 = np.zeros(truth.shape[0])
    counted = np.zeros(truth.shape[0])
    for label in range(classes):
        is_true, is_predicted = truth == label, predicted == label
        hits = (is_true & is_predicted).sum(axis=1)
        total = is_true.sum(axis=1) + is_predicted.sum(axis=1)
        present = total > 0
        total_f1 += np.where(present, 2 * hits / np.maximum(total, 1), 0.0)
        counted += present
    return total_f1 / np.maximum(counted, 1)


def _resamples(truth: np.ndarray, seed: int) -> np.ndarray:
    """Bootstrap indices (resamples x penguins), drawn with replacement within each true class."""
    rng = np.random.default_rng(seed)
    columns = []
    for label in np.unique(truth):
        members = np.flatnonzero(truth == label)
        columns.append(members[rng.integers(0, len(members), (RESAMPLES, len(members)))])
    return np.concatenate(columns, axis=1)


def _percentiles(values: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def macro_f1(truth: Labels, predicted: Labels, seed: int = 0, confidence: float = CONFIDENCE) -> Interval:
    """Macro-F1 with its percentile-bootstrap interval (95% unless ``confidence`` says; resampled within species)."""
    true_codes, (predicted_codes,), classes = _codes(truth, predicted)
    value = float(_macro_f1(true_codes[None, :], predicted_codes[None, :], classes)[0])
    rows = _resamples(true_codes, seed)
    low, high = _percentiles(_macro_f1(true_codes[rows], predicted_codes[rows], classes), confidence)
    return Interval(value, low, high, len(true_codes), "percentile bootstrap, stratified by species")


def paired_difference(
    truth: Labels, first: Labels, second: Labels, seed: int = 0, confidence: float = CONFIDENCE
) -> Interval:
    """Macro-F1 of ``second`` minus that of ``first``, on the same penguins, with its paired-bootstrap interval."""
    true_codes, (first_codes, second_codes), classes = _codes(truth, first, second)
    value = float(
        _macro_f1(true_codes[None, :], second_codes[None, :], classes)[0]
        - _macro_f1(true_codes[None, :], first_codes[None, :], classes)[0]
    )
    rows = _resamples(true_codes, seed)
    differences = _macro_f1(true_codes[rows], second_codes[rows], classes) - _macro_f1(
        true_codes[rows], first_codes[rows], classes
    )
    low, high = _percentiles(differences, confidence)
    return Interval(value, low, high, len(true_codes), "paired percentile bootstrap, stratified by species")


def one_error(truth: Labels) -> dict[str, float]:
    """What one bird can change on these penguins: accuracy (1/n) and macro-F1 (the costliest single error).

    The macro-F1 cost is the largest drop one mistake makes to a perfect model, over every species
    a bird can have and every species it can be answered as (the rarest species, answered as the
    species whose F1 a false answer hurts most): the largest step one bird makes for a perfect model.
    A model that already errs can lose a little more to one more wrong bird.
    """
    labels = list(map(str, truth))
    species = sorted(set(labels))
    if len(species) < 2:
        raise ValueError("one_error needs penguins of at least two species")
    true_codes, _, classes = _codes(labels)
    costs = []
    for wrong_for in species:
        for answered in (other for other in species if other != wrong_for):
            predicted = true_codes.copy()
            predicted[labels.index(wrong_for)] = species.index(answered)
            costs.append(1.0 - float(_macro_f1(true_codes[None, :], predicted[None, :], classes)[0]))
    return {"penguins": float(len(labels)), "accuracy": 1.0 / len(labels), "macro_f1": max(costs)}


def status(interval: Interval, needs: str, threshold: float) -> str:
    """``met``, ``failed`` or ``undecided``: where the whole interval lies against ``threshold`` (``>=`` or ``<=``)."""
    if needs == ">=":
        return MET if interval.low >= threshold else FAILED if interval.high < threshold else UNDECIDED
    return MET if interval.high <= threshold else FAILED if interval.low > threshold else UNDECIDED


def scores(
    table: pd.DataFrame, predicted: Labels, seed: int = 0, confidence: float = CONFIDENCE
) -> dict[str, Interval]:
    """Every score a requirement reads, with its interval: macro-F1, accuracy per island, recall per species.

    Keys as :func:`lib.modeling.evaluate` names them (``test_macro_f1``, ``test_accuracy_<island>``),
    and ``recall_<species>``; an island or species absent from ``table`` has no key. Each interval
    is at ``confidence`` (95%; higher when several evaluations are counted together, as the gate's
    runs are when it is run again on more birds: Bonferroni, ``1 - 0.05 / runs``).
    """
    truth = table[schema.LABEL].astype(str).to_numpy()
    answers = np.asarray(list(map(str, predicted)), dtype=object)
    right = truth == answers
    found = {"test_macro_f1": macro_f1(truth, answers, seed, confidence)}
    islands = table[schema.ISLAND.name].astype(str).to_numpy()
    for island in schema.ISLANDS:
        rows = islands == island
        if rows.any():
            found[schema.island_metric(island)] = proportion(int(right[rows].sum()), int(rows.sum()), confidence)
    for species in schema.CLASSES:
        rows = truth == species
        if rows.any():
            found[f"recall_{species}"] = proportion(int(right[rows].sum()), int(rows.sum()), confidence)
    return found
