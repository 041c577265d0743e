"""lib.modeling: the candidates' pipelines, their evaluation, and the requirements gate."""

import numpy as np
import pandas as pd
import pytest

from lib import champion, data, modeling, params, schema, training

CONFIGURED = params.stage_params("train")["candidates"]


@pytest.fixture(scope="module")
def splits():
    table = data.clean(data.load_raw(data.packaged_raw_export()))
    return data.split(table, test_size=0.25, seed=42)


@pytest.fixture(scope="module")
def fitted(splits):
    train, _ = splits
    return training.fit("logistic_regression", {"C": 1.0}, train, 42)


def test_features_are_sklearn_ready(splits):
    """Schema order, float measurements, np.nan (not pd.NA) for a missing sex."""
    train, _ = splits
    frame = modeling.features(train.assign(sex=pd.array([pd.NA] * len(train), dtype="string")))
    assert tuple(frame.columns) == schema.FEATURES
    assert frame["sex"].map(lambda v: isinstance(v, float) and np.isnan(v)).all()
    with pytest.raises(KeyError, match="lacks the model's inputs"):
        modeling.features(train.drop(columns=["island"]))


def test_unknown_candidate_is_named(splits):
    """A typo in a candidate name lists the real ones."""
    with pytest.raises(KeyError, match="unknown candidate 'svm'"):
        modeling.build_candidate("svm", {}, seed=1)


def test_params_yaml_configures_exactly_the_declared_candidates():
    """Every candidate of lib/modeling.py has an entry in params.yaml (train.candidates), and no other entry."""
    assert sorted(CONFIGURED) == sorted(modeling.CANDIDATES)


@pytest.mark.parametrize("name", sorted(modeling.CANDIDATES))
def test_every_candidate_is_reproducible_and_trusted(splits, name):
    """Its params.yaml settings reach the classifier; the same seed gives the same probabilities; its export loads."""
    train, test = splits
    runs = []
    for _ in range(2):
        model = training.fit(name, CONFIGURED[name], train, 3)
        runs.append(model.predict_proba(modeling.features(test)))
    assert np.array_equal(runs[0], runs[1])
    classifier = model.named_steps["classifier"]
    assert {key: classifier.get_params()[key] for key in CONFIGURED[name]} == CONFIGURED[name]
    if "random_state" in classifier.get_params():
        assert classifier.random_state == 3
    assert set(champion.trusted_types_of(model)) <= set(modeling.CANDIDATES[name].trusted_types) | {"numpy.dtype"}


@pytest.mark.parametrize(
    ("name", "hyperparameters", "error", "message"),
    [
        pytest.param(
            "random_forest",
            {"n_trees": 10},
            modeling.UnknownHyperparameter,
            r"has no hyperparameter \['n_trees'\].*'n_estimators'.*params\.yaml",
            id="unknown-name",
        ),
        pytest.param(
            "logistic_regression",
            {"C": -1.0},
            ValueError,
            r"'C' parameter of LogisticRegression must be a float in the range \(0\.0, inf\]",
            id="c-negative",
        ),
        pytest.param(
            "gradient_boosting",
            {"learning_rate": "fast"},
            ValueError,
            r"'learning_rate' parameter",
            id="rate-not-a-number",
        ),
    ],
)
def test_bad_hyperparameters_are_refused_naming_them(splits, name, hyperparameters, error, message):
    """A typo is refused when the pipeline is built; a bad value by scikit-learn at the first fit, saying why."""
    train, _ = splits
    with pytest.raises(error, match=message):
        training.fit(name, hyperparameters, train, 0)


def test_pipeline_accepts_missing_sex_and_unseen_category(fitted, splits):
    """A missing sex is its own category; an unseen island does not crash the encoder."""
    _, test = splits
    rows = modeling.features(test.head(2)).assign(sex=[np.nan, np.nan], island=["Biscoe", "Anvers"])
    probabilities = fitted.predict_proba(rows)
    assert probabilities.shape == (2, 3) and np.allclose(probabilities.sum(axis=1), 1)


def test_cross_validation_reports_mean_and_spread(splits):
    """Four numbers between 0 and 1; the folds are seeded."""
    train, _ = splits
    model = modeling.build_candidate("logistic_regression", {"C": 1.0}, seed=42)
    first = modeling.cross_validate_candidate(model, train, folds=3, seed=1)
    assert set(first) == {"cv_accuracy", "cv_accuracy_std", "cv_macro_f1", "cv_macro_f1_std"}
    assert all(0 <= value <= 1 for value in first.values())
    assert first == modeling.cross_validate_candidate(model, train, folds=3, seed=1)


def test_evaluate_reports_per_species_and_per_island(fitted, splits):
    """Overall, per-species and per-island metrics; a wrong prediction lowers them."""
    _, test = splits
    metrics = modeling.evaluate(fitted, test)
    for key in [
        "test_accuracy",
        "test_macro_f1",
        "test_f1_Chinstrap",
        "test_accuracy_Torgersen",
        "test_macro_f1_Dream",
    ]:
        assert key in metrics
    flipped = test.copy()
    flipped.loc[flipped["species"] == "Gentoo", "species"] = "Adelie"
    worse = modeling.evaluate(fitted, flipped)
    assert worse["test_accuracy_Biscoe"] < metrics["test_accuracy_Biscoe"]
