"""The server reads a batch body whole (uvicorn stops reading a socket past 64 KB of body until the app asks)."""

import asyncio
import json

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from lib.serving.bodies import EXAMPLE
from lib.serving.server import protocol_for
from lib.serving.settings import Settings


class Transport(asyncio.Transport):
    """Just enough of a socket's transport for a protocol: it records whether reading is paused."""

    def __init__(self) -> None:
        super().__init__()
        self.paused = False
        self.written = b""

    def get_extra_info(self, name, default=None):
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False

    def is_closing(self) -> bool:
        return False

    def write(self, data) -> None:
        self.written += data

    def close(self) -> None:
        pass


async def never_reads(scope, receive, send):  # an app that has not yet asked for the body
    await asyncio.sleep(3600)


def paused_after_most_of_a_batch(protocol_class, pipelined: bool = False) -> tuple[bool, int]:
    """Feed a protocol the headers and all but the last byte of a 1000-penguin body; is reading paused?

    ``pipelined``: a first request is sent whole before it (and never answered), so the batch waits in the
    connection's pipeline, as when a client writes its next request before reading the answer.
    """
    body = json.dumps({"penguins": [EXAMPLE] * 1000}).encode()
    head = "POST /predict/batch HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"

    async def feed() -> bool:
        config = uvicorn.Config(never_reads, lifespan="off", log_level="warning")
        config.load()
        protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
        transport = Transport()
        protocol.connection_made(transport)
        if pipelined:
            first = json.dumps({"penguins": [EXAMPLE]}).encode()
            protocol.data_received(head.replace(str(len(body)), str(len(first))).encode() + first)
            await asyncio.sleep(0)  # its task starts, and never answers
        protocol.data_received(head.encode())
        for start in range(0, len(body) - 1, 16_384):  # as the socket delivers it
            protocol.data_received(body[start : min(start + 16_384, len(body) - 1)])
        paused = transport.paused
        tasks = list(protocol.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        protocol.connection_lost(None)
        return paused

    return asyncio.run(feed()), len(body)


def test_uvicorn_alone_pauses_a_batch_body_and_ours_reads_it_whole():
    paused_by_uvicorn, size = paused_after_most_of_a_batch(HttpToolsProtocol)
    assert size > 65_536 and paused_by_uvicorn  # the stall this guards against is real
    paused, _ = paused_after_most_of_a_batch(protocol_for(Settings()))
    assert not paused


def test_a_pipelined_request_queued_behind_another_stays_paused():
    """Its body waits in the socket, as in uvicorn: queued requests are outside the concurrency bound."""
    paused, _ = paused_after_most_of_a_batch(protocol_for(Settings()), pipelined=True)
    assert paused


def test_a_body_beyond_the_apps_limit_still_pauses_reading():
    """The buffer is bounded: past the largest body the app accepts, reading waits for the app as before."""
    small = Settings(max_body_bytes=100_000)
    paused, size = paused_after_most_of_a_batch(protocol_for(small))
    assert size > small.body_limit() and paused


@pytest.mark.parametrize("limit", [70_000, 200_000])
def test_the_protocol_buffers_up_to_the_configured_body_limit(limit):
    assert protocol_for(Settings(max_body_bytes=limit)).body_buffer_bytes == limit
