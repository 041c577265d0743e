"""The selection rule: the simplest candidate within one standard error of the best.

Cross-validation gives each candidate a mean score and a spread over the folds; the mean is
uncertain by about that spread over the square root of the number of folds, its standard
error. Picking the higher mean when two candidates differ by less would often read noise as a
result. The *one-standard-error rule*, a convention rather than a test (Hastie,
Tibshirani and Friedman, *The Elements of Statistical Learning*, section 7.10) takes the
best mean, subtracts its standard error, and chooses the simplest candidate that reaches
that line: among equals, the one that is cheaper to run and easier to explain.

Simplicity is declared with each candidate (:data:`lib.modeling.CANDIDATES`). The
standard error over ``k`` folds is the folds' sample standard deviation over the square
root of ``k``; the folds share training rows, so it is a rule of thumb, not a test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from lib import modeling

SCORE = "cv_macro_f1"


@dataclass(frozen=True)
class Choice:
    """What the rule saw and chose: the best mean, the line one standard error below it, who reached it."""

    champion: str
    best: str
    best_score: float
    line: float
    within_noise: tuple[str, ...]

    def explain(self) -> str:
        """One sentence a reader can check against the comparison table."""
        if self.champion == self.best and len(self.within_noise) == 1:
            return (
                f"{self.best} has the best CV macro-F1 ({self.best_score:.4f}) and no other candidate comes within "
                f"one standard error of it (down to {self.line:.4f}): it is the champion"
            )
        others = [name for name in self.within_noise if name != self.champion]
        return (
            f"best CV macro-F1: {self.best} ({self.best_score:.4f}); within one standard error of it (down to "
            f"{self.line:.4f}): {', '.join(self.within_noise)}. The rule treats these as equal, so the simplest, "
            f"{self.champion}, is the champion" + (f" ahead of {', '.join(others)}" if others else "")
        )


def standard_error(std: float, folds: int) -> float:
    """The standard error of a mean over ``folds`` folds whose sample standard deviation is ``std``."""
    return std / math.sqrt(folds)


def choose(table: pd.DataFrame, folds: int) -> Choice:
    """Apply the one-standard-error rule to a comparison table (one row per candidate).

    ``table`` needs the columns ``candidate``, ``cv_macro_f1`` and ``cv_macro_f1_std`` (as
    :func:`lib.tracking.comparison_table` makes it). Ties in simplicity fall to the name.
    """
    if table.empty:
        raise ValueError("no candidates to choose from: the comparison table is empty")
    unknown = sorted(set(table["candidate"]) - set(modeling.CANDIDATES))
    if unknown:
        raise KeyError(f"candidates {unknown} are not declared in lib/modeling.py, so their simplicity is unknown")
    best = table.loc[table[SCORE].idxmax()]
    line = float(best[SCORE] - standard_error(float(best[f"{SCORE}_std"]), folds))
    reached = table[table[SCORE] >= line]
    ranked = sorted(reached["candidate"], key=lambda name: (modeling.CANDIDATES[name].simplicity, name))
    return Choice(
        champion=ranked[0],
        best=str(best["candidate"]),
        best_score=float(best[SCORE]),
        line=line,
        within_noise=tuple(ranked),
    )
