"""The instructor's kit: ``make handout`` stubs every worked solution, and the solutions' tests grade answers."""

import ast
import subprocess
import sys

import pytest

from lib import paths, processes
from lib.course import exercises, handout
from tests.sandbox import WORKTREE


@pytest.fixture(autouse=True)
def _with_the_solutions():
    """The kit is tested where the worked solutions are: in a hand-out (its stubs), these tests skip themselves."""
    if any(handout.STUB_NOTE in path.read_text(encoding="utf-8") for path in (WORKTREE / "exercises").glob("*.py")):
        pytest.skip("a hand-out: the instructor's kit is tested in the course with its worked solutions")


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    """A hand-out written from the working tree."""
    destination = tmp_path_factory.mktemp("handout") / "penguins-course"
    return destination, handout.write(destination, WORKTREE)


def test_every_solution_module_is_stubbed_and_nothing_else_changes(copy):
    destination, stubbed = copy
    solutions = sorted(path.name for path in (WORKTREE / "exercises").glob("*.py") if path.name != "__init__.py")
    assert sorted(path.name for path in stubbed) == solutions
    for name in (
        "Makefile",
        "notebooks/5.2-closing-the-loop.ipynb",
        "tests/exercises/test_solutions.py",
        "lib/loop/gate.py",
    ):
        assert (destination / name).read_bytes() == (WORKTREE / name).read_bytes(), name
    assert not (destination / ".git").exists()


@pytest.mark.parametrize(
    "name", sorted(p.name for p in (WORKTREE / "exercises").glob("*.py") if p.name != "__init__.py")
)
def test_a_stub_keeps_each_exercise_signature_and_none_of_its_solution(copy, name):
    """Each public function: the solution's signature, a docstring stating the exercise, and NotImplementedError."""
    destination, _ = copy
    solution = ast.parse((WORKTREE / "exercises" / name).read_text(encoding="utf-8"))
    stub = ast.parse((destination / "exercises" / name).read_text(encoding="utf-8"))
    functions = {node.name: node for node in solution.body if isinstance(node, ast.FunctionDef)}
    public = {name: node for name, node in functions.items() if name[0] != "_"}
    stubs = {node.name: node for node in stub.body if isinstance(node, ast.FunctionDef)}
    given = handout.given_functions(solution)  # tools the student uses (GIVEN): whole, with the helpers they call
    assert set(stubs) == set(public) | given
    assert not [node for node in stub.body if isinstance(node, ast.ClassDef)]
    for function in given:
        assert ast.dump(stubs[function]) == ast.dump(functions[function]), f"{function} is given: kept whole"
    for function, node in stubs.items():
        if function in given:
            continue
        assert ast.dump(node.args) == ast.dump(public[function].args), function
        docstring, raised = node.body
        assert isinstance(docstring, ast.Expr) and "\nReturn" in ast.get_docstring(node), function
        assert isinstance(raised, ast.Raise) and ast.unparse(raised.exc).startswith("NotImplementedError"), function
    done = subprocess.run(
        [processes.tool("ruff"), "check", f"exercises/{name}"],
        cwd=destination,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout


def test_a_handout_is_never_written_over_the_project_or_a_full_folder(tmp_path):
    with pytest.raises(ValueError, match="outside the project"):
        handout.write(WORKTREE / "handout", WORKTREE)
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ValueError, match="not empty"):
        handout.write(tmp_path, WORKTREE)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def grade(answers, project, *selection):
    """``pytest tests/exercises --answers ANSWERS`` on the session's project, as an instructor runs it."""
    command = [sys.executable, "-m", "pytest", "tests/exercises", "--answers", str(answers), "-p", "no:cacheprovider"]
    command += ["-o", "addopts=", "-p", "no:nbval", *selection]
    env = processes.tool_env({paths.ROOT_ENV_VAR: str(project.root)})
    return subprocess.run(command, cwd=WORKTREE, capture_output=True, text=True, env=env, check=False, timeout=1800)


def test_grading_calls_stubs_not_answered_and_the_worked_solutions_done(copy, project):
    """The same tests: every stub is 'not answered'; the worked solutions of two lessons are 'done'."""
    destination, _ = copy
    stubs = grade(destination / "exercises", project)
    assert stubs.returncode == 1, stubs.stdout[-3000:]
    lines = [line for line in stubs.stdout.splitlines() if line[:1].isdigit() and "test_" in line]
    assert lines and all(line.endswith(": not answered") for line in lines), lines
    assert f"0 of {len(lines)} exercises done" in stubs.stdout
    solutions = grade(WORKTREE / "exercises", project, "-k", "inception or deployment")
    assert solutions.returncode == 0, solutions.stdout[-3000:]
    assert "7 of 7 exercises done" in solutions.stdout, solutions.stdout[-2000:]


def test_a_stub_states_its_exercise_as_the_lesson_does(copy):
    """Each exercise's stub carries its id and the lesson's own statement, so the hand-out stands alone."""
    destination, _ = copy
    for lesson in exercises.catalog(WORKTREE / "exercises" / "catalog.yaml"):
        stub = ast.parse((destination / "exercises" / f"{lesson.module}.py").read_text(encoding="utf-8"))
        docs = {node.name: ast.get_docstring(node) or "" for node in stub.body if isinstance(node, ast.FunctionDef)}
        stated = exercises.statements(WORKTREE / "notebooks" / f"{lesson.stem}.ipynb")
        for number, exercise in enumerate(lesson.exercises, 1):
            words = " ".join(docs[exercise.solution].split())
            assert words.startswith(f"Exercise {exercise.id}: {exercise.title}"), (exercise.id, words[:80])
            assert " ".join(stated[number].split()[-6:]) in words, exercise.id  # the statement to its end


@pytest.mark.slow  # a pytest run in a new hand-out
def test_a_students_run_in_a_hand_out_skips_what_is_unanswered_and_fails_a_wrong_answer(tmp_path):
    """The class's repository stays green while students work, in one run of their exercise tests: a stub skips as
    not answered, an answer is graded (a wrong one fails), and the tests of the tests (the planted wrong answers)
    skip themselves instead of erroring."""
    destination = tmp_path / "penguins-course"
    handout.write(destination, WORKTREE)
    module = destination / "exercises" / "quality_assurance.py"
    stub = 'raise NotImplementedError("exercise quality_assurance.lint_findings: your answer goes here")'
    assert stub in module.read_text(encoding="utf-8")
    module.write_text(module.read_text(encoding="utf-8").replace(stub, 'return {"ruff": [], "pylint": []}'))
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-p", "no:nbval", "-rfs"]
    command += [
        "tests/exercises/test_solutions.py::test_qa_lint_fix",
        "tests/exercises/test_solutions.py::test_qa_group_criterion",
    ]
    command += ["tests/exercises/test_wrong_answers.py", "-m", "not pipeline and not slow"]
    done = subprocess.run(command, cwd=destination, capture_output=True, text=True, check=False, timeout=600)
    summary = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 1 and "1 failed" in summary and " passed" not in summary, done.stdout[-3000:]
    assert "FAILED tests/exercises/test_solutions.py::test_qa_lint_fix" in done.stdout, done.stdout[-3000:]
    assert "not answered yet (exercise quality_assurance.group_criterion" in done.stdout, done.stdout[-3000:]
    assert "a hand-out: the planted wrong answers test the worked solutions' tests" in done.stdout, done.stdout[-3000:]
