"""Where the course's tools keep their caches, settings and state: in the run's own folders, never the user's home.

Many tools read something from the home folder that changes what they print: pylint
compares each score with the statistics it saved for a module of the same name
(``~/.cache/pylint``, read even with ``--persistent=n``); IPython runs the startup
files of ``~/.ipython``; matplotlib reads ``~/.config/matplotlib/matplotlibrc``;
CodeCarbon reads ``~/.codecarbon.config``; DVC reads its global config; Jupyter
finds a ``python3`` kernel of the user's before ours. A lesson's saved outputs
would then hold whatever the home of the machine that last ran it held, and fail
on every other machine.

Two layers keep them apart:

- :func:`environment` points every tool that has a variable for it into one folder.
  ``make setup`` writes these into the environment's ``python3`` kernelspec
  (:mod:`lib.course.jupyter`), with ``<environment>/var`` as the folder, so every lesson
  kernel gets them, started by JupyterLab, papermill or nbval.
- :func:`scratch_home` gives a whole run a new, empty home (``HOME`` and the XDG
  folders) for the tools that only know ``Path.home()`` (CodeCarbon, Great
  Expectations, locust, ssh): ``make pipeline`` and ``make notebooks`` run through
  ``python -m lib.course.toolstate COMMAND``, and the test session sets one up in ``conftest.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Each tool's own variable for the folder it reads and writes, and the sub-folder it gets.
STATE_FOLDERS = {
    "PYLINTHOME": "pylint",
    "IPYTHONDIR": "ipython",
    "MPLCONFIGDIR": "matplotlib",
    "JUPYTER_CONFIG_DIR": "jupyter/config",
    "JUPYTER_DATA_DIR": "jupyter/data",
    "DVC_GLOBAL_CONFIG_DIR": "dvc/global",
    "DVC_SYSTEM_CONFIG_DIR": "dvc/system",
    "DVC_SITE_CACHE_DIR": "dvc/site-cache",
    "HF_HOME": "huggingface",
}
# Jupyter looks for kernels in JUPYTER_PATH first, then in the environment before the user's folders
# (its default in a virtual environment, unless JUPYTER_PREFER_ENV_PATH says otherwise).
FIXED = {"JUPYTER_PREFER_ENV_PATH": "1", "JUPYTER_PATH": ""}
HOME_FOLDERS = {
    "XDG_CONFIG_HOME": ".config",
    "XDG_CACHE_HOME": ".cache",
    "XDG_DATA_HOME": ".local/share",
    "XDG_STATE_HOME": ".local/state",
}


def environment(root: Path | str) -> dict[str, str]:
    """The variables that put every tool's state under ``root`` (nothing is created here)."""
    root = Path(root)
    return {name: str(root / folder) for name, folder in STATE_FOLDERS.items()} | FIXED


def home_environment(home: Path | str) -> dict[str, str]:
    """The variables of a run whose home is ``home``: ``HOME``, the XDG folders and every tool's state under it."""
    home = Path(home)
    folders = {name: str(home / folder) for name, folder in HOME_FOLDERS.items()}
    return {"HOME": str(home), **folders, **environment(home / ".course-tools")}


@contextmanager
def scratch_home(prefix: str = "penguins-home-") -> Iterator[dict[str, str]]:
    """Create an empty home folder; yield its variables (:func:`home_environment`); delete it afterwards."""
    home = Path(tempfile.mkdtemp(prefix=prefix)).resolve()
    try:
        yield home_environment(home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run(command: list[str]) -> int:
    """Run ``command`` with a scratch home and return its exit code (the home is deleted afterwards)."""
    with scratch_home() as variables:
        return subprocess.run(command, env=os.environ | variables, check=False).returncode


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python -m lib.course.toolstate COMMAND [ARGS...]  (runs COMMAND with a new, empty home)")
    sys.exit(run(sys.argv[1:]))
