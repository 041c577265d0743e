"""When a lesson last ran, and with which versions of the tools it teaches.

A lesson's last cell prints :func:`line` (``last verified 2026-12-07 with Python 3.11.7: dvc 3.66.1,
...``), as the ``watermark`` extension does at the end of many notebooks; the course map on the site
and in README shows it (:mod:`lib.course.site.course` reads it back with :func:`read`), and
``tests/unit/test_verified.py`` checks each saved line against ``requirements.lock``. A tool that is a
program rather than a Python package (Prometheus, Git) is asked for its version.
"""

from __future__ import annotations

import datetime
import json
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

PATTERN = re.compile(r"^last verified (\d{4}-\d\d-\d\d) with Python (\S+): (.+)$", re.MULTILINE)
# Programs a lesson teaches that are not Python packages: how each says its version.
PROGRAMS = {"prometheus": re.compile(r"prometheus, version (\S+)"), "git": re.compile(r"git version (\S+)")}
MISSING = "not-installed"


@dataclass(frozen=True)
class Verified:
    """A lesson's last run: its date, the Python it ran on, and each taught tool's version then."""

    date: datetime.date
    python: str
    tools: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} with Python {self.python}: " + ", ".join(
            f"{name} {version}" for name, version in self.tools
        )


def version(tool: str) -> str:
    """The installed version of ``tool``: a Python distribution's, or a program's own ``--version``.

    ``not-installed`` when it is missing, ``unknown`` when a program does not say (one word either way,
    so that the line reads back).
    """
    if tool in PROGRAMS:
        program = shutil.which(tool)
        if program is None:
            return MISSING
        out = subprocess.run([program, "--version"], capture_output=True, text=True, check=False, timeout=30)
        found = PROGRAMS[tool].search(out.stdout + out.stderr)
        return found.group(1) if found else "unknown"
    try:
        return metadata.version(tool)
    except metadata.PackageNotFoundError:
        return MISSING


def line(tools: list[str], today: datetime.date | None = None) -> str:
    """The line a lesson's last cell prints: today's date, this Python, each of ``tools`` with its version."""
    day = today or datetime.date.today()
    found = ", ".join(f"{tool} {version(tool)}" for tool in tools)
    return f"last verified {day.isoformat()} with Python {platform.python_version()}: {found}"


def parse(text: str) -> Verified | None:
    """The last "last verified" line in ``text``, or None when there is none."""
    matches = PATTERN.findall(text)
    if not matches:
        return None
    day, python, listed = matches[-1]
    tools = tuple(tuple(item.strip().rsplit(" ", 1)) for item in listed.split(", "))
    return Verified(datetime.date.fromisoformat(day), python, tools)


def read(notebook: Path) -> Verified | None:
    """What a lesson's saved outputs say of its last run (its last code cell's printed text)."""
    return from_cells(json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"])


def from_cells(cells: list[dict]) -> Verified | None:
    """:func:`read` on a lesson's cells already loaded (its JSON's ``cells``)."""
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    if not code:
        return None
    printed = "".join("".join(output.get("text", "")) for output in code[-1].get("outputs", []))
    return parse(printed)
