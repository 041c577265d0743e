"""lib/ as a newcomer meets it: every module on the package's map, none too long to read."""

import ast

import pytest

import lib
from tests.sandbox import WORKTREE

LIB = WORKTREE / "lib"
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60


def test_the_package_docstring_maps_every_module_and_subpackage():
    """Each top-level module and subpackage of lib/ is named in lib/__init__.py's docstring."""
    names = {path.stem for path in LIB.glob("*.py") if path.stem != "__init__"}
    names |= {path.name for path in LIB.iterdir() if (path / "__init__.py").is_file()}
    missing = sorted(name for name in names if f"``{name}``" not in (lib.__doc__ or ""))
    assert not missing, f"lib/__init__.py's docstring does not map {missing}"


def test_the_course_package_docstring_maps_its_modules():
    """Each module and subpackage of lib/course/ is named in lib/course/__init__.py's docstring."""
    course = LIB / "course"
    names = {path.stem for path in course.glob("*.py") if path.stem != "__init__"}
    names |= {path.name for path in course.iterdir() if (path / "__init__.py").is_file()}
    doc = ast.get_docstring(ast.parse((course / "__init__.py").read_text(encoding="utf-8"))) or ""
    missing = sorted(name for name in names if f"``{name}``" not in doc)
    assert not missing, f"lib/course/__init__.py's docstring does not map {missing}"


MODULES = sorted(LIB.rglob("*.py"))


@pytest.mark.parametrize("module", MODULES, ids=[str(m.relative_to(LIB)) for m in MODULES])
def test_modules_and_functions_stay_short(module):
    """No module over 300 lines, no function over 60: split along a seam instead."""
    source = module.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= MAX_MODULE_LINES, f"{module.name}: {len(source.splitlines())} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{module.name}: {long}"


def module_name(path) -> str:
    """``lib/serving/state.py`` -> ``lib.serving.state``; a package's ``__init__.py`` -> the package."""
    parts = path.relative_to(WORKTREE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def lib_imports(path) -> set[str]:
    """Every lib module that ``path`` imports anywhere (top level, in a function, or for type checking only)."""
    known = {module_name(module) for module in MODULES}
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in known and name != module_name(path)}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The cycles of ``graph``, each as the modules along it (depth-first search, each cycle once)."""
    cycles, done = [], set()

    def visit(node: str, trail: list[str]) -> None:
        for successor in sorted(graph.get(node, ())):
            if successor in trail:
                cycle = trail[trail.index(successor) :]
                if sorted(cycle) not in [sorted(seen) for seen in cycles]:
                    cycles.append(cycle)
            elif successor not in done:
                visit(successor, [*trail, successor])
        done.add(node)

    for start in sorted(graph):
        if start not in done:
            visit(start, [start])
    return cycles


def test_import_cycles_are_found():
    """The cycle finder sees a two-module circle and a longer one, and nothing in a tree."""
    assert import_cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b"]]
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_no_module_of_lib_imports_itself_through_others():
    """No import circle in lib/, counting imports inside functions and for type checking: each module can be
    read, and tested, after the modules it builds on. (A package's ``__init__`` re-exporting its modules is
    not a circle of the modules.)"""
    graph = {module_name(path): lib_imports(path) for path in MODULES}
    packages = {module_name(path) for path in MODULES if path.name == "__init__.py"}
    # A module importing its own package's __init__ (``from lib import paths``) reaches the package, whose
    # __init__ re-exports modules; count the edge to the module named, not to the package.
    graph = {module: {name for name in names if name not in packages} for module, names in graph.items()}
    assert import_cycles(graph) == []


def test_the_ml_system_never_imports_the_course():
    """The course's machinery (lib/course/) builds on the ML system, never the other way round."""
    outside = [path for path in MODULES if "course" not in path.relative_to(LIB).parts]
    reaching = {
        str(path.relative_to(WORKTREE)): sorted(name for name in lib_imports(path) if name.startswith("lib.course"))
        for path in outside
    }
    assert {path: names for path, names in reaching.items() if names} == {}
