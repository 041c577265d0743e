"""The FastAPI application, built by :func:`create_app` from settings (and, optionally, a loaded model).

No ``from __future__ import annotations`` here: FastAPI reads the route functions'
annotations at run time, and the batch route's type is built per app.
"""

import contextlib
import gc
import logging
import math
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from pydantic_core import to_json

from lib import champion, inference
from lib.serving.batching import Direct, MicroBatcher, Overloaded
from lib.serving.guards import Guards
from lib.serving.loading import LoadedModel, ModelUnavailable, load
from lib.serving.metrics import Metrics, MetricsMiddleware
from lib.serving.predictions import PredictionLog
from lib.serving.schemas import (
    UNAVAILABLE,
    UNPARSABLE,
    BatchPrediction,
    Health,
    ModelInfo,
    Penguin,
    Prediction,
    limited_batch,
)
from lib.serving.settings import Settings

logger = logging.getLogger("penguins.api")
RETRY_AFTER_S = 1
JSON = "application/json"


def to_rows(penguins: list[Penguin]) -> list[inference.Row]:
    """Validated penguins as rows in schema order (island, four measurements, sex or None)."""
    return [(p.island, p.bill_length_mm, p.bill_depth_mm, p.flipper_length_mm, p.body_mass_g, p.sex) for p in penguins]


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Each error's field location, message and type; a scalar input is echoed, a whole list or object is not."""
    errors = []
    for error in exc.errors():
        item = {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type", "")}
        value = error.get("input")
        if isinstance(value, float) and not math.isfinite(value):
            item["input"] = str(value)  # JSON has no NaN or Infinity
        elif isinstance(value, (str, int, float, bool)) or value is None:
            item["input"] = value
        errors.append(item)
    return errors


def answer(row: np.ndarray, classes: list[str], version: str) -> Prediction:
    """One prediction: the most probable species and every class's probability (6 decimals)."""
    probabilities = {name: round(float(p), 6) for name, p in zip(classes, row, strict=True)}
    return Prediction(species=classes[int(np.argmax(row))], probabilities=probabilities, model_version=version)


def batch_json(probabilities: np.ndarray, classes: list[str], version: str) -> bytes:
    """The ``/predict/batch`` response body, written directly: the same JSON as :class:`BatchPrediction`.

    Building 1000 pydantic objects and passing them through FastAPI's ``jsonable_encoder``
    takes about 18 ms on 2 cores; plain dicts through ``json.dumps`` about 4; through
    pydantic-core's ``to_json`` (Rust) about 2, most of it the rounding, which is
    Python's ``round`` to 6 decimals exactly as :func:`answer` does. (``to_json`` writes
    ``1e-6`` where ``json.dumps`` writes ``1e-06``: the same number to every JSON parser.)
    """
    best = probabilities.argmax(axis=1).tolist()
    predictions = [
        {
            "species": classes[top],
            "probabilities": {name: round(p, 6) for name, p in zip(classes, row, strict=True)},
            "model_version": version,
        }
        for top, row in zip(best, probabilities.tolist(), strict=True)
    ]
    return to_json({"predictions": predictions, "model_version": version})


class Observers:
    """What a prediction leaves behind: the metrics' counts (``/metrics``) and the prediction log's lines."""

    def __init__(self, settings: Settings) -> None:
        self.metrics = Metrics() if settings.metrics else None
        self.log = (
            PredictionLog(settings.prediction_log, int(settings.prediction_log_max_mb * 1_000_000))
            if settings.prediction_log
            else None
        )

    def describe(self, model: LoadedModel) -> None:
        """Name the served model in ``penguins_model_info``."""
        if self.metrics is not None:
            self.metrics.describe_model(model.info.name, model.info.version, model.info.inference)

    def record(self, rows: list[inference.Row], probabilities: np.ndarray, model: LoadedModel) -> None:
        """Count one prediction call and log its rows."""
        if self.metrics is not None:
            self.metrics.observe(rows, probabilities, model.info.classes)
        if self.log is not None:
            self.log.write(rows, probabilities, model.info.classes, model.info.version)

    def install(self, api: FastAPI) -> None:
        """Count every request (the outermost middleware) and serve ``GET /metrics``, unless metrics are off."""
        api.state.metrics = self.metrics
        if self.metrics is not None:  # added after Guards, so it runs before them and counts their refusals
            api.add_middleware(MetricsMiddleware, metrics=self.metrics)
            add_metrics_route(api, self.metrics)

    def close(self) -> None:
        """Close the prediction log."""
        if self.log is not None:
            self.log.close()


def add_error_handlers(api: FastAPI) -> None:
    """Answer a bad request with 422 naming its fields, no model with 503, a full queue with 503 and Retry-After."""

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": jsonable_encoder(validation_errors(exc))})

    @api.exception_handler(ModelUnavailable)
    async def unavailable(_: Request, exc: ModelUnavailable) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": f"no model is loaded: {exc}"})

    @api.exception_handler(Overloaded)
    async def overloaded(_: Request, exc: Overloaded) -> JSONResponse:
        return JSONResponse(
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_S)},
            content={"detail": f"too busy, retry in {RETRY_AFTER_S} s: {exc}"},
        )


def add_metrics_route(api: FastAPI, metrics: Metrics) -> None:
    """``GET /metrics``: the counts in Prometheus's text format (left out of the OpenAPI schema)."""

    @api.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        """The metrics in Prometheus's text format (set PENGUINS_METRICS=0 to switch them off)."""
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)


def batching(settings: Settings, loaded: LoadedModel) -> bool:
    """Whether requests are micro-batched: as set, or (``auto``) only on the pandas path.

    Measured by ``make bench`` on 2 cores: on the numpy path each call costs about 0.06 ms,
    and batching lowered the throughput at concurrency 1 (1474 against 2319 req/s) while it
    raised it only 1.15x at concurrency 16; on the pandas path a call costs milliseconds,
    and sharing it is what makes the throughput.
    """
    if settings.micro_batching == "auto":
        return loaded.info.inference == "pandas"
    return settings.micro_batching == "on"


def create_app(settings: Settings | None = None, loaded: LoadedModel | None = None) -> FastAPI:
    """Build the API. Without ``settings``, they are read from the environment (``Settings.from_env``).

    The model is loaded when the app starts (its lifespan), unless ``loaded`` is given
    (``python -m lib.serving`` loads it first, to fail before binding the port). This is
    what ``uvicorn --factory lib.serving:create_app`` calls; importing the module reads nothing.
    """
    settings = settings or Settings.from_env()
    state: dict[str, Any] = {"loaded": loaded, "batcher": None, "error": None}
    observers = Observers(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if state["loaded"] is None:
            try:
                state["loaded"] = load(settings)
            except (champion.ModelFileError, ModelUnavailable, OSError, ImportError) as exc:
                state["error"] = str(exc)
                if settings.require_model:
                    logger.error("cannot start the API: %s", exc)
                    raise ModelUnavailable(str(exc)) from None
                logger.warning("starting without a model: %s", exc)
        if state["loaded"] is not None:
            predict = state["loaded"].predict
            state["batcher"] = (
                MicroBatcher(predict, settings.max_batch_rows, settings.max_queue, settings.request_timeout_s)
                if batching(settings, state["loaded"])
                else Direct(predict)
            )
            await state["batcher"].start()
            observers.describe(state["loaded"])
        # What is loaded by now (the model, scikit-learn, pandas, the schemas) lives as long as the
        # process. Freezing it keeps Python's full garbage collections, which a large batch request
        # triggers, from walking those millions of objects in the middle of a request.
        gc.collect()
        gc.freeze()
        yield
        if state["batcher"] is not None:
            await state["batcher"].stop()
        observers.close()

    # FastAPI's own /docs and /redoc load their JavaScript and CSS from a CDN and stay
    # blank offline; FastAPIOffline serves the same pages with the assets from the package.
    api = FastAPIOffline(
        title="Penguin species API",
        version="1.0.0",
        summary="Predicts the species of an adult penguin from its island, sex and body measurements.",
        description="The champion model of the penguins MLOps course. See `/model` for what is served.",
        lifespan=lifespan,
    )
    api.state.settings = settings
    api.state.serving = state
    api.add_middleware(Guards, settings=settings)  # body size, concurrency, slow uploads: before anything reads
    observers.install(api)
    add_error_handlers(api)

    def current() -> LoadedModel:
        if state["loaded"] is None:
            raise ModelUnavailable(state["error"] or "the model is not loaded yet")
        return state["loaded"]

    async def classify(rows: list[inference.Row]) -> tuple[LoadedModel, np.ndarray]:
        model = current()
        probabilities = await state["batcher"].predict(rows)
        observers.record(rows, probabilities, model)
        return model, probabilities

    @api.get("/health", response_model=Health, responses={503: {"model": Health}})
    async def health() -> Any:
        """Liveness, and whether a model is loaded (503 when it is not, so a load balancer waits)."""
        if state["loaded"] is None:
            return JSONResponse(
                status_code=503,
                content=Health(status="no model", model_loaded=False, detail=state["error"]).model_dump(),
            )
        return Health(status="ok", model_loaded=True, model_version=state["loaded"].info.version)

    @api.get("/model", response_model=ModelInfo, responses=UNAVAILABLE)
    async def model_info() -> ModelInfo:
        """Name, version, metrics, feature schema and class labels of the served model."""
        return current().info

    @api.post("/predict", response_model=Prediction, responses=UNPARSABLE | UNAVAILABLE)
    async def predict(penguin: Penguin) -> Prediction:
        """Classify one penguin (sex may be null when unknown)."""
        model, probabilities = await classify(to_rows([penguin]))
        return answer(probabilities[0], model.info.classes, model.info.version)

    batch_request = limited_batch(settings.batch_limit)

    @api.post("/predict/batch", response_model=BatchPrediction, responses=UNPARSABLE | UNAVAILABLE)
    async def predict_batch(request: batch_request) -> Response:  # type: ignore[valid-type]
        """Classify up to the batch limit of penguins; answers come back in request order."""
        model, probabilities = await classify(to_rows(request.penguins))  # type: ignore[attr-defined]
        return Response(batch_json(probabilities, model.info.classes, model.info.version), media_type=JSON)

    return api
