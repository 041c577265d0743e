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


# Packages whose modules are each a dependency of their own (a lesson uses one helper, not all), longest
# first: ``lib.course.lessons.acceptance`` is the module ``course.lessons.acceptance``, ``lib.course.snapshot``
# the module ``course.snapshot``.
SPLIT_PACKAGES = ("course.lessons", "course")


def _module(parts: list[str], names: list[str]) -> set[str]:
    """The lib modules an import ``from lib.<parts> import <names>`` reaches (``parts`` after ``lib``)."""
    name = ".".join(parts)
    if not name:
        return set(names)
    split = next((package for package in SPLIT_PACKAGES if name == package or name.startswith(f"{package}.")), None)
    if split is None:
        return {parts[0]}
    if name == split:
        return {f"{split}.{alias}" for alias in names}
    return {".".join(parts[: len(split.split(".")) + 1])}


def lib_imports(source: str, module_level_only: bool = False) -> set[str]:
    """The lib modules that ``source`` imports (``from lib import x``, ``from lib.x import y``).

    A module of a split package is named with it (``course.lessons.acceptance``); any other package
    (``serving``, ``monitoring``, ``course.team``) counts as one module.
    """
    tree = ast.parse(source)
    nodes = tree.body if module_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "lib":
            found |= _module(node.module.split(".")[1:], [alias.name for alias in node.names])
    return {name for name in found if name not in SPLIT_PACKAGES}


def module_source(module: str) -> str:
    """The source of lib module ``module``: its file, or every file of its package."""
    location = WORKTREE / "lib" / module.replace(".", "/")
    files = sorted(location.glob("*.py")) if location.is_dir() else [location.with_suffix(".py")]
    return "\n".join(path.read_text(encoding="utf-8") for path in files)


def lib_path(module: str) -> str:
    """How the repository names lib module ``module``: ``lib/x.py``, ``lib/course/lessons/x.py``, ``lib/x``."""
    relative = module.replace(".", "/")
    return f"lib/{relative}" if (WORKTREE / "lib" / relative).is_dir() else f"lib/{relative}.py"


def lib_closure(modules: set[str], module_level_only: bool = False) -> set[str]:
    """``modules`` and every lib module they import, transitively."""
    seen, todo = set(), set(modules)
    while todo:
        module = todo.pop()
        seen.add(module)
        source = module_source(module)
        todo |= lib_imports(source, module_level_only) - seen
    return seen


# A figure that a run measures (a time, a rate, an energy, a size, a share, a score, a count of things the
# data or a run produces) must be printed by code, never typed into a lesson's prose. A number followed by
# one of these units or nouns, or a score written as 0.xx, in markdown outside code spans, is such a figure
# unless it is a fixed setting: a value of params.yaml, or one of ALLOWED_FIGURES below.
MEASURED = re.compile(
    r"(?<![\w.$])(?P<number>\d+(?:[.,]\d+)*)\s*(?P<unit>ms|µs|s|seconds?|minutes?|hours?|req/s"
    r"|requests? (?:a|per) second|W|watts?|mWh|kWh|Wh|J|mg|%|MB|GB|KB|MiB|GiB|bytes|times|x"
    r"|rows|penguins|birds|runs|predictions|requests|lints|findings|expectations|tests|columns|messages|clients)"
    r"(?![\w/])"
    r"|(?<![\w.])(?P<score>0\.\d{2,})(?![\w.])"
)
# Fixed facts that look like measurements, each with the reason it is not one.
ALLOWED_FIGURES = {
    "1000 penguins": "the API's batch limit, a setting (lib/serving/settings.py)",
    "1001 penguins": "the batch limit plus one: the input an exercise sends",
    "1000 rows": "Evidently's own switch between statistical tests and distances, a setting of the tool",
}
CODE_SPAN = re.compile(r"`[^`]*`|\]\([^)]*\)|<[^>]+>")


TIME_UNITS = {"ms": "_ms", "µs": None, "s": "_s", "second": "_s", "seconds": "_s", "minute": None, "minutes": None}
COUNT_UNITS = {"rows", "penguins", "birds", "runs", "predictions", "requests", "lints", "findings", "expectations"}
COUNT_UNITS |= {"tests", "columns", "messages", "clients"}


def fixed_settings() -> dict[str, set[str]]:
    """The numbers of params.yaml a lesson may write, by the kind of figure each can be.

    A time in ms or s must be a key ending in ``_ms`` or ``_s``; a rate a key with ``per_second``;
    a share or a score (``0.15``, or ``15`` %) a fraction; a count an integer.
    """
    kinds: dict[str, set[str]] = {"_ms": set(), "_s": set(), "rate": set(), "fraction": set(), "count": set()}

    def walk(key: str, value: object) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                walk(str(name), item)
        elif isinstance(value, bool) or not isinstance(value, int | float):
            return
        elif key.endswith(("_ms", "_s")):
            kinds["_ms" if key.endswith("_ms") else "_s"].add(f"{value:g}")
        elif "per_second" in key:
            kinds["rate"].add(f"{value:g}")
        elif isinstance(value, float) and 0 < value < 1:
            kinds["fraction"] |= {f"{value:g}", f"{value * 100:g}"}
        elif isinstance(value, int):
            kinds["count"].add(f"{value:g}")

    walk("", yaml.safe_load((WORKTREE / "params.yaml").read_text(encoding="utf-8")))
    return kinds


def _is_setting(number: str, unit: str | None, kinds: dict[str, set[str]]) -> bool:
    """Whether ``number`` with ``unit`` (None for a bare 0.xx score) is a value of params.yaml of that kind."""
    value = f"{float(number):g}"
    if unit is None or unit == "%":
        return value in kinds["fraction"]
    if unit in TIME_UNITS:
        return TIME_UNITS[unit] is not None and value in kinds[TIME_UNITS[unit]]
    if "second" in unit or unit == "req/s":
        return value in kinds["rate"]
    return unit in COUNT_UNITS and value in kinds["count"]


def hand_typed_figures(notebook: Path) -> list[str]:
    """The measured-looking figures typed into ``notebook``'s markdown, as "cell N: phrase"."""
    kinds = fixed_settings()
    found = []
    cells = nbformat.read(notebook, as_version=4).cells
    for index, cell in enumerate(cells):
        if cell.cell_type != "markdown":
            continue
        prose = CODE_SPAN.sub(" ", cell.source)
        for match in MEASURED.finditer(prose):
            phrase = " ".join(match.group(0).split())
            number = (match.group("number") or match.group("score")).replace(",", "")
            if phrase in ALLOWED_FIGURES or _is_setting(number, match.group("unit"), kinds):
                continue
            found.append(f"cell {index}: {phrase!r}")
    return found
