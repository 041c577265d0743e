"""What the running app holds: the model being served, how calls reach it, and what each prediction leaves behind.

One :class:`ServingState` per app (``app.state.serving``): the lifespan starts and stops it,
the routes (:mod:`lib.serving.routes`) read it, and its :class:`~lib.serving.reloading.Reloader`
switches it to a new model when the model's source changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from fastapi import Request

from lib.serving import inference
from lib.serving.batching import Direct, MicroBatcher
from lib.serving.loading import LOAD_ERRORS, LoadedModel, ModelUnavailable, load
from lib.serving.metrics import Metrics, MetricsMiddleware, add_metrics_route
from lib.serving.predictions import PredictionLog
from lib.serving.reloading import Reloader
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

    def record(
        self, rows: list[inference.Row], probabilities: np.ndarray, model: LoadedModel, request_id: str | None = None
    ) -> None:
        """Count one prediction call and log its rows (with the client's request id, if it sent one)."""
        if self.metrics is not None:
            self.metrics.observe(rows, probabilities, model.info.classes)
        if self.log is not None:
            self.log.write(rows, probabilities, model.info.classes, model.info.version, request_id)

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

    ``make bench`` measures both (its rows "micro-batching on vs off", docs/performance.md):
    on the numpy path a call costs well under a millisecond, so the queue and the
    thread hop cost more than sharing calls saves; on the pandas path a call costs
    milliseconds, and sharing it is what makes the throughput.
    """
    if settings.micro_batching == "auto":
        return loaded.info.inference == "pandas"
    return settings.micro_batching == "on"


@dataclass(frozen=True)
class Active:
    """A model and its caller: what answers a request, from its start to its end."""

    loaded: LoadedModel
    caller: Direct | MicroBatcher


def caller_for(settings: Settings, loaded: LoadedModel) -> Direct | MicroBatcher:
    """The caller of a model: micro-batched or direct (:func:`batching`)."""
    if batching(settings, loaded):
        return MicroBatcher(loaded.predict, settings.max_batch_rows, settings.max_queue, settings.request_timeout_s)
    return Direct(loaded.predict)


@dataclass
class ServingState:
    """The model being served (or the reason there is none), how it is called, reloaded, and observed.

    ``active`` is replaced as a whole when a new model is loaded (:meth:`switch_to`); a request
    reads it once, when it starts.
    """

    settings: Settings
    observers: Observers
    initial: LoadedModel | None = None  # a model loaded before the app started (python -m lib.serving, tests)
    active: Active | None = None
    error: str | None = None
    reloader: Reloader = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.reloader = Reloader(self)

    @property
    def loaded(self) -> LoadedModel | None:
        """The model being served, if any."""
        return self.active.loaded if self.active is not None else None

    @property
    def batcher(self) -> Direct | MicroBatcher | None:
        """The current model's caller, if any."""
        return self.active.caller if self.active is not None else None

    async def start(self) -> None:
        """Load the model unless it is given, start its caller, name it in the metrics, and start watching its source.

        Raises :class:`ModelUnavailable` when the model cannot be loaded and the settings require one;
        otherwise the app starts without it and says why (``/health``, 503 on predictions) until
        its source holds a model that loads.
        """
        loaded = self.initial
        if loaded is None:
            try:
                loaded = load(self.settings)
            except LOAD_ERRORS as exc:
                self.error = str(exc)
                if self.settings.require_model:
                    logger.error("cannot start the API: %s", exc)
                    raise ModelUnavailable(str(exc)) from None
                logger.warning("starting without a model: %s", exc)
        if loaded is not None:
            await self.switch_to(loaded)
        self.reloader.start()

    async def switch_to(self, loaded: LoadedModel) -> None:
        """Serve ``loaded`` from now on; the previous caller stops once the requests it holds are answered."""
        active = Active(loaded, caller_for(self.settings, loaded))
        await active.caller.start()
        previous, self.active = self.active, active
        self.error = None
        self.observers.describe(loaded)
        if previous is not None:
            await previous.caller.stop(drain=True)

    async def stop(self) -> None:
        """Stop watching, stop the caller (answering what is queued), and close the prediction log."""
        await self.reloader.stop()
        if self.active is not None:
            await self.active.caller.stop(drain=True)
        self.observers.close()

    def current(self) -> Active:
        """The model now being served and its caller, or :class:`ModelUnavailable` (a 503) saying why there is none."""
        if self.active is None:
            raise ModelUnavailable(self.error or "the model is not loaded yet")
        return self.active

    async def classify(
        self, rows: list[inference.Row], request_id: str | None = None
    ) -> tuple[LoadedModel, np.ndarray]:
        """The model that answers, and its probabilities for ``rows``; the observers record the call.

        The model is the one current when the call starts, whatever is loaded meanwhile.
        """
        active = self.current()
        probabilities = await active.caller.predict(rows)
        self.observers.record(rows, probabilities, active.loaded, request_id)
        return active.loaded, probabilities


def serving(request: Request) -> ServingState:
    """The serving state of the app that received ``request``."""
    return request.app.state.serving
