"""``make try-newest``: the course against the newest releases that ``pyproject.toml`` allows.

The lock keeps a term stable; this tells an instructor, before the next term, what the newest
MLflow, DVC, Great Expectations, Evidently, CodeCarbon, FastAPI, pandas or scikit-learn would
break. In a scratch copy of the project (``requirements.lock`` here is never touched) it:

1. resolves the newest releases into the copy's own lock, with the same ``uv pip compile`` as
   ``make lock`` plus ``--upgrade``, and asks the index for the newest release each of the course's
   upper-bound pins holds back;
2. installs them (``make setup`` in the copy) and rewrites there the tables that code writes (README's
   and the guides': the taught tools' versions follow the lock), as a maintainer moving the lock would;
3. runs ``make test-fast``, the whole pipeline (``make pipeline REPRO_FLAGS=--keep-going``, so a
   broken stage does not hide the independent ones) and nbval on the lessons' saved outputs;
4. writes ``report.md`` and ``report.json`` (:mod:`lib.course.breakage`): each package that moved (from,
   to), and each test, stage or lesson cell that broke with the first lines of its error, grouped by
   the package most likely responsible. A phase that failed without naming a test, stage or cell is a
   finding of its own, with the end of its log. The exit status is 1 when something broke, 2 when the
   newest releases do not even resolve.

A lesson whose taught tools moved fails the check that its "last verified" line names the locked
versions (``test_saved_versions_are_the_locked_ones``); that is reported apart, as saved outputs to
refresh. nbval's findings on a lesson whose stage broke are left out: the stage's finding says why.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import traceback
from pathlib import Path

from lib import TELEMETRY_OFF, paths
from lib.course import breakage, snapshot
from lib.course.lessons import stage_graph

# make lock's resolution (the Makefile's `lock` target; tests/unit/test_newest.py keeps the two the same)
LOCK_ARGUMENTS = (
    "pyproject.toml",
    "--extra",
    "course",
    "--universal",
    "--python-version",
    "3.11",
    "--no-emit-package",
    "rfc3987-syntax",
)
SERVE_ARGUMENTS = ("pyproject.toml", "--universal", "--python-version", "3.11", "-c", "requirements.lock")
REFRESH_TEST = "test_verified::test_saved_versions_are_the_locked_ones["  # the lessons' "last verified" lines
PHASE_TIMEOUT = 1800  # seconds: a hung phase ends as a failure with its log, and the report is still written
UPPER_BOUND = re.compile(r"<|==|~=")
# The interpreter's PEP 508 environment (packaging is in the lock, so in every environment the course makes)
ENVIRONMENT = "import json; from packaging.markers import default_environment; print(json.dumps(default_environment()))"
OWNERS = "import importlib.metadata, json; print(json.dumps(importlib.metadata.packages_distributions()))"


class Run:
    """The scratch copy, where its logs go, and the phases run in it so far."""

    def __init__(self, project: Path, logs: Path) -> None:
        self.project = project
        self.logs = logs
        self.phases: list[dict[str, object]] = []
        logs.mkdir(parents=True, exist_ok=True)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a phase: the copy's tools first on PATH, telemetry off, no outer virtualenv."""
        env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", paths.ROOT_ENV_VAR)}
        env["PATH"] = f"{self.project / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return env | TELEMETRY_OFF | extra

    def phase(self, name: str, command: list[str], **extra: str) -> subprocess.CompletedProcess:
        """Run one phase in the copy, its output to ``logs/<name>.log``; record its result and time."""
        started = time.perf_counter()
        print(f"try-newest: {name}: {' '.join(command)}", flush=True)
        with (self.logs / f"{name}.log").open("w", encoding="utf-8") as log:
            try:
                code = subprocess.run(
                    command, cwd=self.project, env=self.env(**extra), stdout=log, stderr=subprocess.STDOUT,
                    check=False, timeout=PHASE_TIMEOUT,
                ).returncode  # fmt: skip
            except subprocess.TimeoutExpired:
                log.write(f"\ntry-newest: {name} stopped after {PHASE_TIMEOUT} s\n")
                code = -1
        done = subprocess.CompletedProcess(command, code, self.log(name), "")
        seconds = round(time.perf_counter() - started)
        self.phases.append({"name": name, "result": "passed" if code == 0 else "failed", "seconds": seconds})
        print(f"try-newest: {name}: exit {code} in {seconds} s", flush=True)
        return done

    def log(self, name: str) -> str:
        """What a phase printed (its log), or nothing when it did not run."""
        path = self.logs / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def unexplained(self, findings: list[breakage.Finding]) -> list[breakage.Finding]:
        """A finding for each failed phase that none of ``findings`` comes from: the end of its log."""
        named = {finding.phase for finding in findings}
        return [
            breakage.Finding(
                str(phase["name"]), f"logs/{phase['name']}.log", breakage.last_lines(self.log(str(phase["name"])))
            )
            for phase in self.phases
            if phase["result"] == "failed" and phase["name"] not in named
        ]

    def python(self) -> str:
        """The copy's interpreter once ``make setup`` made it, else this one."""
        made = self.project / ".venv" / "bin" / "python"
        return str(made) if made.exists() else sys.executable

    def ask(self, snippet: str) -> dict:
        """Run ``snippet`` with the copy's interpreter and read the JSON it prints."""
        out = subprocess.run([self.python(), "-c", snippet], capture_output=True, text=True, check=True)
        return json.loads(out.stdout)


def held_back(pyproject: Path, uv: str, python_version: str = "3.11") -> list[dict[str, str]]:
    """The course's pins with an upper bound, each with the newest release on the index and its comment."""
    text = pyproject.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    requirements = data["project"]["dependencies"] + [
        requirement for group in data["project"]["optional-dependencies"].values() for requirement in group
    ]
    held = []
    for requirement in requirements:
        if not UPPER_BOUND.search(requirement.split(";")[0]):
            continue
        name = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]
        comment = re.search(rf'"{re.escape(requirement)}",\s*#\s*(.*)', text)
        asked = ["pip", "compile", "-", "--no-deps", "--no-header", "--no-annotate", "--python-version", python_version]
        newest = subprocess.run([uv, *asked], input=name, capture_output=True, text=True, check=False)
        found = re.search(r"==(\S+)", newest.stdout)
        held.append(
            {
                "pin": requirement,
                "newest": found.group(1) if found else f"unknown ({breakage.first_lines(newest.stderr, 1)})",
                "why": comment.group(1).strip() if comment else "",
            }
        )
    return held


def stage_notebooks(dvc_yaml: Path) -> dict[str, str]:
    """Each pipeline stage's lesson, from the executed copy its command writes to ``reports/notebooks/``."""
    found = {}
    for name, stage in stage_graph.load_stages(dvc_yaml).items():
        match = re.search(r"reports/notebooks/(\S+\.ipynb)", stage.get("cmd", ""))
        if match:
            found[name] = match.group(1)
    return found


def resolve(run: Run, uv: str) -> list[breakage.Finding]:
    """Resolve the newest releases into the copy's two locks (make lock's commands, with --upgrade)."""
    for arguments, out in ((LOCK_ARGUMENTS, "requirements.lock"), (SERVE_ARGUMENTS, "requirements-serve.lock")):
        name = f"resolve-{out.removesuffix('.lock')}"
        if run.phase(name, [uv, "pip", "compile", *arguments, "--upgrade", "-o", out]).returncode:
            return [breakage.Finding(name, f"uv pip compile ... -o {out}", breakage.last_lines(run.log(name)))]
    return []


def stale_stages(run: Run) -> list[str] | breakage.Finding:
    """The pipeline's stages that are still out of date (``dvc status --json``), or a finding if DVC cannot say."""
    status = subprocess.run(
        [str(run.project / ".venv" / "bin" / "dvc"), "status", "--json"],
        cwd=run.project, env=run.env(), capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    try:
        return [name.rsplit(":", 1)[-1] for name in json.loads(status.stdout)]
    except json.JSONDecodeError:
        return breakage.Finding("pipeline", "dvc status --json", breakage.last_lines(status.stdout + status.stderr))


def check(run: Run, python: str | None) -> list[breakage.Finding]:
    """Install the newest lock in the copy, then run the fast tests, the pipeline and nbval there."""
    make = ["make", "--no-print-directory"] + ([f"PYTHON={python}"] if python else [])
    if run.phase("install", [*make, "setup"]).returncode:
        return []  # the failed phase is reported with the end of its log
    for module in ("lib.course.site", "lib.course.exercises"):
        run.phase(f"bookkeeping-{module.rsplit('.', 1)[-1]}", [run.python(), "-m", module, "readme"])
    snapshot.commit_all(run.project, "try-newest: the newest releases", allow_empty=True)
    fast = run.logs / "test-fast.xml"
    run.phase("test-fast", [*make, "test-fast", f"PYTEST_FLAGS=--junitxml={fast}"])
    findings = breakage.junit_findings(fast, "test-fast")
    run.phase("pipeline", [*make, "pipeline", "REPRO_FLAGS=--keep-going"])
    stale = stale_stages(run)
    if isinstance(stale, breakage.Finding):
        findings.append(stale)
        stale = []
    notebooks = stage_notebooks(run.project / "dvc.yaml")
    findings += breakage.stage_findings(run.project, stale, notebooks, run.log("pipeline"))
    nbval = run.logs / "nbval.xml"
    run.phase(
        "nbval",
        [run.python(), "-m", "pytest", "notebooks", f"--junitxml={nbval}", "-q"],
        **{paths.ROOT_ENV_VAR: str(run.project)},
    )
    broken_lessons = {notebooks[stage] for stage in stale if stage in notebooks}
    return findings + [
        finding
        for finding in breakage.junit_findings(nbval, "nbval")
        if not any(lesson in finding.where for lesson in broken_lessons)
    ]


def blame(
    findings: list[breakage.Finding], owners: dict[str, list[str]], moved: dict[str, tuple[str, str]]
) -> list[breakage.Finding]:
    """Name each finding's likely package; a lesson's "last verified" line falling behind is a refresh, not a break."""
    for finding in findings:
        refresh = REFRESH_TEST in finding.where
        finding.package = breakage.REFRESH if refresh else breakage.attribute(finding.error, owners, moved)
    return findings


def clear(report: Path) -> None:
    """Delete what an earlier run wrote into ``report`` (and nothing else there)."""
    for name in ("report.md", "report.json", "requirements.lock", "requirements-serve.lock"):
        (report / name).unlink(missing_ok=True)
    shutil.rmtree(report / "logs", ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Run the check; write the report; exit 1 when something broke, 2 when the newest releases do not resolve."""
    parser = argparse.ArgumentParser(prog="python -m lib.course.newest", description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, default=paths.PROJ_ROOT / "reports" / "try-newest")
    parser.add_argument(
        "--work", type=Path, default=None, help="an empty scratch folder (default: a new temporary one)"
    )
    parser.add_argument("--python", default=None, help="the interpreter of the scratch environment (make's PYTHON)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy even when nothing broke")
    arguments = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if arguments.work is not None and arguments.work.exists() and any(arguments.work.iterdir()):
        parser.error(f"--work {arguments.work} is not empty: give a new or empty folder")
    work = (arguments.work or Path(tempfile.mkdtemp(prefix="try-newest-"))).resolve()
    arguments.report = arguments.report.resolve()  # the phases run in the copy: a relative path would land there
    clear(arguments.report)
    run = Run(work / "project", arguments.report / "logs")
    snapshot.copy_project(paths.PROJ_ROOT, run.project)
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    findings = resolve(run, uv)
    resolved = not findings
    try:
        findings += check(run, arguments.python) if resolved else []
    except Exception as exc:  # pylint: disable=broad-exception-caught  # the report is written whatever happened
        findings.append(breakage.Finding("try-newest", type(exc).__name__, breakage.last_lines(traceback.format_exc())))
    findings += run.unexplained(findings)
    environment = run.ask(ENVIRONMENT)
    before = breakage.lock_versions((paths.PROJ_ROOT / "requirements.lock").read_text(encoding="utf-8"), environment)
    after = breakage.lock_versions((run.project / "requirements.lock").read_text(encoding="utf-8"), environment)
    report = breakage.Report(
        python=environment["python_full_version"],
        platform=f"{platform.system()} {platform.machine()}",
        date=datetime.date.today().isoformat(),
        moved=breakage.moved_versions(before, after),
        held=held_back(paths.PROJ_ROOT / "pyproject.toml", uv, environment["python_version"]),
        phases=run.phases,
    )
    owners = run.ask(OWNERS) if (run.project / ".venv" / "bin" / "python").exists() else {}
    report.findings = blame(findings, owners, report.moved)
    for lock in ("requirements.lock", "requirements-serve.lock"):
        shutil.copy2(run.project / lock, arguments.report / lock)
    written = breakage.write(report, arguments.report)
    print(breakage.markdown(report).split("\n## ", 1)[0])
    print(f"try-newest: the report is {written[0]} (and {written[1].name}); the scratch copy ", end="")
    if report.broken or arguments.keep:
        print(f"is kept in {run.project}")
    else:
        shutil.rmtree(run.project, ignore_errors=True)
        if arguments.work is None:
            shutil.rmtree(work, ignore_errors=True)
        print("was deleted")
    return (1 if resolved else 2) if report.broken else 0


if __name__ == "__main__":
    sys.exit(main())
