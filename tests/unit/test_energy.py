"""lib.energy: CodeCarbon runs offline, its CSV is read by column name, and the summaries add up."""

import json

import pandas as pd
import pytest

from lib import energy


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    folder = tmp_path_factory.mktemp("codecarbon")
    return folder, energy.measure(
        lambda: sum(range(200_000)), label="sum", repeats=4, country_iso_code="ESP", output_dir=folder
    )


def test_measure_runs_offline_and_reports_positive_costs(measured):
    """Duration, energy and emissions are positive; the method says measured or estimated."""
    _, result = measured
    assert result.repeats == 4 and result.duration_s > 0 and result.energy_kwh > 0 and result.emissions_kg > 0
    assert result.method.startswith(("measured", "estimated"))
    once = result.per_repeat()
    assert once["energy_kwh"] == pytest.approx(result.energy_kwh / 4)


def test_emissions_are_read_by_column_name_whatever_the_order(measured, tmp_path):
    """Shuffling CodeCarbon's columns changes nothing; a missing column is named."""
    folder, result = measured
    table = pd.read_csv(folder / "emissions.csv")
    run_id = table["run_id"].iloc[-1]
    shuffled = tmp_path / "shuffled.csv"
    table[list(reversed(table.columns))].to_csv(shuffled, index=False)
    assert energy.read_emissions(shuffled, run_id)["emissions_kg"] == pytest.approx(result.emissions_kg)
    table.drop(columns=["energy_consumed"]).to_csv(shuffled, index=False)
    with pytest.raises(KeyError, match="energy_consumed"):
        energy.read_emissions(shuffled, run_id)
    with pytest.raises(LookupError, match="no row"):
        energy.read_emissions(folder / "emissions.csv", "not-a-run")


def _measurement(label, seconds, kg):
    return energy.Measurement(label, 2, seconds, kg, kg * 5, 4.0, 20.0, "estimated: test")


def test_summary_and_metrics_files(tmp_path):
    """Per-training costs join the scores; the JSON holds per-training and per-1000-prediction figures."""
    training = {"a": _measurement("a", 2.0, 2e-6), "b": _measurement("b", 4.0, 8e-6)}
    scores = pd.DataFrame(
        {"candidate": ["b", "a"], "cv_macro_f1": [0.9, 0.95], "test_macro_f1": [0.9, 1.0], "test_accuracy": [0.9, 1.0]}
    )
    table = energy.summary_table(training, scores)
    assert table.set_index("candidate").loc["a", "train_emissions_kg"] == pytest.approx(1e-6)
    inference = energy.Measurement("inf", 10, 1.0, 1e-6, 5e-6, 4.0, 20.0, "estimated: test")
    json_file, csv_file = energy.write_metrics(
        training, inference, predictions_per_repeat=100, table=table, country_iso_code="ESP", metrics_dir=tmp_path
    )
    summary = json.loads(json_file.read_text())
    assert summary["training"]["b"] == {"duration_s": 2.0, "emissions_mg": 4.0, "energy_mwh": 20.0}
    assert summary["inference_per_1000_predictions"] == {"duration_s": 1.0, "emissions_mg": 1.0, "energy_mwh": 5.0}
    assert pd.read_csv(csv_file)["candidate"].tolist() == ["b", "a"]


@pytest.mark.parametrize(
    ("rapl", "gadget", "start"),
    [
        pytest.param(True, False, "measured: Intel RAPL", id="rapl-readable"),
        pytest.param(False, True, "measured: Intel Power Gadget", id="power-gadget"),
        pytest.param(False, False, "estimated: CPU load", id="neither"),
    ],
)
def test_measurement_method_says_measured_only_with_counters(monkeypatch, rapl, gadget, start):
    """'measured' only where CodeCarbon can read energy counters; otherwise the TDP estimate is named."""
    monkeypatch.setattr(energy, "is_rapl_available", lambda: rapl)
    monkeypatch.setattr(energy, "is_powergadget_available", lambda: gadget)
    assert energy.measurement_method().startswith(start)
