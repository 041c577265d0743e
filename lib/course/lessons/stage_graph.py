"""The project's DVC pipeline as data: its stages, the files between them, and a drawing.

Everything here is read from ``dvc.yaml`` and ``params.yaml``, so the lesson's
picture of the pipeline is the pipeline.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import yaml
from matplotlib.figure import Figure

from lib import paths


def load_stages(dvc_file: Path | None = None) -> dict[str, dict]:
    """Return the ``stages`` mapping of ``dvc.yaml``."""
    dvc_file = Path(dvc_file) if dvc_file is not None else paths.DVC_FILE
    return yaml.safe_load(dvc_file.read_text(encoding="utf-8"))["stages"]


def _out_path(out: str | dict) -> str:
    return out if isinstance(out, str) else next(iter(out))


def graph(stages: dict[str, dict]) -> nx.DiGraph:
    """Build the data-flow graph: stage -> folder of files it writes -> stage that reads them.

    Only files that another stage reads are drawn, grouped by folder (a node
    ``data/processed/`` lists ``train.csv`` and ``test.csv``); the notebooks and lib
    modules a stage depends on are left out, so the graph shows how data flows.
    """
    produced = {_out_path(out): name for name, stage in stages.items() for out in stage.get("outs", [])}
    flow = nx.DiGraph()
    flow.add_nodes_from(stages, kind="stage")
    for name, stage in stages.items():
        for dep in stage.get("deps", []):
            producer = produced.get(dep)
            if producer is None or producer == name:
                continue
            folder = dep.rsplit("/", 1)[0] + "/" if "/" in dep else dep
            if folder not in flow:
                flow.add_node(folder, kind="files", files=set())
            flow.nodes[folder]["files"].add(dep.rsplit("/", 1)[-1])
            flow.add_edge(producer, folder)
            flow.add_edge(folder, name)
    return flow


def plot(flow: nx.DiGraph) -> Figure:
    """Draw the graph left to right: stages as boxes, files as plain labels."""
    for layer, nodes in enumerate(nx.topological_generations(flow)):
        for node in nodes:
            flow.nodes[node]["layer"] = layer
    layers = max((data["layer"] for _, data in flow.nodes(data=True)), default=0) + 1
    position = nx.multipartite_layout(flow, subset_key="layer", align="vertical", scale=1.0)
    fig = Figure(figsize=(max(8, 1.9 * layers), 5.5), layout="constrained")
    ax = fig.add_subplot()
    nx.draw_networkx_edges(
        flow,
        position,
        ax=ax,
        arrows=True,
        arrowsize=14,
        edge_color="#777777",
        node_size=2500,
        min_source_margin=18,
        min_target_margin=18,
    )
    for node, data in flow.nodes(data=True):
        x, y = position[node]
        if data["kind"] == "stage":
            ax.text(
                x,
                y,
                node,
                ha="center",
                va="center",
                fontsize=10,
                fontweight="bold",
                bbox={"boxstyle": "round,pad=0.45", "facecolor": "#d9e8f5", "edgecolor": "#2b6cb0"},
            )
        else:
            label = node + "\n" + "\n".join(sorted(data["files"]))
            ax.text(
                x,
                y,
                label,
                ha="center",
                va="center",
                fontsize=8,
                bbox={"boxstyle": "square,pad=0.3", "facecolor": "white", "edgecolor": "#bbbbbb"},
            )
    ax.set_axis_off()
    ax.margins(0.12)
    ax.set_title("dvc.yaml: stages (blue) and the files that flow between them")
    return fig


def parameter_rows(stages: dict[str, dict], params: dict[str, dict]) -> list[tuple[str, str, object]]:
    """Return (stage, parameter, value) for every parameter each stage declares."""
    rows: list[tuple[str, str, object]] = []
    for name, stage in stages.items():
        for declared in stage.get("params", []):
            section, _, key = str(declared).partition(".")
            values = params.get(section, {})
            selected = {key: values[key]} if key else values
            rows.extend((name, f"{section}.{k}", v) for k, v in selected.items())
    return rows
