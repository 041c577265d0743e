"""The course's exercises and each lesson's frame, from the one list in ``exercises/catalog.yaml``.

Each lesson's "Your turn" numbers its exercises with the catalog's titles, kinds and minutes, and its first
cell states the prior knowledge and the study time written here (``tests/project/test_exercises_catalog.py``
compares them); ``exercises/README.md``'s table, the site's course map and the instructors' guide are
written from the same list: ``python -m lib.course.exercises readme`` rewrites the two tables.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from lib import paths
from lib.course import blocks

KINDS = ("build", "investigate")
MARKERS = {
    "exercises": ("<!-- exercises: written by python -m lib.course.exercises readme -->", "<!-- end of exercises -->"),
    "lessons": (
        "<!-- lessons' study times: written by python -m lib.course.exercises readme -->",
        "<!-- end of study times -->",
    ),
}
YOUR_TURN_ITEM = re.compile(r"^(\d+)\. \*\*(.+?)\*\* \((build|investigate), (\d+) min\)", re.MULTILINE)


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id (``2.1-3``), title, kind, a student's minutes, and the function answering it."""

    id: str
    title: str
    kind: str
    minutes: int
    solution: str


@dataclass(frozen=True)
class Lesson:
    """A lesson's frame: its notebook's stem, exercise module, reading time, prior knowledge and exercises."""

    stem: str
    module: str
    reading_minutes: int
    prior_knowledge: str
    exercises: tuple[Exercise, ...]

    @property
    def exercise_minutes(self) -> int:
        """The time the lesson's exercises take together."""
        return sum(exercise.minutes for exercise in self.exercises)

    @property
    def study_minutes(self) -> int:
        """Reading and running the lesson, then its exercises."""
        return self.reading_minutes + self.exercise_minutes

    def frame(self) -> str:
        """The lines of the lesson's first cell that state what it assumes and how long it takes."""
        return (
            f"**You should know:** {self.prior_knowledge}. **Study time:** about {duration(self.study_minutes)}: "
            f"reading and running the lesson {self.reading_minutes} min, the exercises {self.exercise_minutes} min "
            "(the machine's own run time is printed by the last cell)."
        )


def duration(minutes: int) -> str:
    """``95`` as ``1 h 35 min``: a study time as a reader plans it."""
    hours, rest = divmod(minutes, 60)
    return " ".join(part for part in (f"{hours} h" if hours else "", f"{rest} min" if rest else "") if part)


def catalog(path: Path | None = None) -> list[Lesson]:
    """Every lesson's frame and exercises, in course order; raises ``ValueError`` on a malformed catalog."""
    path = path or paths.PROJ_ROOT / "exercises" / "catalog.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ValueError(f"{path} is not valid YAML ({error}): quote a value that holds ': '") from error
    found = []
    for stem, entry in raw["lessons"].items():
        fields = Exercise.__annotations__
        exercises = tuple(Exercise(**{key: item[key] for key in fields}) for item in entry["exercises"])
        for number, exercise in enumerate(exercises, 1):
            if exercise.id != f"{stem.split('-')[0]}-{number}" or exercise.kind not in KINDS:
                raise ValueError(
                    f"{path}: {exercise.id} of {stem}: expected id {stem.split('-')[0]}-{number}, kind one of {KINDS}"
                )
        found.append(Lesson(stem, entry["module"], entry["reading_minutes"], entry["prior_knowledge"], exercises))
    return found


def _your_turn_text(notebook: Path) -> str:
    """The markdown that follows a lesson's "## Your turn" heading."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "".join(
        "".join(cell["source"]).split("## Your turn", 1)[1]
        for cell in cells
        if cell["cell_type"] == "markdown" and "## Your turn" in "".join(cell["source"])
    )


def your_turn(notebook: Path) -> list[tuple[str, str, str, int]]:
    """The exercises a lesson's "Your turn" lists, as (number, title, kind, minutes)."""
    text = _your_turn_text(notebook)
    return [(number, title, kind, int(minutes)) for number, title, kind, minutes in YOUR_TURN_ITEM.findall(text)]


def statements(notebook: Path) -> dict[int, str]:
    """Each exercise of a lesson's "Your turn" as one line of text (Markdown emphasis dropped), by its number."""
    found = {}
    for item in re.split(r"^(?=\d+\. \*\*)", _your_turn_text(notebook), flags=re.MULTILINE)[1:]:
        number, _, body = item.split("\n\n", 1)[0].partition(". ")
        found[int(number)] = " ".join(body.replace("**", "").split())
    return found


def readme_table(lessons: list[Lesson]) -> str:
    """``exercises/README.md``'s table: one row per exercise, its kind, minutes and answering function."""
    rows = ["| exercise | lesson | kind | minutes | answered by |", "|---|---|---|---|---|"]
    for lesson in lessons:
        for exercise in lesson.exercises:
            link = f"[{lesson.stem}](../notebooks/{lesson.stem}.ipynb)"
            answer = f"[`{lesson.module}.{exercise.solution}`]({lesson.module}.py)"
            title = f"{exercise.id} {exercise.title}"
            rows.append(f"| {title} | {link} | {exercise.kind} | {exercise.minutes} | {answer} |")
    return "\n".join(rows)


def lesson_table(lessons: list[Lesson]) -> str:
    """The instructors' table: each lesson's prior knowledge, its build exercises and its study time."""
    rows = ["| lesson | you should know | build exercises | study time |", "|---|---|---|---|"]
    for lesson in lessons:
        built = "<br>".join(f"{e.id} {e.title} ({e.minutes} min)" for e in lesson.exercises if e.kind == "build")
        study = (
            f"{duration(lesson.study_minutes)} (lesson {lesson.reading_minutes} min, "
            f"exercises {lesson.exercise_minutes} min)"
        )
        rows.append(f"| {lesson.stem} | {lesson.prior_knowledge} | {built} | {study} |")
    return "\n".join(rows)


def with_table(text: str, table: str, which: str = "exercises") -> str:
    """``text`` with what lies between the ``which`` markers (see ``MARKERS``) replaced by ``table``."""
    start, end = MARKERS[which]
    return blocks.replace_between(
        text, start, end, table, f"expected the markers {start!r} and {end!r} around the table"
    )


def written(root: Path | None = None) -> dict[Path, str]:
    """Each file of the project at ``root`` holding a table written from the catalog, with the text it should have."""
    root = root or paths.PROJ_ROOT
    lessons = catalog(root / "exercises" / "catalog.yaml")
    readme = root / "exercises" / "README.md"
    guide = root / "docs" / "instructors.md"
    return {
        readme: with_table(readme.read_text(encoding="utf-8"), readme_table(lessons)),
        guide: with_table(guide.read_text(encoding="utf-8"), lesson_table(lessons), "lessons"),
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m lib.course.exercises readme``: rewrite the tables of exercises/README.md and docs/instructors.md."""
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["readme"]:
        print("usage: python -m lib.course.exercises readme", file=sys.stderr)
        return 2
    for path, text in written().items():
        changed = path.read_text(encoding="utf-8") != text
        path.write_text(text, encoding="utf-8")
        print(f"{path.relative_to(paths.PROJ_ROOT)}: " + ("table updated" if changed else "already current"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
