"""Drift: the prediction log read back, and Evidently's verdict per column.

Evidently 0.7 imports beside pandas 3 once :func:`evidently_on_pandas3` has run: call it before
``import evidently`` (importing this module patches nothing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from pandas.core.dtypes import common

from lib import schema


def evidently_on_pandas3() -> None:
    """Give back the private pandas name Evidently 0.7.23 imports at start-up: call before ``import evidently``.

    ``evidently.legacy.tests.data_integrity_tests`` imports
    ``pandas.core.dtypes.common.infer_dtype_from_object``, which pandas 3 removed; without it
    ``import evidently`` fails. Only that legacy test uses it (never the drift report), so a
    faithful stand-in (a dtype's scalar type) is enough. It does nothing on pandas 2.
    """
    if not hasattr(common, "infer_dtype_from_object"):

        def infer_dtype_from_object(dtype: Any) -> type:
            return dtype if isinstance(dtype, type) else pd.api.types.pandas_dtype(dtype).type

        common.infer_dtype_from_object = infer_dtype_from_object


def read_prediction_log(path: Path) -> pd.DataFrame:
    """The prediction log (JSON lines) as a DataFrame with the features' dtypes of the training split."""
    log = pd.read_json(path, lines=True, dtype={schema.SEX.name: "str"})
    return log.astype({name: float for name in schema.NUMERIC})


def drift_table(run: Any) -> pd.DataFrame:
    """Evidently's per-column verdict from a report run of ``ValueDrift`` metrics (``DataDriftPreset()``'s, or alone).

    One row per column: the test Evidently chose (when the reference has at most 1000 rows, K-S
    for numbers and chi-square or a Z-test for categories, all p-values), its value, the
    threshold, and whether it drifted.
    """
    rows = []
    for metric in run.dict()["metrics"]:
        config = metric["config"]
        if config.get("type", "").endswith("ValueDrift"):
            value, threshold = float(metric["value"]), float(config["threshold"])
            # A p-value drifts below its threshold; a distance (Wasserstein or Jensen-Shannon,
            # used above 1000 reference rows) above it.
            drifted = value < threshold if "p_value" in config["method"] else value >= threshold
            rows.append(
                {
                    "column": config["column"],
                    "test": config["method"],
                    "value": round(value, 4),
                    "threshold": threshold,
                    "drifted": drifted,
                }
            )
    return pd.DataFrame(rows).set_index("column")


def dataset_drift(run: Any) -> dict[str, float]:
    """Evidently's dataset-level verdict: how many columns drifted, and their share."""
    for metric in run.dict()["metrics"]:
        if metric["metric_name"].startswith("DriftedColumnsCount"):
            return {key: float(value) for key, value in metric["value"].items()}
    raise ValueError("the report has no DriftedColumnsCount metric: was it built with DataDriftPreset()?")
