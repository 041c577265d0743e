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
    assert result.duration_s > 0 and result.energy_kwh > 0 and result.emissions_kg > 0
    assert result.method.startswith(("measured", "estimated"))
    once = result.per_repeat()
    assert once["energy_kwh"] == pytest.approx(result.energy_kwh / result.repeats)
    assert result.cpu_energy_kwh + result.ram_energy_kwh == pytest.approx(result.energy_kwh, rel=1e-6)


def test_short_work_is_repeated_until_it_can_be_measured(measured):
    """A few milliseconds of work runs at least `repeats` times, and as often as it takes to last MIN_DURATION_S."""
    _, result = measured
    assert result.repeats > 4  # one repeat takes a few milliseconds
    assert result.duration_s >= energy.MIN_DURATION_S
    assert 0 < result.ram_share < 1


def test_work_too_short_to_be_sampled_is_refused(tmp_path, monkeypatch):
    """Without the repetition, CodeCarbon never samples a tiny task; measure() refuses what it reports.

    The sampling interval is raised to a minute, so that "shorter than it" holds on a machine
    however loaded (a real 0.05 s can be exceeded by a descheduled process).
    """
    monkeypatch.setattr(energy, "MIN_SAMPLE_INTERVAL_S", 60.0)
    with pytest.raises(energy.MeasurementTooShort, match="never sampled"):
        energy.measure(
            lambda: None, label="nothing", repeats=1, country_iso_code="ESP", output_dir=tmp_path, min_duration_s=0
        )


@pytest.mark.parametrize(
    ("work_s", "cpu_energy_kwh", "refused"),
    [
        pytest.param(0.01, 1e-8, True, id="shorter-than-a-sampling-interval"),
        pytest.param(2.0, 0.0, True, id="no-cpu-energy"),
        pytest.param(2.0, 1e-12, False, id="sampled-work"),
    ],
)
def test_check_measured(work_s, cpu_energy_kwh, refused):
    """Work shorter than CodeCarbon's sampling interval, or charged nothing, is refused; sampled work passes."""
    if refused:
        with pytest.raises(energy.MeasurementTooShort, match="Repeat the work"):
            energy.check_measured("work", work_s, cpu_energy_kwh)
    else:
        energy.check_measured("work", work_s, cpu_energy_kwh)


def _measurement(label, seconds, kg):
    return energy.Measurement(label, 2, seconds, kg, kg * 5, kg * 2, kg * 3, 4.0, 20.0, "estimated: test")


def test_summary_and_metrics_files(tmp_path):
    """Per-training costs join the scores; the JSON holds per-training and per-1000-prediction figures."""
    training = {"a": _measurement("a", 2.0, 2e-6), "b": _measurement("b", 4.0, 8e-6)}
    scores = pd.DataFrame(
        {"candidate": ["b", "a"], "cv_macro_f1": [0.9, 0.95], "test_macro_f1": [0.9, 1.0], "test_accuracy": [0.9, 1.0]}
    )
    table = energy.summary_table(training, scores)
    assert table.set_index("candidate").loc["a", "train_emissions_kg"] == pytest.approx(1e-6)
    inference = energy.Measurement("inf", 10, 1.0, 1e-6, 5e-6, 2e-6, 3e-6, 4.0, 20.0, "estimated: test")
    json_file, csv_file = energy.write_metrics(
        training, inference, predictions_per_repeat=100, table=table, country_iso_code="ESP", metrics_dir=tmp_path
    )
    summary = json.loads(json_file.read_text())
    assert summary["training"]["b"] == {"duration_s": 2.0, "emissions_mg": 4.0, "energy_mwh": 20.0}
    assert summary["inference_per_1000_predictions"] == {"duration_s": 1.0, "emissions_mg": 1.0, "energy_mwh": 5.0}
    assert pd.read_csv(csv_file)["candidate"].tolist() == ["b", "a"]


@pytest.mark.parametrize(
    ("system", "rapl", "unrated", "start"),
    [
        pytest.param("Linux", True, None, "measured: RAPL", id="rapl-readable"),
        pytest.param("Linux", False, None, "estimated: CPU load x the processor's rated power", id="rated"),
        pytest.param("Linux", False, "AMD EPYC", "estimated: CPU load x a default of 4 W per thread", id="unrated"),
        pytest.param("Darwin", True, None, "not checked on Darwin", id="macos"),
    ],
)
def test_measurement_method_says_measured_only_with_counters(monkeypatch, system, rapl, unrated, start):
    """'measured' only where CodeCarbon can read energy counters; the estimate names its power; other systems say so."""
    monkeypatch.setattr(energy.platform, "system", lambda: system)
    monkeypatch.setattr(energy, "is_rapl_available", lambda: rapl)
    monkeypatch.setattr(energy, "_processor_without_rating", lambda: unrated)
    assert energy.measurement_method().startswith(start)
