"""Running the project's command-line tools from a lesson, with plain, reproducible output.

A Jupyter kernel exports ``FORCE_COLOR=1`` and ``CLICOLOR_FORCE=1``, so every tool
it starts would draw colours and spinners into the saved outputs. :func:`tool_env`
removes them and puts the environment's own ``bin/`` first on ``PATH``, so
``dvc``, ``pytest`` or ``python`` mean the project's locked versions.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

FORCING = ("FORCE_COLOR", "CLICOLOR_FORCE", "CLICOLOR", "PY_COLORS")


def tool_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Return a copy of the environment for a tool: no forced colours, the venv's bin first on PATH."""
    env = {key: value for key, value in os.environ.items() if key not in FORCING}
    bin_dir = str(Path(sys.executable).parent)
    env.update({"PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "NO_COLOR": "1", "TERM": "dumb"})
    env.update(extra or {})
    return env


def tool(name: str) -> str:
    """Return the path of a console script installed beside this interpreter (``pynblint``, ``ruff``, ...)."""
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name
