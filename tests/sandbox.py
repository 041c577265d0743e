"""The pipeline sandbox: a scratch copy of the project in which the tests run the pipeline.

``make test`` must pass on a fresh clone and must never touch the working tree.
So the test session copies the project (every file Git tracks or would track)
into a temporary folder, makes it a Git repository, runs ``dvc repro`` there, and
points ``$PENGUINS_PROJECT_ROOT`` at it: ``lib.paths`` in the test process, the
nbval kernels, the API server and every other subprocess then read and write the
copy. When ``$PENGUINS_PROJECT_ROOT`` is already set (a lesson running the model
tests on its own pipeline), that project is used as it is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

WORKTREE = Path(__file__).resolve().parents[1]
ROOT_ENV_VAR = "PENGUINS_PROJECT_ROOT"  # the same name lib.paths reads
GIT_IDENTITY = ["-c", "user.name=Course Tests", "-c", "user.email=tests@example.invalid"]


def tool_env() -> dict[str, str]:
    """Return the environment for the project's tools: the venv's bin first on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}


def run(cmd: list[str], cwd: Path, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run a command in ``cwd`` with the project's tools; return the finished process (output captured)."""
    return subprocess.run(
        cmd, cwd=cwd, env=tool_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


def project_files(tree: Path) -> list[Path]:
    """Return the files of ``tree`` that Git tracks or would track (not ignored), relative to it."""
    if (tree / ".git").exists():
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=tree, capture_output=True, check=True,
        ).stdout.decode().split("\0")
        return sorted({Path(name) for name in listed if name and (tree / name).is_file()})
    skip = {".git", ".venv", "mlruns", "__pycache__", ".pytest_cache", "cache", "tmp"}
    return sorted(
        path.relative_to(tree) for path in tree.rglob("*")
        if path.is_file() and not skip.intersection(path.relative_to(tree).parts)
    )


def copy_project(tree: Path, destination: Path) -> int:
    """Copy the project files of ``tree`` into ``destination``; return how many were copied."""
    files = project_files(tree)
    for relative in files:
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(tree / relative, target)
    return len(files)


@dataclass
class Sandbox:
    """A project root for the test session, and the record of the pipeline run in it."""

    root: Path
    owned: bool
    built: bool = False
    repro_seconds: float | None = None
    repro_output: str = ""
    second_repro_output: str = ""
    failure: str | None = field(default=None, repr=False)

    def ensure_pipeline(self) -> None:
        """Run ``dvc repro`` in the copy, once per session, then once more; raise if it failed."""
        if self.built:
            if self.failure:
                raise RuntimeError(self.failure)
            return
        self.built = True
        start = time.perf_counter()
        first = run(["dvc", "repro"], self.root)
        self.repro_seconds = time.perf_counter() - start
        self.repro_output = first.stdout + first.stderr
        if first.returncode:
            self.failure = f"dvc repro failed in the sandbox {self.root}:\n{self.repro_output[-6000:]}"
            raise RuntimeError(self.failure)
        second = run(["dvc", "repro"], self.root)
        self.second_repro_output = second.stdout + second.stderr

    def cleanup(self) -> None:
        """Delete the sandbox if this session made it."""
        if self.owned:
            shutil.rmtree(self.root, ignore_errors=True)


def configure() -> Sandbox:
    """Choose the session's project root, export it in ``$PENGUINS_PROJECT_ROOT`` and fill it.

    Unless the root is preset, the project is copied and committed to a new Git
    repository at once (about a second); the pipeline runs on first need. Must
    run before anything imports ``lib.paths``.
    """
    preset = os.environ.get(ROOT_ENV_VAR)
    if preset:
        return Sandbox(root=Path(preset).resolve(), owned=False, built=True)
    root = Path(tempfile.mkdtemp(prefix="penguins-pipeline-")).resolve()
    os.environ[ROOT_ENV_VAR] = str(root)
    copy_project(WORKTREE, root)
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", *GIT_IDENTITY, "commit", "-qm", "sandbox"]):
        done = run(cmd, root)
        if done.returncode:
            raise RuntimeError(f"{' '.join(cmd)} failed in {root}:\n{done.stdout}{done.stderr}")
    return Sandbox(root=root, owned=True)


def worktree_state(tree: Path = WORKTREE) -> dict[str, str] | None:
    """Return ``git status --porcelain`` entries and the hash of every changed file, or None outside Git."""
    if not (tree / ".git").exists():
        return None
    status = subprocess.run(
        ["git", "status", "--porcelain", "-z", "--untracked-files=all"],
        cwd=tree, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    state = {}
    for entry in filter(None, status):
        path = tree / entry[3:]
        digest = subprocess.run(
            ["git", "hash-object", str(path)], capture_output=True, text=True, check=False
        ).stdout.strip() if path.is_file() else "absent"
        state[entry] = digest
    return state
