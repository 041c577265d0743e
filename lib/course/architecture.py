"""The ML system as one picture: from the raw data to the served, monitored and replaced model.

Each box names the ``lib`` modules that do its part; each arrow is what flows between
them. ``python -m lib.course.architecture`` draws it into ``docs/architecture.svg``, the
picture of ``docs/architecture.md``; a test checks that the saved picture is what this
code draws and that every module of the ML system is in a box, so no module can be left
out of it unnoticed (the arrows and the lessons named are read, not tested).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import NamedTuple

import matplotlib as mpl
from matplotlib.figure import Figure

from lib import paths
from lib.course.diagram import diagram

PICTURE = paths.PROJ_ROOT / "docs" / "architecture.svg"


class Box(NamedTuple):
    """One part of the system: where it sits, the modules that make it, what it does, its colour."""

    x: float
    y: float
    modules: tuple[str, ...]
    does: str
    colour: str


DATA, MODEL, SERVE, AROUND = "#fde0c5", "#d9e8f5", "#c7e9c0", "#eeeeee"
BOXES = {
    "data": Box(
        0.07,
        0.86,
        ("data", "population"),
        "acquire the LTER export (1.0),\nclean, split (2.1); new birds\nlike the train split's (5.1, 5.2)",
        DATA,
    ),
    "validation": Box(
        0.32, 0.86, ("validation",), "Great Expectations gate of\nraw and processed data\n(2.1, 3.2, 5.2)", DATA
    ),
    "modeling": Box(
        0.57, 0.86, ("modeling", "explain"), "candidates, cross-validation;\nwhat a model leans on (3.2, 5.2)", MODEL
    ),
    "training": Box(
        0.83,
        0.86,
        ("training", "selection"),
        "fit (2.2, 3.1), log each candidate,\nchoose by the 1-SE rule (2.2, 5.2),\npublish (2.2)",
        MODEL,
    ),
    "cards": Box(0.07, 0.52, ("cards", "card_facts"), "dataset card (1.0),\nmodel card (2.2)", DATA),
    "champion": Box(0.32, 0.52, ("champion",), "models/: skops file +\nmodel.json (one typed record)", MODEL),
    "requirements": Box(
        0.57,
        0.52,
        ("requirements", "evidence", "fairness"),
        "success criteria (1.0), met\nbefore a publish (2.2); 95%\nintervals, gaps by group (3.2, 5.2)",
        MODEL,
    ),
    "tracking": Box(0.83, 0.52, ("tracking",), "the MLflow store: runs,\nthe registry, its alias", MODEL),
    "serving": Box(
        0.32,
        0.16,
        ("serving",),
        "FastAPI on uvicorn: /predict (4.1),\n/metrics (5.1); loads models/ or\n"
        "the registry; a new export served\nwithout a restart (5.2)",
        SERVE,
    ),
    "monitoring": Box(0.57, 0.16, ("monitoring",), "Prometheus alerts,\ndrift of a season (5.1)", SERVE),
    "loop": Box(0.83, 0.16, ("loop",), "a labelled season, the gate,\npromotion and rollback (5.2)", SERVE),
    "around": Box(
        0.07,
        0.16,
        ("paths", "params", "preflight", "schema", "energy", "quality", "plots", "processes", "ports"),
        "around every part: files, parameters\nand fields; energy (3.1); linters and\n"
        "tests (3.2); figures; servers, ports",
        AROUND,
    ),
}
# (from, to, what flows), in the order the data flows; BENDS curves an arrow around the boxes in its way.
ARROWS = [
    ("data", "validation", "raw, split"),
    ("validation", "modeling", "checked split"),
    ("modeling", "training", "candidates"),
    ("data", "cards", "dataset facts"),
    ("training", "cards", "model facts"),
    ("requirements", "training", "met?"),
    ("training", "tracking", "runs, versions; read back"),
    ("training", "champion", "export"),
    ("champion", "serving", "load"),
    ("serving", "monitoring", "metrics, log"),
    ("monitoring", "loop", "drift"),
    ("serving", "loop", "prediction log"),
    ("requirements", "loop", "the gate"),
    ("loop", "training", "labelled season"),
    ("loop", "tracking", "alias"),
    ("loop", "champion", "promoted export"),
]
BENDS = {("serving", "loop"): 0.2, ("loop", "training"): 0.45}


def modules() -> set[str]:
    """Every module of ``lib`` that the picture names."""
    return {module for box in BOXES.values() for module in box.modules}


def label(box: Box) -> str:
    """A box's text: its modules as ``lib.x``, then what they do."""
    names = [f"lib.{module}" for module in box.modules]
    lines = [", ".join(names[index : index + 3]) for index in range(0, len(names), 3)]
    return "\n".join([*lines, box.does])


def draw() -> Figure:
    """The picture: the system's parts as boxes, in the order the data flows, and what flows between them."""
    fig = Figure(figsize=(13, 7), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlim(-0.06, 1.04)
    ax.set_ylim(0.0, 0.98)
    ax.set_axis_off()
    ax.set_title("The penguin classifier as lib/ builds it: data (orange), model (blue), service (green)")
    # Drawn once the limits and the title are set: a bent arrow's label is placed by the axes' final aspect.
    boxes = {key: (box.x, box.y, label(box), box.colour) for key, box in BOXES.items()}
    diagram(ax, boxes, ARROWS, fontsize=8.5, bends=BENDS)
    return fig


def svg() -> str:
    """The picture as SVG, the same bytes on every run (fixed ids, no date, text drawn as paths)."""
    buffer = io.StringIO()
    with mpl.rc_context({"svg.hashsalt": "penguins-architecture", "svg.fonttype": "path"}):
        draw().savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def write(path: Path = PICTURE) -> Path:
    """Draw the picture into ``path`` (atomically) and return it."""
    text = svg()
    return paths.write_atomically(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


if __name__ == "__main__":
    print(f"wrote {write().relative_to(paths.PROJ_ROOT)}")
