"""The project's Jupyter set-up: a kernel with telemetry off, and a JupyterLab that asks nothing of the internet.

``make setup`` runs ``python -m lib.jupyter``, which writes two settings into the
environment (``sys.prefix``), never into the learner's home folder:

- the ``python3`` kernelspec gets the telemetry switches of :data:`lib.TELEMETRY_OFF`
  in its ``env``, so a lesson's kernel (JupyterLab, papermill, nbval) starts with
  them set, whatever the order of the imports in its first cell, and the folders
  of :func:`lib.toolstate.environment` under ``<environment>/var``, so no tool a
  lesson runs reads its caches or settings from the learner's home;
- JupyterLab's ``overrides.json`` sets the news feed to *Never* and the update check
  off, so a fresh JupyterLab neither fetches news nor asks whether it may.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lib import TELEMETRY_OFF, paths, toolstate

KERNEL = "python3"
NOTIFICATIONS = "@jupyterlab/apputils-extension:notification"
LAB_OVERRIDES = {NOTIFICATIONS: {"fetchNews": "false", "checkForUpdates": False}}


def kernelspec_file(prefix: Path) -> Path:
    """The ``kernel.json`` of the environment's ``python3`` kernel (ipykernel installs it there)."""
    return Path(prefix) / "share" / "jupyter" / "kernels" / KERNEL / "kernel.json"


def state_folder(prefix: Path) -> Path:
    """Where the lessons' kernels keep their tools' caches and settings (see :mod:`lib.toolstate`)."""
    return Path(prefix) / "var"


def overrides_file(prefix: Path) -> Path:
    """JupyterLab's ``overrides.json``: settings defaults of this environment, below the user's own."""
    return Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


def _update_json(path: Path, update) -> Path:
    document = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    update(document)
    text = json.dumps(document, indent=1, sort_keys=True) + "\n"
    return paths.write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def configure(prefix: Path | str = sys.prefix) -> list[Path]:
    """Write both settings into the environment at ``prefix``; keep every other setting; return the files.

    Raises ``FileNotFoundError`` with the fix when the environment has no ``python3``
    kernel (ipykernel is not installed).
    """
    kernel = kernelspec_file(Path(prefix))
    if not kernel.is_file():
        raise FileNotFoundError(
            f"{kernel} is missing: the environment has no python3 kernel; install the lock "
            "('make setup') so that ipykernel provides it"
        )

    state = state_folder(Path(prefix))
    state.mkdir(exist_ok=True)

    def kernel_env(spec: dict) -> None:
        spec["env"] = {**spec.get("env", {}), **TELEMETRY_OFF, **toolstate.environment(state)}

    def no_news(settings: dict) -> None:
        for plugin, values in LAB_OVERRIDES.items():
            settings[plugin] = {**settings.get(plugin, {}), **values}

    return [_update_json(kernel, kernel_env), _update_json(overrides_file(Path(prefix)), no_news)]


if __name__ == "__main__":
    for written in configure():
        print(f"configured {written}")
