"""Each lesson says when it last ran and with what: its last cell prints it, the lock agrees, the map shows it."""

import datetime
import platform
import re
from importlib import metadata

import nbformat
import pytest

from lib.course import breakage, verified
from lib.course.site import course
from tests import lessons
from tests.sandbox import WORKTREE

NOTEBOOK_IDS = [notebook.name for notebook in lessons.NOTEBOOKS]
LOCK = (WORKTREE / "requirements.lock").read_text(encoding="utf-8")


def environment_of(python: str) -> dict[str, str]:
    """The PEP 508 environment of this machine, with the Python a lesson last ran on."""
    return {
        "python_full_version": python,
        "python_version": ".".join(python.split(".")[:2]),
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": platform.machine(),
        "platform_python_implementation": "CPython",
        "implementation_name": "cpython",
        "os_name": "posix",
    }


@pytest.mark.parametrize("notebook", lessons.NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_the_last_cell_prints_when_and_with_what(notebook):
    """The lesson's last cell is code, excluded from nbval's comparison, and its saved output is a verification."""
    cells = lessons.code_cells(notebook)
    last = cells[-1]
    assert "verified.line(" in last.source and "nbval-ignore-output" in last.metadata.get("tags", [])
    assert nbformat.read(notebook, as_version=4).cells[-1].source == last.source, "the verification is the last cell"
    saved = verified.read(notebook)
    assert saved is not None, f"{notebook.name}'s last cell has no saved 'last verified' line: run it (make notebooks)"
    assert saved.date <= datetime.date.today()
    assert (3, 11) <= tuple(int(part) for part in saved.python.split(".")[:2]) <= (3, 13)
    inside = last.source.split("verified.line([", 1)[1].split("])")[0]
    listed = [part.strip().strip("\"'") for part in inside.split(",")]
    assert [name for name, _ in saved.tools] == listed


@pytest.mark.parametrize("notebook", lessons.NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_saved_versions_are_the_locked_ones(notebook):
    """Each taught package's version in the saved line is the one requirements.lock pins for that Python."""
    saved = verified.read(notebook)
    assert saved is not None
    pinned = breakage.lock_versions(LOCK, environment_of(saved.python))
    stale = {
        name: (version, pinned.get(name))
        for name, version in saved.tools
        if name not in verified.PROGRAMS and pinned.get(name) != version
    }
    assert not stale, (
        f"{notebook.name} last ran with {stale} (saved, locked): re-run it (make notebooks, then make pipeline)"
    )


def test_the_line_reads_back():
    """What line() prints, parse() reads: the date, this Python and each installed version, in order."""
    printed = verified.line(["pandas", "dvc"], today=datetime.date(2026, 12, 7))
    assert printed.startswith("last verified 2026-12-07 with Python ")
    read = verified.parse(f"this lesson ran in 3 s\n{printed}\n")
    assert read == verified.Verified(
        datetime.date(2026, 12, 7),
        platform.python_version(),
        (("pandas", metadata.version("pandas")), ("dvc", metadata.version("dvc"))),
    )
    assert verified.parse("this lesson ran in 3 s\n") is None


def test_a_program_is_asked_for_its_version(tmp_path, monkeypatch):
    """Prometheus is no Python package: its own --version answers; a machine without it says so."""
    program = tmp_path / "prometheus"
    program.write_text("#!/bin/sh\necho 'prometheus, version 2.53.4 (branch: HEAD)'\n", encoding="utf-8")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert verified.version("prometheus") == "2.53.4"
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert verified.version("prometheus") == verified.MISSING
    assert verified.version("no-such-distribution") == verified.MISSING
    printed = verified.line(["prometheus", "pandas"], today=datetime.date(2026, 12, 7))
    assert verified.parse(printed).tools[0] == ("prometheus", verified.MISSING)


def test_every_taught_tool_is_verified_by_a_lesson():
    """The instructors' table of taught tools and the lessons' lines place the same packages in the same lessons.

    A tool the table places in a numbered lesson is in that lesson's line, and every package a lesson's line
    names is placed in that lesson by the table. Programs (Prometheus, Git) are aside, as the lock does not pin
    them, and so is JupyterLab, which every lesson runs in and none calls.
    """
    named = {notebook.name[:3]: {name for name, _ in verified.read(notebook).tools} for notebook in lessons.NOTEBOOKS}
    placed: dict[str, set[str]] = {lesson: set() for lesson in named}
    for name, where in course.TAUGHT:
        for lesson in re.findall(r"\b\d\.\d\b", where):
            placed[lesson].add(name)
    for lesson, printed in named.items():
        assert placed[lesson] <= printed, f"{lesson}'s last cell omits {sorted(placed[lesson] - printed)}"
        unplaced = printed - placed[lesson] - set(verified.PROGRAMS)
        assert not unplaced, f"{lesson} prints {sorted(unplaced)}, which the instructors' table does not place there"
    assert {name for name, where in course.TAUGHT if not re.search(r"\d\.\d", where)} == {"jupyterlab", "nbval"}


def test_the_course_map_shows_each_lessons_verification():
    """The site's course map and README's course table carry each lesson's date and versions as its saved output
    printed them (read here with a regular expression of its own, not through lib.course.verified)."""
    found = course.lessons(WORKTREE / "notebooks")
    page = course.course_map(found)
    readme = (WORKTREE / "README.md").read_text(encoding="utf-8")
    for lesson in found:
        cells = nbformat.read(lesson.path, as_version=4).cells
        printed = "".join(output.get("text", "") for output in cells[-1].outputs)
        day, tools = re.search(r"last verified (\S+) with Python \S+: (.+)", printed).groups()
        row = next(line for line in page.splitlines() if f"](notebooks/{lesson.path.name})" in line)
        assert day in row and all(tool in row for tool in tools.split(", ")), row
        rows = [
            row for row in readme.splitlines() if row.startswith("| ") and f"](notebooks/{lesson.path.name})" in row
        ]
        shown = course.last_verified(lesson)
        assert rows and all(row.endswith(f"| {shown} |") for row in rows), (
            "README's course table is behind the lessons: python -m lib.course.site readme"
        )
        assert all(day in row and all(tool in row for tool in tools.split(", ")) for row in rows)
