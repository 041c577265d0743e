"""A bounded load test: 16 concurrent clients send 800 requests to the real server on loopback.

The load is a count of requests, not a duration: a busy machine takes longer, it is not asked for a rate
(rates are the benchmark's, ``make bench``). The run is bounded by ``MAX_SECONDS``.
"""

import csv
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


def test_sixteen_clients_send_800_requests_without_an_error(project, tmp_path):
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
                "--only-summary",
                "--csv",
                str(tmp_path / "load"),
                "--loglevel",
                "WARNING",
                "--stop-timeout",
                "5",
            ],
            capture_output=True,
            text=True,
            timeout=MAX_SECONDS + 60,
            check=False,
            env=processes.tool_env({"PENGUINS_LOAD_REQUESTS": str(REQUESTS)}),
        )
        with open(tmp_path / "load_stats.csv", newline="", encoding="utf-8") as handle:
            rows = {row["Name"]: row for row in csv.DictReader(handle)}
        total = rows["Aggregated"]
        print(
            f"\nload test: {total['Request Count']} requests, {total['Failure Count']} failures, "
            f"{float(total['Requests/s']):.0f} req/s, p50 {total['50%']} ms, p99 {total['99%']} ms"
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert int(total["Failure Count"]) == 0
        assert int(total["Request Count"]) >= REQUESTS, "locust stopped at its time bound before the count"
        assert httpx.get(f"{server.url}/health", timeout=5).json()["model_loaded"] is True
