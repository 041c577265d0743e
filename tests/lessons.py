"""What the tests need to know about the lessons and their stages, read from the files themselves."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import yaml

from tests.sandbox import WORKTREE

NOTEBOOKS = sorted((WORKTREE / "notebooks").glob("*.ipynb"))
PARAM_FLAG = re.compile(r"-p\s+(\w+)\s+\$\{([\w.]+)\}")
YAML_FLAG = re.compile(r"""-y\s+["'](\w+):\s*\$\{([\w.]+)\}["']""")


def code_cells(notebook: Path) -> list:
    """The notebook's code cells, in order."""
    return [c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]


def parameters_cell(notebook: Path):
    """The code cell tagged ``parameters`` (papermill injects after it)."""
    tagged = [c for c in code_cells(notebook) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{notebook.name}: expected exactly one cell tagged 'parameters', found {len(tagged)}"
    return tagged[0]


def parameter_defaults(notebook: Path) -> dict:
    """The literal defaults assigned in the parameters cell."""
    values = {}
    for node in ast.parse(parameters_cell(notebook).source).body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1, f"{notebook.name}: only NAME = literal"
        values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


def dvc_stages() -> dict:
    """The stages of dvc.yaml."""
    return yaml.safe_load((WORKTREE / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


def stage_of(notebook: Path) -> tuple[str, dict]:
    """The (name, stage) of dvc.yaml that executes ``notebook``."""
    rel = f"notebooks/{notebook.name}"
    found = [(name, stage) for name, stage in dvc_stages().items() if rel in stage["cmd"].split()]
    assert len(found) == 1, f"expected exactly one dvc.yaml stage running {rel}, found {[n for n, _ in found]}"
    return found[0]


def injected_parameters(stage: dict) -> dict[str, str]:
    """Map each papermill parameter the stage passes to the params.yaml key it interpolates."""
    cmd = stage["cmd"]
    return dict(PARAM_FLAG.findall(cmd)) | dict(YAML_FLAG.findall(cmd))


def params_value(key: str):
    """The value of a dotted key (``train.seed``) in params.yaml."""
    value = yaml.safe_load((WORKTREE / "params.yaml").read_text(encoding="utf-8"))
    for part in key.split("."):
        value = value[part]
    return value


def lib_imports(source: str, module_level_only: bool = False) -> set[str]:
    """The lib modules that ``source`` imports (``from lib import x``, ``from lib.x import y``)."""
    tree = ast.parse(source)
    nodes = tree.body if module_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module == "lib":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lib."):
            found.add(node.module.split(".")[1])
    return found


def module_source(module: str) -> str:
    """The source of lib module ``module``: its file, or every file of its package."""
    package = WORKTREE / "lib" / module
    files = sorted(package.glob("*.py")) if package.is_dir() else [WORKTREE / "lib" / f"{module}.py"]
    return "\n".join(path.read_text(encoding="utf-8") for path in files)


def lib_path(module: str) -> str:
    """How the repository names lib module ``module``: ``lib/x.py``, or ``lib/x`` for a package."""
    return f"lib/{module}" if (WORKTREE / "lib" / module).is_dir() else f"lib/{module}.py"


def lib_closure(modules: set[str], module_level_only: bool = False) -> set[str]:
    """``modules`` and every lib module they import, transitively."""
    seen, todo = set(), set(modules)
    while todo:
        module = todo.pop()
        seen.add(module)
        source = module_source(module)
        todo |= lib_imports(source, module_level_only) - seen
    return seen
