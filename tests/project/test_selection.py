"""The markers that 'make test-fast' selects on are set before pytest's -m option reads them.

How pytest-xdist's workers share the session's one pipeline build: tests/project/test_sandbox.py.
"""

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
