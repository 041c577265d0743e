"""M4 and M5, the running service: the API starts, answers its health route and a prediction for a row of
the team's own data, and has tests; it serves Prometheus metrics, and an alert rule passes ``promtool
test rules``.

The API is started as a team would start it, ``python -m uvicorn <module:app>`` in the project's root with
the project's interpreter, on a free port of 127.0.0.1, and stopped when the checks are done.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pandas as pd
import yaml
from prometheus_client.parser import text_string_to_metric_families

from lib import ports
from lib.course.checker.project import MET, NOT_CHECKED, NOT_MET, Finding, Project, tail

STARTUP_SECONDS = 120


@contextmanager
def running(project: Project) -> Iterator[tuple[str | None, str]]:
    """Start the API; yield its base URL (None when it did not start) and what happened."""
    port = ports.free_port()
    command = [project.python, "-m", "uvicorn", project.settings["api"], "--host", "127.0.0.1", "--port", str(port)]
    if project.settings["api-factory"]:
        command.append("--factory")
    process = subprocess.Popen(
        command, cwd=project.root, env=project.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base, started, deadline = f"http://127.0.0.1:{port}", None, time.monotonic() + STARTUP_SECONDS
    try:
        start = time.monotonic()
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(base + project.settings["health"], timeout=2).status_code == 200:  # noqa: PLR2004
                    started = time.monotonic() - start
                    break
            except httpx.TransportError:
                time.sleep(0.25)
        if started is None:
            process.terminate()
            output = process.communicate(timeout=30)[0] or ""
            lines = " / ".join(output.strip().splitlines()[-3:])
            yield None, f"{' '.join(command[1:])} did not answer {project.settings['health']}: {lines}"
        else:
            yield base, f"answered {project.settings['health']} after {started:.1f} s"
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def a_row(project: Project) -> dict | None:
    """The first row of the team's rows file, without the target, as a JSON body (a missing value as null)."""
    path = project.root / project.settings["rows"]
    if not path.exists():
        return None
    # The whole file, so each column's type is what pandas infers from all its values, as the team's own tests see it.
    row = pd.read_csv(path).head(1).drop(columns=[project.settings["target"]], errors="ignore").iloc[0]
    return {
        k: (None if isinstance(v, float) and math.isnan(v) else v.item() if hasattr(v, "item") else v)
        for k, v in row.items()
    }


def check_prediction(project: Project, base: str | None) -> Finding:
    """A row of the team's data gets a 200 and an answer."""
    if base is None:
        return Finding("M4", "API predicts a row of the data", NOT_MET, "the API did not start")
    body = a_row(project)
    if body is None:
        return Finding(
            "M4", "API predicts a row of the data", NOT_MET, f"{project.settings['rows']} is missing: run the pipeline"
        )
    answer = httpx.post(base + project.settings["predict"], json=body, timeout=30)
    status = MET if answer.status_code == 200 else NOT_MET  # noqa: PLR2004
    return Finding("M4", "API predicts a row of the data", status, f"{answer.status_code}: {answer.text[:160]}")


def check_api_tests(project: Project) -> Finding:
    """Test files that call the API: Starlette's TestClient, httpx, or the prediction route."""
    words = ("TestClient", "httpx", f'"{project.settings["predict"]}"')
    found = [
        path.relative_to(project.root).as_posix()
        for path in project.files("test_*.py", tracked=True)
        if any(word in path.read_text(encoding="utf-8", errors="replace") for word in words)
    ]
    detail = ", ".join(found[:5]) if found else "no test file calls the API (fastapi.testclient.TestClient)"
    return Finding("M4", "API has tests", MET if found else NOT_MET, detail)


def check_metrics(base: str | None) -> Finding:
    """/metrics answers in Prometheus' text format with at least one metric."""
    if base is None:
        return Finding("M5", "/metrics serves Prometheus metrics", NOT_MET, "the API did not start")
    answer = httpx.get(base + "/metrics", timeout=30)
    try:
        families = [f.name for f in text_string_to_metric_families(answer.text)] if answer.status_code == 200 else []  # noqa: PLR2004
    except ValueError:
        families = []
    if not families:
        return Finding("M5", "/metrics serves Prometheus metrics", NOT_MET, f"{answer.status_code}: no metric parsed")
    return Finding(
        "M5", "/metrics serves Prometheus metrics", MET, f"{len(families)} metric families, e.g. {families[0]}"
    )


def check_alert_rules(project: Project) -> Finding:
    """Every promtool rule test file Git tracks (rule_files and tests) passes ``promtool test rules``."""
    tests = []
    for path in project.files("*.y*ml", tracked=True):
        try:
            content = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        if isinstance(content, dict) and "rule_files" in content and "tests" in content:
            tests.append(path)
    if not tests:
        return Finding(
            "M5", "alert rule passes promtool test rules", NOT_MET, "no promtool rule test (rule_files and tests)"
        )
    promtool = shutil.which("promtool")
    if not promtool:
        return Finding(
            "M5", "alert rule passes promtool test rules", NOT_CHECKED, "promtool not found: make system-packages"
        )
    failed = []
    for path in tests:
        done = subprocess.run(
            [promtool, "test", "rules", path.name], cwd=path.parent, capture_output=True, text=True, check=False
        )
        if done.returncode:
            failed.append(f"{path.relative_to(project.root)}: {tail(done, 2)}")
    names = ", ".join(str(p.relative_to(project.root)) for p in tests)
    return Finding(
        "M5", "alert rule passes promtool test rules", NOT_MET if failed else MET, "; ".join(failed) or names
    )


def check(project: Project, milestones: set[str]) -> list[Finding]:
    """M4's and M5's findings (the API is started once for both)."""
    if not project.settings["api"]:
        reason = "say what uvicorn serves: [tool.check-project] api = 'package.module:app'"
        findings = [
            Finding("M4", "API starts", NOT_CHECKED, reason),
            Finding("M5", "/metrics serves Prometheus metrics", NOT_CHECKED, reason),
        ]
    else:
        with running(project) as (base, how):
            findings = [
                Finding("M4", "API starts", MET if base else NOT_MET, how),
                check_prediction(project, base),
                check_metrics(base),
            ]
    findings += [check_api_tests(project), check_alert_rules(project)]
    return [finding for finding in findings if finding.milestone in milestones]
