"""Clients that keep calling the API in background threads, recording every answer: to watch a model switch happen.

Each answer is kept with when its request was sent, when it returned, its status and the
model version that answered, so a switch can be read off exactly: the first answer of the
new version, whether any request sent after it was still answered by the old one, and the
latency around the swap (``make bench`` compares its p99 with a window without a swap).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pandas as pd


class Traffic:
    """``clients`` threads POSTing ``payloads`` in turn to ``url + path``, each at ``rate`` per second or flat out."""

    def __init__(
        self,
        url: str,
        payloads: Sequence[dict[str, Any]],
        clients: int = 1,
        rate: float | None = None,
        path: str = "/predict",
    ) -> None:
        if not payloads or clients < 1:
            raise ValueError("traffic needs at least one payload and one client")
        self.url, self.payloads, self.rate, self.path = url, list(payloads), rate, path
        self.answers: list[tuple[float, float, int, str | None]] = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(clients)]
        self.started = time.monotonic()

    def __enter__(self) -> Traffic:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start every client."""
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()

    def _client(self, number: int) -> None:
        interval = 1.0 / self.rate if self.rate else 0.0
        with httpx.Client(base_url=self.url, timeout=30) as client:
            index = number
            while not self.stopping.is_set():
                sent = time.monotonic()
                try:
                    response = client.post(self.path, json=self.payloads[index % len(self.payloads)])
                    status = response.status_code
                    version = response.json().get("model_version") if status == 200 else None
                except httpx.HTTPError:
                    status, version = 0, None  # no answer at all: counted as an error
                self.answers.append((sent, time.monotonic(), status, version))  # list.append is thread-safe
                index += len(self.threads)
                if interval:
                    self.stopping.wait(max(0.0, sent + interval - time.monotonic()))

    def stop(self) -> pd.DataFrame:
        """Stop the clients; return every answer (seconds since the start, milliseconds taken, status, version)."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)
        return self.table()

    def table(self) -> pd.DataFrame:
        """The answers so far: ``sent`` and ``answered`` in seconds since the start, ``ms``, ``status``, ``version``."""
        table = pd.DataFrame(self.answers, columns=["sent", "answered", "status", "version"])
        table["ms"] = (table["answered"] - table["sent"]) * 1000
        table[["sent", "answered"]] -= self.started
        return table.sort_values("sent", ignore_index=True)


def switch(answers: pd.DataFrame, new_version: str) -> dict[str, Any]:
    """What a switch looked like to the clients: answers, errors, answers per version, and stragglers.

    ``first_new_s`` is when the first answer of ``new_version`` returned; ``old_after_first_new``
    counts requests sent after that moment and still answered by another version (0 when the switch
    is clean).
    """
    new = answers[answers["version"] == new_version]
    first_new = float(new["answered"].min()) if len(new) else None
    other = answers["version"].notna() & (answers["version"] != new_version)  # an error names no version
    late = answers[(answers["sent"] > first_new) & other] if first_new is not None else []
    return {
        "answers": len(answers),
        "errors": int((answers["status"] != 200).sum()),
        "by_version": {str(k): int(v) for k, v in answers["version"].value_counts().sort_index().items()},
        "first_new_s": first_new,
        "old_after_first_new": len(late),
    }


def wait_for_health(url: str, condition: Callable[[dict[str, Any]], bool], timeout: float = 30) -> float:
    """Poll ``url``'s ``/health`` until ``condition(its JSON)`` holds; return the seconds it took.

    Raises ``TimeoutError`` with the last answer when it does not hold within ``timeout`` seconds.
    """
    start = time.monotonic()
    with httpx.Client(base_url=url, timeout=5) as client:
        while True:
            health = client.get("/health").json()
            if condition(health):
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"/health did not change as expected within {timeout:g} s; it says {health}")
            time.sleep(0.02)
