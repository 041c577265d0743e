"""A team's own project, started from the course: ``make new-project DEST=... DATA=their.csv TARGET=column``.

The course's ``template/`` (``copier.yml`` at the root names it) holds the project: the same stages, tools
and two commands as the course, with none of the penguins. This module profiles the team's CSV into the
template's answers (the task, each column's kind and range or categories, the baseline the requirement
starts from), renders it with copier, and makes the result a Git repository with the raw data under DVC
(analytics off, a local remote beside it) and a lock narrowed from the course's own. Later, ``copier
update`` in the team's repository brings the template's fixes into it.

A CSV the template cannot serve is refused by name, with what to change: a target with missing values or
a class too rare to cross-validate, a text column with too many distinct values (free text or an
identifier: ``DROP=...`` leaves it out), too few rows.
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import copier
import pandas as pd

from lib import paths
from lib.course import projectlock

MIN_ROWS = 100
# The template's test split (params.yaml split.test_size).
TEST_SHARE = 0.25
MAX_CLASSES = 50
MAX_CATEGORIES = 50
# The fewest rows a class may have: a stratified 25% test split leaves it 6 training rows, more than one
# per fold of the 5-fold cross-validation (a margin: 7 would leave 5, one per fold).
MIN_CLASS_ROWS = 8
# An integer target with at most this many distinct values is read as classes.
MAX_INTEGER_CLASSES = 20


class ProjectDataError(ValueError):
    """The CSV cannot start a project as it is; the message says what to change."""


def native(value: Any) -> Any:
    """A NumPy scalar as the Python value YAML and JSON write."""
    return value.item() if hasattr(value, "item") else value


def infer_task(target: pd.Series, asked: str | None) -> str:
    """Classification for text, booleans and integers with few values; regression for other numbers."""
    numeric = pd.api.types.is_numeric_dtype(target) and not pd.api.types.is_bool_dtype(target)
    few = pd.api.types.is_integer_dtype(target) and target.nunique() <= MAX_INTEGER_CLASSES
    found = "regression" if numeric and not few else "classification"
    if asked in (None, "", found):
        return found
    if asked == "regression" and not numeric:
        raise ProjectDataError(
            f"TASK=regression needs a numeric target; {target.name!r} holds text: use classification"
        )
    if asked == "classification" and not few and pd.api.types.is_float_dtype(target):
        raise ProjectDataError(
            f"TASK=classification on {target.name!r}, which holds {target.nunique()} distinct decimal numbers: "
            "use regression, or bin the target into classes in the CSV"
        )
    if asked not in ("classification", "regression"):
        raise ProjectDataError(f"TASK={asked} is not supported: classification or regression")
    return asked


def wilson_lower(successes: int, n: int, z: float = 1.959964) -> float:
    """The lower end of Wilson's 95% interval of a proportion (the template's evaluate.py uses the same)."""
    share = successes / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    return centre - z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)


def reachable(baseline: float, rows: int) -> None:
    """Refuse a classification whose baseline no model could beat with confidence on the test split.

    The requirement starts at the baseline and is met when the lower end of the test accuracy's 95%
    interval reaches it; even a perfect model's lower end is below 1 on a few dozen rows.
    """
    n_test = math.ceil(rows * TEST_SHARE)
    best = wilson_lower(n_test, n_test)
    if baseline >= best:
        raise ProjectDataError(
            f"the most frequent class is {baseline:.1%} of the rows; on a test split of {n_test} rows even a perfect "
            f"model's 95% interval starts at {best:.1%}, so no model could show it beats always answering that "
            "class: collect more rows of the other classes"
        )


def profile_target(target: pd.Series, task: str) -> tuple[dict[str, Any], float]:
    """The target's profile (its classes, or its range) and what the dummy baseline scores on it."""
    if target.isna().any():
        raise ProjectDataError(
            f"{int(target.isna().sum())} rows have no {target.name!r}: remove them from the CSV (a row without "
            "its answer can neither train nor test the model)"
        )
    if task == "regression":
        return {"min": native(target.min()), "max": native(target.max())}, 0.0
    counts = target.value_counts()
    if len(counts) > MAX_CLASSES or len(counts) < 2:  # noqa: PLR2004
        raise ProjectDataError(f"{target.name!r} has {len(counts)} classes: the template serves 2 to {MAX_CLASSES}")
    rare = counts[counts < MIN_CLASS_ROWS]
    if len(rare):
        raise ProjectDataError(
            f"class {native(rare.index[0])!r} of {target.name!r} has {int(rare.iloc[0])} rows; the template asks for "
            f"at least {MIN_CLASS_ROWS} (a stratified test split, then 5-fold cross-validation): merge rare classes "
            "or collect more rows"
        )
    return {"classes": sorted(native(v) for v in counts.index)}, float(counts.iloc[0] / len(target))


def profile_column(column: pd.Series) -> dict[str, Any]:
    """One input column: numeric with its observed range, or categorical with its values; nullable or not."""
    entry: dict[str, Any] = {"name": str(column.name)}
    present = column.dropna()
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        if present.empty:
            raise ProjectDataError(f"column {column.name!r} is empty: remove it, or DROP={column.name}")
        entry.update(kind="numeric", min=native(present.min()), max=native(present.max()))
    else:
        values = sorted({native(v) if not isinstance(v, str) else v for v in present}, key=str)
        if len(values) > MAX_CATEGORIES:
            raise ProjectDataError(
                f"column {column.name!r} has {len(values)} distinct values (free text, a date or an identifier?): "
                f"leave it out with DROP={column.name}, or turn it into a number or a few categories in the CSV"
            )
        entry.update(kind="categorical", categories=values)
    entry["nullable"] = bool(column.isna().any())
    return entry


def profile(frame: pd.DataFrame, target: str, task: str | None = None, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """The template's answers computed from the data: task, target profile, columns, baseline."""
    if target not in frame.columns:
        raise ProjectDataError(f"TARGET={target} is not a column of the CSV; its columns: {', '.join(frame.columns)}")
    unknown = [name for name in drop if name not in frame.columns or name == target]
    if unknown:
        raise ProjectDataError(f"DROP names {', '.join(unknown)}, not an input column of the CSV")
    if len(frame) < MIN_ROWS:
        raise ProjectDataError(
            f"the CSV has {len(frame)} rows; the template asks for {MIN_ROWS} (a test split of {MIN_ROWS // 4} rows "
            "is already a wide interval)"
        )
    chosen = infer_task(frame[target], task)
    target_profile, baseline = profile_target(frame[target], chosen)
    if chosen == "classification":
        reachable(baseline, len(frame))
    columns = [profile_column(frame[name]) for name in frame.columns if name != target and name not in drop]
    if not columns:
        raise ProjectDataError("the CSV has no input column besides the target")
    return {
        "target": target,
        "task": chosen,
        "target_profile": target_profile,
        "columns": columns,
        "baseline_score": round(baseline, 4),
        "min_score": math.ceil(baseline * 10_000) / 10_000,
        "profiled_rows": len(frame),
    }


def project_name(dest: Path) -> str:
    """The project's name from its folder: lower case, dashes between words."""
    name = re.sub(r"[^a-z0-9]+", "-", dest.resolve().name.lower()).strip("-")
    if not name or not name[0].isalpha():
        raise ProjectDataError(f"{dest.name!r} makes no project name: use a folder name that starts with a letter")
    return name


def run(command: list[str], cwd: Path) -> None:
    """Run one set-up command in the new project; its output is shown only when it fails."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed in {cwd}:\n{done.stdout}{done.stderr}")


def repository(dest: Path, data_file: str, remote: Path) -> None:
    """Git and DVC: the raw data added to DVC and pushed to a local remote, then the first commit."""
    dvc = [sys.executable, "-m", "dvc"]
    run(["git", "init", "--quiet", "--initial-branch=main"], dest)
    run([*dvc, "init", "--quiet"], dest)
    run([*dvc, "config", "core.analytics", "false"], dest)
    remote.mkdir(parents=True, exist_ok=True)
    run([*dvc, "remote", "add", "--default", "local", str(remote.resolve())], dest)
    run([*dvc, "add", "--quiet", f"data/raw/{data_file}"], dest)
    run([*dvc, "push", "--quiet"], dest)
    run(["git", "add", "--all"], dest)
    identity = (
        [] if _git_identity(dest) else ["-c", "user.name=make new-project", "-c", "user.email=new-project@localhost"]
    )
    run(["git", *identity, "commit", "--quiet", "-m", f"Start {dest.name} from the MLOps course's template"], dest)


def _git_identity(cwd: Path) -> bool:
    """Whether Git knows who commits (user.name and user.email)."""
    return all(
        subprocess.run(["git", "config", key], cwd=cwd, capture_output=True, check=False).returncode == 0
        for key in ("user.name", "user.email")
    )


def template_ref() -> str:
    """The course commit to render: HEAD's, so the project records a commit ``copier update`` finds again.

    Uncommitted changes elsewhere in the course (a lesson run in JupyterLab) do not matter. Uncommitted
    changes to the template itself are rendered ("HEAD" makes copier include them), with a warning: the
    project then records a draft commit that exists only in copier's scratch clone.
    """
    root = paths.project_root()
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--", "template", "copier.yml"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if changed:
        print(
            "template/ has uncommitted changes: rendered, but 'copier update' in the project will need them committed"
        )
        return "HEAD"
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


def create(dest: Path, data: Path, target: str, task: str | None = None, drop: tuple[str, ...] = ()) -> Path:
    """Profile ``data``, render the template into ``dest``, and make it a repository; return ``dest``."""
    dest, data = dest.expanduser(), data.expanduser()
    if dest.exists() and any(dest.iterdir()):
        raise ProjectDataError(f"{dest} exists and is not empty: choose a new folder (DEST=...)")
    if not data.is_file():
        raise ProjectDataError(f"DATA={data} is not a file: give the path of a CSV")
    try:
        frame = pd.read_csv(data)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise ProjectDataError(f"DATA={data} could not be read as CSV: {error}") from error
    answers = {
        "project_name": project_name(dest),
        "data_file": re.sub(r"[^\w.-]+", "_", data.name),
        **profile(frame, target, task, drop),
    }
    copier.run_copy(
        str(paths.project_root()), str(dest), data=answers, vcs_ref=template_ref(), defaults=True, quiet=True
    )
    raw = dest / "data" / "raw" / answers["data_file"]
    raw.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data, raw)
    projectlock.write(dest)
    repository(dest, answers["data_file"], dest.parent / f"{dest.name}-dvc-remote")
    return dest


def main(argv: list[str] | None = None) -> int:
    """Command line: python -m lib.course.newproject DEST DATA TARGET [--task ...] [--drop a,b]."""
    parser = argparse.ArgumentParser(description="Start a team's project from the course's template.")
    parser.add_argument("dest", type=Path, help="the new project's folder (new or empty)")
    parser.add_argument("data", type=Path, help="the raw CSV")
    parser.add_argument("target", help="the column to predict")
    parser.add_argument("--task", choices=["classification", "regression"], help="default: inferred from the target")
    parser.add_argument("--drop", default="", help="input columns to leave out, comma-separated")
    args = parser.parse_args(argv)
    drop = tuple(name for name in args.drop.split(",") if name)
    try:
        dest = create(args.dest, args.data, args.target, args.task, drop)
    except ProjectDataError as error:
        print(f"make new-project: {error}", file=sys.stderr)
        return 2
    print(f"{dest}: a new repository, the raw data under DVC (remote {dest.parent / (dest.name + '-dvc-remote')}).")
    print(f"Next: review {dest / 'schema.yaml'} and the requirement in params.yaml, then: cd {dest} && make test")
    return 0


if __name__ == "__main__":
    sys.exit(main())
