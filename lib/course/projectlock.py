"""A new project's lock: the course's own ``requirements.lock``, narrowed to what the project needs.

A team's project starts with the versions the course was last tested with, offline: no resolver runs.
The project's requirements (``pyproject.toml``: its dependencies and the ``dev`` extra) are followed
through the metadata of the packages installed here, every platform's branches included (a Windows-only
dependency stays in), and the course's lock keeps the lines of the packages reached, markers and all.
The project's ``make lock`` re-resolves its own lock when the team wants newer versions.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from lib import paths

HEADER = """# The MLOps course's requirements.lock, narrowed to this project's requirements (pyproject.toml:
# the dependencies and the dev extra) when the project was made: the versions the course was tested with.
# `make lock` re-resolves it from pyproject.toml (uv pip compile --universal).
"""


def canonical(name: str) -> str:
    """A distribution's name as indexes compare it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_lines(text: str) -> dict[str, list[str]]:
    """Each locked package's lines (``name==version`` and its markers: one per Python or platform where the
    universal lock pins different versions), by canonical name."""
    lines: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            lines.setdefault(canonical(re.split(r"[=<>!~; \[]", line, maxsplit=1)[0]), []).append(line)
    return lines


def project_requirements(pyproject: Path) -> list[Requirement]:
    """The project's own requirements: its dependencies and its ``dev`` extra."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return [Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["dev"]]]


def wanted(requirement: Requirement, extras: set[str]) -> bool:
    """Whether a dependency is needed on some platform: markers other than extras count as possibly true."""
    marker = str(requirement.marker or "")
    if "extra" not in marker:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in extras) if requirement.marker else True


def closure(roots: list[Requirement]) -> set[str]:
    """Every distribution the roots reach, following the installed packages' metadata."""
    seen: set[str] = set()
    visited: set[tuple[str, frozenset[str]]] = set()
    todo = [(r.name, frozenset(r.extras)) for r in roots]
    while todo:
        name, extras = todo.pop()
        if (canonical(name), extras) in visited:
            continue
        visited.add((canonical(name), extras))
        seen.add(canonical(name))
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            if wanted(requirement, set(extras) | {""}):
                todo.append((requirement.name, frozenset(requirement.extras)))
    return seen


def narrowed(project: Path, course_lock: Path | None = None) -> str:
    """The text of the project's lock."""
    locked = lock_lines((course_lock or paths.project_root() / "requirements.lock").read_text(encoding="utf-8"))
    needed = closure(project_requirements(project / "pyproject.toml"))
    return HEADER + "".join(f"{line}\n" for name in sorted(needed) if name in locked for line in locked[name])


def write(project: Path) -> Path:
    """Write ``project/requirements.lock``."""
    destination = project / "requirements.lock"
    destination.write_text(narrowed(project), encoding="utf-8")
    return destination
