"""What a model leans on: Shapley values (SHAP) of its answers, beside permutation importance.

Two questions, two tools:

- **permutation importance** (:func:`lib.modeling.feature_importance`, scikit-learn): how much the
  *score* drops when one input is shuffled. It needs labels, and it answers for the model as a
  whole: which inputs the score depends on;
- **Shapley values** (:func:`shapley`, the ``shap`` library): how much each input moved *one
  answer*, the probability of the species the model gave, from the average answer over background
  birds. They need no labels, so they explain answers as they are served, one bird at a time, and
  their mean size over many birds (:func:`mean_shapley`) says what the model leans on.

Both replace inputs with other birds' values while keeping the rest (permutation importance one
input, SHAP every subset of them), so both ask the model about birds that do not exist (a Gentoo's
flippers on a Torgersen Adelie): where inputs are correlated, as the penguins' measurements are
within a species, each reading is about the model, not about biology.

``shap`` cannot mask text columns (it subtracts values to find which inputs differ), so the
categorical inputs are handed to it as their category codes (:func:`as_codes`), and turned back
into the pipeline's inputs before every call of the model (:func:`from_codes`). With six inputs the
Shapley values are computed exactly (``shap.explainers.Exact``: every subset of the inputs that
differ from the background, 64 when all six do), against a fixed sample of :data:`BACKGROUND`
training birds, so they are deterministic and add up, for each bird, to its answer minus the
average answer over that sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shap
from sklearn.pipeline import Pipeline

from lib import modeling, schema

BACKGROUND = 100  # background birds the masked inputs are drawn from (shap's default, sampled with a fixed seed)
_CATEGORIES = {feature.name: list(feature.values) for feature in schema.CATEGORICAL_FEATURES}


def as_codes(birds: pd.DataFrame) -> np.ndarray:
    """The model's inputs as numbers: measurements as they are, island and sex as category codes (-1: missing)."""
    inputs = modeling.features(birds)
    for column, categories in _CATEGORIES.items():
        inputs[column] = pd.Categorical(inputs[column], categories=categories).codes
    return inputs.to_numpy(dtype=float)


def from_codes(rows: np.ndarray) -> pd.DataFrame:
    """The inverse of :func:`as_codes`: rows of numbers back into the inputs the pipeline takes."""
    inputs = pd.DataFrame(np.asarray(rows, dtype=float), columns=list(schema.FEATURES))
    for column, categories in _CATEGORIES.items():
        codes = inputs[column].astype(int).to_numpy()
        inputs[column] = np.where(codes >= 0, np.asarray(categories, dtype=object)[codes.clip(0)], np.nan)
    return inputs


def shapley(model: Pipeline, birds: pd.DataFrame, background: pd.DataFrame) -> shap.Explanation:
    """Exact Shapley values of ``model``'s probabilities for each bird of ``birds`` (birds x inputs x species).

    ``background`` (the training split) gives the average answer the values start from; a sample of
    :data:`BACKGROUND` of its birds is used, always the same one.
    """
    masker = shap.maskers.Independent(as_codes(background), max_samples=BACKGROUND)
    explainer = shap.explainers.Exact(lambda rows: model.predict_proba(from_codes(rows)), masker)
    explanation = explainer(as_codes(birds), silent=True)  # no progress bar in a lesson's output
    explanation.feature_names = list(schema.FEATURES)
    return explanation


def answered(model: Pipeline, birds: pd.DataFrame, explanation: shap.Explanation) -> np.ndarray:
    """Each bird's Shapley values for the species the model answered (birds x inputs)."""
    columns = np.searchsorted(model.classes_, model.predict(modeling.features(birds)))
    return explanation.values[np.arange(len(birds)), :, columns]


def mean_shapley(model: Pipeline, birds: pd.DataFrame, background: pd.DataFrame) -> pd.Series:
    """Mean absolute Shapley value of each input for the answered species: what the model leans on, largest first."""
    values = answered(model, birds, shapley(model, birds, background))
    return pd.Series(np.abs(values).mean(axis=0), index=list(schema.FEATURES), name="mean |SHAP|").sort_values(
        ascending=False
    )
