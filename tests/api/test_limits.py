"""The app's own limits (lib/serving/guards.py), in-process: body size, concurrency, slow uploads, settings."""

import asyncio
import json

import pytest
from fastapi.testclient import TestClient

from lib import serving
from lib.serving.guards import Guards

EXAMPLE = serving.bodies.EXAMPLE


@pytest.fixture(scope="module")
def small(models_dir):
    """An app whose body bound is 10 penguins (5 KiB + 1 KiB)."""
    settings = serving.Settings(models_dir=models_dir, batch_limit=10)
    with TestClient(serving.create_app(settings)) as client:
        yield client


def test_the_default_bound_follows_the_batch_limit():
    assert serving.Settings().body_limit() == 1000 * 512 + 1024
    assert serving.Settings(batch_limit=10).body_limit() == 6144
    assert serving.Settings(max_body_bytes=100).body_limit() == 100


def test_a_declared_oversized_body_gets_413_naming_the_bound(small):
    body = json.dumps({"penguins": [EXAMPLE] * 60}).encode()  # over 6144 bytes
    answer = small.post("/predict/batch", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 413 and answer.headers["connection"] == "close"
    assert answer.json()["detail"] == f"the request body is {len(body)} bytes; at most 6144 are accepted"


def test_a_chunked_oversized_body_gets_413_once_it_passes_the_bound(small):
    sent = []

    def chunks():
        for _ in range(100):  # 100 KiB offered, 1 KiB at a time
            sent.append(1024)
            yield b" " * 1024

    answer = small.post("/predict/batch", content=chunks(), headers={"content-type": "application/json"})
    assert answer.status_code == 413 and answer.headers["connection"] == "close"
    assert "passed 6144 bytes" in answer.json()["detail"]


def test_a_full_batch_within_the_bound_is_served(small):
    body = json.dumps({"penguins": [EXAMPLE] * 10}, indent=4).encode()
    answer = small.post("/predict/batch", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 200 and len(answer.json()["predictions"]) == 10


def test_refusals_are_counted_in_the_metrics(small):
    small.post("/predict/batch", content=b" " * 10_000, headers={"content-type": "application/json"})
    assert 'penguins_http_requests_total{handler="unmatched",method="POST",status="413"}' in small.get("/metrics").text


async def call(app, path: str = "/predict", body: bytes = b"{}", receive=None) -> list[dict]:
    """One ASGI request through ``app``; the messages it sent back."""
    sent: list[dict] = []

    async def default_receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": [(b"content-type", b"application/json")]}
    await app(scope, receive or default_receive, send)
    return sent


def test_beyond_the_concurrency_bound_requests_get_503_and_health_still_answers():
    release = asyncio.Event()

    async def slow_app(scope, receive, send):
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guards = Guards(slow_app, serving.Settings(max_concurrency=2))

    async def scenario():
        holders = [asyncio.create_task(call(guards)) for _ in range(2)]
        await asyncio.sleep(0.01)
        refused = await call(guards)
        health = asyncio.create_task(call(guards, "/health"))
        await asyncio.sleep(0.01)
        assert not health.done()  # /health is exempt: it reached the app, which is still waiting
        release.set()
        return refused, [await task for task in holders], await health

    refused, held, health = asyncio.run(scenario())
    assert refused[0]["status"] == 503 and (b"retry-after", b"1") in refused[0]["headers"]
    assert b"2 requests in flight" in refused[1]["body"]
    assert [messages[0]["status"] for messages in held] == [200, 200] and health[0]["status"] == 200
    assert guards.in_flight == 0


def test_a_body_that_does_not_arrive_in_time_gets_408():
    async def app(scope, receive, send):
        await receive()  # waits for the body, as FastAPI does
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def never():
        await asyncio.sleep(60)

    guards = Guards(app, serving.Settings(body_timeout_s=0.05))
    sent = asyncio.run(call(guards, receive=never))
    assert sent[0]["status"] == 408 and (b"connection", b"close") in sent[0]["headers"]
    assert json.loads(sent[1]["body"]) == {"detail": "the request body did not arrive within 0.05 s"}


def test_limit_settings_are_read_from_the_environment():
    settings = serving.Settings.from_env(
        {
            "PENGUINS_MAX_BODY_BYTES": "2048",
            "PENGUINS_MAX_CONCURRENCY": "8",
            "PENGUINS_BODY_TIMEOUT_S": "1.5",
            "PENGUINS_HEADER_TIMEOUT_S": "3",
            "PENGUINS_MAX_HEADER_BYTES": "4096",
            "PENGUINS_KEEP_ALIVE_S": "2",
            "PENGUINS_GRACEFUL_TIMEOUT_S": "7",
        }
    )
    assert (settings.body_limit(), settings.max_concurrency, settings.body_timeout_s) == (2048, 8, 1.5)
    assert (settings.header_timeout_s, settings.max_header_bytes) == (3.0, 4096)
    assert (settings.keep_alive_s, settings.graceful_timeout_s) == (2, 7)
