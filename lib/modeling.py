"""The candidate models: their pipelines, cross-validation, evaluation and explanation.

Every candidate is one scikit-learn ``Pipeline``: the same preprocessing (scaled
measurements, one-hot island and sex, unknown sex as its own category) followed by
a classifier. Keeping the preprocessing inside the pipeline means the exported
model takes the raw feature values the API receives, with nothing to re-implement.
How the candidates are trained, logged and chosen is :mod:`lib.training`; what the
chosen one must meet, :mod:`lib.requirements`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, make_scorer
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from lib import schema

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Candidate:
    """A candidate model family: how to make its classifier, how simple it is, what skops must trust to load it.

    ``simplicity`` ranks the families, simplest first, for the selection rule
    (:mod:`lib.selection`): among the candidates it treats as equal, the simplest wins.
    ``trusted_types`` lists the types, beyond skops' defaults, that a fitted pipeline of
    this family contains (``skops.io.get_untrusted_types``); the API loads an export
    trusting only the types of the declared candidates.
    """

    estimator: Callable[..., Any]
    simplicity: int
    trusted_types: tuple[str, ...] = ()


# The candidates: a name (its key in params.yaml, train.candidates), its classifier and its rank in
# simplicity. To add one, add it here and give it an entry, with its hyperparameters, in params.yaml.
# The baseline predicts the most frequent species whatever it is shown: any model worth keeping beats it.
CANDIDATES: dict[str, Candidate] = {
    "baseline": Candidate(partial(DummyClassifier, strategy="most_frequent"), 0),
    "logistic_regression": Candidate(partial(LogisticRegression, max_iter=5000), 1),
    "gradient_boosting": Candidate(
        HistGradientBoostingClassifier, 2, ("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",)
    ),
    "random_forest": Candidate(RandomForestClassifier, 3, ("sklearn.tree._tree.Tree",)),
}


class UnknownHyperparameter(ValueError):
    """A hyperparameter that the candidate's estimator does not have; the message lists those it has."""


def features(table: pd.DataFrame) -> pd.DataFrame:
    """Return the model's input columns, in schema order, as scikit-learn expects them.

    Categorical columns become ``object`` with ``np.nan`` for missing values (scikit-learn's
    imputers do not accept pandas' ``pd.NA``); measurements become ``float64``.
    """
    missing = [column for column in schema.FEATURES if column not in table.columns]
    if missing:
        raise KeyError(f"the table lacks the model's inputs {missing}; expected {list(schema.FEATURES)}")
    frame = table[list(schema.FEATURES)].copy()
    for column in schema.CATEGORICAL:
        values = frame[column].astype(object)
        frame[column] = values.where(pd.notna(values), np.nan)
    return frame.astype({column: "float64" for column in schema.NUMERIC})


def labels(table: pd.DataFrame) -> np.ndarray:
    """Return the species labels as a plain string array."""
    return table[schema.LABEL].astype(str).to_numpy()


def preprocessor() -> ColumnTransformer:
    """Scale the measurements; one-hot encode island and sex, with missing sex as 'unknown'."""
    categories = [list(f.values) + ([UNKNOWN] if f.nullable else []) for f in schema.CATEGORICAL_FEATURES]
    categorical = make_pipeline(
        SimpleImputer(strategy="constant", fill_value=UNKNOWN),
        OneHotEncoder(categories=categories, handle_unknown="ignore"),
    )
    return ColumnTransformer(
        [
            ("measurements", StandardScaler(), list(schema.NUMERIC)),
            ("categories", categorical, list(schema.CATEGORICAL)),
        ],
        verbose_feature_names_out=True,
    )


def build_candidate(name: str, hyperparameters: Mapping[str, Any], seed: int) -> Pipeline:
    """Return the unfitted pipeline of candidate ``name`` with its hyperparameters, seeded if it draws at random.

    A name that is not a hyperparameter of the estimator is refused here, naming the
    ones it has; a value out of range is refused by scikit-learn itself when the
    pipeline is first fitted (``InvalidParameterError``, which says what it accepts).
    """
    if name not in CANDIDATES:
        raise KeyError(f"unknown candidate '{name}'; candidates are {sorted(CANDIDATES)} (lib/modeling.py)")
    classifier = CANDIDATES[name].estimator()
    known = classifier.get_params()
    unknown = sorted(set(hyperparameters) - set(known))
    if unknown:
        raise UnknownHyperparameter(
            f"candidate '{name}' ({type(classifier).__name__}) has no hyperparameter {unknown}; "
            f"it has {sorted(known)}: fix train.candidates.{name} in params.yaml"
        )
    classifier.set_params(**hyperparameters)
    if "random_state" in known:
        classifier.set_params(random_state=seed)
    return Pipeline([("preprocess", preprocessor()), ("classifier", classifier)])


# A species a model never predicts has an F1 of 0 (the baseline's case), said without a warning per fold.
MACRO_F1 = make_scorer(f1_score, average="macro", zero_division=0)


def cross_validate_candidate(model: Pipeline, train: pd.DataFrame, folds: int, seed: int) -> dict[str, float]:
    """Stratified, shuffled, seeded k-fold cross-validation of accuracy and macro-F1.

    Returns each score's mean over the folds and its sample standard deviation (``ddof=1``),
    from which the selection rule (:mod:`lib.selection`) takes the standard error it compares differences with.
    """
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scoring = {"accuracy": "accuracy", "f1_macro": MACRO_F1}
    scores = cross_validate(model, features(train), labels(train), cv=splitter, scoring=scoring)
    return {
        "cv_accuracy": float(np.mean(scores["test_accuracy"])),
        "cv_accuracy_std": float(np.std(scores["test_accuracy"], ddof=1)),
        "cv_macro_f1": float(np.mean(scores["test_f1_macro"])),
        "cv_macro_f1_std": float(np.std(scores["test_f1_macro"], ddof=1)),
    }


def evaluate(model: Pipeline, test: pd.DataFrame) -> dict[str, float]:
    """Held-out metrics: accuracy, macro-F1, F1 per species, and accuracy and macro-F1 per island."""
    truth, predicted = labels(test), model.predict(features(test))
    metrics = {
        "test_accuracy": float(accuracy_score(truth, predicted)),
        "test_macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
    }
    per_class = f1_score(truth, predicted, average=None, labels=list(schema.CLASSES), zero_division=0)
    metrics |= {f"test_f1_{species}": float(score) for species, score in zip(schema.CLASSES, per_class, strict=True)}
    islands = test[schema.ISLAND.name].astype(str).to_numpy()
    for island in schema.ISLANDS:
        rows = islands == island
        if rows.any():
            metrics[schema.island_metric(island)] = float(accuracy_score(truth[rows], predicted[rows]))
            metrics[schema.island_metric(island, "macro_f1")] = float(
                f1_score(
                    truth[rows], predicted[rows], average="macro", labels=sorted(set(truth[rows])), zero_division=0
                )
            )
    return metrics


def feature_importance(model: Pipeline, test: pd.DataFrame, seed: int, repeats: int = 10) -> pd.Series:
    """Permutation importance of each input on the test set: the drop in macro-F1 when it is shuffled.

    The same measure for every candidate (coefficients and impurity importances are
    not comparable across model types), on the model's own inputs, largest first.
    """
    result = permutation_importance(
        model, features(test), labels(test), scoring="f1_macro", n_repeats=repeats, random_state=seed
    )
    return pd.Series(result.importances_mean, index=list(schema.FEATURES), name="importance").sort_values(
        ascending=False
    )
