"""M3, quality: the team's tests pass, their data suite refuses corrupted copies of their own data,
the energy was measured, and the notebooks are Pynblint-clean.

The suite is run through the team's own command (``[tool.check-project] validate``, with ``{csv}`` for
the file): first on a byte-for-byte copy of the raw data, which it must accept, then on three corrupted
copies, each of which it must refuse: the target column dropped (no model can train on data without
it), numbers far out of their range (in every numeric column but the target, five rows), and nulls in
five rows of every column that had none. A suite that refuses the untouched copy proves nothing by
refusing the others, so they are then not checked.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from lib.course.checker.project import MET, NOT_CHECKED, NOT_MET, Finding, Project, tail
from lib.quality import pynblint_report

ROWS = 5


def drop_a_column(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, str]:
    """The target column gone (the first column when the project names no target)."""
    column = target if target in frame.columns else frame.columns[0]
    return frame.drop(columns=[column]), f"column {column!r} dropped"


def out_of_range(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, str]:
    """Five rows of every numeric input column set a thousand spans beyond its maximum."""
    broken = frame.copy()
    numeric = [c for c in frame.select_dtypes("number").columns if c != target]
    for column in numeric:
        span = float(frame[column].max() - frame[column].min()) or 1.0
        broken.loc[broken.index[:ROWS], column] = float(frame[column].max()) + 1000 * span
    return broken, f"{ROWS} rows of {len(numeric)} numeric columns far out of range"


def nulls(frame: pd.DataFrame, _target: str) -> tuple[pd.DataFrame, str]:
    """Five rows of every column that had no missing value emptied."""
    broken = frame.astype(object)
    full = [c for c in frame.columns if frame[c].notna().all()]
    broken.loc[broken.index[:ROWS], full] = np.nan
    return broken, f"nulls in {ROWS} rows of {len(full)} columns that had none"


CORRUPTIONS: dict[str, Callable[[pd.DataFrame, str], tuple[pd.DataFrame, str]]] = {
    "a column dropped": drop_a_column,
    "values out of range": out_of_range,
    "nulls where none were": nulls,
}


def check_tests(project: Project) -> Finding:
    """The team's test command passes."""
    command = project.settings["tests"]
    done = project.run(command, timeout=3600)
    status = MET if done.returncode == 0 else NOT_MET
    output = (done.stdout + "\n" + done.stderr).splitlines()
    summaries = [line.strip("= ") for line in output if re.search(r"\d+ (passed|failed|errors?)\b", line)]
    failed = [line for line in output if line.startswith(("FAILED ", "ERROR "))][:3]
    return Finding("M3", f"tests pass ({command})", status, " / ".join([*failed, *summaries[-1:]]) or tail(done, 2))


def check_suite(project: Project) -> list[Finding]:
    """The suite accepts the raw data and refuses each corrupted copy."""
    command, data = project.settings["validate"], project.settings["data"]
    if not command or not data:
        reason = "say how to run your suite on a CSV: [tool.check-project] validate = '... {csv}' and data = '...'"
        return [Finding("M3", "data suite refuses corrupted data", NOT_CHECKED, reason)]
    source = project.root / data
    if not source.exists():
        return [Finding("M3", "data suite refuses corrupted data", NOT_MET, f"{data} is missing: dvc pull")]
    with tempfile.TemporaryDirectory(prefix="check-project-") as scratch:
        path = Path(scratch) / Path(data).name

        def suite(write: Callable[[Path], object]) -> subprocess.CompletedProcess[str]:
            write(path)
            return project.run(command.replace("{csv}", shlex.quote(str(path))), timeout=600)

        done = suite(lambda to: shutil.copyfile(source, to))
        if done.returncode:
            reason = f"the suite refuses the team's own data: {tail(done, 2)}"
            skipped = "the suite refuses the untouched data, so its refusals prove nothing"
            return [Finding("M3", "data suite accepts the raw data", NOT_MET, reason)] + [
                Finding("M3", f"data suite refuses {name}", NOT_CHECKED, skipped) for name in CORRUPTIONS
            ]
        findings = [Finding("M3", "data suite accepts the raw data", MET, "a byte-for-byte copy: accepted")]
        frame = pd.read_csv(source)
        for name, corrupt in CORRUPTIONS.items():
            copy, how = corrupt(frame, project.settings["target"])
            if copy.equals(frame):
                findings.append(Finding("M3", f"data suite refuses {name}", MET, f"{how}: nothing to corrupt"))
                continue
            done = suite(partial(copy.to_csv, index=False))
            ok = done.returncode != 0
            detail = f"{how}: refused" if ok else f"{how}: accepted (exit 0), so the suite would let it through"
            findings.append(Finding("M3", f"data suite refuses {name}", MET if ok else NOT_MET, detail))
    return findings


def check_emissions(project: Project) -> Finding:
    """A CodeCarbon emissions file with at least one measurement."""
    files = project.files("emissions*.csv")
    for path in files:
        frame = pd.read_csv(path)
        if "emissions" in frame.columns and len(frame) and frame["emissions"].notna().any():
            total = float(frame["emissions"].sum())
            detail = f"{path.relative_to(project.root)}: {len(frame)} measurement(s), {total:.2e} kg CO2eq"
            return Finding("M3", "energy measured (CodeCarbon)", MET, detail)
    reason = "no CodeCarbon emissions CSV with an emissions column (OfflineEmissionsTracker(output_dir=...))"
    return Finding("M3", "energy measured (CodeCarbon)", NOT_MET, reason)


def check_notebooks(project: Project) -> Finding:
    """Every notebook under the notebooks folder has no Pynblint lint (Pynblint's defaults)."""
    folder = project.root / project.settings["notebooks"]
    notebooks = (
        sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts) if folder.is_dir() else []
    )
    if not notebooks:
        return Finding("M3", "notebooks are Pynblint-clean", MET, f"no notebook under {folder.name}/ to lint")
    try:
        report = pynblint_report(notebooks)
    except (RuntimeError, ValueError) as error:
        return Finding("M3", "notebooks are Pynblint-clean", NOT_MET, f"Pynblint could not lint them: {error}"[:400])
    lints = {path.name: [lint["slug"] for lint in found] for path, found in report.items() if found}
    if lints:
        detail = "; ".join(f"{name}: {', '.join(slugs)}" for name, slugs in lints.items())
        return Finding("M3", "notebooks are Pynblint-clean", NOT_MET, detail[:400])
    return Finding("M3", "notebooks are Pynblint-clean", MET, f"{len(notebooks)} notebooks, 0 lints")


def check(project: Project) -> list[Finding]:
    """M3's findings."""
    return [check_tests(project), *check_suite(project), check_emissions(project), check_notebooks(project)]
