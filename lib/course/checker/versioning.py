"""M2, reproducibility: the data under DVC and not in Git, a pipeline with nothing left to run, and an
MLflow store with tracked runs and a registered model that has an alias.

DVC is asked in its own words: ``dvc status --json`` (empty when every stage and tracked file matches
``dvc.lock`` and the ``.dvc`` files) and ``dvc repro --dry`` (which names every stage it would run).
MLflow is read with its client from the project's store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dvc.repo import Repo

from lib.course.checker.project import MET, NOT_CHECKED, NOT_MET, Finding, Project, tail

DVC = [sys.executable, "-m", "dvc"]


def dvc_outputs(project: Project) -> set[Path]:
    """Every path DVC tracks in the project: the outputs of its stages and of its .dvc files."""
    with Repo(str(project.root)) as repo:
        return {Path(out.fs_path).resolve() for out in repo.index.outs}


def check_data(project: Project) -> Finding:
    """The raw data is a DVC output (a stage's or a .dvc file's) and Git does not track it."""
    data = project.settings["data"]
    name = "raw data under DVC, not Git"
    if not data:
        return Finding(
            "M2", name, NOT_CHECKED, "say where the raw data is: [tool.check-project] data = 'data/raw/x.csv'"
        )
    in_git = project.run(["git", "ls-files", "--error-unmatch", data]).returncode == 0
    if in_git:
        return Finding("M2", name, NOT_MET, f"{data} is committed to Git: git rm --cached {data}, then dvc add {data}")
    target = (project.root / data).resolve()
    outputs = dvc_outputs(project)
    if not any(target == out or out in target.parents for out in outputs):
        return Finding("M2", name, NOT_MET, f"DVC does not track {data}: dvc add {data} (or make it a stage's output)")
    return Finding("M2", name, MET, f"{data}: tracked by DVC, not by Git")


def check_pipeline(project: Project) -> list[Finding]:
    """``dvc status`` is clean and ``dvc repro --dry`` would run nothing."""
    if not (project.root / "dvc.yaml").exists():
        return [Finding("M2", "DVC pipeline", NOT_MET, "no dvc.yaml: the stages are not declared to DVC")]
    status = project.run([*DVC, "status", "--json"], timeout=600)
    try:
        changed = json.loads(status.stdout or "null")
    except json.JSONDecodeError:
        changed = None
    if status.returncode or changed is None:
        first = Finding("M2", "dvc status is clean", NOT_MET, f"dvc status failed: {tail(status)}")
    elif changed:
        first = Finding("M2", "dvc status is clean", NOT_MET, f"out of date: {', '.join(sorted(changed))[:300]}")
    else:
        first = Finding("M2", "dvc status is clean", MET, "every stage and tracked file matches dvc.lock")
    dry = project.run([*DVC, "repro", "--dry"], timeout=600)
    would_run = [line.split("'")[1] for line in dry.stdout.splitlines() if line.startswith("Running stage '")]
    if dry.returncode:
        second = Finding("M2", "dvc repro has nothing to do", NOT_MET, f"dvc repro --dry failed: {tail(dry)}")
    elif would_run:
        second = Finding("M2", "dvc repro has nothing to do", NOT_MET, f"would run: {', '.join(would_run)}")
    else:
        second = Finding("M2", "dvc repro has nothing to do", MET, "dvc repro --dry runs no stage")
    return [first, second]


def check_committed(project: Project) -> Finding:
    """What the milestone hands in is committed: dvc.lock tracked, and no uncommitted change to the pipeline,
    its parameters or its record (so the commit an instructor collects is the state checked here)."""
    files = ["dvc.yaml", "dvc.lock", "params.yaml"]
    untracked = [f for f in files if project.run(["git", "ls-files", "--error-unmatch", f]).returncode]
    changed = project.run(["git", "status", "--porcelain", "--", *files]).stdout.split("\n")
    changed = [line[3:] for line in changed if line.strip() and line[3:] not in untracked]
    if untracked or changed:
        parts = [f"not in Git: {', '.join(untracked)}"] * bool(untracked) + [
            f"uncommitted changes: {', '.join(changed)}"
        ] * bool(changed)
        return Finding("M2", "pipeline and its results committed", NOT_MET, "; ".join(parts) + " (git add, git commit)")
    return Finding("M2", "pipeline and its results committed", MET, "dvc.yaml, dvc.lock and params.yaml as committed")


def tracking_uri(project: Project) -> str:
    """The project's MLflow store: its setting (a relative sqlite path is the project's), else its own
    mlflow.db, else MLFLOW_TRACKING_URI (a team server)."""
    setting, local = project.settings["mlflow"], project.root / "mlflow.db"
    if setting.startswith("sqlite:///") and not Path(setting.removeprefix("sqlite:///")).is_absolute():
        return f"sqlite:///{(project.root / setting.removeprefix('sqlite:///')).as_posix()}"
    if setting or not os.environ.get("MLFLOW_TRACKING_URI") or local.exists():
        return setting or f"sqlite:///{local.as_posix()}"
    return os.environ["MLFLOW_TRACKING_URI"]


MLFLOW_SUMMARY = """
import json, sys
from mlflow.tracking import MlflowClient
client = MlflowClient(sys.argv[1])
runs = [r for e in client.search_experiments() for r in client.search_runs([e.experiment_id], max_results=5000)]
tracked = [r for r in runs if r.data.params and r.data.metrics]
aliases = {f"{m.name}@{a}": v for m in client.search_registered_models() for a, v in (m.aliases or {}).items()}
print(json.dumps({"runs": len(runs), "tracked": len(tracked), "aliases": aliases}))
"""


def check_mlflow(project: Project) -> list[Finding]:
    """Runs with parameters and metrics, and a registered model with an alias, in the project's store."""
    uri = tracking_uri(project)
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        reason = f"no MLflow store at {uri}: run the pipeline (or set [tool.check-project] mlflow to the team's server)"
        return [Finding("M2", "MLflow runs", NOT_MET, reason), Finding("M2", "registered model alias", NOT_MET, reason)]
    done = subprocess.run(
        [sys.executable, "-c", MLFLOW_SUMMARY, uri],
        cwd=project.root,
        capture_output=True,
        text=True,
        env=project.env(),
        check=False,
    )
    if done.returncode:
        failure = f"MLflow could not read {uri}: {tail(done, 1)}"
        return [
            Finding("M2", "MLflow runs", NOT_MET, failure),
            Finding("M2", "registered model alias", NOT_MET, failure),
        ]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    runs = Finding(
        "M2",
        "MLflow runs",
        MET if summary["tracked"] else NOT_MET,
        f"{summary['tracked']} of {summary['runs']} runs log parameters and metrics ({uri})",
    )
    aliases = summary["aliases"]
    alias = Finding(
        "M2",
        "registered model alias",
        MET if aliases else NOT_MET,
        ", ".join(f"{name} -> version {version}" for name, version in aliases.items())
        or "no registered model has an alias: MlflowClient().set_registered_model_alias(name, 'champion', version)",
    )
    return [runs, alias]


def check(project: Project) -> list[Finding]:
    """M2's findings."""
    return [check_data(project), *check_pipeline(project), check_committed(project), *check_mlflow(project)]
