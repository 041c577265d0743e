"""Prometheus on loopback: its binaries, a scrape config, start-up, PromQL queries, alerts, and promtool."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from lib import processes

PROMETHEUS_INSTALL = (
    "Prometheus is not installed: 'make system-packages' installs it (apt as root or with passwordless sudo, "
    "Homebrew on macOS); by hand: 'sudo apt-get install prometheus' (Debian, Ubuntu; it brings promtool), "
    "'brew install prometheus' (macOS), or unpack the release from https://prometheus.io/download/ "
    "and put 'prometheus' and 'promtool' on PATH"
)


def prometheus_binary(name: str = "prometheus") -> str:
    """The path of ``prometheus`` (or ``promtool``), or a ``FileNotFoundError`` saying how to install it."""
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(PROMETHEUS_INSTALL)
    return found


def prometheus_config(target: str, rule_files: Sequence[Path | str] = (), interval: str = "1s") -> dict[str, Any]:
    """A scrape config: Prometheus reads ``target``'s ``/metrics`` and evaluates the rules every ``interval``.

    Relative rule files are found beside the config file.
    """
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [{"job_name": "penguins-api", "static_configs": [{"targets": [target]}]}],
    }


def start_prometheus(config: Path, data_dir: Path, port: int | None = None, timeout: float = 30) -> processes.Server:
    """Start Prometheus on 127.0.0.1 with ``config`` and storage in ``data_dir``; wait until it is ready.

    Raises ``FileNotFoundError`` (how to install it) when it is missing, and ``RuntimeError``
    with Prometheus's own output when it exits (a bad config) or is not ready in ``timeout`` seconds.
    """
    port = port or processes.free_port()
    command = [
        prometheus_binary(),
        f"--config.file={config}",
        f"--storage.tsdb.path={data_dir}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--storage.tsdb.retention.time=1d",
        "--log.level=warn",
    ]
    return processes.launch(command, f"http://127.0.0.1:{port}", "/-/ready", timeout, name="Prometheus")


def query(url: str, promql: str, at: float | None = None) -> list[dict[str, Any]]:
    """An instant PromQL query: the ``result`` list of Prometheus's answer (raises on its error)."""
    arguments: dict[str, str | float] = {"query": promql} | ({"time": at} if at is not None else {})
    answer = httpx.get(f"{url}/api/v1/query", params=arguments, timeout=10).json()
    if answer["status"] != "success":
        raise ValueError(f"Prometheus refused {promql!r}: {answer.get('error')}")
    return answer["data"]["result"]


def query_range(url: str, promql: str, start: float, end: float, step: float = 1.0) -> pd.DataFrame:
    """A PromQL range query as a long DataFrame: ``seconds`` (from ``start``), ``value``, and one column per label."""
    arguments: dict[str, str | float] = {"query": promql, "start": start, "end": end, "step": step}
    answer = httpx.get(f"{url}/api/v1/query_range", params=arguments, timeout=10).json()
    if answer["status"] != "success":
        raise ValueError(f"Prometheus refused {promql!r}: {answer.get('error')}")
    records = [
        {"seconds": float(at) - start, "value": float(value), **series["metric"]}
        for series in answer["data"]["result"]
        for at, value in series["values"]
    ]
    return pd.DataFrame.from_records(records, columns=["seconds", "value"] if not records else None)


def wait_for_scrapes(url: str, target_health: str = "up", timeout: float = 30) -> None:
    """Wait until Prometheus has scraped every target at least once and each is ``up``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        targets = httpx.get(f"{url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
        if targets and all(target["health"] == target_health for target in targets):
            return
        time.sleep(0.2)
    raise RuntimeError(f"Prometheus's targets were not '{target_health}' within {timeout} s")


def wait_for_alert(url: str, name: str, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for alert ``name`` to fire; return whether it did."""
    deadline = time.monotonic() + timeout
    while True:
        if any(alert["labels"]["alertname"] == name for alert in firing_alerts(url)):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)


def firing_alerts(url: str) -> list[dict[str, Any]]:
    """The alerts Prometheus has firing now (pending ones are left out)."""
    alerts = httpx.get(f"{url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return [alert for alert in alerts if alert["state"] == "firing"]


def promtool(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``promtool`` (``check rules FILE``, ``test rules FILE``) in ``cwd``; return its result.

    A test file names its rule files relative to itself, so run it from its folder.
    """
    command = [prometheus_binary("promtool"), *(str(arg) for arg in args)]
    return subprocess.run(command, capture_output=True, text=True, check=False, env=processes.tool_env(), cwd=cwd)
