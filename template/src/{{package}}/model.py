"""The model: the preprocessing and estimator of each candidate, and the exported champion's loading."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import skops.io
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from . import config

# Each candidate's estimator by its name in params.yaml (train.candidates); seeded where it draws.
ESTIMATORS: dict[str, dict[str, Any]] = {
    "classification": {
        "baseline": lambda seed, **kw: DummyClassifier(strategy="most_frequent", **kw),
        "logistic_regression": lambda seed, **kw: LogisticRegression(random_state=seed, **kw),
        "random_forest": lambda seed, **kw: RandomForestClassifier(random_state=seed, n_jobs=1, **kw),
    },
    "regression": {
        "baseline": lambda seed, **kw: DummyRegressor(strategy="mean", **kw),
        "ridge": lambda seed, **kw: Ridge(**kw),
        "random_forest": lambda seed, **kw: RandomForestRegressor(random_state=seed, n_jobs=1, **kw),
    },
}


def preprocessing(schema: dict[str, Any]) -> ColumnTransformer:
    """Numbers: median imputation and scaling; categories: the most frequent value and one-hot encoding."""
    numeric = [c["name"] for c in schema["columns"] if c["kind"] == "numeric"]
    categorical = [c["name"] for c in schema["columns"] if c["kind"] == "categorical"]
    return ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "categorical",
                make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")),
                categorical,
            ),
        ]
    )


def build(name: str, hyperparameters: dict[str, Any], seed: int) -> Pipeline:
    """The pipeline of one candidate: preprocessing, then its estimator with the given hyperparameters."""
    schema = config.schema()
    estimators = ESTIMATORS[schema["target"]["task"]]
    if name not in estimators:
        raise ValueError(
            f"params.yaml names the candidate {name!r}, which src/{__package__}/model.py does not know: "
            f"add its estimator to ESTIMATORS[{schema['target']['task']!r}] (known: {', '.join(estimators)})"
        )
    return Pipeline([("preprocess", preprocessing(schema)), ("model", estimators[name](seed, **hyperparameters))])


def load(directory: Path | None = None) -> tuple[Pipeline, dict[str, Any]]:
    """The exported champion and its metadata (models/model.skops and models/model.json)."""
    directory = directory or config.path("models")
    meta_path = directory / "model.json"
    if not meta_path.exists():
        raise FileNotFoundError(f"{meta_path} is missing: run 'make pipeline' (or 'dvc repro train')")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    # skops rebuilds only the types model.json lists: those skops found in this model when train.py exported it
    # (safer than pickle, not a sandbox: load only models your own pipeline wrote).
    return skops.io.load(directory / "model.skops", trusted=meta["trusted_types"]), meta


def predict(model: Pipeline, meta: dict[str, Any], rows: pd.DataFrame) -> list[dict[str, Any]]:
    """One answer per row: the prediction, and each class's probability for a classifier."""
    rows = rows[meta["features"]]
    predictions = model.predict(rows)
    if meta["task"] != "classification":
        return [{"prediction": float(value)} for value in predictions]
    probabilities = model.predict_proba(rows)
    classes = [str(c) for c in model.classes_]
    answers = []
    for label, row in zip(predictions, probabilities, strict=True):
        native = label.item() if hasattr(label, "item") else label
        answers.append({"prediction": native, "probabilities": dict(zip(classes, map(float, row), strict=True))})
    return answers
