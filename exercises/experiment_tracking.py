"""Solutions to the exercises of lesson 2.2, experiment tracking. Run: ``python -m exercises.experiment_tracking``.

They log to the store that :func:`lib.tracking.configure` selects (``$MLFLOW_TRACKING_URI``, else the
project's ``mlflow.db``), in experiments of their own, so the lessons' comparisons are not disturbed.
"""

from __future__ import annotations

import mlflow
import pandas as pd
from mlflow import MlflowClient

from lib import data, modeling, paths, tracking


def compare_c(
    train: pd.DataFrame, test: pd.DataFrame, values=(0.1, 10.0), cv_folds: int = 5, seed: int = 42
) -> pd.DataFrame:
    """Exercise 1: one logistic regression per value of C, nested in a session; the runs ranked by CV macro-F1."""
    experiment_id = tracking.experiment("exercise-regularisation")
    with mlflow.start_run(run_name="c-session") as session:
        for value in values:
            tracking.log_candidate("logistic_regression", {"C": value}, train, test, cv_folds=cv_folds, seed=seed)
    runs = mlflow.search_runs(
        experiment_ids=[experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{session.info.run_id}'",
        order_by=["metrics.cv_macro_f1 DESC", "params.C ASC"],
    )
    return runs[["params.C", "metrics.cv_macro_f1", "metrics.test_macro_f1"]].reset_index(drop=True)


def roll_back(train: pd.DataFrame, test: pd.DataFrame, model_name: str = "exercise-rollback") -> dict:
    """Exercise 2: register two versions, move ``champion`` back to the first, and see which one answers."""
    tracking.experiment("exercise-rollback")
    with mlflow.start_run(run_name="rollback-session"):
        first = tracking.log_candidate("logistic_regression", {"C": 0.1}, train, test, cv_folds=3, seed=42)
        second = tracking.log_candidate("logistic_regression", {"C": 10.0}, train, test, cv_folds=3, seed=42)
    old, new = tracking.register(first, model_name), tracking.register(second, model_name)
    client = MlflowClient()
    promoted = int(client.get_model_version_by_alias(model_name, "champion").version)
    client.set_registered_model_alias(model_name, "champion", str(old))
    served = mlflow.sklearn.load_model(f"models:/{model_name}@champion")
    return {
        "versions": (old, new),
        "alias_before": promoted,
        "alias_after": int(client.get_model_version_by_alias(model_name, "champion").version),
        "served_c": served.named_steps["classifier"].C,
    }


def autolog_misses(train: pd.DataFrame, test: pd.DataFrame, seed: int = 42) -> dict:
    """Exercise 3: the metrics a hand-logged run has and an autologged ``fit`` cannot know."""
    tracking.experiment("exercise-autolog")
    model = modeling.build_candidate("random_forest", {"n_estimators": 50}, seed)
    mlflow.sklearn.autolog(log_models=False, silent=True)
    try:
        with mlflow.start_run(run_name="autolog") as run:
            model.fit(modeling.features(train), modeling.labels(train))
    finally:
        mlflow.sklearn.autolog(disable=True)
    autologged = set(MlflowClient().get_run(run.info.run_id).data.metrics)
    by_hand = set(modeling.cross_validate_candidate(model, train, 3, seed)) | set(modeling.evaluate(model, test))
    return {"autologged": sorted(autologged), "missing": sorted(by_hand - autologged)}


if __name__ == "__main__":
    tracking.configure()
    train_set, test_set = data.load_processed(paths.TRAIN_FILE), data.load_processed(paths.TEST_FILE)
    print("1.", compare_c(train_set, test_set), sep="\n")
    print("2.", roll_back(train_set, test_set))
    print("3.", autolog_misses(train_set, test_set))
