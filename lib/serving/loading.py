"""Loading the model to serve: from the ``models/`` export or the MLflow registry, once, at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lib import champion, paths, schema
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


def ready(model: Any, path: str = "auto", **info: Any) -> LoadedModel:
    """Pick the inference path for a loaded pipeline (``auto``: numpy if it compiles) and describe it."""
    compiled = inference.compile_pipeline(model) if path == "auto" else None
    predict = compiled or inference.pandas_path(model)
    return LoadedModel(
        predict,
        ModelInfo(
            inference="numpy" if compiled else "pandas",
            features=schema.feature_schema()["features"],
            classes=[str(c) for c in model.classes_],
            **info,
        ),
    )


def load_from_export(models_dir: Path, path: str = "auto") -> LoadedModel:
    """Load the skops export and its ``model.json`` (raises ``champion.ModelFileError`` with the fix)."""
    model = champion.load_model(models_dir)
    meta = champion.load_metadata(models_dir)
    return ready(
        model,
        path,
        name=meta.get("name", champion.model_file(models_dir).stem),
        version=str(meta.get("version", "unknown")),
        candidate=meta.get("candidate"),
        source=f"export:{champion.model_file(models_dir)}",
        metrics={k: float(v) for k, v in meta.get("metrics", {}).items()},
    )


def default_model_uri(params_file: Path | None = None) -> str:
    """``models:/<train.registered_model>@champion``, the name read from ``params.yaml``.

    Raises :class:`ModelUnavailable` saying to set ``PENGUINS_MODEL_URI`` where there is no
    ``params.yaml`` (the Docker image ships none).
    """
    params_file = Path(params_file) if params_file is not None else paths.PARAMS_FILE
    try:
        name = yaml.safe_load(params_file.read_text(encoding="utf-8"))["train"]["registered_model"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise ModelUnavailable(
            f"no registered model name: {params_file} has no train.registered_model ({type(exc).__name__}); "
            "set PENGUINS_MODEL_URI, e.g. models:/penguins-classifier@champion"
        ) from None
    return f"models:/{name}@champion"


def load_from_registry(model_uri: str, path: str = "auto") -> LoadedModel:
    """Load the scikit-learn model behind a registry URI such as ``models:/penguins-classifier@champion``."""
    # Imported here so that serving from the export (the Docker image) needs no MLflow.
    import mlflow  # noqa: PLC0415  # pylint: disable=import-outside-toplevel

    from lib import tracking  # noqa: PLC0415  # pylint: disable=import-outside-toplevel

    tracking.configure()
    model = mlflow.sklearn.load_model(model_uri)
    name, _, alias = model_uri.removeprefix("models:/").partition("@")
    client = mlflow.MlflowClient()
    version = client.get_model_version_by_alias(name, alias) if alias else None
    metrics = client.get_run(version.run_id).data.metrics if version and version.run_id else {}
    return ready(
        model,
        path,
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
