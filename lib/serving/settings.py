"""The API's settings: plain defaults, and :meth:`Settings.from_env` to read them from the environment.

Nothing reads the environment when a module is imported; ``create_app()`` (what
``uvicorn --factory lib.serving:create_app`` calls) and ``python -m lib.serving`` do.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

SOURCES = ("export", "registry")
# The body bound, per penguin: the longest valid row is 180 bytes as compact JSON (17-digit
# numbers, "Torgersen", "female") and 287 bytes indented by 4 spaces; 512 leaves room for
# any sane client's formatting. Plus 1 KiB for the envelope ({"penguins": [...]}).
ROW_BYTES = 512
ENVELOPE_BYTES = 1024
INFERENCE_PATHS = ("auto", "pandas")
BATCHING = ("auto", "on", "off")
MIN_TOKEN_LENGTH = 16
_SWITCH = {"1": "on", "0": "off", "true": "on", "false": "off"}


def _parsed(name: str, text: str, convert: Callable[[str], T], kind: str) -> T:
    try:
        return convert(text)
    except ValueError as exc:
        raise ValueError(f"environment variable {name} must be {kind}, got {text!r}") from exc


@dataclass(frozen=True)
class Settings:  # pylint: disable=too-many-instance-attributes  # one field per environment variable
    """What the API serves and how; each field has an environment variable (see :meth:`from_env`).

    - ``model_source`` (``PENGUINS_MODEL_SOURCE``): ``export`` (``models/``) or ``registry`` (MLflow);
    - ``models_dir`` (``PENGUINS_MODELS_DIR``): the export folder; ``None`` means the project's ``models/``;
    - ``model_uri`` (``PENGUINS_MODEL_URI``): the registry URI; ``None`` means
      ``models:/<train.registered_model of params.yaml>@champion``, with ``MLFLOW_TRACKING_URI`` naming the store;
    - ``batch_limit`` (``PENGUINS_BATCH_LIMIT``): the most penguins per ``/predict/batch`` request;
    - ``micro_batching`` (``PENGUINS_MICRO_BATCHING``): ``auto`` (on for the pandas path only, where
      shared calls pay; ``make bench`` measured it costing tail latency on the numpy path), ``on`` or ``off``;
    - ``max_batch_rows`` (``PENGUINS_MAX_BATCH_ROWS``): the most rows the micro-batcher puts in one call;
    - ``max_queue`` (``PENGUINS_MAX_QUEUE``): requests that may wait for the model; beyond, 503 with Retry-After;
    - ``request_timeout_s`` (``PENGUINS_REQUEST_TIMEOUT_S``): the longest a request waits for its answer;
    - ``require_model`` (``PENGUINS_REQUIRE_MODEL``, ``1``/``0``): refuse to start without a model, or
      start and answer 503 until one is there;
    - ``inference`` (``PENGUINS_INFERENCE``): ``auto`` (the numpy path when the pipeline compiles) or
      ``pandas`` (always the exported pipeline on a DataFrame; for comparison);
    - ``metrics`` (``PENGUINS_METRICS``, ``1``/``0``): serve ``GET /metrics`` for Prometheus (on by default;
      ``make bench`` measures its cost);
    - ``prediction_log`` (``PENGUINS_PREDICTION_LOG``): a JSON-lines file that receives every classified
      penguin and its answer, for drift analysis; ``None`` (the default, and the Docker image's) logs nothing;
    - ``prediction_log_max_mb`` (``PENGUINS_PREDICTION_LOG_MAX_MB``): the size at which the log rotates to
      ``<name>.1``, so it never takes more than about twice this on disk;
    - ``max_body_bytes`` (``PENGUINS_MAX_BODY_BYTES``): the largest request body; ``None`` means the batch
      limit times 512 bytes plus 1 KiB (513,024 bytes, 501 KiB, for 1000 penguins); larger gets 413 before it is read;
    - ``max_concurrency`` (``PENGUINS_MAX_CONCURRENCY``): requests in flight at once; one more gets 503 with
      ``Retry-After`` (128 by default: with the body bound, at most 64 MB of bodies held at once);
    - ``body_timeout_s`` (``PENGUINS_BODY_TIMEOUT_S``): the longest a request's body may take to arrive (408);
    - ``header_timeout_s`` (``PENGUINS_HEADER_TIMEOUT_S``): the longest a connection may take to send a
      request's headers, counted from the connection or the previous response (``python -m lib.serving``);
    - ``max_header_bytes`` (``PENGUINS_MAX_HEADER_BYTES``): the largest request line plus headers (431 beyond);
    - ``keep_alive_s`` (``PENGUINS_KEEP_ALIVE_S``): how long an idle keep-alive connection stays open;
    - ``graceful_timeout_s`` (``PENGUINS_GRACEFUL_TIMEOUT_S``): on SIGTERM, how long the requests in flight
      may take to finish before the server exits anyway;
    - ``reload_interval_s`` (``PENGUINS_RELOAD_INTERVAL_S``): how often the API checks whether its model's
      source changed (the export's files, or the version the registry alias points at) and, if so, loads
      the new model and switches to it while it keeps answering; ``0`` never checks;
    - ``admin_token`` (``PENGUINS_ADMIN_TOKEN``): the bearer token of ``POST /admin/reload`` (reload now);
      without one the endpoint does not exist; at least 16 characters.
    """

    model_source: str = "export"
    models_dir: Path | None = None
    model_uri: str | None = None
    batch_limit: int = 1000
    micro_batching: str = "auto"
    max_batch_rows: int = 2048
    max_queue: int = 1024
    request_timeout_s: float = 10.0
    require_model: bool = True
    inference: str = "auto"
    metrics: bool = True
    prediction_log: Path | None = None
    prediction_log_max_mb: float = 64.0
    max_body_bytes: int | None = None
    max_concurrency: int = 128
    body_timeout_s: float = 10.0
    header_timeout_s: float = 10.0
    max_header_bytes: int = 16_384
    keep_alive_s: int = 5
    graceful_timeout_s: int = 20
    reload_interval_s: float = 10.0
    admin_token: str | None = field(default=None, repr=False)

    def body_limit(self) -> int:
        """The largest request body accepted, in bytes."""
        return self.max_body_bytes or self.batch_limit * ROW_BYTES + ENVELOPE_BYTES

    def __post_init__(self) -> None:
        if self.model_source not in SOURCES:
            raise ValueError(f"PENGUINS_MODEL_SOURCE must be 'export' or 'registry', got {self.model_source!r}")
        if self.micro_batching not in BATCHING:
            raise ValueError(f"PENGUINS_MICRO_BATCHING must be 'auto', 'on' or 'off', got {self.micro_batching!r}")
        if self.inference not in INFERENCE_PATHS:
            raise ValueError(f"PENGUINS_INFERENCE must be 'auto' or 'pandas', got {self.inference!r}")
        if min(self.batch_limit, self.max_batch_rows, self.max_queue) < 1:
            raise ValueError("PENGUINS_BATCH_LIMIT, PENGUINS_MAX_BATCH_ROWS and PENGUINS_MAX_QUEUE must be at least 1")
        if not self.request_timeout_s > 0:
            raise ValueError(f"PENGUINS_REQUEST_TIMEOUT_S must be positive, got {self.request_timeout_s!r}")
        if min(self.max_concurrency, self.max_header_bytes, self.max_body_bytes or 1) < 1:
            raise ValueError(
                "PENGUINS_MAX_CONCURRENCY, PENGUINS_MAX_HEADER_BYTES and PENGUINS_MAX_BODY_BYTES must be at least 1"
            )
        for name, value in (
            ("PENGUINS_BODY_TIMEOUT_S", self.body_timeout_s),
            ("PENGUINS_HEADER_TIMEOUT_S", self.header_timeout_s),
            ("PENGUINS_KEEP_ALIVE_S", self.keep_alive_s),
            ("PENGUINS_GRACEFUL_TIMEOUT_S", self.graceful_timeout_s),
        ):
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value!r}")
        if not self.reload_interval_s >= 0:
            raise ValueError(
                f"PENGUINS_RELOAD_INTERVAL_S must be 0 (never) or positive, got {self.reload_interval_s!r}"
            )
        if self.admin_token is not None and len(self.admin_token) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"PENGUINS_ADMIN_TOKEN must be at least {MIN_TOKEN_LENGTH} characters (it guards model reloads); "
                "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        if not self.prediction_log_max_mb > 0:
            raise ValueError(f"PENGUINS_PREDICTION_LOG_MAX_MB must be positive, got {self.prediction_log_max_mb!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every setting from ``environ`` (default: the process environment); raise naming a bad one.

        Each field's variable is ``PENGUINS_`` and its name in capitals; an unset or empty variable keeps
        the field's default (written once, above). Switches are ``1``/``0`` (``PENGUINS_MICRO_BATCHING``
        also takes ``auto``, ``on``, ``off``, ``true``, ``false``).
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in fields(cls):
            name = f"PENGUINS_{setting.name.upper()}"
            text = env.get(name)
            if text:
                values[setting.name] = _convert(setting.name, str(setting.type), name, text)
        return cls(**values)


def _convert(field_name: str, kind: str, name: str, text: str) -> object:
    """One variable's text as its field's type; ``ValueError`` naming the variable and what it must be."""
    seconds = field_name.endswith("_s")
    if kind == "bool":
        return text != "0"
    if field_name == "micro_batching":
        return _SWITCH.get(text.lower(), text.lower())
    if kind.startswith("Path"):
        return Path(text)
    if kind.startswith("int"):
        return _parsed(name, text, int, "a whole number of seconds" if seconds else "an integer")
    if kind.startswith("float"):
        return _parsed(name, text, float, "a number of seconds" if seconds else "a number")
    return text
