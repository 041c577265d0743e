"""The markers that 'make test-fast' selects on are set before pytest's -m option reads them."""

import re
import shutil
import subprocess
import sys

from tests import sandbox


def test_the_fast_subset_leaves_out_what_needs_the_pipeline_or_a_server():
    """'-m "not pipeline and not slow"' drops tests using 'project', notebooks and slow servers, keeps unit tests."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:nbval", "-o", "addopts="]
        + ["-m", "not pipeline and not slow", "tests/api", "tests/team", "tests/unit/test_schema.py"],
        cwd=sandbox.WORKTREE,
        capture_output=True,
        text=True,
        check=False,
        env=sandbox.tool_env(),
    )
    selected = [line for line in done.stdout.splitlines() if "::" in line]
    assert any("tests/unit/test_schema.py::" in line for line in selected), done.stdout[-2000:]
    assert any("test_endpoints.py::" in line for line in selected)  # the API through TestClient
    assert not any("test_registry_source_serves_the_same_model" in line for line in selected)  # uses 'project'
    assert not any("test_load.py" in line or "test_stack.py" in line for line in selected)  # slow servers


def test_xdist_workers_share_the_copy_and_refuse_what_needs_the_pipeline():
    """Under pytest-xdist (make test-fast) a unit test runs; a test that needs the pipeline fails, saying to drop -n.

    The pipeline is built once per session, by one process: a worker that built its own
    would race the other for both cores, and one that trusted an unbuilt copy would fail
    somewhere far from the cause.
    """
    env = {key: value for key, value in sandbox.tool_env().items() if key != sandbox.ROOT_ENV_VAR}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "1", "-p", "no:nbval", "-p", "no:cacheprovider", "-o", "addopts="]
        + ["tests/unit/test_schema.py", "tests/project/test_pipeline.py::test_second_repro_has_nothing_to_do"],
        cwd=sandbox.WORKTREE,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    kept = re.search(r"pipeline sandbox kept for inspection: (\S+)", done.stdout)
    if kept:  # the red run keeps its copy of the project; this one is of no interest
        shutil.rmtree(kept.group(1), ignore_errors=True)
    assert done.returncode == 1, done.stdout[-3000:]
    unit_tests = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:nbval", "-o", "addopts="]
        + ["tests/unit/test_schema.py"],
        cwd=sandbox.WORKTREE,
        capture_output=True,
        text=True,
        check=False,
        env=sandbox.tool_env(),
    ).stdout.count("::")  # however many tests that file holds today
    assert re.search(rf"\b{unit_tests} passed, 1 error\b", done.stdout), done.stdout[-3000:]
    assert "needs the pipeline, which is built once per session, by one process" in done.stdout
    assert "without pytest-xdist's -n" in done.stdout
    assert kept, "the controller made the copy the workers used"
