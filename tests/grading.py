"""Grading a student's answers with the tests of the worked solutions: ``pytest tests/exercises --answers PATH``.

``PATH`` is the ``exercises/`` folder of a student's hand-out (``make handout``). Its modules are
imported as the ``exercises`` package in place of the worked solutions, so every test of
``tests/exercises`` runs on the student's functions. At the end, one line per exercise: done,
not answered (the stub's ``NotImplementedError``), wrong (with the failed check), or an error.
Like the rest of the suite, the tests run on a scratch copy of the project with the pipeline
run in it; ``PENGUINS_PROJECT_ROOT=<a project after make pipeline>`` reuses that one instead.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

EXERCISE = re.compile(r"^\s*(\d\.\d-\d)")
GRADES = pytest.StashKey[dict]()


def pytest_addoption(parser):
    parser.addoption(
        "--answers",
        metavar="PATH",
        default=None,
        help="grade the exercise modules in PATH (a student's exercises/ folder) with tests/exercises",
    )


def pytest_configure(config):
    folder = config.getoption("--answers")
    if folder is None:
        return
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir() or not any(folder.glob("*.py")):
        raise pytest.UsageError(f"--answers {folder}: expected a folder of exercise modules (a hand-out's exercises/)")
    package = types.ModuleType("exercises")
    package.__path__ = [str(folder)]  # the student's modules, imported as exercises.<lesson>
    package.__file__ = str(folder / "__init__.py")
    sys.modules["exercises"] = package
    config.stash[GRADES] = {"folder": folder, "tests": {}, "results": {}}


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected: only the exercises that will run are graded
def pytest_collection_modifyitems(config, items):
    if GRADES not in config.stash:
        return
    for item in items:
        doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
        match = EXERCISE.match(doc)
        if match:
            config.stash[GRADES]["tests"][item.nodeid] = match.group(1)


def pytest_runtest_logreport(report):
    config = getattr(report, "config", None) or _CONFIG.get("config")
    if config is None or GRADES not in config.stash or report.nodeid not in config.stash[GRADES]["tests"]:
        return
    results = config.stash[GRADES]["results"]
    if report.when == "call" or report.failed:
        text = str(report.longrepr or "")
        if report.passed:
            grade = "done"
        elif "NotImplementedError" in text:
            grade = "not answered"
        elif report.when == "call":
            line = next((part for part in text.splitlines() if part.startswith("E ")), "a check failed")
            grade = f"wrong: {line[1:].strip()[:100]}"
        else:
            grade = f"error in {report.when}"
        results.setdefault(report.nodeid, grade)


_CONFIG: dict[str, pytest.Config] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    _CONFIG["config"] = session.config


def pytest_terminal_summary(terminalreporter, config):
    if GRADES not in config.stash:
        return
    grades = config.stash[GRADES]
    terminalreporter.section(f"exercises graded in {grades['folder']}")
    done = 0
    for nodeid, exercise in sorted(grades["tests"].items(), key=lambda pair: (pair[1], pair[0])):
        grade = grades["results"].get(nodeid, "not run")
        done += grade == "done"
        terminalreporter.write_line(f"{exercise}  {nodeid.split('::')[-1]}: {grade}")
    terminalreporter.write_line(f"{done} of {len(grades['tests'])} exercises done")
