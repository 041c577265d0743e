"""Solutions to the exercises of lesson 3.1, energy efficiency. Run: ``python -m exercises.energy_efficiency``."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pandas as pd
from codecarbon import OfflineEmissionsTracker

from lib import champion, data, energy, modeling, paths, training


def _output(output_dir: Path | None, prefix: str) -> Path:
    return Path(output_dir or tempfile.mkdtemp(prefix=prefix))


def grid_comparison(
    train: pd.DataFrame, countries=("FRA", "POL"), repeats: int = 5, output_dir: Path | None = None
) -> pd.DataFrame:
    """Exercise 1: the same training on two grids; the carbon intensity (g CO2eq per kWh) makes the difference."""
    output_dir = _output(output_dir, "exercise-grid-")
    rows = []
    for country in countries:
        measured = energy.measure(
            lambda: training.fit("logistic_regression", {"C": 1.0}, train, 42),
            label=f"exercise-{country}",
            repeats=repeats,
            country_iso_code=country,
            output_dir=output_dir,
        )
        once = measured.per_repeat()
        rows.append(
            {
                "country": country,
                "energy_kwh": once["energy_kwh"],
                "emissions_kg": once["emissions_kg"],
                "g_per_kwh": 1000 * measured.emissions_kg / measured.energy_kwh,
            }
        )
    return pd.DataFrame(rows)


def ram_floor(train: pd.DataFrame, repeats: int = 5, output_dir: Path | None = None) -> dict:
    """Exercise 2: what share of each training's energy is the RAM estimate, and does the ranking survive without it?

    In process mode CodeCarbon charges RAM power from the process's memory, never below two memory
    modules' worth: the same power for every candidate, times how long it runs. The CPU part is what
    the candidates really differ in. (``ram_power_w`` is the mean of the tracker's samples; a sample
    of its timer thread that overlaps the one ``stop()`` takes is added to the sum but not counted,
    which ``energy.measure`` avoids by taking one sample, at ``stop()``.)
    """
    output_dir = _output(output_dir, "exercise-ram-")
    rows = []
    for name in ("logistic_regression", "gradient_boosting", "random_forest"):
        measured = energy.measure(
            lambda name=name: training.fit(name, {}, train, 42),
            label=f"exercise-ram-{name}",
            repeats=repeats,
            country_iso_code="ESP",
            output_dir=output_dir,
        )
        rows.append(
            {
                "candidate": name,
                "ram_power_w": measured.ram_power_w,
                "ram_share": measured.ram_share,
                "energy_per_training_kwh": measured.energy_kwh / measured.repeats,
                "cpu_energy_per_training_kwh": measured.cpu_energy_kwh / measured.repeats,
            }
        )
    table = pd.DataFrame(rows)
    by_total = list(table.sort_values("energy_per_training_kwh")["candidate"])
    by_cpu = list(table.sort_values("cpu_energy_per_training_kwh")["candidate"])
    return {"table": table, "ranking_by_total": by_total, "ranking_by_cpu": by_cpu, "same": by_total == by_cpu}


def where_to_measure(model, rows: pd.DataFrame, output_dir: Path | None = None) -> dict:
    """Exercise 3: one prediction under a tracker is never sampled; a batch of them is measured.

    A request handler that wrapped each prediction in a tracker would record the tracker's own
    start-up, not the prediction (and pay for it on every request); a representative batch,
    measured offline, gives a figure.
    """
    output_dir = _output(output_dir, "exercise-where-")
    x_one, x_all = modeling.features(rows.head(1)), modeling.features(rows)
    with OfflineEmissionsTracker(
        country_iso_code="ESP", output_dir=str(output_dir), tracking_mode="process", log_level="error"
    ) as tracker:
        started = time.perf_counter()
        model.predict_proba(x_one)
        work_s = time.perf_counter() - started
    once = tracker.final_emissions_data
    try:
        energy.check_measured("one prediction", work_s, once.cpu_energy)
        single = "measured"
    except energy.MeasurementTooShort as error:
        single = str(error)
    batch = energy.measure(
        lambda: model.predict_proba(x_all), label="batch", repeats=10, country_iso_code="ESP", output_dir=output_dir
    )
    per_prediction = batch.energy_kwh / (batch.repeats * len(x_all))
    return {"single": single, "single_work_s": work_s, "per_prediction_kwh": per_prediction}


if __name__ == "__main__":
    train_set, test_set = data.load_processed(paths.TRAIN_FILE), data.load_processed(paths.TEST_FILE)
    print("1.", grid_comparison(train_set), sep="\n")
    print("2.", ram_floor(train_set))
    print("3.", where_to_measure(champion.load_model(), test_set))
