"""Static analysis gates: zero ruff findings, formatted code, and zero mypy errors on lib/."""

import json
import subprocess
import sys
from pathlib import Path

from lib import processes, quality
from tests.sandbox import WORKTREE

CODE = [WORKTREE / d for d in ("lib", "tests", "exercises", "benchmarks", "conftest.py")]


def test_ruff_finds_nothing_in_the_code():
    """ruff, with the rules of pyproject.toml, on lib/, tests/, exercises/, benchmarks/ and conftest.py."""
    assert quality.ruff_findings(CODE, cwd=WORKTREE) == []


def test_ruff_finds_nothing_in_the_notebooks():
    """ruff on every lesson's code cells, through nbqa."""
    assert quality.nbqa_ruff_findings(WORKTREE / "notebooks", cwd=WORKTREE) == []


def test_the_code_is_formatted():
    """ruff format --check: the code is exactly as 'make format' leaves it."""
    done = subprocess.run(
        [processes.tool("ruff"), "format", "--check", "--no-cache", *map(str, CODE)],
        cwd=WORKTREE,
        capture_output=True,
        text=True,
        check=False,
        env=processes.tool_env(),
    )
    assert done.returncode == 0, f"run 'make format':\n{done.stdout}{done.stderr}"


def test_mypy_finds_nothing_in_lib():
    """mypy, configured in pyproject.toml, type-checks lib/ with zero errors.

    Its cache lives in the environment (``.venv/mypy-cache``), outside the working tree:
    the first run takes about 25 s on 2 cores, later ones a few.
    """
    done = subprocess.run(
        [processes.tool("mypy"), "--cache-dir", str(Path(sys.prefix) / "mypy-cache")],
        cwd=WORKTREE,
        capture_output=True,
        text=True,
        check=False,
        env=processes.tool_env(),
        timeout=600,
    )
    assert done.returncode == 0 and "Success: no issues found" in done.stdout, done.stdout + done.stderr


def test_pylint_finds_nothing_in_lib(project):
    """pylint (configured in pyproject.toml) has no message on lib/: lesson 3.2 shows its 10.00/10.

    The pipeline's quality stage (lesson 3.2) runs pylint on lib/ and records it in reports/quality.json;
    in the session's copy of the project it has just run on this same lib/ (reports/ is not copied, so
    every stage runs). A second run here would cost another minute of CPU (astroid infers into pandas,
    scikit-learn, MLflow...). nbval also compares the lesson's printed line. (On a project given in
    $PENGUINS_PROJECT_ROOT it is that project's last run: its quality stage depends on lib/, not on
    pylint's settings in pyproject.toml.)
    """
    recorded = json.loads((project.root / "reports" / "quality.json").read_text())["pylint"]
    assert recorded == {"messages": 0, "score": 10.0}, (
        f"pylint on lib/ in the pipeline's run: {recorded}; see each message with "
        "'.venv/bin/pylint lib' (or lesson 3.2's executed copy, reports/notebooks/3.2-quality-assurance.ipynb)"
    )
