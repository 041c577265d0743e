"""The prediction API: FastAPI on uvicorn, serving the champion model.

- ``GET /health``: liveness, and whether a model is loaded (with its version);
- ``GET /model``: name, version, metrics, feature schema and class labels;
- ``POST /predict``: one penguin -> its species and the probability of each class;
- ``POST /predict/batch``: up to ``batch_limit`` penguins, one answer each, in order.

The model is loaded once, at start-up, from the ``models/`` export (skops with the
reviewed trusted types) or, when configured, from the MLflow registry. Requests are
validated against the feature schema of ``lib.schema`` (the same bounds the data
checks use), so invalid input gets a 422 naming the field and the reason.

Inference skips the pandas round trip: ``lib.inference`` replays the fitted
preprocessing with numpy (checked against the pipeline when the model loads) and
calls the fitted classifier directly. Concurrent requests are **micro-batched**:
they wait in a queue, and a single worker thread runs one call for everything that
queued while it was busy. Alone, a request is computed at once; under load, many
share one call, so the fixed cost of a call is paid once per batch.

Settings come from environment variables (see :class:`Settings`).
"""

import asyncio
import contextlib
import logging
import math
import os
import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import uvicorn
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, ConfigDict, Field

from lib import champion, inference, paths, schema

logger = logging.getLogger("penguins.api")

Island = Literal[schema.ISLANDS]  # type: ignore[valid-type]
Sex = Literal[schema.SEXES]  # type: ignore[valid-type]
Species = Literal[schema.CLASSES]  # type: ignore[valid-type]
_RANGES = {f.name: f for f in schema.NUMERIC_FEATURES}


def _measurement(name: str, example: float) -> Any:
    feature = _RANGES[name]
    return Annotated[float, Field(
        ge=feature.minimum, le=feature.maximum, allow_inf_nan=False, examples=[example],
        description=f"{feature.description}, in {feature.unit} ({feature.minimum:g} to {feature.maximum:g})",
    )]


BillLength = _measurement("bill_length_mm", 45.1)
BillDepth = _measurement("bill_depth_mm", 14.5)
FlipperLength = _measurement("flipper_length_mm", 215)
BodyMass = _measurement("body_mass_g", 5000)


class Penguin(BaseModel):
    """One adult penguin's island, sex and body measurements."""

    model_config = ConfigDict(
        extra="forbid", strict=True,
        json_schema_extra={"examples": [{"island": "Biscoe", "bill_length_mm": 45.1, "bill_depth_mm": 14.5,
                                         "flipper_length_mm": 215, "body_mass_g": 5000, "sex": "female"}]},
    )

    island: Island = Field(description="island of the nest", examples=["Biscoe"])
    bill_length_mm: BillLength
    bill_depth_mm: BillDepth
    flipper_length_mm: FlipperLength
    body_mass_g: BodyMass
    sex: Sex | None = Field(description="sex, or null when unknown", examples=["female"])


class BatchRequest(BaseModel):
    """Several penguins to classify at once."""

    model_config = ConfigDict(extra="forbid", strict=True)

    penguins: list[Penguin] = Field(min_length=1, description="the penguins, in the order answers should come back")


class Prediction(BaseModel):
    """The predicted species and the probability of each class."""

    species: Species = Field(examples=["Gentoo"])
    probabilities: dict[str, float] = Field(examples=[{"Adelie": 0.002, "Chinstrap": 0.002, "Gentoo": 0.996}])
    model_version: str = Field(description="registry version of the model that answered", examples=["1"])


class BatchPrediction(BaseModel):
    """One prediction per penguin, in request order."""

    predictions: list[Prediction]
    model_version: str


class Problem(BaseModel):
    """An error that is not about one field: a body that cannot be parsed, or no model loaded."""

    detail: str


UNAVAILABLE = {503: {"model": Problem, "description": "no model is loaded (the detail says why and what to do)"}}
UNPARSABLE = {400: {"model": Problem, "description": "the body cannot be parsed (for example, it is not UTF-8)"}}


class Health(BaseModel):
    """Liveness and readiness."""

    status: Literal["ok", "no model"]
    model_loaded: bool
    model_version: str | None = None
    detail: str | None = None


class ModelInfo(BaseModel):
    """What is being served."""

    name: str
    version: str
    candidate: str | None = None
    source: str
    inference: Literal["numpy", "pandas"] = Field(
        description="numpy: the preprocessing replayed without pandas; pandas: the pipeline as exported")
    metrics: dict[str, float]
    features: list[dict[str, Any]]
    classes: list[str]


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise ValueError(f"environment variable {name} must be an integer, got {value!r}") from exc


@dataclass
class Settings:
    """The API's settings, each from an environment variable with a documented default.

    - ``PENGUINS_MODEL_SOURCE``: ``export`` (default, ``models/``) or ``registry`` (MLflow);
    - ``PENGUINS_MODELS_DIR``: the export folder (default: the project's ``models/``);
    - ``PENGUINS_MODEL_URI``: the registry URI (default ``models:/penguins-classifier@champion``),
      with ``MLFLOW_TRACKING_URI`` naming the tracking server or store;
    - ``PENGUINS_BATCH_LIMIT``: the most penguins per ``/predict/batch`` request (default 1000);
    - ``PENGUINS_MAX_BATCH_ROWS``: the most rows the micro-batcher puts in one model call (default 2048);
    - ``PENGUINS_REQUIRE_MODEL``: ``1`` (default) refuses to start without a model; ``0`` starts and
      answers 503 until one is there;
    - ``PENGUINS_INFERENCE``: ``auto`` (default: the numpy path when the pipeline compiles) or
      ``pandas`` (always the exported pipeline on a DataFrame; for comparison).
    """

    model_source: str = field(default_factory=lambda: os.environ.get("PENGUINS_MODEL_SOURCE", "export"))
    models_dir: Path = field(default_factory=lambda: Path(os.environ.get("PENGUINS_MODELS_DIR", paths.MODELS_DIR)))
    model_uri: str = field(
        default_factory=lambda: os.environ.get("PENGUINS_MODEL_URI", "models:/penguins-classifier@champion"))
    batch_limit: int = field(default_factory=lambda: _env_int("PENGUINS_BATCH_LIMIT", 1000))
    max_batch_rows: int = field(default_factory=lambda: _env_int("PENGUINS_MAX_BATCH_ROWS", 2048))
    require_model: bool = field(default_factory=lambda: os.environ.get("PENGUINS_REQUIRE_MODEL", "1") != "0")
    inference: str = field(default_factory=lambda: os.environ.get("PENGUINS_INFERENCE", "auto"))

    def __post_init__(self) -> None:
        if self.model_source not in ("export", "registry"):
            raise ValueError(f"PENGUINS_MODEL_SOURCE must be 'export' or 'registry', got {self.model_source!r}")
        if self.inference not in ("auto", "pandas"):
            raise ValueError(f"PENGUINS_INFERENCE must be 'auto' or 'pandas', got {self.inference!r}")
        if self.batch_limit < 1 or self.max_batch_rows < 1:
            raise ValueError("PENGUINS_BATCH_LIMIT and PENGUINS_MAX_BATCH_ROWS must be at least 1")


@dataclass
class LoadedModel:
    """A model ready to serve: its probability function, and what ``/model`` reports about it."""

    predict: inference.Predict
    info: ModelInfo


def ready(model: Any, path: str = "auto", **info: Any) -> LoadedModel:
    """Pick the inference path for a loaded pipeline (``auto``: numpy if it compiles) and describe it."""
    compiled = inference.compile_pipeline(model) if path == "auto" else None
    predict = compiled or inference.pandas_path(model)
    return LoadedModel(predict, ModelInfo(inference="numpy" if compiled else "pandas",
                                          features=schema.feature_schema()["features"],
                                          classes=[str(c) for c in model.classes_], **info))


def load_from_export(models_dir: Path, path: str = "auto") -> LoadedModel:
    """Load the skops export and its ``model.json`` (raises ``champion.ModelFileError`` with the fix)."""
    model = champion.load_model(models_dir)
    meta = champion.load_metadata(models_dir)
    return ready(
        model, path, name=meta.get("name", "penguins-classifier"), version=str(meta.get("version", "unknown")),
        candidate=meta.get("candidate"), source=f"export:{champion.model_file(models_dir)}",
        metrics={k: float(v) for k, v in meta.get("metrics", {}).items()},
    )


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
        model, path, name=name, version=str(version.version) if version else "unknown",
        candidate=(version.tags or {}).get("candidate") if version else None, source=f"registry:{model_uri}",
        metrics={k: float(v) for k, v in metrics.items() if k.startswith(("cv_", "test_"))},
    )


def load(settings: Settings) -> LoadedModel:
    """Load the model the settings name."""
    if settings.model_source == "registry":
        return load_from_registry(settings.model_uri, settings.inference)
    return load_from_export(settings.models_dir, settings.inference)


class MicroBatcher:
    """Run concurrent prediction requests as shared model calls on one worker thread.

    Each request queues its rows and waits. The worker takes everything queued (up
    to ``max_rows``) as one batch, so no request ever waits for a timer: alone, it
    is computed at once; under load, the requests that arrive during one call form
    the next.
    """

    def __init__(self, predict: inference.Predict, max_rows: int):
        self.predict_rows = predict
        self.max_rows = max_rows
        self.queue: asyncio.Queue[tuple[list[inference.Row], asyncio.Future]] = asyncio.Queue()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="predict")
        self.task: asyncio.Task | None = None
        self.calls = 0
        self.rows = 0

    async def start(self) -> None:
        """Start the background task that forms and runs the batches."""
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop the background task and the worker thread."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def predict(self, rows: list[inference.Row]) -> np.ndarray:
        """Queue rows and wait for their probabilities."""
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((rows, future))
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            pending = [await self.queue.get()]
            rows = len(pending[0][0])
            while not self.queue.empty() and rows < self.max_rows:
                item = self.queue.get_nowait()
                pending.append(item)
                rows += len(item[0])
            batch = [row for rows, _ in pending for row in rows]
            try:
                probabilities = await loop.run_in_executor(self.executor, self._compute, batch)
            # Whatever the model raises is passed on to each waiting request.
            except Exception as exc:  # pylint: disable=broad-exception-caught
                for _, future in pending:
                    if not future.done():
                        future.set_exception(exc)
                continue
            start = 0
            for rows, future in pending:
                if not future.done():
                    future.set_result(probabilities[start:start + len(rows)])
                start += len(rows)

    def _compute(self, batch: list[inference.Row]) -> np.ndarray:
        self.calls += 1
        self.rows += len(batch)
        return self.predict_rows(batch)


def to_rows(penguins: list[Penguin]) -> list[inference.Row]:
    """Validated penguins as rows in schema order (island, four measurements, sex or None)."""
    return [(p.island, p.bill_length_mm, p.bill_depth_mm, p.flipper_length_mm, p.body_mass_g, p.sex)
            for p in penguins]


class ModelUnavailable(RuntimeError):
    """No model is loaded; the message says why and what to do."""


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


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API with its settings; the model is loaded when the app starts (its lifespan)."""
    settings = settings or Settings()
    state: dict[str, Any] = {"loaded": None, "batcher": None, "error": None}

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            state["loaded"] = load(settings)
        except (champion.ModelFileError, OSError, ImportError) as exc:
            state["error"] = str(exc)
            if settings.require_model:
                logger.error("cannot start the API: %s", exc)
                raise ModelUnavailable(str(exc)) from None
            logger.warning("starting without a model: %s", exc)
        else:
            state["batcher"] = MicroBatcher(state["loaded"].predict, settings.max_batch_rows)
            await state["batcher"].start()
        yield
        if state["batcher"] is not None:
            await state["batcher"].stop()

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

    def loaded() -> LoadedModel:
        if state["loaded"] is None:
            raise ModelUnavailable(state["error"] or "the model is not loaded yet")
        return state["loaded"]

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": jsonable_encoder(validation_errors(exc))})

    @api.exception_handler(ModelUnavailable)
    async def unavailable(_: Request, exc: ModelUnavailable) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": f"no model is loaded: {exc}"})

    @api.get("/health", response_model=Health, responses={503: {"model": Health}})
    async def health() -> Any:
        """Liveness, and whether a model is loaded (503 when it is not, so a load balancer waits)."""
        if state["loaded"] is None:
            return JSONResponse(status_code=503, content=Health(
                status="no model", model_loaded=False, detail=state["error"]).model_dump())
        return Health(status="ok", model_loaded=True, model_version=state["loaded"].info.version)

    @api.get("/model", response_model=ModelInfo, responses=UNAVAILABLE)
    async def model_info() -> ModelInfo:
        """Name, version, metrics, feature schema and class labels of the served model."""
        return loaded().info

    @api.post("/predict", response_model=Prediction, responses=UNPARSABLE | UNAVAILABLE)
    async def predict(penguin: Penguin) -> Prediction:
        """Classify one penguin (sex may be null when unknown)."""
        model = loaded()
        probabilities = await state["batcher"].predict(to_rows([penguin]))
        return answer(probabilities[0], model.info.classes, model.info.version)

    class LimitedBatch(BatchRequest):
        """Several penguins to classify at once (at most the configured batch limit)."""

        penguins: list[Penguin] = Field(min_length=1, max_length=settings.batch_limit,
                                        description=f"1 to {settings.batch_limit} penguins, in answer order")

    @api.post("/predict/batch", response_model=BatchPrediction, responses=UNPARSABLE | UNAVAILABLE)
    async def predict_batch(request: LimitedBatch) -> BatchPrediction:
        """Classify up to the batch limit of penguins; answers come back in request order."""
        model = loaded()
        probabilities = await state["batcher"].predict(to_rows(request.penguins))
        predictions = [answer(row, model.info.classes, model.info.version) for row in probabilities]
        return BatchPrediction(predictions=predictions, model_version=model.info.version)

    return api


def main() -> int:
    """``python -m lib.serving [PORT]``: check the model loads, then serve on 127.0.0.1 in the foreground."""
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    try:
        loaded_model = load(Settings())
    except (champion.ModelFileError, OSError, ImportError, ValueError) as exc:
        print(f"cannot start the API: {exc}", file=sys.stderr)
        return 2
    print(f"serving {loaded_model.info.name} version {loaded_model.info.version} ({loaded_model.info.source})")
    print(f"open http://127.0.0.1:{port}/docs ; stop with Ctrl+C")
    uvicorn.run("lib.serving:app", host="127.0.0.1", port=port, log_level="info")
    return 0


app = create_app()

if __name__ == "__main__":
    sys.exit(main())
