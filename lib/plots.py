"""The lessons' figures.

Each function returns a :class:`matplotlib.figure.Figure` built without pyplot, so
nothing is drawn twice in a notebook and nothing depends on global state: a
notebook cell that ends with the figure shows it once, and tests can inspect it.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from lib import schema

SPECIES_COLORS = {"Adelie": "#ff8c00", "Chinstrap": "#a034f0", "Gentoo": "#159090"}


def _species(raw: pd.DataFrame) -> pd.Series:
    return raw[schema.RAW_SPECIES_COLUMN].str.split().str[0]


def missing_values(raw: pd.DataFrame) -> Figure:
    """Bar chart of the number of missing values in each column (columns with none included)."""
    counts = raw.isna().sum().iloc[::-1]
    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.subplots()
    bars = ax.barh(counts.index, counts.to_numpy(), color="#4c72b0")
    ax.bar_label(bars, padding=2)
    ax.set_xlabel(f"missing values (of {len(raw)} rows)")
    ax.set_title("Missing values per column")
    return fig


def class_balance(labels: pd.Series, title: str = "Penguins per species") -> Figure:
    """Bar chart of how many rows each class has, with counts and shares on the bars."""
    counts = labels.value_counts().sort_index()
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    colors = [SPECIES_COLORS.get(name, "#4c72b0") for name in counts.index]
    bars = ax.bar(counts.index, counts.to_numpy(), color=colors)
    ax.bar_label(bars, labels=[f"{n} ({n / counts.sum():.0%})" for n in counts], padding=2)
    ax.set_ylabel("rows")
    ax.set_ylim(0, counts.max() * 1.15)
    ax.set_title(title)
    return fig


def measurements_by_species(raw: pd.DataFrame) -> Figure:
    """One box plot per body measurement, a box per species."""
    species = _species(raw)
    names = sorted(species.dropna().unique())
    fig = Figure(figsize=(10, 6), layout="constrained")
    axes = fig.subplots(2, 2).ravel()
    for ax, column in zip(axes, schema.RAW_MEASUREMENT_COLUMNS, strict=True):
        groups = [raw.loc[species == name, column].dropna().to_numpy() for name in names]
        boxes = ax.boxplot(groups, patch_artist=True, medianprops={"color": "black"})
        ax.set_xticks(range(1, len(names) + 1), names)
        for patch, name in zip(boxes["boxes"], names, strict=True):
            patch.set_facecolor(SPECIES_COLORS.get(name, "#4c72b0"))
        ax.set_title(column)
    fig.suptitle("Body measurements by species")
    return fig


def bill_scatter(raw: pd.DataFrame) -> Figure:
    """Bill length against bill depth, one colour per species: the classic separation."""
    species = _species(raw)
    fig = Figure(figsize=(7, 5), layout="constrained")
    ax = fig.subplots()
    for name in sorted(species.dropna().unique()):
        rows = raw[species == name]
        ax.scatter(
            rows["Culmen Length (mm)"], rows["Culmen Depth (mm)"], s=18, alpha=0.8,
            color=SPECIES_COLORS.get(name, "#4c72b0"), label=name,
        )
    ax.set_xlabel("bill (culmen) length, mm")
    ax.set_ylabel("bill (culmen) depth, mm")
    ax.legend(title="species")
    ax.set_title("Two bill measurements already separate the species")
    return fig
