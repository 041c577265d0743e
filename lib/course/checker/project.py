"""The project under check: where its parts are, how to run its commands, and what a check finds.

A project says where its parts are in ``pyproject.toml``, table ``[tool.check-project]`` (a project made by
``make new-project`` has it filled in); what it does not say takes the defaults below, which are the
template's layout. Its commands run in its own ``.venv`` when it has one (``make setup`` there first),
else in this environment, with every tool's telemetry off.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from lib import TELEMETRY_OFF

MILESTONES = {
    "M1": "Project inception: cards and requirements",
    "M2": "Reproducibility: data and pipeline under DVC, experiments in MLflow",
    "M3": "Quality: tests, the data's suite, energy, notebooks",
    "M4": "Deployment: the API",
    "M5": "Monitoring: metrics and an alert rule",
}
DEFAULTS: dict[str, Any] = {
    "data": "",  # the raw data (a path under DVC)
    "target": "",  # the column the model predicts, left out of the API's request
    "validate": "",  # a command running the team's suite on one CSV: {csv} is its path; exit 0 passes
    "tests": "python -m pytest",
    "api": "",  # what uvicorn serves: module:app
    "api-factory": False,  # true when api names a function that builds the app (uvicorn --factory)
    "health": "/health",
    "predict": "/predict",
    "rows": "data/processed/test.csv",  # rows the API is asked about (the target column is dropped)
    "cards": ["docs/cards/dataset_card.md", "docs/cards/model_card.md"],
    "requirements": "params.yaml:requirements",  # file:key of the requirements, every leaf a number
    "notebooks": "notebooks",
    "mlflow": "",  # a tracking URI; default the project's mlflow.db if it has one, else MLFLOW_TRACKING_URI
}
# What the checker's own environment holds that must not reach a team's commands: another project's root
# and store (MLflow's set_tracking_uri and set_registry_uri write both variables into the environment of
# the process that calls them), this environment's activation, an enclosing make's flags.
LEFT_OUT = {
    "PROJECT_ROOT",
    "PENGUINS_PROJECT_ROOT",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "MLFLOW_TRACKING_URI",
    "MLFLOW_REGISTRY_URI",
    "MAKEFLAGS",
    "MAKELEVEL",
    "MFLAGS",
}
MET, NOT_MET, NOT_CHECKED = "met", "not met", "not checked"
# Folders no search for the project's own files enters.
SKIPPED = {".venv", "venv", ".git", ".dvc", "node_modules", "mlruns", ".ipynb_checkpoints", "site"}


@dataclass
class Finding:
    """One check's outcome: its milestone, what was checked, met or not, and why."""

    milestone: str
    check: str
    status: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        """The finding as JSON writes it."""
        return {"milestone": self.milestone, "check": self.check, "status": self.status, "detail": self.detail}


@dataclass
class Project:
    """A repository to check, its settings, and the interpreter its commands run with."""

    root: Path
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path) -> Project:
        """Read ``[tool.check-project]`` from the project's pyproject.toml, if it has one."""
        root = root.expanduser().resolve()
        if not (root / ".git").exists():
            raise FileNotFoundError(f"{root} is not a Git repository: give the root of the team's checkout")
        pyproject = root / "pyproject.toml"
        table = tomllib.loads(pyproject.read_text(encoding="utf-8")) if pyproject.exists() else {}
        return cls(root, {**DEFAULTS, **table.get("tool", {}).get("check-project", {})})

    @property
    def name(self) -> str:
        """The repository's folder name."""
        return self.root.name

    @property
    def venv(self) -> Path | None:
        """The project's own environment, if it has one."""
        found = self.root / ".venv" / "bin"
        return found if (found / "python").exists() else None

    def env(self) -> dict[str, str]:
        """The environment of the project's commands: its .venv first on PATH, telemetry off, no course paths."""
        env = {k: v for k, v in os.environ.items() if k not in LEFT_OUT}
        env.update(TELEMETRY_OFF)
        bins = [str(self.venv)] if self.venv else []
        env["PATH"] = os.pathsep.join([*bins, str(Path(sys.executable).parent), env.get("PATH", "")])
        env["PYTHONPATH"] = str(self.root)
        return env

    @property
    def python(self) -> str:
        """The interpreter the project's code runs with."""
        return str(self.venv / "python") if self.venv else sys.executable

    def run(self, command: str | list[str], timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        """Run a command in the project's root (a string goes through the shell, as a team writes it)."""
        try:
            return subprocess.run(
                command,
                cwd=self.root,
                env=self.env(),
                shell=isinstance(command, str),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            return subprocess.CompletedProcess(command, 124, "", f"timed out after {error.timeout:.0f} s")

    def files(self, pattern: str, tracked: bool = False) -> list[Path]:
        """The project's files whose name matches a glob: those Git tracks (``tracked``: the team's own
        sources, not what a run left behind), or any outside environments, caches and VCS folders."""
        if tracked:
            listed = self.run(["git", "ls-files", "-z"]).stdout.split("\0")
            return sorted(self.root / name for name in listed if name and fnmatch(Path(name).name, pattern))
        return sorted(
            path
            for path in self.root.rglob(pattern)
            if not SKIPPED.intersection(path.relative_to(self.root).parts) and path.is_file()
        )


def tail(done: subprocess.CompletedProcess[str], lines: int = 3) -> str:
    """The last lines a command printed (stdout and stderr), for a finding's reason."""
    text = "\n".join(part for part in (done.stdout, done.stderr) if part).strip().splitlines()
    return " / ".join(line.strip() for line in text[-lines:]) or f"exit code {done.returncode}"
