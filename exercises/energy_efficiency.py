"""Solutions to the exercises of lesson 3.1, energy efficiency. Run: ``python -m exercises.energy_efficiency``."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pandas as pd
from codecarbon import OfflineEmissionsTracker

from lib import champion, data, modeling, paths


def _tracked(work, *, country: str, mode: str, output_dir: Path, repeats: int):
    tracker = OfflineEmissionsTracker(
        country_iso_code=country,
        output_dir=str(output_dir),
        tracking_mode=mode,
        project_name=f"exercise-{country}-{mode}",
        measure_power_secs=1,
        log_level="error",
    )
    tracker.start()
    try:
        for _ in range(repeats):
            work()
    finally:
        tracker.stop()
    return tracker.final_emissions_data


def grid_comparison(
    train: pd.DataFrame, countries=("FRA", "POL"), repeats: int = 5, output_dir: Path | None = None
) -> pd.DataFrame:
    """Exercise 1: the same training on two grids; the carbon intensity (g CO2eq per kWh) makes the difference."""
    output_dir = Path(output_dir or tempfile.mkdtemp(prefix="exercise-grid-"))
    model = modeling.build_candidate("logistic_regression", {"C": 1.0}, 42)
    rows = []
    for country in countries:
        done = _tracked(
            lambda: model.fit(modeling.features(train), modeling.labels(train)),
            country=country,
            mode="process",
            output_dir=output_dir,
            repeats=repeats,
        )
        rows.append(
            {
                "country": country,
                "energy_kwh": done.energy_consumed,
                "emissions_kg": done.emissions,
                "g_per_kwh": 1000 * done.emissions / done.energy_consumed,
            }
        )
    return pd.DataFrame(rows)


def mode_comparison(model, rows: pd.DataFrame, repeats: int = 200, output_dir: Path | None = None) -> pd.DataFrame:
    """Exercise 2: an inference loop in both tracking modes; RAM power is what changes most."""
    output_dir = Path(output_dir or tempfile.mkdtemp(prefix="exercise-modes-"))
    x = modeling.features(rows)
    results = []
    for mode in ("machine", "process"):
        done = _tracked(
            lambda: model.predict_proba(x), country="ESP", mode=mode, output_dir=output_dir, repeats=repeats
        )
        results.append(
            {
                "mode": mode,
                "cpu_power_w": done.cpu_power,
                "ram_power_w": done.ram_power,
                "energy_kwh": done.energy_consumed,
            }
        )
    return pd.DataFrame(results)


def tracker_overhead(model, rows: pd.DataFrame, output_dir: Path | None = None) -> dict:
    """Exercise 3: what one tracked prediction costs against a bare one, and what it leaves behind (a CSV row)."""
    output_dir = Path(output_dir or tempfile.mkdtemp(prefix="exercise-overhead-"))
    x = modeling.features(rows.head(1))
    model.predict_proba(x)
    start = time.perf_counter()
    model.predict_proba(x)
    predict_s = time.perf_counter() - start
    start = time.perf_counter()
    _tracked(lambda: model.predict_proba(x), country="ESP", mode="process", output_dir=output_dir, repeats=1)
    tracked_s = time.perf_counter() - start
    rows_written = len(pd.read_csv(output_dir / "emissions.csv"))
    return {"predict_s": predict_s, "tracked_s": tracked_s, "csv_rows": rows_written}


if __name__ == "__main__":
    train_set, test_set = data.load_processed(paths.TRAIN_FILE), data.load_processed(paths.TEST_FILE)
    served = champion.load_model()
    print("1.", grid_comparison(train_set), sep="\n")
    print("2.", mode_comparison(served, test_set), sep="\n")
    print("3.", tracker_overhead(served, test_set))
