"""A bounded load test: 16 concurrent clients send 800 requests to the real server on loopback.

The load is a count of requests, not a duration: a busy machine takes longer, it is not asked for a rate
(rates are the benchmark's, ``make bench``). The run is bounded by ``MAX_SECONDS``.
"""

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from lib import paths, processes

pytestmark = pytest.mark.slow  # starts a real server and locust

USERS = 16
REQUESTS = 800
MAX_SECONDS = 180


def test_sixteen_clients_send_800_requests_without_an_error(project):
    """Zero failed requests under load, every answer right, and /health still answers afterwards."""
    with processes.start_server(env={"PENGUINS_MODELS_DIR": str(paths.MODELS_DIR)}) as server:
        locustfile = Path(__file__).with_name("locustfile.py")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(locustfile),
                "--headless",
                "--users",
                str(USERS),
                "--spawn-rate",
                str(USERS),
                "--run-time",
                f"{MAX_SECONDS}s",
                "--host",
                server.url,
                "--json",  # the final statistics, computed at exit (the CSV writer's last file can lag under load)
                "--skip-log",
                "--stop-timeout",
                "5",
            ],
            capture_output=True,
            text=True,
            timeout=MAX_SECONDS + 60,
            check=False,
            env=processes.tool_env({"PENGUINS_LOAD_REQUESTS": str(REQUESTS)}),
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        endpoints = {entry["name"]: entry for entry in json.loads(done.stdout)}
        requests = sum(entry["num_requests"] for entry in endpoints.values())
        failures = sum(entry["num_failures"] for entry in endpoints.values())
        print(
            f"\nload test: {requests} requests, {failures} failures, by endpoint "
            f"{ {name: entry['num_requests'] for name, entry in sorted(endpoints.items())} }"
        )
        assert failures == 0
        assert requests >= REQUESTS, "locust stopped at its time bound before the count"
        assert httpx.get(f"{server.url}/health", timeout=5).json()["model_loaded"] is True
