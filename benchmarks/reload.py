"""``make bench``'s reload rows: how fast a running API switches models, and what a switch costs the clients.

Two exports of the champion's pipeline that answer differently (the project's champion, and
the same candidate with another regularisation) are swapped in a scratch ``models/`` folder
while the API serves it:

- **file change to first answer**: the export is replaced, and a client polls ``/health``
  until the new version answers; with the API's check every ``RELOAD_INTERVAL_S`` this is on
  average half the interval plus the load, at worst the interval plus the load;
- **admin reload**: ``POST /admin/reload`` loads and switches before it answers: its duration
  is the load and the swap alone;
- **p99 during a swap**: 16 clients call ``/predict`` flat out for a window with one swap in
  it, and for a window without one; the p99 (and max) of the two windows side by side.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from lib import champion, data, params, paths, processes, training
from lib.loop.traffic import Traffic, wait_for_health

RELOAD_INTERVAL_S = 1.0
SWAPS = 6
WINDOW_S = 6.0
CLIENTS = 16
TOKEN = "bench-token-" + "x" * 20


def other_export(folder: Path) -> None:
    """Export the champion's candidate trained with 20 times stronger regularisation, as the next version."""
    record = champion.read_record()
    train = data.load_processed(paths.TRAIN_FILE)
    settings = dict(record.hyperparameters)
    if "C" in settings:
        settings["C"] = settings["C"] / 20
    model = training.fit(record.candidate, settings, train, params.stage_params("train")["seed"])
    version = (record.version or 0) + 1
    other = {"version": version, "hyperparameters": settings, "run_id": None, "metrics": {}}  # in no run, not scored
    champion.export(model, record.model_copy(update=other), folder)


def measure(body: dict) -> dict:
    """Start the API on a scratch copy of the export and measure its switches (see the module docstring)."""
    work = Path(tempfile.mkdtemp(prefix="penguins-bench-reload-"))
    try:
        exports = {"champion": work / "champion", "other": work / "other", "served": work / "served"}
        shutil.copytree(paths.MODELS_DIR, exports["champion"])
        other_export(exports["other"])
        shutil.copytree(exports["champion"], exports["served"])
        versions = {name: champion.read_record(exports[name]).served_version for name in ("champion", "other")}
        env = {
            "PENGUINS_MODELS_DIR": str(exports["served"]),
            "PENGUINS_RELOAD_INTERVAL_S": str(RELOAD_INTERVAL_S),
            "PENGUINS_ADMIN_TOKEN": TOKEN,
        }
        with processes.start_server(env=env, production=True) as server:
            return {
                "reload_interval_s": RELOAD_INTERVAL_S,
                **_file_changes(server.url, exports, versions),
                **_admin_reloads(server.url, exports),
                **_swap_windows(server.url, exports, versions, body),
            }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _install(exports: dict[str, Path], name: str) -> None:
    """Replace the served export by ``name``'s, as ``champion.export`` does: each file moved into place."""
    for file_name in (champion.MODEL_FILE_NAME, champion.METADATA_FILE_NAME):
        staged = exports["served"] / f".{file_name}.new"
        shutil.copy(exports[name] / file_name, staged)
        staged.replace(exports["served"] / file_name)


def _file_changes(url: str, exports: dict[str, Path], versions: dict[str, str]) -> dict:
    seconds = []
    for swap in range(SWAPS):
        name = ("other", "champion")[swap % 2]
        time.sleep(RELOAD_INTERVAL_S * (0.3 + 0.11 * swap))  # changes at different points of the check cycle
        _install(exports, name)
        seconds.append(wait_for_health(url, lambda health, want=versions[name]: health["model_version"] == want))
    return {
        "file_change_to_new_answer_s": {
            "median": statistics.median(seconds),
            "max": max(seconds),
            "swaps": len(seconds),
        }
    }


def _admin_reloads(url: str, exports: dict[str, Path]) -> dict:
    seconds = []
    with httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        for _ in range(SWAPS):
            start = time.perf_counter()
            client.post("/admin/reload").raise_for_status()
            seconds.append(time.perf_counter() - start)
    return {"admin_reload_s": {"median": statistics.median(seconds), "max": max(seconds), "reloads": len(seconds)}}


def _swap_windows(url: str, exports: dict[str, Path], versions: dict[str, str], body: dict) -> dict:
    windows = {}
    current = "champion" if httpx.get(f"{url}/health").json()["model_version"] == versions["champion"] else "other"
    for label in ("without_swap", "with_swap"):
        with Traffic(url, [body], clients=CLIENTS) as traffic:
            time.sleep(WINDOW_S / 3)
            if label == "with_swap":
                current = "other" if current == "champion" else "champion"
                _install(exports, current)
            time.sleep(WINDOW_S * 2 / 3)
        answers = traffic.table()
        windows[label] = {
            "requests": len(answers),
            "errors": int((answers["status"] != 200).sum()),
            "p50_ms": float(np.percentile(answers["ms"], 50)),
            "p99_ms": float(np.percentile(answers["ms"], 99)),
            "max_ms": float(answers["ms"].max()),
            "versions": sorted(answers["version"].dropna().unique().tolist()),
        }
    return {"predict_c16_windows": windows}
