"""Solutions to the exercises of lesson 3.1, energy efficiency. Run: ``python -m exercises.energy_efficiency``."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

from lib import champion, data, energy, modeling, params, paths, schema, serving, training
from lib.monitoring.seasons import penguin_payloads
from lib.serving import inference


def _output(output_dir: Path | None, prefix: str) -> Path:
    return Path(output_dir or tempfile.mkdtemp(prefix=prefix))


def grid_comparison(
    train: pd.DataFrame, countries=("FRA", "POL"), repeats: int = 5, output_dir: Path | None = None
) -> pd.DataFrame:
    """Exercise 1: the same training on two grids; the carbon intensity (g CO2eq per kWh) makes the difference.

    Returns a DataFrame, one row per country, with the columns ``country``, ``energy_kwh`` and ``emissions_kg``
    (one training's) and ``g_per_kwh`` (the emissions over the energy).
    """
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

    Returns ``{"table": a DataFrame, one row per candidate, with the columns candidate, ram_power_w, ram_share,
    energy_per_training_kwh and cpu_energy_per_training_kwh; "ranking_by_total" and "ranking_by_cpu": the
    candidates, cheapest first; "same": whether the two rankings agree}``.
    """
    output_dir = _output(output_dir, "exercise-ram-")
    settings = params.stage_params("train")
    rows = []
    for name in ("logistic_regression", "gradient_boosting", "random_forest"):
        measured = energy.measure(
            lambda name=name: training.fit(name, settings["candidates"][name], train, settings["seed"]),
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


def request_cost(rows: pd.DataFrame, repeats: int = 3, output_dir: Path | None = None) -> dict:
    """Exercise 3: what one request to the project's API costs, and how much of it is the model's answer.

    The API's real work, measured: every penguin of ``rows`` sent to ``POST /predict`` of
    ``serving.create_app()`` through ``TestClient`` (validation, the model, the response; no network),
    inside ``energy.measure``, which repeats the whole set until it has run long enough to be sampled;
    the energy per request divides by every request it sent (``measured.repeats`` times the rows). The
    model's part: the same penguins answered one at a time as the route answers them, by the compiled
    pipeline of ``lib/serving/inference.py``, measured the same way (the exported pipeline's own
    ``predict_proba`` on a one-row DataFrame costs more than a whole request: ``pandas_per_prediction_kwh``).
    """
    output_dir = _output(output_dir, "exercise-request-")
    payloads = penguin_payloads(rows)
    model = champion.load_model()
    compiled = inference.compile_pipeline(model) or inference.pandas_path(model)
    one_by_one = [[tuple(payload[name] for name in schema.FEATURES)] for payload in payloads]
    frames = [modeling.features(rows.iloc[[index]]) for index in range(len(rows))]
    with TestClient(serving.create_app()) as client:
        served = energy.measure(
            lambda: [client.post("/predict", json=payload).raise_for_status() for payload in payloads],
            label="requests",
            repeats=repeats,
            country_iso_code="ESP",
            output_dir=output_dir,
        )

    def per_prediction(work, inputs: list) -> float:
        measured = energy.measure(
            lambda: [work(x) for x in inputs],
            label="one at a time",
            repeats=repeats,
            country_iso_code="ESP",
            output_dir=output_dir,
        )
        return measured.energy_kwh / (measured.repeats * len(inputs))

    requests = served.repeats * len(payloads)
    per_request = served.energy_kwh / requests
    by_route = per_prediction(compiled, one_by_one)
    return {
        "requests": requests,
        "energy_kwh": served.energy_kwh,
        "per_request_kwh": per_request,
        "per_prediction_kwh": by_route,
        "model_share": by_route / per_request,
        "pandas_per_prediction_kwh": per_prediction(model.predict_proba, frames),
    }


if __name__ == "__main__":
    train_set, test_set = data.load_processed(paths.TRAIN_FILE), data.load_processed(paths.TEST_FILE)
    print("1.", grid_comparison(train_set), sep="\n")
    print("2.", ram_floor(train_set))
    print("3.", request_cost(test_set))
