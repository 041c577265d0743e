"""The pipeline sandbox: a scratch copy of the project in which the tests run the pipeline.

``make test`` must pass on a fresh clone and must never touch the working tree.
So the test session copies the project (every file Git tracks or would track)
into a temporary folder, makes it a Git repository, runs the pipeline there (as ``make pipeline``), and
points ``$PENGUINS_PROJECT_ROOT`` at it: ``lib.paths`` in the test process, the
nbval kernels, the API server and every other subprocess then read and write the
copy. When ``$PENGUINS_PROJECT_ROOT`` is already set (a lesson running the model
tests on its own pipeline), that project is used as it is.

The pipeline is built once per session, by one process, beside the copy: the first
process of the session that needs it (the only one, or one of pytest-xdist's workers:
``make test`` runs two) claims the build by creating a file no other can create, and
starts :func:`build` in the background; every process that needs the pipeline waits for
the result that build writes last (``status.json``, in the folder beside the copy).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from lib.course.snapshot import commit_all, copy_project
from lib.paths import ROOT_ENV_VAR
from lib.processes import tool_env

WORKTREE = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT = 1800.0  # seconds a process waits for the session's pipeline before it gives up
__all__ = [
    "ROOT_ENV_VAR",
    "WORKTREE",
    "Sandbox",
    "build",
    "configure",
    "run",
    "tool_env",
    "worker_input",
    "worktree_changes",
    "worktree_state",
]


def run(cmd: list[str], cwd: Path, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run a command in ``cwd`` with the project's tools; return the finished process (output captured)."""
    return subprocess.run(cmd, cwd=cwd, env=tool_env(), capture_output=True, text=True, timeout=timeout, check=False)


def build_folder(root: Path) -> Path:
    """Where the pipeline build of ``root`` keeps its claim, its output and its result: beside the copy."""
    return root.with_name(root.name + ".build")


def build(root: Path, command: list[str] | None = None) -> int:
    """Run the pipeline in ``root`` as ``make pipeline`` runs it, then ``dvc repro`` once more; record both.

    ``command`` replaces the pipeline (the tests of this module use a small one). The result,
    ``status.json`` (exit code and seconds), is written last and atomically, also after an error
    or SIGTERM (``stop_pipeline``): a build stopped before its end records a failure. A build killed
    outright writes nothing; the processes waiting for it see the lock it held released (see
    :meth:`Sandbox.start_pipeline`).
    """
    folder = build_folder(root)
    started = time.perf_counter()
    code, finished = 1, False
    try:
        with (folder / "log").open("w", encoding="utf-8") as log:
            code = subprocess.run(
                command or [sys.executable, "-m", "lib.course.repro"],  # independent stages side by side
                cwd=root,
                env=tool_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            ).returncode
        if code == 0 and command is None:
            second = run(["dvc", "repro"], root)
            (folder / "second.log").write_text(second.stdout + second.stderr, encoding="utf-8")
        finished = True
    finally:
        partial = folder / "status.json.partial"
        result = {"code": code if finished else code or 1, "seconds": round(time.perf_counter() - started, 1)}
        partial.write_text(json.dumps(result))
        partial.replace(folder / "status.json")
    return code


@dataclass
class Sandbox:
    """A project root for the test session, and the record of the pipeline run in it."""

    root: Path
    owned: bool
    built: bool = False
    in_worker: bool = False  # a pytest-xdist worker, using the controller's copy
    command: list[str] | None = None  # what builds the pipeline: None for the course's (see build)
    repro_seconds: float | None = None
    repro_output: str = ""
    second_repro_output: str = ""
    failure: str | None = field(default=None, repr=False)
    _background: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def build_folder(self) -> Path:
        """The folder beside the copy where its pipeline build is claimed, logged and concluded."""
        return build_folder(self.root)

    def start_pipeline(self) -> None:
        """Start building the pipeline in the background unless a process of this session has.

        The tests that need no pipeline (unit tests, the API through TestClient, the lint
        gates) run meanwhile; :meth:`ensure_pipeline` waits for it. The build is claimed by
        creating ``claim`` beside the copy (``O_EXCL``: of two processes, one succeeds), and
        runs in a session of its own, so :meth:`stop_pipeline` can stop all of it.
        """
        if self.built or not self.owned and not self.in_worker:
            return
        try:
            os.close(os.open(self.build_folder / "claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return  # another process of the session builds it
        command = [sys.executable, "-m", "tests.sandbox", str(self.root)]
        if self.command:
            command += ["--", *self.command]
        # The build holds an exclusive lock on ``lock`` for as long as it lives, taken here before it
        # starts and handed over: when it dies, however it dies, the lock is free, and a process
        # waiting for status.json knows it will never come (the build's own processes do not inherit it).
        lock = os.open(self.build_folder / "lock", os.O_CREAT | os.O_RDWR)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with (self.build_folder / "builder.err").open("w", encoding="utf-8") as errors:
                self._background = subprocess.Popen(
                    command,
                    cwd=WORKTREE,  # where ``tests`` is; build() runs the pipeline in the copy
                    env=tool_env(),
                    stdout=subprocess.DEVNULL,
                    stderr=errors,
                    start_new_session=True,
                    pass_fds=(lock,),
                )
            (self.build_folder / "pid").write_text(str(self._background.pid))
        finally:
            os.close(lock)  # the build keeps its copy, and the lock with it

    def _wait_for_build(self) -> dict:
        """Wait for the build's ``status.json``; raise if it never comes."""
        status = self.build_folder / "status.json"
        deadline = time.monotonic() + BUILD_TIMEOUT
        while not status.exists():
            if self._build_died() and not status.exists():  # it died without its result
                errors = (self.build_folder / "builder.err").read_text(encoding="utf-8", errors="replace")
                raise RuntimeError(f"the pipeline build in {self.root} stopped without a result:\n{errors[-4000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no pipeline build in {self.root} finished within {BUILD_TIMEOUT:.0f} s")
            time.sleep(0.25)
        return json.loads(status.read_text())

    def _build_died(self) -> bool:
        """Whether the build has ended: its lock is free (it was held from before its start: see start_pipeline)."""
        if not (self.build_folder / "pid").exists():
            return False  # not started yet, or starting: its lock is taken before the pid is written
        lock = os.open(self.build_folder / "lock", os.O_RDWR)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(lock)  # closing releases the lock, if this took it
        return True

    def ensure_pipeline(self) -> None:
        """Start the pipeline's build (unless a process of the session has) and wait for it; raise if it failed."""
        if self.built:
            if self.failure:
                raise RuntimeError(self.failure)
            return
        self.start_pipeline()  # unless this session has started it already
        self.built = True
        try:
            result = self._wait_for_build()
        except RuntimeError as error:
            self.failure = str(error)  # every later test that needs the pipeline fails with it too
            raise
        self.repro_seconds = result["seconds"]
        self.repro_output = (self.build_folder / "log").read_text(encoding="utf-8", errors="replace")
        second = self.build_folder / "second.log"
        self.second_repro_output = second.read_text(encoding="utf-8") if second.exists() else ""
        if result["code"]:
            self.failure = f"dvc repro failed in the sandbox {self.root}:\n{self.repro_output[-6000:]}"
            raise RuntimeError(self.failure)

    def stop_pipeline(self) -> None:
        """Stop a build that is still running (a session ended early, by -x or Ctrl-C), whoever started it."""
        pid_file = self.build_folder / "pid"
        if not pid_file.exists() or self._build_died():
            return
        pid = int(pid_file.read_text())
        for sig, wait in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if self._build_died():
                    return
                time.sleep(0.2)

    def cleanup(self) -> None:
        """Delete the sandbox, and its build's folder, if this session made it."""
        if self.owned:
            shutil.rmtree(self.root, ignore_errors=True)
            shutil.rmtree(self.build_folder, ignore_errors=True)


def configure(worker_input: dict | None = None) -> Sandbox:
    """Choose the session's project root, export it in ``$PENGUINS_PROJECT_ROOT`` and fill it.

    Unless the root is preset, the project is copied and committed to a new Git
    repository at once (about a second); the pipeline is built on first need.
    ``lib.paths`` reads the variable at each use, so it follows at once. A pytest-xdist worker gets the
    controller's root, and whether it is the session's own copy, in ``worker_input``
    (see :func:`worker_input`).
    """
    if worker_input and "penguins_root" in worker_input:
        root = worker_input["penguins_root"]
        os.environ[ROOT_ENV_VAR] = root
        owned = worker_input["penguins_owned"]
        return Sandbox(root=Path(root), owned=False, built=not owned, in_worker=owned)
    preset = os.environ.get(ROOT_ENV_VAR)
    if preset:
        return Sandbox(root=Path(preset).resolve(), owned=False, built=True)
    root = Path(tempfile.mkdtemp(prefix="penguins-pipeline-")).resolve()
    build_folder(root).mkdir()
    os.environ[ROOT_ENV_VAR] = str(root)
    copy_project(WORKTREE, root)
    commit_all(root, "sandbox")
    return Sandbox(root=root, owned=True)


def worker_input(box: Sandbox) -> dict:
    """What a pytest-xdist worker needs to know of the controller's sandbox: where, and whether to build it."""
    return {"penguins_root": str(box.root), "penguins_owned": box.owned}


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


def worktree_changes(before: dict[str, str] | None, after: dict[str, str] | None) -> list[str]:
    """The ``git status`` entries added, gone or whose file's content changed between two states."""
    before, after = before or {}, after or {}
    return sorted(entry for entry in before.keys() | after.keys() if before.get(entry) != after.get(entry))


def _stop(signum, _frame):
    """SIGTERM (stop_pipeline) ends the build through its ``finally``: the run's process killed, the result written."""
    raise SystemExit(128 + signum)


if __name__ == "__main__":  # python -m tests.sandbox ROOT [-- COMMAND...]: the background build
    signal.signal(signal.SIGTERM, _stop)
    arguments = sys.argv[1:]
    sys.exit(build(Path(arguments[0]), arguments[2:] if arguments[1:2] == ["--"] else None))
