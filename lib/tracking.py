"""Experiment tracking with MLflow on the embedded default: SQLite at the project root.

``configure`` points MLflow at ``sqlite:///<project>/mlflow.db`` (absolute, so the
same store is used from a notebook, a DVC stage or a test, whatever the working
directory) with artifacts in ``<project>/mlruns``. A team outgrowing it sets
``MLFLOW_TRACKING_URI`` to a tracking server instead; the experiment then keeps
its artifacts on the server (see :func:`experiment`), and nothing else changes.

A training session is one parent run with a nested run per candidate, so a lesson
compares exactly the candidates it trained, however many sessions the store holds.
Training itself, and what is logged in each run, is :mod:`lib.training`; this module is
the store: where it is, the experiment, reading runs back.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import yaml
from mlflow import MlflowClient

from lib import paths, schema

SESSION_TAG = "penguins.role"
MODEL_ARTIFACT = "model"
PIP_REQUIREMENTS = ("scikit-learn", "skops", "pandas", "numpy")

for noisy in ("mlflow", "alembic"):
    logging.getLogger(noisy).setLevel(logging.WARNING)


def default_tracking_uri(root: Path | None = None) -> str:
    """Return the embedded store's URI: ``sqlite:///`` and the absolute path of ``mlflow.db``."""
    root = Path(root) if root is not None else paths.PROJ_ROOT
    return f"sqlite:///{(root / 'mlflow.db').as_posix()}"


def tracking_uri() -> str:
    """The store the course uses: ``$MLFLOW_TRACKING_URI`` (a team's server) or the embedded ``mlflow.db``."""
    return os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()


def configure() -> str:
    """Point MLflow (tracking and registry) at :func:`tracking_uri` and return it."""
    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def is_server(uri: str | None = None) -> bool:
    """True when ``uri`` (default: MLflow's current one) is a tracking server, not a local store."""
    uri = uri if uri is not None else mlflow.get_tracking_uri()
    return uri.split("://", 1)[0].lower() in ("http", "https")


def describe_store(uri: str | None = None) -> str:
    """Say where runs go: ``the local file mlflow.db``, or ``the tracking server <uri> as <user>``."""
    uri = uri if uri is not None else mlflow.get_tracking_uri()
    if is_server(uri):
        user = os.environ.get("MLFLOW_TRACKING_USERNAME")
        return f"the tracking server {uri}" + (f" as {user}" if user else " (no account set)")
    return f"the local file {paths.relative(uri.split(':///')[-1])}"


def experiment(name: str, artifacts: Path | None = None) -> str:
    """Return the id of experiment ``name``, creating it if needed.

    On a local store (the embedded ``mlflow.db`` or another SQLite file) the artifacts
    go to ``<project>/mlruns`` (absolute, so any working directory finds them). On a
    tracking server the experiment takes the
    server's default location: with proxied artifact access its runs get
    ``mlflow-artifacts:/`` URIs, so every member's artifacts land on the server and
    nobody needs storage credentials. ``artifacts`` names another folder for a new
    experiment's artifacts on a local store (lesson 5.2's scratch copy).
    """
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        mlflow.set_experiment(experiment_id=found.experiment_id)
        return found.experiment_id
    folder = Path(artifacts) if artifacts is not None else paths.PROJ_ROOT / "mlruns"
    location = folder.resolve().as_uri() if not is_server() else None
    experiment_id = mlflow.create_experiment(name, artifact_location=location)
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def pip_requirements() -> list[str]:
    """The exact versions the model needs to load (skips MLflow's slow inference of them)."""
    return [f"{package}=={metadata.version(package)}" for package in PIP_REQUIREMENTS]


def session_runs(experiment_id: str, session_run_id: str) -> pd.DataFrame:
    """The candidate runs of one training session, best cross-validated macro-F1 first."""
    return mlflow.search_runs(
        experiment_ids=[experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{session_run_id}'",
        order_by=["metrics.cv_macro_f1 DESC", "tags.candidate ASC"],
    )


def latest_session(experiment_name: str) -> tuple[str, pd.DataFrame]:
    """Return the newest training session's run id and its candidate runs (for later lessons)."""
    found = mlflow.get_experiment_by_name(experiment_name)
    sessions = (
        None
        if found is None
        else mlflow.search_runs(
            experiment_ids=[found.experiment_id],
            filter_string=f"tags.`{SESSION_TAG}` = 'session'",
            order_by=["attributes.start_time DESC"],
            max_results=1,
        )
    )
    if found is None or sessions is None or sessions.empty:
        raise LookupError(
            f"no training session in MLflow experiment '{experiment_name}' at {mlflow.get_tracking_uri()}: "
            "run the 2.2-experiment-tracking notebook (or 'make pipeline') first"
        )
    session_id = sessions.loc[0, "run_id"]
    return session_id, session_runs(found.experiment_id, session_id)


SCORE_KEYS = ("cv_macro_f1", "cv_macro_f1_std", "test_macro_f1", "test_accuracy")
COMPARISON_COLUMNS = ("cv_macro_f1", "cv_macro_f1_std", "cv_accuracy", "test_macro_f1", "test_accuracy")


def comparison_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Turn ``mlflow.search_runs`` output into one row per candidate, best CV macro-F1 first."""
    table = pd.DataFrame({"candidate": runs["tags.candidate"]})
    for column in COMPARISON_COLUMNS:
        table[column] = runs[f"metrics.{column}"].astype(float)
    return table.sort_values(["cv_macro_f1", "candidate"], ascending=[False, True]).reset_index(drop=True)


def write_scores(
    table: pd.DataFrame, champion_metrics: dict[str, float], champion_name: str, metrics_dir: Path | None = None
) -> tuple[Path, Path]:
    """Write ``metrics/scores.json`` (DVC metrics) and ``metrics/candidates.csv`` (a DVC plot), rounded to 4 places.

    The scores keep the champion's headline numbers (its CV and test scores, its worst island),
    so ``dvc metrics show`` fits a screen; every candidate's scores are in ``candidates.csv``, and
    the full detail in MLflow and the model card.
    """
    metrics_dir = Path(metrics_dir) if metrics_dir is not None else paths.METRICS_DIR
    metrics_dir.mkdir(parents=True, exist_ok=True)
    islands = list(schema.island_accuracies(champion_metrics).values())
    headline = {key: champion_metrics[key] for key in SCORE_KEYS if key in champion_metrics}
    scores = {
        "champion": champion_name,
        **{key: round(value, 4) for key, value in headline.items()},
        **({"worst_island_accuracy": round(min(islands), 4)} if islands else {}),
    }
    scores_file, candidates_file = metrics_dir / "scores.json", metrics_dir / "candidates.csv"
    text = json.dumps(scores, indent=2) + "\n"
    paths.write_atomically(scores_file, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    paths.write_atomically(candidates_file, lambda tmp: table.round(4).to_csv(tmp, index=False))
    return scores_file, candidates_file


def log_to_run(run_id: str, metrics: dict[str, float]) -> None:
    """Add metrics to a finished run (later lessons add energy figures to the training runs).

    The client writes the metrics without reopening the run, so its status and end
    time stay as they were.
    """
    client = MlflowClient()
    for key, value in metrics.items():
        client.log_metric(run_id, key, value)


RUN_SETTINGS = ("candidate", "cv_folds", "seed")


def run_settings(logged: Mapping[str, str]) -> tuple[dict[str, Any], int]:
    """A candidate run's hyperparameters (typed again) and seed, from its params as MLflow stores them (strings).

    Every param but the run's settings (:data:`RUN_SETTINGS`) is a hyperparameter, parsed back with YAML.
    """
    hyperparameters = {key: yaml.safe_load(value) for key, value in sorted(logged.items()) if key not in RUN_SETTINGS}
    return hyperparameters, int(logged["seed"])


def candidate_settings(runs: pd.DataFrame) -> dict[str, tuple[dict[str, Any], int]]:
    """Recover each candidate's hyperparameters and seed from its run (``mlflow.search_runs`` output).

    The runs table has a column for every param of every candidate; each run's own non-empty
    params are read back with :func:`run_settings`.
    """
    settings = {}
    for _, row in runs.iterrows():
        recorded = {
            key.removeprefix("params."): value
            for key, value in row.items()
            if key.startswith("params.") and isinstance(value, str)
        }
        settings[row["tags.candidate"]] = run_settings(recorded)
    return settings
