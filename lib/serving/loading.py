"""Loading the model to serve, from the ``models/`` export or the MLflow registry, and checking it fits the API.

A model is loaded at start-up, and again whenever its source changes
(:mod:`lib.serving.reloading`): each :class:`LoadedModel` carries the *signature* its
source had just before it was read, which the API compares with the source's
current one. A model is checked before it is served (:func:`check_contract`): the
classes, the features and an answer for reference penguins, so a file of another
schema is refused at load time, not at the first request.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lib import champion, params, paths, schema
from lib.serving import inference
from lib.serving.bodies import ModelInfo
from lib.serving.settings import Settings


class ModelUnavailable(RuntimeError):
    """No model is loaded; the message says why and what to do."""


@dataclass
class LoadedModel:
    """A model ready to serve: its probability function, and what ``/model`` reports about it."""

    predict: inference.Predict
    info: ModelInfo
    signature: Any = None  # the source's signature when it was read; None: given in memory, nothing to watch


def check_contract(model: Any, predict: inference.Predict) -> None:
    """Raise :class:`ModelUnavailable` unless the model answers this API's schema.

    Its classes must be the schema's species, its input columns (when it records them)
    the schema's features in order, and its answer for the reference penguins one row of
    finite probabilities summing to 1 per penguin.
    """
    classes = [str(c) for c in getattr(model, "classes_", [])]
    if sorted(classes) != sorted(schema.CLASSES):
        raise ModelUnavailable(f"the model predicts {classes}, not this API's species {list(schema.CLASSES)}")
    names = getattr(model, "feature_names_in_", None)
    if names is not None and list(names) != list(schema.FEATURES):
        raise ModelUnavailable(f"the model reads the columns {list(names)}, not this API's {list(schema.FEATURES)}")
    try:
        answer = np.asarray(predict(inference.REFERENCE_ROWS), dtype=float)
    except Exception as exc:  # pylint: disable=broad-exception-caught  # any failure means: not servable
        raise ModelUnavailable(f"the model fails on the reference penguins ({type(exc).__name__}: {exc})") from exc
    expected = (len(inference.REFERENCE_ROWS), len(classes))
    if answer.shape != expected or not np.isfinite(answer).all() or not np.allclose(answer.sum(axis=1), 1):
        raise ModelUnavailable(f"the model's answer for the reference penguins is not {expected} probabilities")


def ready(model: Any, path: str = "auto", signature: Any = None, **info: Any) -> LoadedModel:
    """Pick the inference path for a loaded pipeline (``auto``: numpy if it compiles), check it, and describe it."""
    compiled = inference.compile_pipeline(model) if path == "auto" else None
    predict = compiled or inference.pandas_path(model)
    check_contract(model, predict)
    return LoadedModel(
        predict,
        ModelInfo(
            inference="numpy" if compiled else "pandas",
            features=schema.feature_schema()["features"],
            classes=[str(c) for c in model.classes_],
            **info,
        ),
        signature,
    )


def export_signature(models_dir: Path | None = None) -> tuple | None:
    """What changes when the export is replaced: each file's size, modification time and inode; None if absent.

    Cheap enough to read every few seconds (two ``stat`` calls): the API polls it to notice
    a new export (:mod:`lib.serving.reloading`).
    """
    signature = []
    for path in (champion.model_file(models_dir), champion.metadata_file(models_dir)):
        try:
            status = path.stat()
        except FileNotFoundError:
            return None
        signature.append((path.name, status.st_size, status.st_mtime_ns, status.st_ino))
    return tuple(signature)


def load_from_export(models_dir: Path, path: str = "auto") -> LoadedModel:
    """Load the export of ``models_dir``: :func:`lib.champion.read` checks the files (raising ``ModelFileError``),
    :func:`check_contract` that the model answers this API."""
    signature = export_signature(models_dir)
    model, record = champion.read(models_dir)
    return ready(
        model,
        path,
        signature,
        name=record.name,
        version=record.served_version,
        candidate=record.candidate,
        source=f"export:{champion.model_file(models_dir)}",
        metrics=record.metrics,
    )


def default_model_uri(params_file: Path | None = None) -> str:
    """``models:/<train.registered_model>@champion``, the name read from ``params.yaml``.

    Raises :class:`ModelUnavailable` saying to set ``PENGUINS_MODEL_URI`` where there is no
    ``params.yaml`` (the Docker image ships none).
    """
    params_file = Path(params_file) if params_file is not None else paths.PARAMS_FILE
    try:
        name = params.stage_params("train", params_file)["registered_model"]
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ModelUnavailable(
            f"no registered model name: {params_file} has no train.registered_model ({type(exc).__name__}); "
            "set PENGUINS_MODEL_URI, e.g. models:/penguins-classifier@champion"
        ) from None
    return f"models:/{name}@champion"


def registry_signature(model_uri: str) -> tuple[str, str] | None:
    """The registered name and the version an alias URI (``models:/name@alias``) points at now; None otherwise."""
    import mlflow  # noqa: PLC0415  # pylint: disable=import-outside-toplevel

    name, _, alias = model_uri.removeprefix("models:/").partition("@")
    if not model_uri.startswith("models:/") or not alias:
        return None  # a fixed version or a run's model: nothing moves
    try:
        return name, str(mlflow.MlflowClient().get_model_version_by_alias(name, alias).version)
    except mlflow.exceptions.MlflowException as exc:
        raise ModelUnavailable(f"the registry has no {model_uri} ({exc.error_code}): {exc.message}") from None


def load_from_registry(model_uri: str, path: str = "auto") -> LoadedModel:
    """Load the scikit-learn model behind a registry URI such as ``models:/penguins-classifier@champion``.

    An alias is resolved to its version first, and that version is loaded, so the model
    and the version it reports are the same even if the alias moves meanwhile.
    """
    # Imported here so that serving from the export (the Docker image) needs no MLflow.
    import mlflow  # noqa: PLC0415  # pylint: disable=import-outside-toplevel

    from lib import tracking  # noqa: PLC0415  # pylint: disable=import-outside-toplevel

    tracking.configure()
    signature = registry_signature(model_uri)
    name = model_uri.removeprefix("models:/").partition("@")[0]
    try:
        model = mlflow.sklearn.load_model(f"models:/{name}/{signature[1]}" if signature else model_uri)
        client = mlflow.MlflowClient()
        version = client.get_model_version(name, signature[1]) if signature else None
        metrics = client.get_run(version.run_id).data.metrics if version and version.run_id else {}
    except mlflow.exceptions.MlflowException as exc:
        raise ModelUnavailable(f"the registry could not give {model_uri} ({exc.error_code}): {exc.message}") from None
    return ready(
        model,
        path,
        signature,
        name=name,
        version=str(version.version) if version else "unknown",
        candidate=(version.tags or {}).get("candidate") if version else None,
        source=f"registry:{model_uri}",
        metrics={k: float(v) for k, v in metrics.items() if k.startswith(("cv_", "test_"))},
    )


def load(settings: Settings) -> LoadedModel:
    """Load the model the settings name (raises ``champion.ModelFileError``, ``ModelUnavailable`` or ``OSError``)."""
    if settings.model_source == "registry":
        return load_from_registry(settings.model_uri or default_model_uri(), settings.inference)
    return load_from_export(settings.models_dir or paths.MODELS_DIR, settings.inference)


def source_signature(settings: Settings) -> Any:
    """The current signature of the source the settings name (compare it with a :class:`LoadedModel`'s)."""
    if settings.model_source == "registry":
        return registry_signature(settings.model_uri or default_model_uri())
    return export_signature(settings.models_dir or paths.MODELS_DIR)


# What a failed load raises: the export's own errors, a model that does not fit or that the registry
# cannot give (MLflow's errors become ModelUnavailable), files that cannot be read, a missing import.
LOAD_ERRORS = (champion.ModelFileError, ModelUnavailable, OSError, ImportError, ValueError)
