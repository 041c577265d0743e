"""The server of ``python -m lib.serving``: uvicorn, hardened against slow clients, and a clean stop.

Two gaps of uvicorn (0.54 and 0.55) that no ASGI app can close, because they happen before a request
reaches it or after it ends:

- **slow headers** (Slowloris): uvicorn starts no timer until a first response, and every
  byte received cancels its keep-alive timer, so a client that sends its headers one byte
  every few seconds holds a connection for ever, and a few hundred such clients hold them
  all. :class:`GuardedHttpTools` closes a connection whose request line and headers are not
  complete ``header_timeout_s`` after it opened (or after its previous response), and answers
  431 to headers larger than ``max_header_bytes`` (uvicorn's httptools parser has no bound);
- **exit status**: after a graceful stop on SIGTERM uvicorn re-raises the signal, so the
  process ends "killed by SIGTERM" (status 143 to a shell, -15 to Python): systemd counts that
  as a clean stop, but a shell, a CI step or any supervisor that reads exit codes sees a non-zero
  status. :class:`CleanExitServer` stops the same
  way (stop accepting, finish the requests in flight for up to ``graceful_timeout_s``, run
  the app's shutdown) and then exits 0; and where uvicorn closes idle keep-alive connections
  at once, losing a request a client had just written, :class:`GuardedHttpTools` still
  answers it (with ``Connection: close``) if it arrives within ``DRAIN_S``.

``uvicorn --factory lib.serving:create_app`` still works and keeps every limit the app
itself enforces (:mod:`lib.serving.guards`); these two need ``python -m lib.serving``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Generator
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from lib.serving.settings import Settings

HANDLED = (signal.SIGINT, signal.SIGTERM)
DRAIN_S = 0.5  # on shutdown, how long an idle keep-alive connection may still bring one last request


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline and a size bound on each request's headers."""

    header_timeout_s: float = 10.0
    max_header_bytes: int = 16_384
    body_buffer_bytes: int = 65_536  # uvicorn's own bound (flow_control.HIGH_WATER_LIMIT); protocol_for raises it

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_deadline: asyncio.TimerHandle | None = None
        self.header_bytes = 0
        self.draining = False

    def _arm(self) -> None:
        self._disarm()
        self.header_bytes = 0
        self.header_deadline = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _disarm(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def _headers_too_slow(self) -> None:
        self.header_deadline = None
        if not self.transport.is_closing():
            self.logger.warning("closing a connection whose request headers took over %g s", self.header_timeout_s)
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _count(self, size: int) -> None:
        self.header_bytes += size
        if self.header_bytes > self.max_header_bytes and not self.transport.is_closing():
            self._disarm()
            body = f"request headers over {self.max_header_bytes} bytes".encode()
            self.transport.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
                + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
                + body
            )
            self.transport.close()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            super().on_headers_complete()
            if self.draining and self.cycle is not None:
                self.cycle.keep_alive = False  # answered with "Connection: close", then closed

    def shutdown(self) -> None:
        """On SIGTERM: finish the request in flight; give an idle connection ``DRAIN_S`` for one last request.

        uvicorn closes an idle keep-alive connection at once, so a request the client wrote
        on it a moment before is lost (a reset, no answer). Here such a request is still
        answered, with ``Connection: close``, and the client reconnects (to another server).
        """
        if self.cycle is None or self.cycle.response_complete:
            self.draining = True
            self._disarm()
            self.loop.call_later(DRAIN_S, self._close_if_idle)
        else:
            self.cycle.keep_alive = False

    def _close_if_idle(self) -> None:
        if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
            self.transport.close()

    def on_body(self, body: bytes) -> None:
        if not self.transport.is_closing():  # after a 431 there is no request to give the body to
            super().on_body(body)
            # uvicorn stops reading the socket once 64 KB of a body wait for the app, until the app asks for
            # more; a batch of 1000 penguins, larger than that, then arrives over several turns of the event loop, each
            # behind every other request's work, which is what made /predict/batch's tail at concurrency 16.
            # Here a body is buffered whole up to the largest the app accepts (the guards refuse a larger one),
            # for the request being served only: a pipelined request queued behind it stays paused, as in uvicorn.
            cycle = self.cycle
            queued = bool(self.pipeline)
            if cycle is not None and not queued and not cycle.response_complete:
                if len(cycle.body) <= self.body_buffer_bytes:
                    self.flow.resume_reading()

    def on_message_complete(self) -> None:
        if not self.transport.is_closing():
            super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.draining:
            self._arm()  # the next request's headers have header_timeout_s from now


def protocol_for(settings: Settings) -> type[GuardedHttpTools]:
    """The protocol class with this configuration's bounds (uvicorn instantiates it per connection)."""
    return type(
        "ConfiguredGuardedHttpTools",
        (GuardedHttpTools,),
        {
            "header_timeout_s": settings.header_timeout_s,
            "max_header_bytes": settings.max_header_bytes,
            "body_buffer_bytes": settings.body_limit(),
        },
    )


class CleanExitServer(uvicorn.Server):
    """uvicorn's server, which on SIGTERM or SIGINT stops gracefully and lets the process exit 0."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in HANDLED}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)
        # uvicorn would re-raise the signal here, ending the process "killed by SIGTERM";
        # the stop was asked for and went well, so the process ends normally instead.


def config(app: Any, settings: Settings, host: str, port: int) -> uvicorn.Config:
    """uvicorn's configuration for ``app`` with this project's limits (see ``Settings``)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol_for(settings),
        timeout_keep_alive=settings.keep_alive_s,
        timeout_graceful_shutdown=settings.graceful_timeout_s,
        access_log=False,
        log_level="info",
    )


def serve(app: Any, settings: Settings, host: str, port: int) -> None:
    """Serve ``app`` until SIGTERM or SIGINT, then stop gracefully (return normally)."""
    CleanExitServer(config(app, settings, host, port)).run()
