"""The ML system's design as a diagram, for lesson 4.1: the offline pipeline and the online service."""

from __future__ import annotations

from matplotlib.figure import Figure

from lib.course.diagram import diagram

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
    boxes = {key: (x, y, label.format(stages=stages), colour) for key, (x, y, label, colour) in BOXES.items()}
    diagram(ax, boxes, ARROWS, fontsize=9)
    ax.set_xlim(-0.05, 1.02)
    ax.set_ylim(0, 0.95)
    ax.set_axis_off()
    ax.set_title("The penguin classifier as a system: offline pipeline (left), online service (right)")
    return fig
