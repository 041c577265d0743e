"""One list of exercises: exercises/catalog.yaml, and everything that must agree with it.

The lessons' "Your turn" (numbers, titles, kinds, minutes), each lesson's stated prior knowledge and study
time, the solution functions, the tests that grade them, exercises/README.md's table and the instructors'
table: each is compared with the catalog, so none can drift from it.
"""

import ast
import json
import re

import pytest

from lib.course import exercises
from tests.sandbox import WORKTREE

CATALOG = exercises.catalog(WORKTREE / "exercises" / "catalog.yaml")
TESTS = (WORKTREE / "tests" / "exercises" / "test_solutions.py").read_text(encoding="utf-8")


def _graded_ids() -> list[str]:
    """The exercise id each test of test_solutions.py names at the start of its docstring."""
    tree = ast.parse(TESTS)
    docs = [ast.get_docstring(node) or "" for node in tree.body if isinstance(node, ast.FunctionDef)]
    return [match.group(1) for doc in docs if (match := re.match(r"(\d\.\d-\d+):", doc))]


def test_every_lesson_is_in_the_catalog_in_course_order():
    """The catalog's lessons are the notebooks, in the same order."""
    notebooks = [path.stem for path in sorted((WORKTREE / "notebooks").glob("*.ipynb"))]
    assert [lesson.stem for lesson in CATALOG] == notebooks


@pytest.mark.parametrize("lesson", CATALOG, ids=lambda lesson: lesson.stem)
def test_your_turn_lists_the_catalog_s_exercises(lesson):
    """The lesson's "Your turn": the catalog's exercises, in order, each with its title, kind and minutes."""
    listed = exercises.your_turn(WORKTREE / "notebooks" / f"{lesson.stem}.ipynb")
    expected = [(str(n), e.title, e.kind, e.minutes) for n, e in enumerate(lesson.exercises, 1)]
    assert listed == expected


@pytest.mark.parametrize("lesson", CATALOG, ids=lambda lesson: lesson.stem)
def test_the_lesson_states_its_prior_knowledge_and_study_time(lesson):
    """The first cell says what the catalog says: what a student should know, and the study time."""
    cells = json.loads((WORKTREE / "notebooks" / f"{lesson.stem}.ipynb").read_text(encoding="utf-8"))["cells"]
    assert lesson.frame() in "".join(cells[0]["source"])


@pytest.mark.parametrize("lesson", CATALOG, ids=lambda lesson: lesson.stem)
def test_every_lesson_has_a_build_exercise(lesson):
    """At least one exercise per lesson has the student write what the lesson's objectives promise."""
    assert any(exercise.kind == "build" for exercise in lesson.exercises)


@pytest.mark.parametrize("lesson", CATALOG, ids=lambda lesson: lesson.stem)
def test_each_exercise_has_its_function_in_the_lesson_s_module(lesson):
    """The answering function is a public function of exercises/<module>.py (the hand-out stubs it)."""
    tree = ast.parse((WORKTREE / "exercises" / f"{lesson.module}.py").read_text(encoding="utf-8"))
    public = {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")}
    missing = [exercise.solution for exercise in lesson.exercises if exercise.solution not in public]
    assert not missing


def test_each_exercise_is_graded_by_a_test_and_each_test_grades_one():
    """Every exercise id has a test naming it; every test names an exercise of the catalog."""
    ids = {exercise.id for lesson in CATALOG for exercise in lesson.exercises}
    graded = _graded_ids()
    assert ids - set(graded) == set(), "exercises without a test"
    assert set(graded) - ids == set(), "tests naming no exercise of the catalog"


def test_the_written_tables_are_current():
    """exercises/README.md and docs/instructors.md hold the tables the catalog writes."""
    stale = [
        str(path) for path, text in exercises.written(WORKTREE).items() if path.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"run: .venv/bin/python -m lib.course.exercises readme ({', '.join(stale)})"


def test_a_malformed_catalog_is_refused_with_the_id_it_expected(tmp_path):
    """An exercise numbered out of order, or of an unknown kind, names what was expected."""
    text = (WORKTREE / "exercises" / "catalog.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "catalog.yaml"
    broken.write_text(text.replace("id: 1.0-2", "id: 1.0-7", 1), encoding="utf-8")
    with pytest.raises(ValueError, match="expected id 1.0-2"):
        exercises.catalog(broken)
    broken.write_text(text.replace("kind: build", "kind: essay", 1), encoding="utf-8")
    with pytest.raises(ValueError, match="kind one of"):
        exercises.catalog(broken)


def test_study_time_reads_as_hours_and_minutes():
    """95 minutes is '1 h 35 min'; 60 is '1 h'; 45 is '45 min'."""
    assert [exercises.duration(m) for m in (95, 60, 45)] == ["1 h 35 min", "1 h", "45 min"]
