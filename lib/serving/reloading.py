"""Switching models while serving: notice that the model's source changed, load the new model beside the old one, swap.

**What is watched.** The source the model came from: the export's two files in ``models/``
(their size, modification time and inode, two ``stat`` calls), or the version that the
registry alias (``models:/penguins-classifier@champion``) points at. :class:`Reloader`
checks every ``reload_interval_s`` seconds, and ``POST /admin/reload`` reloads at once.

**How the switch is safe.** The new model is loaded and checked in a worker thread while
the old one keeps answering. The swap is one assignment on the event loop: a request
takes the model that is current when it starts (:meth:`~lib.serving.state.ServingState.classify`)
and finishes on it, so no request is ever answered by two models, and every answer names
its version. The old model's caller is stopped only once the requests it holds are answered.

**When the new model cannot be loaded** (a damaged file, another schema, an alias pointing
nowhere), the old one keeps serving, and the failure is reported three ways: ``/health``'s
detail, the ``penguins_model_reloads_total{outcome="failed"}`` counter, and a log line. The
same broken source is not retried at every check, only once it changes again (or on
``POST /admin/reload``). An export is two files replaced one after the other: a check that
falls between the two sees a model that ``model.json`` does not describe; the source is
then read again, and a source that moved during the load is retried, not reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from lib.serving.loading import LOAD_ERRORS, LoadedModel, load, source_signature
from lib.serving.settings import Settings

logger = logging.getLogger("penguins.api")
ATTEMPTS = 3  # loads tried while the source keeps changing under them
SETTLE_S = 0.2  # the pause between two such attempts


@dataclass(frozen=True)
class Outcome:
    """What one reload did: ``loaded``, ``failed`` or ``unchanged``, and the versions before and after."""

    outcome: str
    model_version: str | None
    previous_version: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Failure:
    """The last reload that failed: the source it read, why, and when."""

    signature: Any
    reason: str
    at: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _version(loaded: LoadedModel | None) -> str | None:
    return loaded.info.version if loaded is not None else None


class Reloadable(Protocol):  # pylint: disable=too-few-public-methods
    """What the reloader needs of the serving state (:class:`lib.serving.state.ServingState` has it)."""

    settings: Settings
    active: Any  # the model being served and its caller, or None
    observers: Any  # the API's metrics, among others

    async def switch_to(self, loaded: LoadedModel) -> None:
        """Serve ``loaded`` from the next request on."""


class Reloader:
    """Reloads the state's model when its source changes (a poll) or when asked (the admin endpoint)."""

    def __init__(self, state: Reloadable) -> None:
        self.state = state
        self.lock = asyncio.Lock()
        self.failure: Failure | None = None
        self.task: asyncio.Task | None = None

    def watching(self) -> bool:
        """Whether to poll: an interval is set, and the model came from a source (not handed over in memory)."""
        active = self.state.active
        return self.state.settings.reload_interval_s > 0 and (active is None or active.loaded.signature is not None)

    def start(self) -> None:
        """Start polling, if :meth:`watching`."""
        if self.watching():
            self.task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        """Stop polling."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.state.settings.reload_interval_s)
            try:
                await self.check()
            except Exception:  # pylint: disable=broad-exception-caught  # the poll must outlive any surprise
                logger.exception(
                    "the model reload check failed; checking again in %g s", self.state.settings.reload_interval_s
                )

    async def check(self) -> Outcome:
        """Reload if the source changed since the served model (or the last failure) was read."""
        async with self.lock:
            serving = self.state.active.loaded if self.state.active is not None else None
            try:
                signature = await asyncio.to_thread(source_signature, self.state.settings)
            except LOAD_ERRORS as exc:  # the registry cannot say where the alias points
                return self._failed(("unreadable", str(exc)), exc)
            known = serving.signature if serving is not None else None
            if signature is None or signature == known or (self.failure and self.failure.signature == signature):
                return Outcome("unchanged", _version(serving))
            return await self._load(signature)

    async def reload(self) -> Outcome:
        """Load the source now, changed or not (``POST /admin/reload``)."""
        async with self.lock:
            try:
                signature = await asyncio.to_thread(source_signature, self.state.settings)
            except LOAD_ERRORS as exc:
                return self._failed(("unreadable", str(exc)), exc)
            return await self._load(signature)

    async def _load(self, signature: Any) -> Outcome:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                loaded = await asyncio.to_thread(load, self.state.settings)
                break
            except LOAD_ERRORS as exc:
                moved = await asyncio.to_thread(self._signature_or_none)
                if moved != signature and attempt < ATTEMPTS:  # replaced while we read it: read it again
                    signature = moved
                    await asyncio.sleep(SETTLE_S)
                    continue
                return self._failed(signature, exc)
        previous = self.state.active.loaded if self.state.active is not None else None
        await self.state.switch_to(loaded)
        self.failure = None
        self._count("loaded")
        logger.info(
            "now serving %s version %s from %s (was version %s)",
            loaded.info.name,
            loaded.info.version,
            loaded.info.source,
            _version(previous),
        )
        return Outcome("loaded", loaded.info.version, _version(previous))

    def _signature_or_none(self) -> Any:
        try:
            return source_signature(self.state.settings)
        except LOAD_ERRORS:
            return None

    def _failed(self, signature: Any, exc: BaseException) -> Outcome:
        serving = _version(self.state.active.loaded if self.state.active is not None else None)
        reason = str(exc) or type(exc).__name__
        already = self.failure is not None and self.failure.signature == signature
        self.failure = Failure(signature, reason, _now())
        self._count("failed")
        if not already:
            logger.error("could not load the new model (%s); still serving version %s", reason, serving)
        return Outcome("failed", serving, serving, reason)

    def _count(self, outcome: str) -> None:
        metrics = self.state.observers.metrics
        if metrics is not None:
            metrics.reloaded(outcome)

    def health_detail(self) -> str | None:
        """What ``/health`` says about reloads: the last failure, while it is the latest news."""
        if self.failure is None:
            return None
        serving = _version(self.state.active.loaded if self.state.active is not None else None)
        return f"the model reload of {self.failure.at} failed: {self.failure.reason}; still serving version {serving}"
