"""The project's Jupyter set-up: a kernel with telemetry off, and a JupyterLab that asks nothing of the internet.

``make setup`` runs ``python -m lib.course.jupyter``, which writes two settings into the
environment (``sys.prefix``), never into the learner's home folder:

- the ``python3`` kernelspec gets the telemetry switches of :data:`lib.TELEMETRY_OFF`
  in its ``env``, so a lesson's kernel (JupyterLab, papermill, nbval) starts with
  them set, whatever the order of the imports in its first cell, and the folders
  of :func:`lib.course.toolstate.environment` under ``<environment>/var``, so no tool a
  lesson runs reads its caches or settings from the learner's home;
- the kernel's own IPython profile (in that folder) gets a start-up file, :data:`STARTUP`,
  so the shell commands of a lesson print plain text: ipykernel sets ``FORCE_COLOR`` and
  ``CLICOLOR_FORCE`` for every program it starts, which would draw colours into the saved
  outputs; the kernel's ``PATH`` starts with this environment's ``bin/``, so ``!dvc`` and
  ``!pytest`` are the locked versions even in a JupyterLab started from elsewhere;
- JupyterLab's ``overrides.json`` sets the news feed to *Never* and the update check
  off, so a fresh JupyterLab neither fetches news nor asks whether it may.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from lib import TELEMETRY_OFF, paths
from lib.course import toolstate

KERNEL = "python3"
NOTIFICATIONS = "@jupyterlab/apputils-extension:notification"
LAB_OVERRIDES = {NOTIFICATIONS: {"fetchNews": "false", "checkForUpdates": False}}
# Quieter tools in the lessons' kernels: CodeCarbon logs every measurement at INFO.
QUIET = {"CODECARBON_LOG_LEVEL": "error"}
# Run by IPython when the course's kernel starts, after ipykernel has set its colour switches; a function, so
# that nothing of it is left in the lesson's namespace.
STARTUP = '''"""The course's kernel (written by 'make setup', lib/course/jupyter.py): its tools print plain text."""


def _plain_output():
    import os  # pylint: disable=import-outside-toplevel
    import warnings  # pylint: disable=import-outside-toplevel

    for forced in ("FORCE_COLOR", "CLICOLOR_FORCE", "CLICOLOR"):
        os.environ.pop(forced, None)
    os.environ.update(NO_COLOR="1", TERM="dumb")
    # tqdm (through huggingface_hub) warns that ipywidgets is absent; the course shows no progress bars.
    warnings.filterwarnings("ignore", message="IProgress not found", module="tqdm")


_plain_output()
del _plain_output
'''


def kernelspec_file(prefix: Path) -> Path:
    """The ``kernel.json`` of the environment's ``python3`` kernel (ipykernel installs it there)."""
    return Path(prefix) / "share" / "jupyter" / "kernels" / KERNEL / "kernel.json"


def state_folder(prefix: Path) -> Path:
    """Where the lessons' kernels keep their tools' caches and settings (see :mod:`lib.course.toolstate`)."""
    return Path(prefix) / "var"


def startup_file(prefix: Path) -> Path:
    """The start-up file of the kernel's IPython profile (its ``IPYTHONDIR`` is in :func:`state_folder`)."""
    return state_folder(Path(prefix)) / "ipython" / "profile_default" / "startup" / "00-course-kernel.py"


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
    startup = startup_file(Path(prefix))
    startup.parent.mkdir(parents=True, exist_ok=True)
    paths.write_atomically(startup, lambda tmp: tmp.write_text(STARTUP, encoding="utf-8"))
    # ${PATH}: jupyter_client fills in the PATH of whatever starts the kernel.
    path = {"PATH": str(Path(prefix) / "bin") + os.pathsep + "${PATH}"}

    def kernel_env(spec: dict) -> None:
        spec["env"] = {**spec.get("env", {}), **TELEMETRY_OFF, **QUIET, **toolstate.environment(state), **path}

    def no_news(settings: dict) -> None:
        for plugin, values in LAB_OVERRIDES.items():
            settings[plugin] = {**settings.get(plugin, {}), **values}

    return [_update_json(kernel, kernel_env), startup, _update_json(overrides_file(Path(prefix)), no_news)]


if __name__ == "__main__":
    for written in configure():
        print(f"configured {written}")
