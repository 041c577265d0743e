"""A scratch copy of the project: every file Git tracks or would track, in a new Git repository.

The test session and the benchmarks run the pipeline in such a copy, so they never
touch the learner's working tree. Standard library only, and no ``lib.paths``:
the test session copies the project before it tells ``lib.paths`` where the copy is.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

GIT_IDENTITY = ["-c", "user.name=Course Tests", "-c", "user.email=tests@example.invalid"]
SKIPPED = {".git", ".venv", "mlruns", "__pycache__", ".pytest_cache", "cache", "tmp"}


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


def commit_all(root: Path, message: str) -> None:
    """Make ``root`` a Git repository holding all its files in one commit (DVC needs one).

    Raises ``RuntimeError`` with Git's output if a step fails.
    """
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", *GIT_IDENTITY, "commit", "-qm", message]):
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed in {root}:\n{done.stdout}{done.stderr}")
