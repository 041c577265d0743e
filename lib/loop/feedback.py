"""Ground truth that arrives after the fact: the labelled delivery joined to the prediction log, and what it shows.

In production the labels come late: the API answered each penguin in the field, and the
species are confirmed weeks later. Two signals are then set side by side:

- **drift** (:func:`drift_timeline`): from the predictions alone, available at once: does the
  input distribution still look like the training data? Evidently's test per column, on the
  first ``drift_step`` (50), twice that, ... penguins of the season;
- **performance** (:func:`performance`, :func:`cumulative_macro_f1`): from the labels, available
  only when they arrive: how often was the model right, per species, per island, against the
  requirements of lesson 1.0?

The join is on the request id the client sent (``X-Request-ID``), which the prediction log
keeps: matching on the measurements instead would pair the wrong birds as soon as two share
them, and a re-measured bird would match nothing.
"""

from __future__ import annotations

import pandas as pd
from sklearn.metrics import f1_score

from lib import evidence, schema
from lib.monitoring import drift_table, evidently_on_pandas3
from lib.requirements import Requirements


class JoinError(ValueError):
    """The labels and the prediction log cannot be joined as they are; the message says why."""


def join(log: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Each labelled penguin beside the answer it got: ``species`` (true) and ``predicted``, in the log's order.

    A request id answered twice (a client's retry) keeps its last answer, the one the
    client acted on. Raises :class:`JoinError` when either side has no request ids, or
    when no label matches a prediction.
    """
    for name, table in (("the prediction log", log), ("the labels", labels)):
        if "request_id" not in table or table["request_id"].isna().all():
            raise JoinError(f"{name} has no request ids: send X-Request-ID with each prediction to join labels later")
    answered = log.dropna(subset=["request_id"]).drop_duplicates("request_id", keep="last")
    answered = answered[["request_id", "species", "confidence", "model_version"]].rename(
        columns={"species": "predicted"}
    )
    joined = answered.merge(labels, on="request_id", how="inner", validate="one_to_one")
    if joined.empty:
        raise JoinError("no label matches a logged prediction: are the request ids spelled the same on both sides?")
    return joined.reset_index(drop=True)


def coverage(log: pd.DataFrame, labels: pd.DataFrame, joined: pd.DataFrame) -> dict[str, int]:
    """How complete the join is: predictions and labels on each side, how many matched, and what is left over."""
    answered = log["request_id"].dropna().nunique()
    return {
        "predictions": int(answered),
        "labels": int(labels["request_id"].nunique()),
        "joined": len(joined),
        "predictions_without_label": int(answered - len(joined)),
        "labels_without_prediction": int(labels["request_id"].nunique() - len(joined)),
    }


def macro_f1(truth: pd.Series, predicted: pd.Series) -> float:
    """Macro-F1 over the species that occur on either side, as ``lib.modeling.evaluate`` computes it."""
    return float(f1_score(truth, predicted, average="macro", zero_division=0))


def by_group(joined: pd.DataFrame, column: str) -> pd.DataFrame:
    """Accuracy per value of ``column`` (``island``, or ``species`` for the recall), with its exact 95% interval."""
    right = joined["predicted"] == joined[schema.LABEL]
    rows = {}
    for value, hits in right.groupby(joined[column].astype(str), sort=True):
        interval = evidence.proportion(int(hits.sum()), len(hits))
        rows[value] = {"penguins": interval.n, "accuracy": interval.value, "low": interval.low, "high": interval.high}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(column).round(4)


def performance(joined: pd.DataFrame, requirements: Requirements, seed: int = 0) -> pd.DataFrame:
    """The labelled performance against the inception requirements (lesson 1.0), each score with its 95% interval.

    One row per criterion (:meth:`lib.requirements.Requirements.with_intervals`): macro-F1 over all
    the penguins, then the accuracy on each island, with the number of penguins each rests on and
    its status by the interval (:func:`lib.evidence.status`): met, failed, or undecided.
    """
    found = evidence.scores(joined, joined["predicted"], seed)
    rows = [
        {
            "criterion": check.criterion,
            "penguins": interval.n,
            "value": round(check.value, 4),
            "low": round(interval.low, 4),
            "high": round(interval.high, 4),
            "needs": check.needs,
            "threshold": check.threshold,
            "status": evidence.status(interval, check.needs, check.threshold),
        }
        for check, interval in requirements.with_intervals(found)
    ]
    return pd.DataFrame(rows)


def cumulative_macro_f1(joined: pd.DataFrame, step: int) -> pd.DataFrame:
    """Macro-F1 on the first ``step``, ``2 * step``, ... labelled penguins (in prediction order)."""
    sizes = range(step, len(joined) + 1, step)
    return pd.DataFrame(
        {
            "penguins": list(sizes),
            "macro_f1": [macro_f1(joined[schema.LABEL].iloc[:n], joined["predicted"].iloc[:n]) for n in sizes],
        }
    )


def drift_timeline(log: pd.DataFrame, reference: pd.DataFrame, step: int) -> pd.DataFrame:
    """Evidently's drift test of each feature on the first ``step``, ``2 * step``, ... predictions of the log.

    One row per (penguins, column): the test's p-value (or distance), its threshold, and whether it drifted.
    Each step runs the per-column metric ``DataDriftPreset`` runs (``ValueDrift``, with the preset's default
    test and threshold, in its column order) without the preset's count of drifted columns and the drift table
    it draws, which the timeline does not read: the same values, in about half the time.
    """
    evidently_on_pandas3()  # Evidently 0.7 on pandas 3 (lib/monitoring/drift.py)
    # pylint: disable=import-outside-toplevel
    from evidently import DataDefinition, Dataset, Report  # noqa: PLC0415
    from evidently.core.datasets import ColumnType  # noqa: PLC0415
    from evidently.metrics import ValueDrift  # noqa: PLC0415

    # pylint: enable=import-outside-toplevel
    definition = DataDefinition(numerical_columns=list(schema.NUMERIC), categorical_columns=list(schema.CATEGORICAL))
    columns = list(definition.get_columns([ColumnType.Numerical, ColumnType.Categorical, ColumnType.Text]))
    baseline = Dataset.from_pandas(reference[list(schema.FEATURES)], data_definition=definition)
    frames = []
    for size in range(step, len(log) + 1, step):
        current = Dataset.from_pandas(log[list(schema.FEATURES)].iloc[:size], data_definition=definition)
        table = drift_table(Report([ValueDrift(column=column) for column in columns]).run(current, baseline))
        frames.append(table.reset_index().assign(penguins=size))
    return pd.concat(frames, ignore_index=True)[["penguins", "column", "test", "value", "threshold", "drifted"]]


def first_seen(
    drift: pd.DataFrame, labelled: pd.DataFrame, min_macro_f1: float, alpha: float | None = None
) -> dict[str, int | None]:
    """After how many penguins each signal first showed the change: a drifted column; macro-F1 below the requirement.

    A column drifted where Evidently said so, or, given ``alpha``, where its p-value is below it
    (Bonferroni's threshold over the whole timeline, say, so that one test in twenty does not count).
    """
    hit = drift["drifted"] if alpha is None else drift["value"] < alpha
    drifted = drift.loc[hit, "penguins"]
    failing = labelled.loc[labelled["macro_f1"] < min_macro_f1, "penguins"]
    return {
        "drift": int(drifted.min()) if len(drifted) else None,
        "labels": int(failing.min()) if len(failing) else None,
    }
