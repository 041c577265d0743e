"""Static analysis gates: zero ruff findings on the code and on the notebooks."""

from lib import quality
from tests.sandbox import WORKTREE


def test_ruff_finds_nothing_in_lib_and_tests():
    """ruff, with the rules of pyproject.toml, on lib/, tests/ and conftest.py."""
    findings = quality.ruff_findings([WORKTREE / "lib", WORKTREE / "tests", WORKTREE / "conftest.py"], cwd=WORKTREE)
    assert findings == []


def test_ruff_finds_nothing_in_the_notebooks():
    """ruff on every lesson's code cells, through nbqa."""
    assert quality.nbqa_ruff_findings(WORKTREE / "notebooks", cwd=WORKTREE) == []
