"""lib.course.lessons.demo_repo: the scratch repository runs real commands and gives the same hashes every time."""

import pytest

from lib.course.lessons.demo_repo import CommandFailed, DemoRepo


def _history(repo: DemoRepo) -> str:
    repo.write("a.txt", "one\n")
    repo.run("git init -b main")
    repo.run("git add a.txt")
    repo.run("git commit -m first")
    return repo.run("git log --format=%H")


def test_commit_hashes_are_reproducible():
    """Fixed identity and dates: two repositories built the same way have the same hashes."""
    first, second = DemoRepo.create(), DemoRepo.create()
    try:
        assert _history(first) == _history(second)
        assert first.root != second.root
    finally:
        first.cleanup()
        second.cleanup()


def test_show_prints_prompt_and_output(capsys):
    """show() looks like a terminal: '$ command' then what it printed."""
    repo = DemoRepo.create()
    try:
        repo.show("git init -b main")
        out = capsys.readouterr().out
        assert out.startswith("$ git init -b main\nInitialized empty Git repository")
        repo.write("notes.md", "hello\n")
        repo.show_file("notes.md")
        assert capsys.readouterr().out == "$ cat notes.md\nhello\n"
    finally:
        repo.cleanup()


def test_failure_raises_with_the_output():
    """A failing command raises with its exit code and message, instead of printing on."""
    repo = DemoRepo.create()
    try:
        with pytest.raises(CommandFailed, match="exited with 128"):
            repo.run("git log")
    finally:
        repo.cleanup()
    assert not repo.base.exists()


def test_dvc_runs_without_analytics_or_colour():
    """DVC commands run with analytics off and no spinner codes in the output."""
    repo = DemoRepo.create()
    try:
        repo.run("git init -b main")
        repo.run("dvc init -q")
        repo.write("data.csv", "a,b\n1,2\n")
        output = repo.run("dvc add data.csv")
        assert "\x1b" not in output
        assert (repo.root / "data.csv.dvc").is_file()
    finally:
        repo.cleanup()


def test_a_clone_gets_the_code_and_pulls_the_data_from_the_remote(capsys):
    """A fresh clone of origin has the pointer but not the data; dvc pull fetches it from the DVC remote."""
    repo = DemoRepo.create()
    try:
        repo.write("data/a.csv", "x\n1\n")
        for command in (
            "git init -q -b main",
            "git init -q --bare -b main ../github.git",
            "git remote add origin ../github.git",
            "dvc init -q",
            "dvc config core.analytics false",
            "dvc add -q data/a.csv",
            "dvc remote add -d storage ../remote",
            "git add -A",
            "git commit -q -m data",
            "dvc push",
            "git push -q origin main",
        ):
            repo.run(command)
        laptop = repo.clone("laptop")
        assert not (laptop.root / "data/a.csv").exists() and (laptop.root / "data/a.csv.dvc").exists()
        assert "1 file fetched" in laptop.run("dvc pull")
        assert (laptop.root / "data/a.csv").read_text() == "x\n1\n"
        laptop.show_listing("data")
        assert capsys.readouterr().out == "$ ls data\na.csv\na.csv.dvc\n"
    finally:
        repo.cleanup()
