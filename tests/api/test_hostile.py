"""The production server (``python -m lib.serving``) under hostile clients, on loopback, over raw sockets.

Oversized bodies (declared and chunked), slow headers, slow bodies, too many requests at
once, oversized headers, and SIGTERM with requests in flight.
"""

import json
import socket
import threading
import time

import httpx
import pytest

from lib import processes, serving

pytestmark = pytest.mark.slow  # starts real servers and waits out timeouts

EXAMPLE = serving.bodies.EXAMPLE
MB = 1 << 20
TIMEOUT_S = 2  # the server's header and body timeouts below
# uvicorn runs on uvloop, whose timers (libuv's) count from the loop's cached time, taken at the start of
# the loop's iteration and rounded to the millisecond: a timer armed late in a busy iteration fires up to
# that iteration's length early. A close "before the timeout" means earlier than this slack before it.
TIMER_SLACK_S = 0.1


@pytest.fixture(scope="module")
def server(models_dir):
    """One production server with short timeouts, shared by the tests that do not stop it."""
    env = {
        "PENGUINS_MODELS_DIR": str(models_dir),
        "PENGUINS_HEADER_TIMEOUT_S": str(TIMEOUT_S),
        "PENGUINS_BODY_TIMEOUT_S": str(TIMEOUT_S),
        "PENGUINS_MAX_CONCURRENCY": "4",
    }
    with processes.start_server(env=env, production=True) as running:
        yield running


def connect(server) -> socket.socket:
    port = int(server.url.rsplit(":", 1)[1])
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one HTTP/1.1 response with a Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    while len(body) < int(headers.get("content-length", 0)):
        body += sock.recv(65536)
    return int(lines[0].split()[1]), headers, body


def is_closed(sock: socket.socket, within: float) -> bool:
    """Whether the server closes ``sock`` within ``within`` seconds (EOF or reset)."""
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def stream_body(sock: socket.socket, total: int, chunked: bool) -> tuple[int, float]:
    """Send up to ``total`` bytes of body until the server answers; return (bytes sent, seconds)."""
    block = b" " * MB
    sent, start = 0, time.perf_counter()
    sock.setblocking(False)
    try:
        while sent < total:
            piece = block[: min(MB, total - sent)]
            data = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
            try:
                sock.sendall(data)
            except BlockingIOError:
                time.sleep(0.001)
            except OSError:
                break
            sent += len(piece)
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    break  # the server has answered
            except BlockingIOError:
                pass
    finally:
        sock.setblocking(True)
        sock.settimeout(10)
    return sent, time.perf_counter() - start


def until_refused(server, timeout: float = 30) -> httpx.Response:
    """POST until the server answers 503 (every slot taken) or ``timeout`` passes; return the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        answer = httpx.post(f"{server.url}/predict", json=EXAMPLE, timeout=5)
        if answer.status_code == 503 or time.monotonic() > deadline:
            return answer
        time.sleep(0.05)


def until_connections_refused(server, timeout: float = 30) -> bool:
    """Wait until the server no longer accepts connections (its listening socket is closed); whether it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connect(server).close()
        except OSError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(
    ("total", "chunked"),
    [
        pytest.param(100 * MB, False, id="declared-100MB"),
        pytest.param(1024 * MB, False, id="declared-1GB"),
        pytest.param(100 * MB, True, id="chunked-100MB"),
        pytest.param(1024 * MB, True, id="chunked-1GB"),
    ],
)
def test_an_oversized_body_gets_413_before_it_is_read(server, total, chunked):
    """413 after at most a few MB of the body (never the whole of it); resident memory stays flat; connection closed."""
    before = processes.resident_mb(server.process.pid)
    sock = connect(server)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
    sock.sendall(
        f"POST /predict/batch HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n{framing}\r\n\r\n".encode()
    )
    sent, seconds = stream_body(sock, total, chunked)
    status, headers, body = read_response(sock)
    assert status == 413 and headers["connection"] == "close", body
    assert "bytes" in json.loads(body)["detail"]
    assert sent <= 16 * MB, (sent, seconds)  # refused on its declared size, or on what arrived, not at the end
    assert processes.resident_mb(server.process.pid) - before < 20
    assert is_closed(sock, within=2)


def test_the_largest_valid_batch_fits_the_body_bound(server):
    """1000 penguins written with 4-space indentation are accepted (the bound has headroom)."""
    body = json.dumps({"penguins": [EXAMPLE] * 1000}, indent=4).encode()
    assert len(body) < serving.Settings().body_limit()
    answer = httpx.post(f"{server.url}/predict/batch", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 200 and len(answer.json()["predictions"]) == 1000


def test_slow_headers_are_cut_off_while_others_are_served(server):
    """A client sending its headers a byte at a time loses its connection at the header timeout (2 s here).

    Never before it (a lower bound holds on a loaded machine; an upper one would not), while others are served.
    """
    start = time.monotonic()
    slow = connect(server)
    slow.sendall(b"POST /predict HTTP/1.1\r\nHost: t\r\n")
    for _ in range(3):  # trickle: each byte used to cancel uvicorn's only timer
        time.sleep(0.5)
        slow.sendall(b"X")
        assert httpx.post(f"{server.url}/predict", json=EXAMPLE, timeout=5).status_code == 200
    assert is_closed(slow, within=30)
    assert time.monotonic() - start >= TIMEOUT_S - TIMER_SLACK_S


def test_an_idle_connection_is_closed_at_the_header_timeout(server):
    """An idle connection is closed, and not before the header timeout."""
    start = time.monotonic()
    sock = connect(server)
    assert is_closed(sock, within=30) and time.monotonic() - start >= TIMEOUT_S - TIMER_SLACK_S


def test_a_slow_body_gets_408_and_its_connection_closed(server):
    """A body that stops arriving gets 408 (not before the body timeout) and its connection closed."""
    start = time.monotonic()
    sock = connect(server)
    sock.sendall(b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{")
    status, headers, body = read_response(sock)
    assert status == 408 and headers["connection"] == "close", body
    assert time.monotonic() - start >= TIMEOUT_S - TIMER_SLACK_S
    assert is_closed(sock, within=2)


def test_headers_over_the_bound_get_431(server):
    sock = connect(server)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\nX-Padding: " + b"a" * 20_000 + b"\r\n\r\n")
    status, headers, _ = read_response(sock)
    assert status == 431 and headers["connection"] == "close"


def test_beyond_the_concurrency_bound_a_request_gets_503_with_retry_after(server):
    """Four slow uploads hold the four slots: a fifth request is refused at once; /health still answers."""
    holders = []
    for _ in range(4):
        sock = connect(server)
        sock.sendall(
            b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 300\r\n\r\n{"
        )
        holders.append(sock)
    refused = until_refused(server)  # the four uploads hold every slot once the server has read their headers
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1", refused.text
    assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200
    for sock in holders:
        assert read_response(sock)[0] == 408  # the slow uploads time out and free their slots
        sock.close()
    assert httpx.post(f"{server.url}/predict", json=EXAMPLE, timeout=5).status_code == 200


def test_sigterm_finishes_the_requests_in_flight_and_exits_0(models_dir):
    """Requests whose bodies are still arriving when SIGTERM comes are answered 200; then the process exits 0.

    A concurrency bound of eight makes "the eight are in flight" observable: a ninth request is refused.
    """
    env = {
        "PENGUINS_MODELS_DIR": str(models_dir),
        "PENGUINS_GRACEFUL_TIMEOUT_S": "10",
        "PENGUINS_MAX_CONCURRENCY": "8",
    }
    with processes.start_server(env=env, production=True) as server:  # stopped on the way out, whatever happens
        body = json.dumps(EXAMPLE).encode()
        framing = f"Content-Type: application/json\r\nContent-Length: {len(body)}"
        head = f"POST /predict HTTP/1.1\r\nHost: t\r\n{framing}\r\n\r\n"
        in_flight = []
        for _ in range(8):
            sock = connect(server)
            sock.sendall(head.encode() + body[:10])
            in_flight.append(sock)
        assert until_refused(server).status_code == 503  # all eight are being served
        server.process.send_signal(15)
        assert until_connections_refused(server), "the server kept accepting connections after SIGTERM"
        for sock in in_flight:
            sock.sendall(body[10:])
        answers = [read_response(sock) for sock in in_flight]
        assert [status for status, _, _ in answers] == [200] * 8
        assert all(json.loads(answer)["species"] == "Gentoo" for _, _, answer in answers)
        assert server.process.wait(timeout=60) == 0


def test_sigterm_under_load_answers_every_accepted_request(models_dir):
    """16 keep-alive clients in a loop, then SIGTERM: every request they sent is answered 200; then exit 0."""
    with processes.start_server(env={"PENGUINS_MODELS_DIR": str(models_dir)}, production=True) as server:
        statuses: list[int] = []
        errors: list[str] = []
        stop = threading.Event()

        def client():
            with httpx.Client(base_url=server.url, timeout=10) as http:
                while not stop.is_set():
                    try:
                        statuses.append(http.post("/predict", json=EXAMPLE).status_code)
                    except httpx.ConnectError:
                        return  # the listening socket is closed: the stop has begun
                    except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                        errors.append(repr(exc))  # an idle keep-alive connection closed as the next request left
                        return

        threads = [threading.Thread(target=client) for _ in range(16)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        while len(statuses) < 500 and time.monotonic() < deadline:  # under way: hundreds of requests answered
            time.sleep(0.05)
        server.process.send_signal(15)
        assert server.process.wait(timeout=30) == 0
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    assert len(statuses) > 500 and set(statuses) == {200}, set(statuses)
    # uvicorn alone would close the idle keep-alive connections at once and lose the requests clients
    # had just written on them (a reset, no answer); the server drains them: each is answered 200 with
    # "Connection: close", and only the reconnection is refused.
    assert errors == [], errors
