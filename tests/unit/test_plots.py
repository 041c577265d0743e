"""lib.plots: each lesson figure draws what its title says."""

import pandas as pd
import pytest

from lib import data, plots


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
