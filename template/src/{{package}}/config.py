"""Where everything is, and what every stage reads: the paths, params.yaml and schema.yaml."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml


def root() -> Path:
    """The project's root: the checkout holding this package (src/<package>/ is two levels below it)."""
    return Path(__file__).resolve().parents[2]


def path(*parts: str) -> Path:
    """A path under the project's root."""
    return root().joinpath(*parts)


def params() -> dict[str, Any]:
    """params.yaml, whole."""
    return yaml.safe_load(path("params.yaml").read_text(encoding="utf-8"))


def schema() -> dict[str, Any]:
    """schema.yaml: the target and the input columns with their profile."""
    return yaml.safe_load(path("schema.yaml").read_text(encoding="utf-8"))


def raw_data_path() -> Path:
    """The raw CSV schema.yaml names (tracked by DVC)."""
    found = path(schema()["data"])
    if not found.exists():
        raise FileNotFoundError(f"{found} is missing: run 'dvc pull' (or 'make pipeline', which pulls it)")
    return found


def feature_names() -> list[str]:
    """The input columns, in schema order."""
    return [column["name"] for column in schema()["columns"]]


def tracking_uri() -> str:
    """MLflow's store: MLFLOW_TRACKING_URI (a team server) if set, else mlflow.db at the root (absolute)."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{path('mlflow.db').as_posix()}"


def score_name() -> str:
    """The metric the requirement is stated in: accuracy for classification, r2 for regression."""
    return "accuracy" if schema()["target"]["task"] == "classification" else "r2"
