"""The FastAPI application, built by :func:`create_app` from settings (and, optionally, a loaded model).

The app holds a :class:`~lib.serving.state.ServingState` (``app.state.serving``), which its
lifespan starts and stops; the routes (:mod:`lib.serving.routes`) read it; the middleware
guards every request and counts it; the error handlers answer 422 and 503 with a reason.
"""

import contextlib
import gc
import logging
import math
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from lib.serving.batching import Overloaded
from lib.serving.guards import Guards
from lib.serving.loading import LoadedModel, ModelUnavailable
from lib.serving.routes import add_routes
from lib.serving.settings import Settings
from lib.serving.state import Observers, ServingState

logger = logging.getLogger("penguins.api")
RETRY_AFTER_S = 1


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


def log_to_stderr() -> None:
    """Print the API's own log lines (a model switched, a reload failed) as uvicorn prints its own.

    Only when nothing else handles them: an application that configures logging, or
    pytest capturing it, keeps its own handlers.
    """
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def create_app(settings: Settings | None = None, loaded: LoadedModel | None = None) -> FastAPI:
    """Build the API. Without ``settings``, they are read from the environment (``Settings.from_env``).

    The model is loaded when the app starts (its lifespan), unless ``loaded`` is given
    (``python -m lib.serving`` loads it first, to fail before binding the port). This is
    what ``uvicorn --factory lib.serving:create_app`` calls; importing the module reads nothing.
    """
    settings = settings or Settings.from_env()
    log_to_stderr()
    state = ServingState(settings, Observers(settings), initial=loaded)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await state.start()
        # What is loaded by now (the model, scikit-learn, pandas, the schemas) lives as long as the
        # process. Freezing it keeps Python's full garbage collections, which a large batch request
        # triggers, from walking those millions of objects in the middle of a request.
        gc.collect()
        gc.freeze()
        yield
        await state.stop()

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
    state.observers.install(api)
    add_error_handlers(api)
    add_routes(api, settings.batch_limit, settings.admin_token)
    return api
