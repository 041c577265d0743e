"""Scores by group: whom the model serves well, with Fairlearn's ``MetricFrame`` and an interval on every gap.

A model can meet every overall requirement and still serve one group of birds worse than another:
the birds of one island, or of one sex. ``fairlearn.metrics.MetricFrame`` splits any metric of
``(y_true, y_pred)`` by a group column (``by_group``) and reduces it to the largest difference
between the groups (``difference()``). What a decision needs beyond those point values is added here:

- each group's accuracy with its exact 95% interval (:func:`lib.evidence.proportion`) and the
  number of birds it rests on (:func:`by_group`); grouped by the true species, the same accuracy
  is each species' recall;
- the **largest gap** between the groups of an attribute with a 95% interval (:func:`gap`). Each
  group's exact interval is widened so that all ``k`` of them hold at once with 95% confidence
  (Bonferroni: each at ``1 - 0.05 / k``); the true gap then lies between the highest lower end
  minus the lowest upper end (at least 0) and the highest upper end minus the lowest lower end.
  Conservative, and it does not collapse on perfect scores as a bootstrap of the birds does
  (Fairlearn's ``MetricFrame(n_boot=...)``): every resample of a perfect group is perfect, so a
  bootstrap answers [0, 0] on 11 birds as on 1000.

Fairlearn refuses a group column with missing values. The sex of some birds was not recorded (the
API accepts it missing), so they form a group of their own, :data:`NOT_RECORDED`, shown in the
table but left out of the gap: a handful of birds cannot show anything about it either way.
The requirement on the gap (``requirements.max_group_gap``) is read by
:meth:`lib.requirements.Requirements.group_gaps`, and the promotion gate of lesson 5.2 checks it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame
from sklearn.metrics import accuracy_score

from lib import evidence, schema
from lib.evidence import Interval, Labels

ATTRIBUTES = ("island", "sex")  # the groups the requirement compares
NOT_RECORDED = "not recorded"  # the group of birds whose sex was not recorded


def _birds(y_true: np.ndarray, y_pred: np.ndarray) -> int:
    del y_pred  # a metric of MetricFrame takes both; the count needs one
    return len(y_true)


def _right(y_true: np.ndarray, y_pred: np.ndarray) -> int:
    return int((np.asarray(y_true) == np.asarray(y_pred)).sum())


def groups(table: pd.DataFrame, attribute: str) -> pd.Series:
    """Each bird's group: its ``attribute`` as text, :data:`NOT_RECORDED` where the value is missing."""
    if attribute not in table.columns:
        raise KeyError(f"no column {attribute!r} to group by; the table has {list(table.columns)}")
    return table[attribute].astype("string").fillna(NOT_RECORDED).astype(str).rename(attribute)


def metric_frame(table: pd.DataFrame, predicted: Labels, attribute: str) -> MetricFrame:
    """Fairlearn's ``MetricFrame``: birds, right answers and accuracy, overall and for each group of ``attribute``."""
    return MetricFrame(
        metrics={"birds": _birds, "right": _right, "accuracy": accuracy_score},
        y_true=table[schema.LABEL].astype(str).to_numpy(),
        y_pred=np.asarray(list(map(str, predicted))),
        sensitive_features=groups(table, attribute),
    )


def by_group(table: pd.DataFrame, predicted: Labels, attribute: str) -> pd.DataFrame:
    """One row per group of ``attribute``: birds, right answers, accuracy and its exact 95% interval."""
    rows = metric_frame(table, predicted, attribute).by_group.astype({"birds": int, "right": int})
    intervals = [evidence.proportion(row.right, row.birds) for row in rows.itertuples()]
    return rows.assign(low=[i.low for i in intervals], high=[i.high for i in intervals])


def gap(table: pd.DataFrame, predicted: Labels, attribute: str, confidence: float = evidence.CONFIDENCE) -> Interval:
    """The largest accuracy gap between the groups of ``attribute``, with its simultaneous interval (95% by default).

    Birds whose ``attribute`` was not recorded are left out; with fewer than two groups there is
    nothing to compare, and the interval is [0, 1] (undecided against any threshold below 1).
    """
    rows = by_group(table, predicted, attribute).drop(index=NOT_RECORDED, errors="ignore")
    birds = int(rows["birds"].sum())
    if len(rows) < 2:
        return Interval(0.0, 0.0, 1.0, birds, f"fewer than two {attribute} groups: nothing to compare")
    level = 1 - (1 - confidence) / len(rows)
    wide = [evidence.proportion(row.right, row.birds, level) for row in rows.itertuples()]
    lows, highs = [i.low for i in wide], [i.high for i in wide]
    return Interval(
        float(rows["accuracy"].max() - rows["accuracy"].min()),
        max(0.0, max(lows) - min(highs)),
        max(highs) - min(lows),
        birds,
        f"simultaneous exact intervals (Clopper-Pearson, Bonferroni over {len(rows)} groups)",
    )


def gaps(table: pd.DataFrame, predicted: Labels, confidence: float = evidence.CONFIDENCE) -> dict[str, Interval]:
    """:func:`gap` for each attribute the requirement compares (:data:`ATTRIBUTES`)."""
    return {attribute: gap(table, predicted, attribute, confidence) for attribute in ATTRIBUTES}
