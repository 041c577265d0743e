"""Limits that keep the API standing under hostile load: body size, concurrent requests, slow uploads.

:class:`Guards` is a pure ASGI middleware, the outermost layer of the app, so it acts
before FastAPI reads or parses anything:

- **body size**: a request that declares a ``Content-Length`` above ``max_body_bytes`` gets
  413 at once, before a byte of its body is read; a chunked body is counted as it arrives
  and refused the moment it passes the bound. Either way the connection is closed
  (``Connection: close``), so the client cannot keep streaming into it, and the process
  holds at most the bound plus one network buffer (uvicorn pauses reading at 64 KiB);
- **concurrency**: beyond ``max_concurrency`` requests in flight, a request gets 503 with
  ``Retry-After`` at once, never a queue; ``/health`` and ``/metrics`` are exempt, so a
  load balancer and Prometheus can still see a busy server;
- **slow uploads**: a body that has not fully arrived ``body_timeout_s`` after the request
  began gets 408 and its connection closed, so a client trickling bytes cannot hold a slot.

Slow *headers* are cut off by the server itself (:mod:`lib.serving.server`), because no
ASGI app sees a request before its headers are complete.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.exceptions import HTTPException

from lib.serving.settings import Settings

RETRY_AFTER_S = 1
EXEMPT = frozenset({"/health", "/metrics"})
CLOSE = {"Connection": "close"}


class BodyTooLarge(HTTPException):
    """The request body passed the configured bound while it was being read (413, connection closed).

    An ``HTTPException``, because FastAPI turns any other exception raised while it reads
    a body into a 400, and re-raises these to its own handler.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body passed {limit} bytes, the most accepted", headers=CLOSE)


class BodyTooSlow(HTTPException):
    """The request body did not arrive within the configured time (408, connection closed)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"the request body did not arrive within {seconds:g} s", headers=CLOSE)


async def refuse(send: Any, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
    """Send a complete JSON error response; ``Connection: close`` unless the status invites a retry on it."""
    body = json.dumps({"detail": detail}).encode()
    extra = {"connection": "close"} if status in {408, 413} else {}
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(name.encode(), value.encode()) for name, value in (extra | (headers or {})).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def declared_length(scope: dict[str, Any]) -> int | None:
    """The request's ``Content-Length`` as a number, or ``None`` (absent: chunked or no body)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class Guards:  # pylint: disable=too-few-public-methods  # an ASGI app is one __call__
    """Pure ASGI middleware enforcing the body, concurrency and upload-time limits of ``settings``."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.max_body = settings.body_limit()
        self.max_concurrency = settings.max_concurrency
        self.body_timeout_s = settings.body_timeout_s
        self.in_flight = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        length = declared_length(scope)
        if length is not None and length > self.max_body:
            await refuse(send, 413, f"the request body is {length} bytes; at most {self.max_body} are accepted")
            return
        if self.in_flight >= self.max_concurrency:
            await refuse(
                send,
                503,
                f"too busy ({self.in_flight} requests in flight), retry in {RETRY_AFTER_S} s",
                {"retry-after": str(RETRY_AFTER_S)},
            )
            return
        self.in_flight += 1
        try:
            await self._guarded(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _guarded(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        deadline = asyncio.get_running_loop().time() + self.body_timeout_s
        received = 0
        started = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal received
            try:
                # asyncio.timeout_at arms one timer; wait_for would start a task for every receive
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTooSlow(self.body_timeout_s) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        async def tracked_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except (BodyTooLarge, BodyTooSlow) as exc:  # raised where no FastAPI handler caught it
            if not started:
                await refuse(send, exc.status_code, exc.detail)
