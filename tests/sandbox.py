"""The pipeline sandbox: a scratch copy of the project in which the tests run the pipeline.

``make test`` must pass on a fresh clone and must never touch the working tree.
So the test session copies the project (every file Git tracks or would track)
into a temporary folder, makes it a Git repository, runs the pipeline there (as ``make pipeline``), and
points ``$PENGUINS_PROJECT_ROOT`` at it: ``lib.paths`` in the test process, the
nbval kernels, the API server and every other subprocess then read and write the
copy. When ``$PENGUINS_PROJECT_ROOT`` is already set (a lesson running the model
tests on its own pipeline), that project is used as it is.

Under pytest-xdist (``make test-fast`` runs ``-n 2``) the workers share the
controller's copy. The pipeline is built once, by one process, so a worker
refuses the tests that need it: those run without ``-n`` (``make test``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from lib.course.snapshot import commit_all, copy_project
from lib.paths import ROOT_ENV_VAR
from lib.processes import tool_env

WORKTREE = Path(__file__).resolve().parents[1]
__all__ = ["ROOT_ENV_VAR", "WORKTREE", "Sandbox", "configure", "run", "tool_env", "worker_input", "worktree_state"]


def run(cmd: list[str], cwd: Path, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run a command in ``cwd`` with the project's tools; return the finished process (output captured)."""
    return subprocess.run(cmd, cwd=cwd, env=tool_env(), capture_output=True, text=True, timeout=timeout, check=False)


@dataclass
class Sandbox:
    """A project root for the test session, and the record of the pipeline run in it."""

    root: Path
    owned: bool
    built: bool = False
    in_worker: bool = False  # a pytest-xdist worker, using the controller's copy
    repro_seconds: float | None = None
    repro_output: str = ""
    second_repro_output: str = ""
    failure: str | None = field(default=None, repr=False)
    _background: subprocess.Popen | None = field(default=None, repr=False)
    _log: IO[str] | None = field(default=None, repr=False)
    _started: float = field(default=0.0, repr=False)

    def start_pipeline(self) -> None:
        """Start the first ``dvc repro`` in the background, so tests that do not need it run meanwhile.

        The pipeline runs as ``make pipeline`` runs it (``lib.course.repro``: the stages after
        ``train`` side by side); the tests that need no pipeline (unit tests, the API through
        TestClient, the lint gates) run beside it. :meth:`ensure_pipeline` waits for it.
        """
        if self.built or self._background is not None or self.in_worker:
            return
        self._log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self._started = time.perf_counter()
        self._background = subprocess.Popen(
            [sys.executable, "-m", "lib.course.repro"],  # as make pipeline runs it: independent stages side by side
            cwd=self.root,
            env=tool_env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def ensure_pipeline(self) -> None:
        """Run ``dvc repro`` in the copy (or wait for the background run), then once more; raise if it failed."""
        if self.built:
            if self.failure:
                raise RuntimeError(self.failure)
            return
        if self.in_worker:
            raise RuntimeError(
                "this test needs the pipeline, which is built once per session, by one process; "
                "run it without pytest-xdist's -n (`make test` does), or point $PENGUINS_PROJECT_ROOT "
                "at a project whose pipeline has run"
            )
        self.start_pipeline()  # unless pytest_collection_finish has started it already
        self.built = True
        assert self._background is not None and self._log is not None
        code = self._background.wait(timeout=1800)
        self.repro_seconds = time.perf_counter() - self._started
        self._log.seek(0)
        self.repro_output = self._log.read()
        self._log.close()
        self._background = None
        if code:
            self.failure = f"dvc repro failed in the sandbox {self.root}:\n{self.repro_output[-6000:]}"
            raise RuntimeError(self.failure)
        second = run(["dvc", "repro"], self.root)
        self.second_repro_output = second.stdout + second.stderr

    def stop_pipeline(self) -> None:
        """Stop a background ``dvc repro`` that is still running (a session ended early, by -x or Ctrl-C)."""
        if self._background is not None and self._background.poll() is None:
            os.killpg(self._background.pid, signal.SIGTERM)
            try:
                self._background.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._background.pid, signal.SIGKILL)
                self._background.wait()

    def cleanup(self) -> None:
        """Delete the sandbox if this session made it."""
        if self.owned:
            shutil.rmtree(self.root, ignore_errors=True)


def configure(worker_input: dict | None = None) -> Sandbox:
    """Choose the session's project root, export it in ``$PENGUINS_PROJECT_ROOT`` and fill it.

    Unless the root is preset, the project is copied and committed to a new Git
    repository at once (about a second); the pipeline runs on first need.
    ``lib.paths`` reads the variable at each use, so it follows at once. A pytest-xdist worker gets the
    controller's root and whether its pipeline is built in ``worker_input``
    (see :func:`worker_input`).
    """
    if worker_input and "penguins_root" in worker_input:
        root = worker_input["penguins_root"]
        os.environ[ROOT_ENV_VAR] = root
        return Sandbox(root=Path(root), owned=False, built=worker_input["penguins_built"], in_worker=True)
    preset = os.environ.get(ROOT_ENV_VAR)
    if preset:
        return Sandbox(root=Path(preset).resolve(), owned=False, built=True)
    root = Path(tempfile.mkdtemp(prefix="penguins-pipeline-")).resolve()
    os.environ[ROOT_ENV_VAR] = str(root)
    copy_project(WORKTREE, root)
    commit_all(root, "sandbox")
    return Sandbox(root=root, owned=True)


def worker_input(box: Sandbox) -> dict:
    """What a pytest-xdist worker needs to know of the controller's sandbox."""
    return {"penguins_root": str(box.root), "penguins_built": box.built}


def worktree_state(tree: Path = WORKTREE) -> dict[str, str] | None:
    """Return ``git status --porcelain`` entries and the hash of every changed file, or None outside Git."""
    if not (tree / ".git").exists():
        return None
    status = (
        subprocess.run(
            ["git", "status", "--porcelain", "-z", "--untracked-files=all"],
            cwd=tree,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    state = {}
    for entry in filter(None, status):
        path = tree / entry[3:]
        digest = (
            subprocess.run(
                ["git", "hash-object", str(path)], capture_output=True, text=True, check=False
            ).stdout.strip()
            if path.is_file()
            else "absent"
        )
        state[entry] = digest
    return state
