"""The ML system's design as a diagram, for lesson 4.1: the offline pipeline and the online service."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.text import Text

# (x, y, label, colour) of each component; the pipeline's label is filled with the number of stages.
BOXES = {
    "data": (0.08, 0.75, "Palmer LTER export\n(palmerpenguins)", "#fde0c5"),
    "pipeline": (0.34, 0.75, "DVC pipeline\n{stages} lessons run by papermill\nGX gate, tests", "#d9e8f5"),
    "mlflow": (0.62, 0.75, "MLflow\nruns + registry\n@champion", "#d9e8f5"),
    "export": (0.62, 0.35, "models/\nskops + model.json", "#e5f5e0"),
    "api": (0.88, 0.55, "FastAPI on uvicorn\nnumpy inference path\n/metrics", "#c7e9c0"),
    "clients": (0.88, 0.12, "clients\n(field app, notebooks,\nload balancer)", "#f2f0f7"),
    "prometheus": (0.62, 0.12, "Prometheus\nalerts (lesson 5.1)", "#f0f0f0"),
    "dvc": (0.34, 0.35, "DVC cache / remote\ndata and model versions", "#f0f0f0"),
    "energy": (0.08, 0.35, "CodeCarbon\n(offline, batch)", "#f0f0f0"),
}
# (from, to, label) of each flow.
ARROWS = [
    ("data", "pipeline", "acquire"),
    ("pipeline", "mlflow", "track, register"),
    ("pipeline", "export", "export"),
    ("pipeline", "dvc", "version"),
    ("mlflow", "api", "or load"),
    ("export", "api", "load at start"),
    ("clients", "api", "HTTP JSON"),
    ("prometheus", "api", "scrape"),
    ("energy", "pipeline", "measure"),
]


def draw(stages: int) -> Figure:
    """The components and data flow, from the raw data to the clients of the API.

    ``stages`` is the number of stages (one per lesson) in ``dvc.yaml``.
    """
    fig = Figure(figsize=(11, 5.2), layout="constrained")
    ax = fig.add_subplot()
    texts = {
        key: ax.text(
            x,
            y,
            label.format(stages=stages),
            ha="center",
            va="center",
            fontsize=9,
            bbox={"boxstyle": "round,pad=0.6", "facecolor": colour, "edgecolor": "#555555"},
        )
        for key, (x, y, label, colour) in BOXES.items()
    }
    fig.canvas.draw()  # lay the boxes out, so arrows can stop at their edges
    for start, end, label in ARROWS:
        _arrow(ax, texts, start, end, label)
    ax.set_xlim(-0.05, 1.02)
    ax.set_ylim(0, 0.95)
    ax.set_axis_off()
    ax.set_title("The penguin classifier as a system: offline pipeline (left), online service (right)")
    return fig


def _arrow(ax, texts: dict[str, Text], start: str, end: str, label: str) -> None:
    """An arrow from box ``start``'s edge to box ``end``'s, labelled at its middle."""
    (x0, y0), (x1, y1) = BOXES[start][:2], BOXES[end][:2]
    ax.annotate(
        "",
        xy=(x1, y1),
        xytext=(x0, y0),
        arrowprops={
            "arrowstyle": "-|>",
            "color": "#555555",
            "shrinkA": 3,
            "shrinkB": 3,
            "patchA": texts[start].get_bbox_patch(),
            "patchB": texts[end].get_bbox_patch(),
        },
    )
    offset = (0.012, 0.0) if abs(x1 - x0) < 0.01 else (0.0, 0.025)
    ax.text(
        (x0 + x1) / 2 + offset[0],
        (y0 + y1) / 2 + offset[1],
        label,
        fontsize=8,
        color="#333333",
        ha="left" if offset[0] else "center",
    )
