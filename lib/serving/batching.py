"""How requests reach the model: each on its own (:class:`Direct`), or micro-batched (:class:`MicroBatcher`).

Micro-batching: requests wait in a bounded queue, and one worker thread runs one model
call for everything that queued while it was busy. Alone, a request is computed at
once (no timer); under load, many share one call, so the fixed cost of a call is paid
once per batch. Whether that pays on the default (numpy) path is measured by
``make bench`` (rows with ``PENGUINS_MICRO_BATCHING`` on and off).
"""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from lib.serving import inference


class Overloaded(RuntimeError):
    """The request could not be served now (queue full, or no answer in time); the client should retry."""


class Direct:
    """Each request calls the model itself, on the event loop: no queue, no thread hop."""

    def __init__(self, predict: inference.Predict):
        self.predict_rows = predict
        self.calls = 0
        self.rows = 0

    async def start(self) -> None:
        """Nothing to start."""

    async def stop(self, drain: bool = False) -> None:
        """Nothing to stop: each request computes its own answer before it returns."""

    async def predict(self, rows: list[inference.Row]) -> np.ndarray:
        """The probabilities of ``rows``, computed now."""
        self.calls += 1
        self.rows += len(rows)
        return self.predict_rows(rows)


class MicroBatcher:
    """Run concurrent prediction requests as shared model calls on one worker thread.

    - at most ``max_queue`` requests wait; one more is refused at once with :class:`Overloaded`
      (the API answers 503 with ``Retry-After``), so memory and latency stay bounded;
    - a request waits at most ``timeout_s`` for its answer, then gets :class:`Overloaded`;
    - if a shared call fails, each request of the batch is computed alone, so a request
      that makes the model fail fails alone, and the others still get their answers.
    """

    def __init__(self, predict: inference.Predict, max_rows: int, max_queue: int = 1024, timeout_s: float = 10.0):
        self.predict_rows = predict
        self.max_rows = max_rows
        self.timeout_s = timeout_s
        self.queue: asyncio.Queue[tuple[list[inference.Row], asyncio.Future]] = asyncio.Queue(maxsize=max_queue)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="predict")
        self.task: asyncio.Task | None = None
        self.calls = 0
        self.rows = 0

    async def start(self) -> None:
        """Start the background task that forms and runs the batches."""
        self.task = asyncio.create_task(self._run())

    async def stop(self, drain: bool = False) -> None:
        """Stop the background task and the worker thread; with ``drain``, answer every queued request first."""
        if drain and self.task is not None and not self.task.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.queue.join(), self.timeout_s)
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def predict(self, rows: list[inference.Row]) -> np.ndarray:
        """Queue rows and wait for their probabilities (raises :class:`Overloaded` when full or too slow)."""
        future = asyncio.get_running_loop().create_future()
        try:
            self.queue.put_nowait((rows, future))
        except asyncio.QueueFull:
            raise Overloaded(f"{self.queue.maxsize} requests are already waiting for the model") from None
        try:
            return await asyncio.wait_for(future, self.timeout_s)
        except TimeoutError:
            raise Overloaded(f"the model did not answer within {self.timeout_s:g} s") from None

    async def _run(self) -> None:
        while True:
            taken = [await self.queue.get()]
            rows = len(taken[0][0])
            while not self.queue.empty() and rows < self.max_rows:
                item = self.queue.get_nowait()
                taken.append(item)
                rows += len(item[0])
            try:
                await self._answer(
                    [(wanted, future) for wanted, future in taken if not future.done()]
                )  # timed out: skip
            finally:
                for _ in taken:
                    self.queue.task_done()  # what stop(drain=True) waits for

    async def _answer(self, pending: list[tuple[list[inference.Row], asyncio.Future]]) -> None:
        """Compute one batch and give each request its rows' answers."""
        if not pending:
            return
        loop = asyncio.get_running_loop()
        batch = [row for rows, _ in pending for row in rows]
        try:
            probabilities = await loop.run_in_executor(self.executor, self._compute, batch)
        # A failed shared call is retried request by request, so only the culprit fails.
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if len(pending) == 1:
                _settle(pending[0][1], error=exc)
                return
            for request_rows, future in pending:
                try:
                    _settle(future, await loop.run_in_executor(self.executor, self._compute, request_rows))
                except Exception as alone:  # pylint: disable=broad-exception-caught
                    _settle(future, error=alone)
            return
        start = 0
        for request_rows, future in pending:
            _settle(future, probabilities[start : start + len(request_rows)])
            start += len(request_rows)

    def _compute(self, batch: list[inference.Row]) -> np.ndarray:
        self.calls += 1
        self.rows += len(batch)
        return self.predict_rows(batch)


def _settle(future: asyncio.Future, result: np.ndarray | None = None, error: BaseException | None = None) -> None:
    """Give a waiting request its answer or its error, unless it has stopped waiting."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
