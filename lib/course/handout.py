"""``make handout DEST=...``: the course for students, with each worked solution replaced by a stub.

The copy is the project as Git tracks it, except ``exercises/*.py``: each public function
keeps its signature and the first line of its docstring (which states the exercise), says
what it must return (the keys of the dict the solution returns, or its return type), and
raises :class:`NotImplementedError`. Private helpers and classes, which are part of the
solutions, are left out; imports, the module's set-up calls and the exercises' given data stay, and so do
the functions a module names in ``GIVEN`` (tools the student uses, such as a harness that runs their
answer), whole, with the private helpers they call. The tests that check
the worked solutions (``tests/exercises``) then check a student's answers:
``pytest tests/exercises --answers PATH/exercises`` (see :mod:`tests.exercises.conftest`).
"""

from __future__ import annotations

import argparse
import ast
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from lib import paths, processes
from lib.course import exercises, snapshot

# Module constants that are themselves answers, and what the stub puts in their place.
ANSWER_CONSTANTS = {"quality_assurance.py": {"FIXED": "FLAWED  # your fixed version of FLAWED"}}
STUB_NOTE = "Your answers to the exercises of this lesson: replace each ``raise NotImplementedError``."


def _own_returns(function: ast.FunctionDef) -> list[ast.Return]:
    """The function's own ``return`` statements, not those of functions defined inside it."""
    found: list[ast.Return] = []
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Return):
            found.append(node)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            pending.extend(ast.iter_child_nodes(node))
    return found


def _returns(function: ast.FunctionDef) -> str:
    """What the solution returns: the keys of a returned dict literal, else its annotation."""
    for node in _own_returns(function):
        if isinstance(node.value, ast.Dict):
            keys = [str(key.value) for key in node.value.keys if isinstance(key, ast.Constant)]
            if keys:
                return "a dict with the keys " + ", ".join(f"``{key}``" for key in keys)
    if function.returns is not None:
        return f"``{ast.unparse(function.returns)}``"
    return "what the lesson's exercise asks for"


def _what_it_returns(function: ast.FunctionDef, docstring: str) -> str:
    """The solution docstring's paragraph that starts with "Returns" (the shape its test reads), else a guess."""
    for paragraph in docstring.split("\n\n"):
        if paragraph.startswith("Returns"):
            return " ".join(paragraph.split())
    return f"Return {_returns(function)}."


def _stub(function: ast.FunctionDef, lines: list[str], module: str, statement: str | None = None) -> list[str]:
    start = function.decorator_list[0].lineno if function.decorator_list else function.lineno
    body = function.body[0]
    signature = lines[start - 1 : body.lineno - 1]
    docstring = ast.get_docstring(function) or ""
    summary = statement or docstring.split("\n\n", 1)[0].replace("\n", " ").strip() or f"Write ``{function.name}``."
    indent = " " * (function.col_offset + 4)

    def wrap(text: str) -> str:
        return textwrap.fill(text, width=116, initial_indent=indent, subsequent_indent=indent)

    return [
        *signature,
        wrap('"""' + summary),
        "",
        wrap(_what_it_returns(function, docstring)),
        f'{indent}"""',
        f'{indent}raise NotImplementedError("exercise {module}.{function.name}: your answer goes here")',
    ]


def given_functions(tree: ast.Module) -> set[str]:
    """The functions the module names in ``GIVEN``, and the private functions they call, transitively."""
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    named: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "GIVEN" for t in node.targets):
            named = {str(item) for item in ast.literal_eval(node.value)}
    kept, pending = set(), list(named)
    while pending:
        name = pending.pop()
        if name in kept or name not in functions:
            continue
        kept.add(name)
        called = {n.id for n in ast.walk(functions[name]) if isinstance(n, ast.Name) and n.id.startswith("_")}
        pending += sorted(called & set(functions))
    return kept


def stub_module(source: str, name: str, statements: dict[str, str] | None = None) -> str:
    """The hand-out version of one solutions module (its file ``name``): see the module docstring.

    ``statements`` maps an exercise's function to the exercise as its lesson states it, which the stub's
    docstring then carries (the solution's first docstring line otherwise).
    """
    statements = statements or {}
    tree = ast.parse(source)
    lines = source.splitlines()
    given = given_functions(tree)
    out: list[str] = []
    docstring = ast.get_docstring(tree)
    if docstring:
        title = docstring.splitlines()[0].replace("Solutions to the exercises", "The exercises")
        out += [f'"""{title}', "", STUB_NOTE, '"""', ""]
    # The stubs leave the solutions' imports in place, for the answers to use.
    out += ["# ruff: noqa: F401", "# pylint: disable=unused-import", ""]
    overrides = ANSWER_CONSTANTS.get(name, {})
    for node in tree.body:
        if isinstance(node, ast.Expr) and node is tree.body[0] and docstring:
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out += lines[node.lineno - 1 : node.end_lineno]
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):  # set-up the imports below need
            out += ["", *lines[node.lineno - 1 : node.end_lineno], ""]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            label = target.id if isinstance(target, ast.Name) else ""
            if label in overrides:
                out += ["", f"{label} = {overrides[label]}"]
            elif not label.startswith("_"):
                out += ["", *lines[node.lineno - 1 : node.end_lineno]]
        elif isinstance(node, ast.FunctionDef) and node.name in given:
            start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            out += ["", "", *lines[start - 1 : node.end_lineno]]
        elif isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            out += ["", "", *_stub(node, lines, Path(name).stem, statements.get(node.name))]
    return "\n".join(out).rstrip() + "\n"


def _statements(root: Path, module: str) -> dict[str, str]:
    """The exercises of the lesson whose module is ``module``, as its "Your turn" states them, by function."""
    found = {}
    for lesson in exercises.catalog(root / "exercises" / "catalog.yaml"):
        if lesson.module == module:
            stated = exercises.statements(root / "notebooks" / f"{lesson.stem}.ipynb")
            for number, exercise in enumerate(lesson.exercises, 1):
                found[exercise.solution] = f"Exercise {exercise.id}: {stated.get(number, exercise.title)}"
    return found


def write(destination: Path, root: Path | None = None) -> list[Path]:
    """Copy the project to ``destination`` with the solutions stubbed; return the stubbed files.

    Refuses a destination inside the project, or one that is not empty, so nothing is overwritten.
    """
    root = (root or paths.PROJ_ROOT).resolve()
    destination = Path(destination).expanduser().resolve()
    if destination == root or root in destination.parents:
        raise ValueError(f"the hand-out must go outside the project, not to {destination}")
    if destination.exists() and any(destination.iterdir()):
        raise ValueError(f"{destination} is not empty: choose a new folder for the hand-out")
    snapshot.copy_project(root, destination)
    stubbed = []
    for module in sorted((destination / "exercises").glob("*.py")):
        if module.name == "__init__.py":
            continue
        text = stub_module(module.read_text(encoding="utf-8"), module.name, _statements(destination, module.stem))
        module.write_text(text, encoding="utf-8")
        stubbed.append(module)
    shutil.rmtree(destination / "site", ignore_errors=True)
    # The project's own formatter, with the project's settings: the stubs read like the rest of the code.
    for command in (["check", "--fix", "--select", "I", "--quiet"], ["format", "--quiet"]):
        subprocess.run([processes.tool("ruff"), *command, *map(str, stubbed)], cwd=destination, check=False)
    return stubbed


def main(argv: list[str] | None = None) -> int:
    """``python -m lib.course.handout DEST``: write the hand-out and say how to grade it."""
    parser = argparse.ArgumentParser(prog="python -m lib.course.handout", description=__doc__.split("\n", 1)[0])
    parser.add_argument("destination", type=Path, help="a new, empty folder outside the project")
    arguments = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        stubbed = write(arguments.destination)
    except ValueError as exc:
        print(f"cannot write the hand-out: {exc}", file=sys.stderr)
        return 2
    print(f"wrote the hand-out to {arguments.destination}: {len(stubbed)} exercise modules stubbed")
    print(
        "students: run the lessons, then answer in exercises/*.py; grade with, from this project:\n"
        f"  .venv/bin/python -m pytest tests/exercises --answers {arguments.destination}/exercises"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
