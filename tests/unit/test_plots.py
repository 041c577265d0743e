"""lib.plots: each lesson figure draws what its title says."""

import numpy as np
import pandas as pd
import pytest

from lib import data, plots
from lib.course.lessons import system_design


@pytest.fixture(scope="module")
def raw():
    return pd.read_csv(data.packaged_raw_export())


def test_missing_values_has_a_bar_per_column(raw):
    """One bar per column, its length the number of missing values."""
    ax = plots.missing_values(raw).axes[0]
    labels = [label.get_text() for label in ax.get_yticklabels()]
    widths = {label: patch.get_width() for label, patch in zip(labels, ax.patches, strict=True)}
    assert len(widths) == 17
    assert widths["Comments"] == 290 and widths["Species"] == 0


def test_class_balance_counts_and_shares(raw):
    """Bars carry the count and the share of each class."""
    ax = plots.class_balance(raw["Species"].str.split().str[0]).axes[0]
    assert [p.get_height() for p in ax.patches] == [152, 68, 124]
    assert ax.texts[0].get_text() == "152 (44%)"


def test_measurements_by_species_has_four_panels(raw):
    """A panel per measurement, a box per species."""
    fig = plots.measurements_by_species(raw)
    assert [ax.get_title() for ax in fig.axes] == list(plots.schema.RAW_MEASUREMENT_COLUMNS)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["Adelie", "Chinstrap", "Gentoo"]


def test_bill_scatter_has_a_series_per_species(raw):
    """Three point clouds, all measured rows plotted."""
    ax = plots.bill_scatter(raw).axes[0]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["Adelie", "Chinstrap", "Gentoo"]
    assert sum(len(c.get_offsets()) for c in ax.collections) == 344


def test_split_balance_shows_equal_shares():
    """Two bars per class; labels are the shares of each split."""
    train = pd.DataFrame({"species": ["Adelie"] * 6 + ["Gentoo"] * 4})
    test = pd.DataFrame({"species": ["Adelie"] * 3 + ["Gentoo"] * 2})
    ax = plots.split_balance(train, test).axes[0]
    assert [round(p.get_height(), 2) for p in ax.patches] == [0.6, 0.4, 0.6, 0.4]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train (10 rows)", "test (5 rows)"]


def test_candidate_comparison_has_a_bar_and_a_dot_per_candidate():
    """CV bars carry the values; test scores are drawn as points."""
    table = pd.DataFrame(
        {
            "candidate": ["a", "b"],
            "cv_macro_f1": [0.99, 0.97],
            "cv_macro_f1_std": [0.01, 0.02],
            "test_macro_f1": [1.0, 0.96],
        }
    )
    whole, close = plots.candidate_comparison(table, line=0.985).axes
    assert sorted(p.get_width() for p in whole.patches) == [0.97, 0.99]
    assert len(whole.collections[-1].get_offsets()) == 2
    assert whole.get_xlim()[0] == 0  # every candidate on the whole scale
    assert close.get_xlim()[0] > 0.9
    assert [list(line.get_xdata()) for line in close.get_lines()].count([0.985, 0.985]) == 1  # the rule's line


def test_confusion_matrix_counts():
    """Cell (true, predicted) holds the count of such rows."""
    fig = plots.confusion_matrix(["Adelie", "Adelie", "Gentoo"], ["Adelie", "Gentoo", "Gentoo"], "t")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["1", "0", "1", "0", "0", "0", "0", "0", "1"]


def test_importances_has_a_panel_per_candidate():
    """One panel per candidate, titled with its name."""
    fig = plots.importances({"a": pd.Series({"x": 0.2, "y": 0.1}), "b": pd.Series({"x": 0.0, "y": 0.3})})
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]


def test_accuracy_vs_emissions_plots_each_candidate():
    """A labelled point per candidate in mg CO2eq on an axis from zero, and an energy bar per candidate in mWh."""
    table = pd.DataFrame(
        {
            "candidate": ["a", "b"],
            "cv_macro_f1": [0.99, 0.98],
            "train_emissions_kg": [1e-7, 1e-6],
            "train_energy_kwh": [1e-6, 2e-6],
        }
    )
    left, right = plots.accuracy_vs_emissions(table).axes
    assert [t.get_text() for t in left.texts] == ["a", "b"]
    assert sorted(round(x, 6) for x in left.collections[0].get_offsets()[:, 0]) == [0.1, 1.0]
    assert left.get_xlim()[0] == 0 and len(left.get_xticks()) >= 3
    assert sorted(round(p.get_width(), 6) for p in right.patches) == [1.0, 2.0]


def test_system_design_has_every_component():
    """The diagram names the offline and online parts, joined by labelled arrows."""
    ax = system_design.draw(stages=7).axes[0]
    labels = " ".join(t.get_text() for t in ax.texts)
    for part in ["7 lessons", "MLflow", "models/", "FastAPI", "clients", "CodeCarbon", "Prometheus", "load at start"]:
        assert part in labels
    assert len([c for c in ax.get_children() if type(c).__name__ == "Annotation"]) == 9


def test_latency_histogram_marks_percentiles_and_the_limit():
    """p50 and p99 lines with their values, and the requirement when it is in view."""
    ax = plots.latency_histogram(np.arange(1, 101, dtype=float), limit_ms=120).axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["p50 50.50 ms", "p99 99.01 ms", "requirement 120 ms"]
    far = plots.latency_histogram(np.arange(1, 101, dtype=float), limit_ms=1000).axes[0]
    assert len(far.get_legend().get_texts()) == 2
