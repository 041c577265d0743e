"""The session's pipeline is built once, by one process, and every process that needs it waits for it.

``make test`` runs two pytest-xdist workers beside the build; here small commands stand in for the
pipeline (tests.sandbox.build runs the course's when given none), in real background processes.
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict

import pytest

from tests import sandbox

pytestmark = pytest.mark.slow  # each test starts Python processes of a second or more


def copy_of(tmp_path, command) -> tuple[sandbox.Sandbox, list[sandbox.Sandbox]]:
    """A 'copy' folder with its build folder; the session's process and two workers over it."""
    root = tmp_path / "copy"
    root.mkdir()
    sandbox.build_folder(root).mkdir()
    own = sandbox.Sandbox(root=root, owned=True, command=command)
    workers = [sandbox.Sandbox(root=root, owned=False, in_worker=True, command=command) for _ in range(2)]
    return own, workers


def counting(seconds: float, code: int = 0) -> list[str]:
    """A build that takes ``seconds``, adds one line to ``builds`` in the copy, says so and exits ``code``."""
    script = (
        f"import pathlib, sys, time; time.sleep({seconds}); "
        "pathlib.Path('builds').open('a').write('built\\n'); print('the build ran'); "
        f"sys.exit({code})"
    )
    return [sys.executable, "-c", script]


def test_three_processes_wait_for_one_build(tmp_path):
    """The session's process and two workers ask at once: one build runs, all three get its result and output."""
    own, workers = copy_of(tmp_path, counting(1.0))
    errors = []

    def ensure(box):
        try:
            box.ensure_pipeline()
        except RuntimeError as error:  # pragma: no cover - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=ensure, args=(box,)) for box in (own, *workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert (own.root / "builds").read_text() == "built\n"
    for box in (own, *workers):
        assert box.built and box.failure is None
        assert "the build ran" in box.repro_output
        assert box.repro_seconds >= 1.0


def test_a_failed_build_fails_every_process_that_needs_it(tmp_path):
    """Exit 3: each process raises with the build's output, and again on the next test that asks."""
    own, workers = copy_of(tmp_path, counting(0.0, code=3))
    for box in (own, *workers):
        for _ in range(2):
            with pytest.raises(RuntimeError, match="dvc repro failed in the sandbox") as raised:
                box.ensure_pipeline()
            assert "the build ran" in str(raised.value)
    assert (own.root / "builds").read_text() == "built\n"


def test_a_build_killed_without_a_result_is_reported_not_waited_for(tmp_path):
    """SIGKILL (no status.json): the process that started the build and one that did not both say so at once."""
    own, (worker, _) = copy_of(tmp_path, counting(60.0))
    worker.start_pipeline()
    pid = int((own.build_folder / "pid").read_text())
    time.sleep(0.5)
    assert not own._build_died()  # pylint: disable=protected-access  # alive: its lock is held
    os.killpg(pid, signal.SIGKILL)
    for box in (own, worker):
        started = time.monotonic()
        for _ in range(2):  # and again for the next test that needs the pipeline
            with pytest.raises(RuntimeError, match="stopped without a result"):
                box.ensure_pipeline()
        assert time.monotonic() - started < 10


def test_stop_ends_a_running_build_whoever_started_it(tmp_path):
    """A worker started the build; the session's process, at its end, stops the build's whole process group."""
    own, (worker, _) = copy_of(tmp_path, counting(60.0))
    worker.start_pipeline()
    pid = int((own.build_folder / "pid").read_text())
    time.sleep(0.5)
    own.stop_pipeline()
    worker._background.wait(timeout=10)  # pylint: disable=protected-access  # reaped by the process that started it
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    assert not (own.root / "builds").exists()


def test_a_preset_project_is_never_built(tmp_path, monkeypatch):
    """$PENGUINS_PROJECT_ROOT set (a lesson's own pytest run): the project is used as it is, no build is claimed."""
    monkeypatch.setenv(sandbox.ROOT_ENV_VAR, str(tmp_path))
    box = sandbox.configure()
    box.ensure_pipeline()
    assert box.built and not box.owned and box.root == tmp_path.resolve()
    assert not sandbox.build_folder(box.root).exists()


def test_worktree_changes_name_every_file_added_changed_or_put_back(tmp_path):
    """The end-of-session check: a new file, a changed one and a changed one changed again are named."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    (tmp_path / "a.txt").write_text("a\n")
    (tmp_path / "b.txt").write_text("b\n")
    subprocess.run([*git, "-C", str(tmp_path), "add", "."], check=True)
    subprocess.run([*git, "-C", str(tmp_path), "commit", "--quiet", "-m", "start"], check=True)
    (tmp_path / "b.txt").write_text("b, edited before the session\n")
    before = sandbox.worktree_state(tmp_path)
    assert sandbox.worktree_changes(before, sandbox.worktree_state(tmp_path)) == []
    (tmp_path / "a.txt").write_text("a, changed by a test\n")
    (tmp_path / "b.txt").write_text("b, changed again by a test\n")
    (tmp_path / "new.txt").write_text("left behind\n")
    assert sandbox.worktree_changes(before, sandbox.worktree_state(tmp_path)) == [
        " M a.txt",
        " M b.txt",
        "?? new.txt",
    ]


def test_make_tests_groups_each_stay_on_one_worker(project):
    """make test's distribution: the pipeline's tests on one worker, first; a module's shared fixture on one.

    pytest-xdist 3.8 under pytest 9.2 ignores its own groups (conftest.py's _name_groups): without
    them this run spreads each group over both workers.
    """
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "--no-loadscope-reorder", "-v"]
        + ["-p", "no:nbval", "-p", "no:cacheprovider", "-o", "addopts="]
        + ["tests/unit/test_schema.py", "tests/unit/test_energy.py", "tests/model/test_performance.py"],
        cwd=sandbox.WORKTREE,
        capture_output=True,
        text=True,
        check=False,
        env=sandbox.tool_env({sandbox.ROOT_ENV_VAR: str(project.root)}),  # the session's pipeline, built
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    ran = re.findall(r"^\[(gw\d)\] \[ *\d+%\] PASSED (\S+)", done.stdout, flags=re.MULTILINE)
    workers = defaultdict(set)
    for worker, nodeid in ran:
        workers[nodeid.rpartition("@")[2] if "@" in nodeid else nodeid].add(worker)
    assert len(workers["pipeline"]) == 1 and len(workers["tests/unit/test_energy.py"]) == 1, ran
    schema = [nodeid for _, nodeid in ran if nodeid.startswith("tests/unit/test_schema.py::")]
    assert schema and not any("@" in nodeid for nodeid in schema), ran  # no shared fixture: no group
    pipeline = [nodeid for _, nodeid in ran if nodeid.endswith("@pipeline")]
    assert len(pipeline) >= 4 and all(n.startswith("tests/model/test_performance.py::") for n in pipeline), ran
    first = next(nodeid for worker, nodeid in ran if worker in workers["pipeline"])
    assert first.endswith("@pipeline"), ran  # that worker's first test
