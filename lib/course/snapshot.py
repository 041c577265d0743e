"""Scratch Git repositories: a copy of the project in a new repository, and the identity to commit with.

The test session and the benchmarks run the pipeline in such a copy, so they never
touch the learner's working tree; :func:`git_env` is the one way the course commits in
a scratch repository (here, in the tests, and in lesson 2.1's exercises through
:class:`lib.course.lessons.demo_repo.DemoRepo`), whatever the user's own Git settings.
Standard library only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SKIPPED = {".git", ".venv", "mlruns", "__pycache__", ".pytest_cache", "cache", "tmp"}


def git_env(
    name: str = "Course Tests", email: str = "tests@example.invalid", date: str | None = None
) -> dict[str, str]:
    """Variables that make Git commit as ``name`` <``email``> (at ``date``, ISO 8601), ignoring the user's Git config.

    A fixed date makes the commit hashes the same on every run; without the user's configuration,
    so are the branch names and the output.
    """
    env = {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    if date is not None:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    return env


def project_files(tree: Path) -> list[Path]:
    """Return the files of ``tree`` that Git tracks or would track (not ignored), relative to it.

    Outside Git, every file except the environment, caches and the MLflow store.
    """
    tree = Path(tree)
    if (tree / ".git").exists():
        listed = (
            subprocess.run(
                ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                cwd=tree,
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .split("\0")
        )
        return sorted({Path(name) for name in listed if name and (tree / name).is_file()})
    return sorted(
        path.relative_to(tree)
        for path in tree.rglob("*")
        if path.is_file() and not SKIPPED.intersection(path.relative_to(tree).parts)
    )


def copy_project(tree: Path, destination: Path) -> int:
    """Copy the project files of ``tree`` into ``destination``; return how many were copied."""
    files = project_files(tree)
    for relative in files:
        target = Path(destination) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(tree) / relative, target)
    return len(files)


def commit_all(root: Path, message: str, allow_empty: bool = False) -> None:
    """Make ``root`` a Git repository holding all its files in one commit (DVC needs one); in a repository
    already, commit every change (``allow_empty``: even when there is none).

    Raises ``RuntimeError`` with Git's output if a step fails.
    """
    env = {**os.environ, **git_env()}
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "commit", "-qm", message, *(["--allow-empty"] if allow_empty else [])],
    ):
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False, env=env)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed in {root}:\n{done.stdout}{done.stderr}")
