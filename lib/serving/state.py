"""What the running app holds: the loaded model, how calls reach it, and what each prediction leaves behind.

One :class:`ServingState` per app (``app.state.serving``): the lifespan starts and stops it,
and the routes (:mod:`lib.serving.routes`) read it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from fastapi import Request

from lib import champion
from lib.serving import inference
from lib.serving.batching import Direct, MicroBatcher
from lib.serving.loading import LoadedModel, ModelUnavailable, load
from lib.serving.metrics import Metrics, MetricsMiddleware, add_metrics_route
from lib.serving.predictions import PredictionLog
from lib.serving.settings import Settings

logger = logging.getLogger("penguins.api")


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

    def install(self, api) -> None:  # a FastAPI app
        """Count every request (the outermost middleware) and serve ``GET /metrics``, unless metrics are off."""
        api.state.metrics = self.metrics
        if self.metrics is not None:  # added after Guards, so it runs before them and counts their refusals
            api.add_middleware(MetricsMiddleware, metrics=self.metrics)
            add_metrics_route(api, self.metrics)

    def close(self) -> None:
        """Close the prediction log."""
        if self.log is not None:
            self.log.close()


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


@dataclass
class ServingState:
    """The app's model (loaded at start-up, or the reason it is not), its caller, and its observers."""

    settings: Settings
    observers: Observers
    loaded: LoadedModel | None = None
    error: str | None = None
    batcher: Direct | MicroBatcher | None = field(default=None, repr=False)

    async def start(self) -> None:
        """Load the model unless it is given; start its caller (micro-batched or direct); name it in the metrics.

        Raises :class:`ModelUnavailable` when the model cannot be loaded and the settings require one;
        otherwise the app starts without it and says why (``/health``, 503 on predictions).
        """
        if self.loaded is None:
            try:
                self.loaded = load(self.settings)
            except (champion.ModelFileError, ModelUnavailable, OSError, ImportError) as exc:
                self.error = str(exc)
                if self.settings.require_model:
                    logger.error("cannot start the API: %s", exc)
                    raise ModelUnavailable(str(exc)) from None
                logger.warning("starting without a model: %s", exc)
        if self.loaded is not None:
            predict = self.loaded.predict
            settings = self.settings
            self.batcher = (
                MicroBatcher(predict, settings.max_batch_rows, settings.max_queue, settings.request_timeout_s)
                if batching(settings, self.loaded)
                else Direct(predict)
            )
            await self.batcher.start()
            self.observers.describe(self.loaded)

    async def stop(self) -> None:
        """Stop the caller (answering what is queued) and close the prediction log."""
        if self.batcher is not None:
            await self.batcher.stop()
        self.observers.close()

    def current(self) -> LoadedModel:
        """The loaded model, or :class:`ModelUnavailable` (a 503) saying why there is none."""
        if self.loaded is None:
            raise ModelUnavailable(self.error or "the model is not loaded yet")
        return self.loaded

    async def classify(self, rows: list[inference.Row]) -> tuple[LoadedModel, np.ndarray]:
        """The model that answers, and its probabilities for ``rows``; the observers record the call."""
        model = self.current()
        assert self.batcher is not None  # started with the model
        probabilities = await self.batcher.predict(rows)
        self.observers.record(rows, probabilities, model)
        return model, probabilities


def serving(request: Request) -> ServingState:
    """The serving state of the app that received ``request``."""
    return request.app.state.serving
