"""Solutions to the exercises of lesson 2.2, experiment tracking. Run: ``python -m exercises.experiment_tracking``.

They log to the store that :func:`lib.tracking.configure` selects (``$MLFLOW_TRACKING_URI``, else the
project's ``mlflow.db``), in experiments of their own, so the lessons' comparisons are not disturbed.
"""

from __future__ import annotations

import math

import mlflow
import pandas as pd
from mlflow import MlflowClient

from lib import data, paths, tracking, training


def compare_c(
    train: pd.DataFrame, test: pd.DataFrame, values=(0.1, 1.0, 10.0), cv_folds: int = 5, seed: int = 42
) -> dict:
    """Exercise 1: one logistic regression per value of C, ranked by CV macro-F1; the one-standard-error decision.

    The smaller C, the stronger the regularisation and the simpler the model, so among the values whose
    mean reaches one standard error below the best, the smallest C is kept.

    Returns ``{"ranked": the child runs from mlflow.search_runs, best first, with the columns params.C,
    metrics.cv_macro_f1 and metrics.cv_macro_f1_std; "line": the score one standard error below the best;
    "within_noise": the values of C that reach it, as floats, sorted; "keep": the one kept}``.
    """
    experiment_id = tracking.experiment("exercise-regularisation")
    with mlflow.start_run(run_name="c-session") as session:
        for value in values:
            training.log_candidate("logistic_regression", {"C": value}, train, test, cv_folds=cv_folds, seed=seed)
    runs = mlflow.search_runs(
        experiment_ids=[experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{session.info.run_id}'",
        order_by=["metrics.cv_macro_f1 DESC", "params.C ASC"],
    )
    ranked = runs[["params.C", "metrics.cv_macro_f1", "metrics.cv_macro_f1_std"]].reset_index(drop=True)
    best = ranked.iloc[0]
    line = best["metrics.cv_macro_f1"] - best["metrics.cv_macro_f1_std"] / math.sqrt(cv_folds)
    scores = zip(ranked["params.C"], ranked["metrics.cv_macro_f1"], strict=True)
    within = sorted(float(c) for c, score in scores if score >= line)
    return {"ranked": ranked, "line": line, "within_noise": within, "keep": within[0]}


def roll_back(train: pd.DataFrame, test: pd.DataFrame, model_name: str = "exercise-rollback") -> dict:
    """Exercise 2: register two versions, move ``champion`` back to the first, and see which one answers."""
    tracking.experiment("exercise-rollback")
    with mlflow.start_run(run_name="rollback-session"):
        first = training.log_candidate("logistic_regression", {"C": 0.1}, train, test, cv_folds=3, seed=42)
        second = training.log_candidate("logistic_regression", {"C": 10.0}, train, test, cv_folds=3, seed=42)
    old, new = training.register(first, model_name), training.register(second, model_name)
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


def runs_without_figures(session_run_id: str, figure: str = "confusion_matrix.png") -> dict[str, list[str]]:
    """Exercise 3: the runs of a training session that hold ``figure`` among their artifacts, and those that lack it.

    A run holds what its code logged and nothing else: ``training.log_candidate`` logs the figures, a run
    logged by hand with only ``log_params``, ``log_metrics`` and ``log_model`` does not.

    Returns ``{"with": [...], "without": [...]}``: each run named by its ``candidate`` tag, sorted.
    """
    client = MlflowClient()
    session = client.get_run(session_run_id)
    children = client.search_runs(
        [session.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{session_run_id}'"
    )
    found: dict[str, list[str]] = {"with": [], "without": []}
    for run in children:
        names = {artifact.path for artifact in client.list_artifacts(run.info.run_id)}
        found["with" if figure in names else "without"].append(run.data.tags.get("candidate", run.info.run_name))
    return {key: sorted(names) for key, names in found.items()}


if __name__ == "__main__":
    tracking.configure()
    train_set, test_set = data.load_processed(paths.TRAIN_FILE), data.load_processed(paths.TEST_FILE)
    print("1.", compare_c(train_set, test_set))
    print("2.", roll_back(train_set, test_set))
    session_id, _ = tracking.latest_session("penguins-species")
    print("3.", runs_without_figures(session_id))
