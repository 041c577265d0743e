"""The lessons' figures.

Each function returns a :class:`matplotlib.figure.Figure` built without pyplot, so
nothing is drawn twice in a notebook and nothing depends on global state: a
notebook cell that ends with the figure shows it once, and tests can inspect it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay

from lib import schema

SPECIES_COLORS = {"Adelie": "#ff8c00", "Chinstrap": "#a034f0", "Gentoo": "#159090"}


def _species(raw: pd.DataFrame) -> pd.Series:
    return schema.species_names(raw[schema.RAW_SPECIES_COLUMN])


def missing_values(raw: pd.DataFrame) -> Figure:
    """Bar chart of the number of missing values in each column (columns with none included)."""
    counts = raw.isna().sum().iloc[::-1]
    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.add_subplot()
    bars = ax.barh(counts.index, counts.to_numpy(), color="#4c72b0")
    ax.bar_label(bars, padding=2)
    ax.set_xlabel(f"missing values (of {len(raw)} rows)")
    ax.set_title("Missing values per column")
    return fig


def class_balance(labels: pd.Series, title: str = "Penguins per species") -> Figure:
    """Bar chart of how many rows each class has, with counts and shares on the bars."""
    counts = labels.value_counts().sort_index()
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.add_subplot()
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
    ax = fig.add_subplot()
    for name in sorted(species.dropna().unique()):
        rows = raw[species == name]
        ax.scatter(
            rows["Culmen Length (mm)"],
            rows["Culmen Depth (mm)"],
            s=18,
            alpha=0.8,
            color=SPECIES_COLORS.get(name, "#4c72b0"),
            label=name,
        )
    ax.set_xlabel("bill (culmen) length, mm")
    ax.set_ylabel("bill (culmen) depth, mm")
    ax.legend(title="species")
    ax.set_title("Two bill measurements already separate the species")
    return fig


def split_balance(train: pd.DataFrame, test: pd.DataFrame, label: str = "species") -> Figure:
    """Share of each class in the train and test splits, side by side (stratification keeps them equal)."""
    shares = pd.DataFrame(
        {
            f"train ({len(train)} rows)": train[label].value_counts(normalize=True),
            f"test ({len(test)} rows)": test[label].value_counts(normalize=True),
        }
    ).sort_index()
    fig = Figure(figsize=(7, 3.8), layout="constrained")
    ax = fig.add_subplot()
    width = 0.38
    for offset, (column, hatch) in zip(
        (-width / 2, width / 2), zip(shares.columns, ("", "//"), strict=True), strict=True
    ):
        positions = [i + offset for i in range(len(shares))]
        colors = [SPECIES_COLORS.get(name, "#4c72b0") for name in shares.index]
        bars = ax.bar(positions, shares[column], width, color=colors, hatch=hatch, edgecolor="white", label=column)
        ax.bar_label(bars, labels=[f"{v:.0%}" for v in shares[column]], padding=2, fontsize=8)
    ax.set_xticks(range(len(shares)), shares.index)
    ax.set_ylabel("share of the split")
    ax.set_ylim(0, shares.to_numpy().max() * 1.2)
    ax.legend()
    ax.set_title("Class balance per split (plain: train, hatched: test)")
    return fig


def candidate_comparison(table: pd.DataFrame, line: float | None = None) -> Figure:
    """Cross-validated macro-F1 (bar, one standard deviation either side) and test macro-F1 (dot) per candidate.

    Left, every candidate on the whole scale; right, the candidates near the best, up close, with
    the selection rule's ``line`` (one standard error below the best mean) when it is given.
    """
    ordered = table.iloc[::-1]
    leaders = ordered[ordered["cv_macro_f1"] >= ordered["cv_macro_f1"].max() - 0.05]
    fig = Figure(figsize=(11, 0.6 * len(ordered) + 1.8), layout="constrained")
    whole, close = fig.subplots(1, 2, width_ratios=(1, 1))
    for ax, rows in ((whole, ordered), (close, leaders)):
        ax.barh(
            rows["candidate"],
            rows["cv_macro_f1"],
            xerr=rows["cv_macro_f1_std"],
            color="#9ecae1",
            capsize=4,
            label="cross-validated (train), ± 1 std",
        )
        ax.scatter(rows["test_macro_f1"], rows["candidate"], color="#08519c", zorder=3, label="held-out test")
        ax.set_xlabel("macro-F1")
    whole.set_xlim(0, 1.005)
    whole.set_title("every candidate")
    low = (leaders["cv_macro_f1"] - leaders["cv_macro_f1_std"]).min()
    close.set_xlim(min(low, leaders["test_macro_f1"].min(), line if line is not None else 1.0) - 0.005, 1.005)
    close.set_title("the leaders, up close")
    if line is not None:
        close.axvline(line, color="#d62728", linestyle="--", label="best mean - 1 standard error")
    close.legend(loc="lower left", fontsize="small")
    fig.suptitle("Candidates compared (runs read back from MLflow)")
    return fig


def importances(by_candidate: dict[str, pd.Series]) -> Figure:
    """One panel per candidate: the permutation importance of each input."""
    fig = Figure(figsize=(4 * len(by_candidate), 3.2), layout="constrained")
    axes = fig.subplots(1, len(by_candidate), sharex=True, squeeze=False)[0]
    for ax, (name, importance) in zip(axes, by_candidate.items(), strict=True):
        ordered = importance.sort_values()
        ax.barh(ordered.index, ordered.to_numpy(), color="#4c72b0")
        ax.set_title(name)
        ax.set_xlabel("drop in macro-F1")
    fig.suptitle("Which inputs each candidate relies on (permutation importance, test set)")
    return fig


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray, title: str) -> Figure:
    """The confusion matrix: rows are the true species, columns the predicted ones."""
    fig = Figure(figsize=(4.6, 4), layout="constrained")
    ax = fig.add_subplot()
    ConfusionMatrixDisplay.from_predictions(
        truth, predicted, labels=list(schema.CLASSES), ax=ax, colorbar=False, cmap="Blues"
    )
    ax.set_title(title)
    return fig


def accuracy_vs_emissions(table: pd.DataFrame) -> Figure:
    """Left: cross-validated macro-F1 against mg CO2eq per training; right: energy per training.

    The emissions and energy axes start at zero, so the distance between two candidates there is their real
    difference; the macro-F1 axis does not (the baseline sits far below the others).
    """
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    emissions_mg = table["train_emissions_kg"] * 1e6
    left.scatter(emissions_mg, table["cv_macro_f1"], s=60, color="#08519c")
    for row, x in zip(table.itertuples(), emissions_mg, strict=True):
        left.annotate(row.candidate, (x, row.cv_macro_f1), textcoords="offset points", xytext=(6, 4), fontsize=9)
    left.set_xlim(0, emissions_mg.max() * 1.4)
    left.set_xlabel("mg CO2eq per training")
    left.set_ylabel("cross-validated macro-F1")
    left.set_title("Better is up and to the left")
    ordered = table.sort_values("train_energy_kwh")
    right.barh(ordered["candidate"], ordered["train_energy_kwh"] * 1e6, color="#74a9cf")
    right.set_xlabel("mWh per training")
    right.set_title("Energy per training")
    return fig


def latency_histogram(latencies_ms: np.ndarray, limit_ms: float | None = None) -> Figure:
    """Histogram of request latencies with the median, the 99th percentile and an optional limit."""
    latencies_ms = np.asarray(latencies_ms, dtype=float)
    p50, p99 = np.percentile(latencies_ms, [50, 99])
    fig = Figure(figsize=(7, 3.6), layout="constrained")
    ax = fig.add_subplot()
    ax.hist(latencies_ms, bins=40, color="#74a9cf")
    ax.axvline(p50, color="#08519c", label=f"p50 {p50:.2f} ms")
    ax.axvline(p99, color="#cb181d", label=f"p99 {p99:.2f} ms")
    if limit_ms is not None and limit_ms <= latencies_ms.max() * 1.5:
        ax.axvline(limit_ms, color="black", linestyle="--", label=f"requirement {limit_ms:g} ms")
    ax.set_xlabel("latency of one /predict request, ms")
    ax.set_ylabel("requests")
    ax.legend()
    ax.set_title(f"{len(latencies_ms)} sequential requests")
    return fig


def monitoring_panels(
    request_rate: pd.DataFrame,
    latency_p95: pd.DataFrame,
    shares: pd.DataFrame,
    *,
    drift_starts: float,
    bands: dict[str, tuple[float, float]],
    fired_at: float | None = None,
) -> Figure:
    """Three PromQL range queries over one time axis: requests per second, p95 latency, and species shares.

    Each frame has ``seconds`` and ``value`` (``shares`` also ``species``), as
    :func:`lib.monitoring.query_range` returns them. A dotted line marks where the drifted
    season starts, a red one when the alert fired; dashed lines in each species' colour are its band.
    """
    fig = Figure(figsize=(9, 7), layout="constrained")
    rate_ax, latency_ax, share_ax = fig.subplots(3, 1, sharex=True)
    rate_ax.plot(request_rate["seconds"], request_rate["value"], color="#4c72b0")
    rate_ax.set_ylabel("requests / s")
    rate_ax.set_title("What Prometheus saw: /predict traffic, latency and the species predicted")
    latency_ax.plot(latency_p95["seconds"], latency_p95["value"] * 1000, color="#dd8452")
    latency_ax.set_ylabel("p95 latency, ms")
    latency_ax.set_ylim(bottom=0)
    for species, band in bands.items():
        color = SPECIES_COLORS.get(species, "grey")
        series = shares[shares["species"] == species] if len(shares) else shares
        share_ax.plot(series["seconds"], series["value"], color=color, label=species)
        for bound in band:
            share_ax.axhline(bound, color=color, linestyle="--", linewidth=0.8)
    share_ax.set_ylabel("share of predictions")
    share_ax.set_ylim(0, 1)
    share_ax.set_xlabel("seconds since the normal season started")
    for ax in (rate_ax, latency_ax, share_ax):
        ax.axvline(
            drift_starts, color="black", linestyle=":", label="drifted season starts" if ax is share_ax else None
        )
        if fired_at is not None:
            ax.axvline(fired_at, color="#cb181d", label="alert fired" if ax is share_ax else None)
    share_ax.legend(loc="upper left", ncols=5, fontsize="small")
    return fig
