"""The real server: uvicorn started by the lessons' helper, answering on loopback, then stopped."""

import signal

import httpx
import pytest

from lib import paths, processes

pytestmark = pytest.mark.slow  # starts real uvicorn servers


def test_helper_starts_a_healthy_server_and_stops_it(project, example):
    """start_server waits for /health; stop() ends the process and frees the port."""
    server = processes.start_server(env={"PENGUINS_MODELS_DIR": str(paths.MODELS_DIR)})
    try:
        assert httpx.get(f"{server.url}/health").json()["model_loaded"] is True
        assert httpx.post(f"{server.url}/predict", json=example).json()["species"] == "Gentoo"
    finally:
        code = server.stop()
    assert code in (0, -signal.SIGTERM)  # uvicorn shuts down gracefully, then re-raises the signal
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/health", timeout=1)


def test_a_server_without_its_model_fails_fast_with_the_reason(tmp_path):
    """The helper reports the server's own start-up error instead of waiting (the timeout bounds a loaded machine)."""
    with pytest.raises(RuntimeError, match=r"(?s)exited with code \d+.*cannot start the API: .*skops is missing"):
        processes.start_server(env={"PENGUINS_MODELS_DIR": str(tmp_path)}, timeout=90)
