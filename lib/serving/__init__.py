"""The prediction API: FastAPI on uvicorn, serving the champion model, one module per concern.

- ``GET /health``: liveness, and whether a model is loaded (with its version);
- ``GET /model``: name, version, metrics, feature schema and class labels;
- ``POST /predict``: one penguin -> its species and the probability of each class;
- ``POST /predict/batch``: up to ``batch_limit`` penguins, one answer each, in order;
- ``GET /metrics``: requests, latency, predictions per species and the inputs' distributions, for Prometheus.

Modules: :mod:`~lib.serving.bodies` (request and response bodies, from the feature
schema), :mod:`~lib.serving.settings` (environment variables, read by
``Settings.from_env`` only), :mod:`~lib.serving.loading` (the model, from the export or
the MLflow registry, loaded once), :mod:`~lib.serving.batching` (micro-batching, with a
bounded queue), :mod:`~lib.serving.metrics` (``/metrics``), :mod:`~lib.serving.predictions`
(the prediction log), :mod:`~lib.serving.state` (what the running app holds),
:mod:`~lib.serving.routes` (the routes), :mod:`~lib.serving.app` (the factory), :mod:`~lib.serving.inference`
(the numpy inference path) and :mod:`~lib.serving.server` (``python -m lib.serving``). Run it with
``python -m lib.serving [PORT]`` or ``uvicorn --factory lib.serving:create_app``.
Importing the package reads no environment and loads no model.
"""

from lib.serving.app import create_app, validation_errors
from lib.serving.batching import Direct, MicroBatcher, Overloaded
from lib.serving.bodies import BatchPrediction, BatchRequest, Health, ModelInfo, Penguin, Prediction
from lib.serving.loading import (
    LoadedModel,
    ModelUnavailable,
    default_model_uri,
    load,
    load_from_export,
    load_from_registry,
    ready,
)
from lib.serving.routes import answer, batch_json, to_rows
from lib.serving.settings import Settings

__all__ = [
    "BatchPrediction",
    "BatchRequest",
    "Direct",
    "Health",
    "LoadedModel",
    "MicroBatcher",
    "ModelInfo",
    "ModelUnavailable",
    "Overloaded",
    "Penguin",
    "Prediction",
    "Settings",
    "answer",
    "batch_json",
    "create_app",
    "default_model_uri",
    "load",
    "load_from_export",
    "load_from_registry",
    "ready",
    "to_rows",
    "validation_errors",
]
