"""The environment: one lock, pinned exactly, matching pyproject.toml; conda gives the same."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tests.sandbox import WORKTREE

PYPROJECT = tomllib.loads((WORKTREE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
LOCK_LINE = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)(?:\s*;\s*(.+))?$")


def lock_pins() -> dict[str, list[tuple[str, str | None]]]:
    """Each locked package: its pinned versions (with their markers)."""
    pins: dict[str, list] = {}
    for raw_line in (WORKTREE / "requirements.lock").read_text(encoding="utf-8").splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        match = LOCK_LINE.match(line)
        assert match, f"requirements.lock line is not an exact pin: {line!r}"
        name, version, marker = match.groups()
        pins.setdefault(canonicalize_name(name.split("[")[0]), []).append((version, marker))
    return pins


def declared() -> list[Requirement]:
    reqs = PYPROJECT["dependencies"] + [r for extra in PYPROJECT["optional-dependencies"].values() for r in extra]
    return [Requirement(r) for r in reqs]


def test_lock_pins_every_declared_dependency_within_its_range():
    """Each dependency of pyproject.toml is in the lock, at a version its specifier allows."""
    pins = lock_pins()
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is declared in pyproject.toml but not locked: run 'make lock'"
        for version, marker in pins[name]:
            if marker is None or "3.12" not in marker:
                assert SpecifierSet(str(requirement.specifier)).contains(version, prereleases=True), (
                    f"lock pins {name}=={version}, pyproject.toml asks {requirement}: run 'make lock'"
                )


def test_environment_yml_installs_the_same_environment():
    """conda: a Python that pyproject admits, then the lock and the project through pip."""
    env = yaml.safe_load((WORKTREE / "environment.yml").read_text(encoding="utf-8"))
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    python = next(d for d in conda if d.startswith("python"))
    version = python.split("=", 1)[1]
    assert SpecifierSet(PYPROJECT["requires-python"]).contains(version + ".0"), (python, PYPROJECT["requires-python"])
    assert "pip" in conda
    assert pip == ["-r requirements.lock", "-e ."]


def test_installed_environment_is_consistent():
    """pip check finds no broken or conflicting requirement."""
    done = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("tool", ["pynblint", "dvc", "papermill", "nbqa", "ruff"])
def test_command_line_tools_start(tool):
    """Each tool runs (pynblint crashes at --help when click is too new)."""
    executable = Path(sys.executable).with_name(tool)
    done = subprocess.run([str(executable), "--help"], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
