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
