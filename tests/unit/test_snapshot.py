"""lib.course.snapshot: a copy holds exactly what Git tracks or would track, and is a committed repository."""

import subprocess

from lib.course import snapshot


def test_copy_takes_tracked_and_new_files_but_not_ignored_ones(tmp_path):
    """Tracked and untracked-but-not-ignored files are copied; ignored ones (data, venv) are not."""
    source, copy = tmp_path / "project", tmp_path / "copy"
    (source / "lib").mkdir(parents=True)
    (source / "lib" / "a.py").write_text("x = 1\n")
    (source / ".gitignore").write_text("data/\n")
    (source / "data").mkdir()
    (source / "data" / "big.csv").write_text("1\n")
    snapshot.commit_all(source, "start")
    (source / "new.md").write_text("not committed yet\n")
    assert snapshot.copy_project(source, copy) == 3
    assert sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file()) == [
        ".gitignore",
        "lib/a.py",
        "new.md",
    ]
    snapshot.commit_all(copy, "copy")
    log = subprocess.run(["git", "log", "--format=%s"], cwd=copy, capture_output=True, text=True, check=True)
    assert log.stdout.strip() == "copy"
