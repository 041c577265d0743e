"""The course map: each lesson's title, objectives, prior knowledge, study time, run time and last verification."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from lib import paths
from lib.course import blocks, exercises, verified

RAN_IN = re.compile(r"this lesson ran in (\d+) s")
LESSON_LINK = re.compile(r"\]\(notebooks/([^)]+\.ipynb)\)")


@dataclass(frozen=True)
class Lesson:
    """What the course map says about a lesson: its file, number, title, objectives, measured time, last run."""

    path: Path
    number: str
    title: str
    objectives: tuple[str, ...]
    seconds: int | None
    verified: verified.Verified | None = None


def lessons(notebooks: Path | None = None) -> list[Lesson]:
    """Every lesson, in order, read from its first cell and from what its last run printed."""
    found = []
    for path in sorted((notebooks or paths.NOTEBOOKS_DIR).glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        first = "".join(cells[0]["source"])
        heading = first.splitlines()[0].removeprefix("# ").strip()
        number, _, title = heading.partition(" ")
        block = first.split("**Learning objectives.**", 1)[-1].split("**Prerequisites.**", 1)[0]
        objectives = tuple(
            " ".join(item.split()) for item in re.split(r"\n\d+\. ", "\n" + block.split("\n", 1)[-1])[1:]
        )
        printed = " ".join(
            "".join(output.get("text", ""))
            for cell in cells
            if cell["cell_type"] == "code"
            for output in cell.get("outputs", [])
        )
        ran = RAN_IN.findall(printed)
        last = int(ran[-1]) if ran else None
        found.append(Lesson(path, number, title, objectives, last, verified.from_cells(cells)))
    return found


def run_time(seconds: int | None) -> str:
    """A lesson's run time for a reader: to 10 s under two minutes, else whole minutes; ``?`` when it never ran.

    Rounded, since a run time moves from run to run and machine to machine by more than a few seconds.
    """
    if seconds is None:
        return "?"
    tens = max(10, round(seconds, -1))
    return f"{tens} s" if tens < 120 else f"{round(seconds / 60)} min"


def last_verified(lesson: Lesson) -> str:
    """A lesson's last run for a reader: its date, then the taught tools' versions and the Python; ``?`` if none."""
    if lesson.verified is None:
        return "?"
    tools = ", ".join(f"{name} {version}" for name, version in lesson.verified.tools)
    return f"{lesson.verified.date.isoformat()}: {tools} (Python {lesson.verified.python})"


def course_map(found: list[Lesson], link_prefix: str = "notebooks/") -> str:
    """The course map as a Markdown table: lesson, what it teaches, what it assumes, study and run times, last run.

    The prior knowledge and the study time come from ``exercises/catalog.yaml`` (:mod:`lib.course.exercises`),
    the run time and the last verification (date and versions) from the lesson's last execution.
    """
    frames = {lesson.stem: lesson for lesson in exercises.catalog()}
    rows = [
        "| lesson | after it you can | you should know | study time | runs in | last verified |",
        "|---|---|---|---|---|---|",
    ]
    for lesson in found:
        taught = "<br>".join(f"{index}. {item}" for index, item in enumerate(lesson.objectives, 1))
        link = f"[{lesson.number} {lesson.title}]({link_prefix}{lesson.path.name})"
        frame = frames.get(lesson.path.stem)
        knows = frame.prior_knowledge if frame else "?"
        study = exercises.duration(frame.study_minutes) if frame else "?"
        rows.append(f"| {link} | {taught} | {knows} | {study} | {run_time(lesson.seconds)} | {last_verified(lesson)} |")
    return "\n".join(rows)


def with_times(readme: str, found: list[Lesson]) -> str:
    """README with the last two cells (``time``, ``last verified``) of each course-table row that names a lesson
    set from that lesson's last run."""
    by_file = {lesson.path.name: f"{run_time(lesson.seconds)} | {last_verified(lesson)}" for lesson in found}
    lines = []
    for line in readme.splitlines(keepends=True):
        match = LESSON_LINK.search(line)
        if line.startswith("| ") and line.rstrip().endswith("|") and match and match.group(1) in by_file:
            before_last = line.rstrip().removesuffix("|").rstrip().rsplit("|", 2)[0]
            lines.append(f"{before_last}| {by_file[match.group(1)]} |\n")
        else:
            lines.append(line)
    return "".join(lines)


def update_readme(readme: Path | None = None) -> bool:
    """Rewrite README's lesson times and last verifications from the lessons' last runs; return whether it changed."""
    readme = readme or paths.PROJ_ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    updated = with_times(text, lessons())
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
    return updated != text


# The tools the lessons teach, in the order they appear, with where: the instructors' guide lists their versions.
TAUGHT = (
    ("jupyterlab", "every lesson"),
    ("huggingface-hub", "1.0, 2.2: dataset and model cards"),
    ("dvc", "2.1: data and pipeline versioning; 5.2: a new data version"),
    ("papermill", "2.1: the lessons as pipeline stages"),
    ("mlflow", "2.2: tracking and the registry; 3.1: energy figures on the runs; 5.2: aliases"),
    ("scikit-learn", "2.2: the candidates"),
    ("skops", "2.2: the model saved without pickle"),
    ("pandas", "1.0, 2.1: reading and checking the data"),
    ("codecarbon", "3.1: energy"),
    ("pynblint", "3.2: notebook linting"),
    ("ruff", "3.2: code linting"),
    ("pylint", "3.2: code linting"),
    ("nbqa", "3.2: linters on notebooks"),
    ("pytest", "3.2, 4.1, 5.2: tests"),
    ("nbval", "the course's own tests: the lessons' saved outputs (contributing.md)"),
    ("great-expectations", "3.2: data tests"),
    ("fairlearn", "3.2: scores by group"),
    ("shap", "3.2, 5.2: explanations"),
    ("fastapi", "4.1: the API"),
    ("pydantic", "4.1: the request's schema"),
    ("uvicorn", "4.1: the server"),
    ("prometheus-client", "5.1: metrics"),
    ("evidently", "5.1, 5.2: drift reports"),
)
VERSIONS_START = (
    "<!-- the taught tools' versions: written by python -m lib.course.site readme from requirements.lock -->"
)
VERSIONS_END = "<!-- end of the tools' versions -->"
LOCKED = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;]+)(?:\s*;\s*(.*))?$")


def _python_condition(marker: str) -> str:
    """A lock line's environment marker for a reader: ``python_full_version < '3.12'`` -> ``Python < 3.12``."""
    return re.sub(r"python_(?:full_)?version\s*([<>=!]+)\s*'([^']+)'", r"Python \1 \2", marker).replace(".*", "")


def tool_versions(lock: str) -> str:
    """The taught tools with the versions ``requirements.lock`` pins (each Python's, where they differ)."""
    pinned: dict[str, list[str]] = {}
    for line in lock.splitlines():
        match = LOCKED.match(line.strip())
        if match:
            name = match.group(1).lower().replace("_", "-")
            when = f" ({_python_condition(match.group(3))})" if match.group(3) else ""
            pinned.setdefault(name, []).append(match.group(2) + when)
    rows = ["| tool | version | taught in |", "|---|---|---|"]
    for name, where in TAUGHT:
        if name not in pinned:
            raise ValueError(f"{name} is taught but requirements.lock does not pin it: add it or drop it from TAUGHT")
        rows.append(f"| {name} | {', '.join(pinned[name])} | {where} |")
    return "\n".join(rows)


def with_versions(page: str, lock: str) -> str:
    """``page`` with the table between the versions' markers rewritten from ``lock``; ValueError without markers."""
    missing = f"no place for the tools' versions: put {VERSIONS_START!r} and {VERSIONS_END!r} in the page"
    return blocks.replace_between(page, VERSIONS_START, VERSIONS_END, tool_versions(lock), missing)


def update_versions(page: Path | None = None) -> bool:
    """Rewrite the instructors' guide's table of tool versions from requirements.lock; return whether it changed."""
    page = page or paths.DOCS_DIR / "instructors.md"
    text = page.read_text(encoding="utf-8")
    updated = with_versions(text, (paths.PROJ_ROOT / "requirements.lock").read_text(encoding="utf-8"))
    if updated != text:
        page.write_text(updated, encoding="utf-8")
    return updated != text
