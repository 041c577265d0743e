"""The prediction log: each classified penguin's inputs and answer, one JSON object per line.

Drift is found by comparing what the model is asked now with what it learned from
(lesson 5.1 reads this file into Evidently). Off unless ``PENGUINS_PREDICTION_LOG``
names a file. The file is bounded: when a write would take it past ``max_bytes``, it
is renamed to ``<name>.1`` (replacing the previous one) and a new file starts, so the
log never holds more than about twice ``max_bytes`` on disk.

Privacy: the log keeps what clients send. Penguins' measurements are not personal
data, but a model of people would log personal data here: keep the log off, or log
only the features drift analysis needs, restrict who reads the file, set a retention
period, and never log request headers or client addresses (this log has neither; it keeps only the
``X-Request-ID`` a client chooses to send, so answers can be joined with what is learnt later).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
from pydantic_core import to_json

from lib import schema

FIELDS = (*schema.FEATURES, "species", "confidence", "model_version", "time", "request_id")


def rotated(path: Path) -> Path:
    """Where the previous part of a log lives after rotation (``predictions.jsonl.1``)."""
    return path.with_name(path.name + ".1")


class PredictionLog:
    """Append-only JSON lines, flushed after each call, rotated at ``max_bytes``."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        if max_bytes < 1:
            raise ValueError(f"the prediction log's size bound must be at least 1 byte, got {max_bytes}")
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] | None = None
        self._size = 0

    def _open(self) -> IO[bytes]:
        if self._file is None:
            self._file = self.path.open("ab")  # pylint: disable=consider-using-with  # open across writes
            self._size = self._file.tell()
        return self._file

    def write(
        self,
        rows: Sequence[tuple[Any, ...]],
        probabilities: np.ndarray,
        classes: Sequence[str],
        version: str,
        request_id: str | None = None,
    ) -> None:
        """Append one line per row (schema order: island, four measurements, sex) with its answer.

        ``request_id`` is the client's ``X-Request-ID``, if it sent one (every row of a batch shares it).
        """
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        best = probabilities.argmax(axis=1).tolist()
        confidence = probabilities.max(axis=1).round(6).tolist()
        lines = b"".join(
            to_json(dict(zip(FIELDS, (*row, classes[top], p, version, now, request_id), strict=True))) + b"\n"
            for row, top, p in zip(rows, best, confidence, strict=True)
        )
        handle = self._open()
        if self._size and self._size + len(lines) > self.max_bytes:
            handle = self._rotate()
        handle.write(lines)
        handle.flush()
        self._size += len(lines)

    def _rotate(self) -> IO[bytes]:
        self.close()
        os.replace(self.path, rotated(self.path))
        return self._open()

    def close(self) -> None:
        """Close the file (the next write reopens it)."""
        if self._file is not None:
            self._file.close()
            self._file = None
