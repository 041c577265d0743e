"""Experiment tracking with MLflow on the embedded default: SQLite at the project root.

``configure`` points MLflow at ``sqlite:///<project>/mlflow.db`` (absolute, so the
same store is used from a notebook, a DVC stage or a test, whatever the working
directory) with artifacts in ``<project>/mlruns``. A team outgrowing it sets
``MLFLOW_TRACKING_URI`` to a tracking server instead; the experiment then keeps
its artifacts on the server (see :func:`experiment`), and nothing else changes.

A training session is one parent run with a nested run per candidate, so a lesson
compares exactly the candidates it trained, however many sessions the store holds.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import yaml
from mlflow import MlflowClient
from mlflow.data.pandas_dataset import from_pandas
from mlflow.models import infer_signature
from sklearn.pipeline import Pipeline

from lib import modeling, paths, plots, schema
from lib.champion import trusted_types_of

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


@dataclass
class CandidateResult:
    """What training one candidate produced: its fitted model, run, logged model and metrics."""

    name: str
    model: Pipeline
    run_id: str
    model_uri: str
    metrics: dict[str, float]
    importance: pd.Series

    @property
    def model_id(self) -> str | None:
        """The logged model's id (MLflow 3 logs models as ``models:/<id>``); a tracking server needs it to register."""
        return self.model_uri.removeprefix("models:/") if self.model_uri.startswith("models:/") else None


def log_candidate(
    name: str,
    hyperparameters: dict[str, Any],
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    cv_folds: int,
    seed: int,
    dataset: tuple[str, str] | None = None,
) -> CandidateResult:
    """Cross-validate, fit and evaluate one candidate inside a nested MLflow run, logging everything.

    Logged: hyperparameters and settings (params); CV and test metrics, per species and
    per island (metrics); the training set as a dataset input (``dataset``: its name and
    source, by default ``penguins-train`` from ``data/processed/train.csv``); the confusion
    matrix and the permutation importances (artifacts); the model with its signature and
    an input example, serialised with skops (no pickle).
    """
    dataset_name, source = dataset or ("penguins-train", paths.relative(paths.TRAIN_FILE))
    model = modeling.build_candidate(name, hyperparameters, seed)
    with mlflow.start_run(run_name=name, nested=True) as run:
        mlflow.set_tags({SESSION_TAG: "candidate", "candidate": name})
        mlflow.log_params({**hyperparameters, "candidate": name, "cv_folds": cv_folds, "seed": seed})
        with warnings.catch_warnings():
            # MLflow registers two local-file source classes and warns that it picked one.
            warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted")
            logged = from_pandas(train, source=source, targets=schema.LABEL, name=dataset_name)
        mlflow.log_input(logged, context="training")
        metrics = modeling.cross_validate_candidate(model, train, cv_folds, seed)
        x_train = modeling.features(train)
        model.fit(x_train, modeling.labels(train))
        metrics |= modeling.evaluate(model, test)
        mlflow.log_metrics(metrics)
        predicted = model.predict(modeling.features(test))
        mlflow.log_figure(
            plots.confusion_matrix(modeling.labels(test), predicted, f"{name}: test set"), "confusion_matrix.png"
        )
        importance = modeling.feature_importance(model, test, seed)
        mlflow.log_dict(importance.round(6).to_dict(), "feature_importance.json")
        mlflow.log_figure(plots.importances({name: importance}), "feature_importance.png")
        info = mlflow.sklearn.log_model(
            model,
            name=MODEL_ARTIFACT,
            serialization_format="skops",
            skops_trusted_types=trusted_types_of(model),
            pyfunc_predict_fn="predict_proba",
            signature=infer_signature(x_train, model.predict_proba(x_train)),
            input_example=x_train.head(3),
            pip_requirements=pip_requirements(),
        )
    return CandidateResult(name, model, run.info.run_id, info.model_uri, metrics, importance)


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


def register(result: CandidateResult, model_name: str, alias: str = "champion") -> int:
    """Register a candidate's logged model as a new version of ``model_name`` and move ``alias`` to it."""
    client = MlflowClient()
    try:
        client.get_registered_model(model_name)
    except mlflow.exceptions.MlflowException:
        client.create_registered_model(
            model_name, description="Species of an adult penguin from island, sex and four body measurements."
        )
    version = client.create_model_version(
        model_name,
        source=result.model_uri,
        run_id=result.run_id,
        model_id=result.model_id,
        tags={"candidate": result.name, "cv_macro_f1": f"{result.metrics['cv_macro_f1']:.4f}"},
        description=f"{result.name}, chosen by the one-standard-error rule on cross-validated macro-F1",
    )
    client.set_registered_model_alias(model_name, alias, version.version)
    return int(version.version)


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


def candidate_settings(runs: pd.DataFrame) -> dict[str, tuple[dict[str, Any], int]]:
    """Recover each candidate's hyperparameters and seed from its run (``mlflow.search_runs`` output).

    MLflow stores params as strings, and the runs table has a column for every param
    of every candidate; each run's own non-empty params are parsed back with YAML.
    """
    settings = {}
    for _, row in runs.iterrows():
        recorded = {
            key.removeprefix("params."): value
            for key, value in row.items()
            if key.startswith("params.") and isinstance(value, str)
        }
        hyperparameters = {
            key: yaml.safe_load(value) for key, value in sorted(recorded.items()) if key not in RUN_SETTINGS
        }
        settings[row["tags.candidate"]] = (hyperparameters, int(recorded["seed"]))
    return settings
