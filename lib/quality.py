"""Quality assurance: static analysis of notebooks and code, the test runs, and the quality report.

Pynblint always exits 0, whatever it finds, so a gate must read its JSON report.
:func:`pynblint_report` does that for many notebooks in one run; ``python -m lib.quality NB...``
prints every lint and exits 1 when there is any, for ``make lint`` and pre-commit.
Ruff, nbqa, pylint and pytest are run the same way: as the command-line tools a
developer would run, with their machine-readable output parsed into tables.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

from lib.processes import tool, tool_env


def pynblint_report(notebooks: list[Path] | list[str], timeout: float = 300) -> dict[Path, list[dict]]:
    """Run Pynblint (default settings) once over several notebooks; return each notebook's lints.

    Each lint is a dict with ``slug``, ``description`` and ``recommendation`` (and
    ``cells`` for cell-level lints). Pynblint spends about 3 s starting (importing
    nbconvert) for each run, so the notebooks are copied into a scratch folder and
    linted as one folder: its per-notebook lints are the ones a run on each notebook
    gives. The folder's repository-level lints (version control, dependency files,
    coverage data) describe the scratch folder, not the project, and are dropped.
    Raises ``FileNotFoundError`` for a missing notebook, ``ValueError`` for two
    notebooks with the same name, and ``RuntimeError`` with Pynblint's own output
    when it does not produce a report.
    """
    paths = [Path(notebook) for notebook in notebooks]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist: expected a .ipynb file")
    by_name = {path.name: path for path in paths}
    if len(by_name) != len(paths):
        raise ValueError(f"notebooks must have distinct names to be linted together: {sorted(map(str, paths))}")
    with tempfile.TemporaryDirectory() as tmp:
        folder, report = Path(tmp) / "notebooks", Path(tmp) / "report.json"
        folder.mkdir()
        for path in paths:
            shutil.copyfile(path, folder / path.name)
        result = subprocess.run(
            [tool("pynblint"), str(folder), "--quiet", "--output", str(report), "--yes"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=tool_env(),
        )
        if not report.is_file():
            raise RuntimeError(f"pynblint wrote no report for {sorted(by_name)}:\n{result.stdout}{result.stderr}")
        found = json.loads(report.read_text(encoding="utf-8")).get("notebook_level_lints", [])
    lints = {by_name[entry["notebook_metadata"]["notebook_name"]]: entry.get("lints", []) for entry in found}
    missing = [path.name for path in paths if path not in lints]
    if missing:
        raise RuntimeError(f"pynblint's report has no entry for {missing}")
    return {path: lints[path] for path in paths}


def pynblint_lints(notebook: Path | str, timeout: float = 120) -> list[dict]:
    """Run Pynblint (default settings) on one notebook and return its lints (see :func:`pynblint_report`)."""
    return pynblint_report([Path(notebook)], timeout=timeout)[Path(notebook)]


def ruff_findings(targets: list[Path], cwd: Path) -> list[dict]:
    """Run ``ruff check`` on files or folders; return its findings (code, message, file, line)."""
    result = subprocess.run(
        [tool("ruff"), "check", "--output-format", "json", *map(str, targets)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=tool_env(),
    )
    if result.returncode not in (0, 1):
        raise RuntimeError(f"ruff failed:\n{result.stdout}{result.stderr}")
    return [
        {
            "code": item["code"],
            "message": item["message"],
            "file": _relative(item["filename"], cwd),
            "line": item["location"]["row"],
        }
        for item in json.loads(result.stdout or "[]")
    ]


NBQA_LINE = re.compile(
    r"^(?P<file>[^:]+\.ipynb):(?P<cell>cell_\d+):(?P<line>\d+):\d+: (?P<code>[A-Z]+\d+) (?P<message>.*)$"
)


def nbqa_ruff_findings(notebooks_dir: Path, cwd: Path) -> list[dict]:
    """Run ruff on every notebook through nbqa; return findings located by notebook, cell and line."""
    result = subprocess.run(
        [tool("nbqa"), "ruff", str(notebooks_dir), "--output-format", "concise"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=tool_env(),
    )
    findings = []
    for line in result.stdout.splitlines():
        match = NBQA_LINE.match(line.strip())
        if match:
            findings.append({**match.groupdict(), "file": _relative(match["file"], cwd)})
    if result.returncode not in (0, 1) or (result.returncode == 1 and not findings):
        raise RuntimeError(f"nbqa ruff failed:\n{result.stdout}{result.stderr}")
    return findings


def pylint_report(targets: list[Path], cwd: Path) -> dict:
    """Run pylint; return its score out of 10 and its messages (symbol, message, file, line).

    ``--persistent=n``: the run saves no statistics for a later run to compare with.
    """
    result = subprocess.run(
        [tool("pylint"), "--persistent=n", "--output-format=json2", *map(str, targets)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=tool_env(),
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"pylint gave no JSON report:\n{result.stdout}{result.stderr}") from exc
    return {
        "score": round(float(report["statistics"]["score"]), 2),
        "messages": [
            {"symbol": m["symbol"], "message": m["message"], "file": _relative(m["path"], cwd), "line": m["line"]}
            for m in report["messages"]
        ],
    }


FAMILIES = {
    "test_minimum_functionality": "minimum functionality",
    "test_invariance": "invariance",
    "test_directional": "directional",
    "test_performance_floor": "performance floor",
    "test_island_slice": "per-island slice",
}


def run_pytest(
    target: Path, cwd: Path, env: dict[str, str] | None = None, args: Sequence[str] = (), in_process: bool = False
) -> list[dict]:
    """Run pytest on ``target`` (with extra command-line ``args``, such as ``["-m", "not slow"]``).

    Return one row per test: its family, id, outcome and message. ``in_process``: ``pytest.main`` in
    this process (:func:`_pytest_here`) instead of a new one, for a caller that runs the same tests
    many times and has already imported what they import (a lesson's kernel); inside a running test
    session (a test calling the caller) it is a new process all the same: pytest sessions do not nest.
    """
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        arguments = [
            str(target),
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:nbval",
            "-o",
            "addopts=",
            f"--junitxml={junit}",
            *args,
        ]
        if in_process and "PYTEST_CURRENT_TEST" not in os.environ:  # pytest does not nest: in a test, a new process
            output = _pytest_here([*arguments, f"--rootdir={cwd}"], env or {})
        else:
            result = subprocess.run(
                [sys.executable, "-m", "pytest", *arguments],
                cwd=cwd,
                capture_output=True,
                text=True,
                check=False,
                env=tool_env(env),
            )
            output = result.stdout + result.stderr
        if not junit.is_file():
            raise RuntimeError(f"pytest wrote no report:\n{output}")
        root = ElementTree.parse(junit).getroot()
    rows = []
    for case in root.iter("testcase"):
        name = case.get("name", "")
        function = name.split("[", 1)[0]
        problem = next((child for child in case if child.tag in ("failure", "error", "skipped")), None)
        rows.append(
            {
                "family": FAMILIES.get(function, function.removeprefix("test_").replace("_", " ")),
                "test": name,
                "outcome": "passed" if problem is None else {"failure": "failed"}.get(problem.tag, problem.tag),
                "message": "" if problem is None else (problem.get("message") or "").splitlines()[0][:200],
            }
        )
    return rows


def _pytest_here(arguments: list[str], env: dict[str, str]) -> str:
    """``pytest.main(arguments)`` in this process, with ``env`` set meanwhile; return what pytest printed.

    A new ``python -m pytest`` costs about 3 s before the first test (Python, pytest and its plugins,
    scikit-learn, the project's conftest); here the modules are loaded already. Afterwards the
    environment and ``sys.path`` are as they were (the project's ``conftest.py`` gives each test
    session a new home), and the test modules and conftests the run imported are forgotten, so the
    next run reads them again from their files.
    """
    import pytest  # noqa: PLC0415  # pylint: disable=import-outside-toplevel  # only a caller that runs tests needs it

    saved_env, saved_path, saved_modules = dict(os.environ), list(sys.path), dict(sys.modules)
    printed = io.StringIO()
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            pytest.main([*arguments, "--capture=sys"])
    finally:
        for name in set(os.environ) - set(saved_env):
            del os.environ[name]
        os.environ.update({name: value for name, value in saved_env.items() if os.environ.get(name) != value})
        sys.path[:] = saved_path
        for name, module in list(sys.modules.items()):
            if name in saved_modules:
                sys.modules[name] = saved_modules[name]  # a conftest imported as "conftest" replaces the caller's
            elif Path(getattr(module, "__file__", None) or "").name.startswith(("conftest.", "test_")):
                del sys.modules[name]
    return printed.getvalue()


def write_report(report: dict, path: Path) -> Path:
    """Write the quality report as sorted, indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def _relative(name: str, cwd: Path) -> str:
    path = Path(name) if Path(name).is_absolute() else Path(cwd) / name
    try:
        return path.resolve().relative_to(Path(cwd).resolve()).as_posix()
    except ValueError:
        return name


def main(argv: list[str] | None = None) -> int:
    """Lint each notebook named in ``argv``; print the lints; return 1 if there is any."""
    notebooks = argv if argv is not None else sys.argv[1:]
    if not notebooks:
        print("usage: python -m lib.quality NOTEBOOK.ipynb [...]", file=sys.stderr)
        return 2
    found = 0
    for notebook, lints in pynblint_report(notebooks).items():
        found += len(lints)
        for lint in lints:
            print(f"{notebook}: {lint['slug']}: {lint['description']}")
        print(f"{notebook}: {len(lints)} pynblint lint(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
