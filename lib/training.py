"""Training: fit a candidate, run a session of every candidate, publish the chosen one.

How the course's model is trained, step by step. Lesson 2.2 (the pipeline's ``train`` stage)
makes each MLflow call of step 2 in the open for its first candidate, logs the others with
:func:`log_candidates`, compares and chooses in the open as :func:`run_session` does, and ends
with :func:`publish`; lesson 5.2 runs a whole session with :func:`run_session`.

1. :func:`fit`: one candidate of :mod:`lib.modeling`, with its hyperparameters and seed,
   fitted on the training split;
2. :func:`log_candidate`: the same inside a nested MLflow run: cross-validated, evaluated
   on the test split, explained, and logged with its model;
3. :func:`run_session`: every candidate as the runs of one training session, compared as
   MLflow gives them back, and the champion chosen by the one-standard-error rule
   (:mod:`lib.selection`);
4. :func:`publish`: the chosen run held to the inception requirements
   (:mod:`lib.requirements`), registered under an alias, and exported to ``models/`` with
   its record read back from the registry (:func:`export_version`, :mod:`lib.champion`).

Lesson 5.2 retrains with :func:`run_session` and promotes with :func:`export_version`;
lesson 3.1 measures :func:`fit`'s energy.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.data.pandas_dataset import from_pandas
from mlflow.models import infer_signature
from sklearn.pipeline import Pipeline

from lib import champion, modeling, paths, plots, schema, selection, tracking
from lib.requirements import Requirements


def fit(candidate: str, hyperparameters: Mapping[str, Any], train: pd.DataFrame, seed: int) -> Pipeline:
    """Build candidate ``candidate`` with its hyperparameters and seed, and fit it on ``train``."""
    model = modeling.build_candidate(candidate, hyperparameters, seed)
    return model.fit(modeling.features(train), modeling.labels(train))


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
    hyperparameters: Mapping[str, Any],
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
        mlflow.set_tags({tracking.SESSION_TAG: "candidate", "candidate": name})
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
            name=tracking.MODEL_ARTIFACT,
            serialization_format="skops",
            skops_trusted_types=champion.trusted_types_of(model),
            pyfunc_predict_fn="predict_proba",
            signature=infer_signature(x_train, model.predict_proba(x_train)),
            input_example=x_train.head(3),
            pip_requirements=tracking.pip_requirements(),
        )
    return CandidateResult(name, model, run.info.run_id, info.model_uri, metrics, importance)


def log_candidates(
    candidates: Mapping[str, Mapping[str, Any]],
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    cv_folds: int,
    seed: int,
    dataset: tuple[str, str] | None = None,
) -> dict[str, CandidateResult]:
    """:func:`log_candidate` for each candidate (name -> hyperparameters), as nested runs of the active session."""
    return {
        name: log_candidate(name, hyperparameters, train, test, cv_folds=cv_folds, seed=seed, dataset=dataset)
        for name, hyperparameters in candidates.items()
    }


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


@dataclass
class Session:
    """A training session: its parent run, each candidate's result, their comparison from MLflow, the choice."""

    run_id: str
    results: dict[str, CandidateResult]
    table: pd.DataFrame
    choice: selection.Choice

    @property
    def champion(self) -> CandidateResult:
        """The result of the candidate the selection rule chose."""
        return self.results[self.choice.champion]


def run_session(
    candidates: Mapping[str, Mapping[str, Any]],
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    cv_folds: int,
    seed: int,
    experiment_id: str,
    run_name: str = "training-session",
    tags: Mapping[str, str] | None = None,
    dataset: tuple[str, str] | None = None,
) -> Session:
    """Train every candidate as a nested run of one new session, compare them as MLflow returns them, choose.

    The comparison is read back from the store (:func:`lib.tracking.session_runs`), not from
    memory, so it is the one a teammate or a later lesson would see; the champion is chosen on
    cross-validated macro-F1 by :func:`lib.selection.choose`, never on the test split.
    """
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as session:
        mlflow.set_tags({tracking.SESSION_TAG: "session", **(tags or {})})
        results = log_candidates(candidates, train, test, cv_folds=cv_folds, seed=seed, dataset=dataset)
    table = tracking.comparison_table(tracking.session_runs(experiment_id, session.info.run_id))
    return Session(session.info.run_id, results, table, selection.choose(table, cv_folds))


def trained_on(run: mlflow.entities.Run) -> list[champion.TrainedOn]:
    """The datasets a run logged as its inputs (``mlflow.log_input``): name, source (the URI given) and digest."""
    found = []
    for item in run.inputs.dataset_inputs if run.inputs else []:
        try:
            source = json.loads(item.dataset.source).get("uri", item.dataset.source)
        except (json.JSONDecodeError, AttributeError):
            source = item.dataset.source
        found.append(champion.TrainedOn(name=item.dataset.name, source=str(source), digest=item.dataset.digest))
    return found


def version_record(model_name: str, version: int) -> champion.ModelExport:
    """The export record of a registered version, read back from the registry and the version's run.

    Raises ``ValueError`` for a version registered without a run: register versions from a logged run.
    """
    client = MlflowClient()
    registered = client.get_model_version(model_name, str(version))
    if not registered.run_id:
        raise ValueError(f"{model_name} version {version} has no run: register versions from a logged run")
    run = client.get_run(registered.run_id)
    hyperparameters, seed = tracking.run_settings(run.data.params)
    # the run's own scores; later lessons add measurements to the run (3.1's energy) that are not the model's
    scores = {
        key: round(value, 4) for key, value in sorted(run.data.metrics.items()) if key.startswith(("cv_", "test_"))
    }
    return champion.ModelExport(
        name=model_name,
        version=int(version),
        candidate=run.data.params["candidate"],
        run_id=registered.run_id,
        hyperparameters=hyperparameters,
        seed=seed,
        metrics=scores,
        trained_on=trained_on(run),
    )


def export_version(
    model_name: str, version: int, models_dir: Path | None = None, model: Pipeline | None = None
) -> champion.ModelExport:
    """Export a registered version to ``models/`` (the skops file and ``model.json``), as the API loads it.

    ``model`` is the fitted pipeline when the caller holds it (lesson 2.2, just trained);
    otherwise it is loaded from the registry. Returns the record as written.
    """
    model = model if model is not None else mlflow.sklearn.load_model(f"models:/{model_name}/{version}")
    return champion.export(model, version_record(model_name, version), models_dir)


def publish(
    result: CandidateResult,
    model_name: str,
    requirements: Requirements,
    *,
    alias: str = "champion",
    models_dir: Path | None = None,
) -> champion.ModelExport:
    """Hold ``result`` to the requirements, register it as a new version of ``model_name`` under ``alias``, export it.

    Raises :class:`lib.requirements.RequirementNotMet` before anything is registered or exported.
    """
    requirements.enforce(result.metrics, model=result.name)
    version = register(result, model_name, alias=alias)
    return export_version(model_name, version, models_dir, model=result.model)
