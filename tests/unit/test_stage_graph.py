"""lib.pipeline and lib.structure: the lesson's picture of the pipeline is read from the real files."""

import pytest

from lib.course.lessons import stage_graph, structure
from tests.sandbox import WORKTREE

STAGES = {
    "a": {"cmd": "x", "deps": ["src.py"], "outs": ["data/one.csv"]},
    "b": {"cmd": "y", "deps": ["data/one.csv"], "outs": [{"models/m.skops": {"cache": False}}], "params": ["b"]},
    "c": {"cmd": "z", "deps": ["models/m.skops", "data/one.csv"], "params": ["c.k"]},
}


def test_stage_graph_links_producers_and_consumers():
    """Stage -> folder -> stage edges, files grouped by folder; files no stage writes are left out."""
    graph = stage_graph.graph(STAGES)
    assert set(graph.edges) == {("a", "data/"), ("data/", "b"), ("data/", "c"), ("b", "models/"), ("models/", "c")}
    assert graph.nodes["models/"]["files"] == {"m.skops"}
    assert "src.py" not in graph


def test_the_projects_pipeline_is_a_chain_from_inception():
    """In dvc.yaml, inception feeds prepare, which feeds train."""
    graph = stage_graph.graph(stage_graph.load_stages(WORKTREE / "dvc.yaml"))
    assert graph.has_edge("inception", "data/raw/")
    assert graph.has_edge("data/raw/", "prepare")
    assert graph.has_edge("data/processed/", "train")
    assert graph.nodes["data/processed/"]["files"] == {"train.csv", "test.csv"}


def test_plot_labels_every_stage():
    """Each stage appears as a label in the figure."""
    figure = stage_graph.plot(stage_graph.graph(STAGES))
    labels = {text.get_text() for text in figure.axes[0].texts}
    assert {"a", "b", "c"} <= labels


def test_parameter_rows_expand_sections_and_keys():
    """A declared section lists all its keys; a dotted key lists one."""
    rows = stage_graph.parameter_rows(STAGES, {"b": {"p": 1, "q": 2}, "c": {"k": 3, "other": 4}})
    assert rows == [("b", "b.p", 1), ("b", "b.q", 2), ("c", "c.k", 3)]


def test_layout_matches_the_tree(tmp_path):
    """Every committed entry of the layout table exists; a missing one is reported."""
    assert len(structure.layout_rows(WORKTREE)) == len(structure.LAYOUT)
    with pytest.raises(FileNotFoundError, match="lacks"):
        structure.layout_rows(tmp_path)
