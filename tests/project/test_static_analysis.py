"""Static analysis gates: zero ruff findings on the code and on the notebooks."""

from lib import quality
from tests.sandbox import WORKTREE


def test_ruff_finds_nothing_in_the_code():
    """ruff, with the rules of pyproject.toml, on lib/, tests/, exercises/, benchmarks/ and conftest.py."""
    targets = [WORKTREE / d for d in ("lib", "tests", "exercises", "benchmarks", "conftest.py")]
    findings = quality.ruff_findings(targets, cwd=WORKTREE)
    assert findings == []


def test_ruff_finds_nothing_in_the_notebooks():
    """ruff on every lesson's code cells, through nbqa."""
    assert quality.nbqa_ruff_findings(WORKTREE / "notebooks", cwd=WORKTREE) == []
