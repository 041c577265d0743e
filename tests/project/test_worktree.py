"""The test run leaves the working tree as it found it."""

import pytest

from tests import sandbox


@pytest.mark.worktree_check
def test_run_leaves_tracked_files_unchanged(worktree_before):
    """git status, and the content of every changed file, are the same as when the session began."""
    if worktree_before is None:
        pytest.skip("not a Git checkout: nothing to compare")
    assert sandbox.worktree_state() == worktree_before
