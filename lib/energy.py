"""Energy and emissions of training and inference, measured with CodeCarbon's offline tracker.

CodeCarbon estimates the energy a piece of code draws (CPU, RAM, GPU) and turns it
into kg of CO2-equivalent with the carbon intensity of the country's grid. Offline,
it needs only the country code; nothing is sent anywhere. On Linux it reads the RAPL energy
counters where they are readable, and elsewhere (most VMs) estimates CPU power from the CPU
load and the processor's rated power (TDP), or a default per thread; macOS and Windows have
meters and defaults of their own (:func:`measurement_method`).
"""

from __future__ import annotations

import functools
import json
import logging
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from codecarbon import OfflineEmissionsTracker, OutputMethod
from codecarbon.core.cpu import (
    DEFAULT_POWER_PER_CORE,
    TDP,
    detect_cpu_model,
    is_rapl_available,
)

logging.getLogger("codecarbon").setLevel(logging.ERROR)

CSV_COLUMNS = {
    "run_id": "run_id",
    "duration_s": "duration",
    "emissions_kg": "emissions",
    "energy_kwh": "energy_consumed",
    "cpu_energy_kwh": "cpu_energy",
    "ram_energy_kwh": "ram_energy",
    "cpu_power_w": "cpu_power",
    "ram_power_w": "ram_power",
}
METHODS = {
    "intel_rapl": "measured: RAPL energy counters of the CPU package",
    "cpu_load": "estimated: CPU load x the processor's rated power (TDP), as RAPL counters are not readable here",
    "cpu_load_default": (
        "estimated: CPU load x a default of {watts} W per thread, as RAPL counters are not readable here and "
        "CodeCarbon has no rated power (TDP) for this processor ({model})"
    ),
    "not_linux": (
        "not checked on {system}: CodeCarbon may measure (Apple's powermetrics, Windows' Energy Meter Interface) "
        "or estimate (a generic power for Apple silicon); its log at level info names its choice"
    ),
}
# "process" charges this process's CPU time (TDP / cores x CPU-seconds) and a RAM figure from its
# memory (never below CodeCarbon's two-module floor); "machine" (CodeCarbon's default) charges the
# whole machine's load and memory, other programs included. Comparing candidates needs the former; it
# keeps other programs out of the CPU term only: the RAM term is charged per second of wall time.
TRACKING_MODE = "process"
# CodeCarbon samples when start() ends, every measure_power_secs, and when stop() is called, but only
# if at least this much time has passed since the previous sample: shorter work is never sampled itself.
MIN_SAMPLE_INTERVAL_S = 0.05
# The tracker's measure_power_secs for measure(): longer than any work measured here, so that the only
# sample after start() is the one stop() takes, over the whole work. CodeCarbon's periodic samples run on
# a thread of their own, and in "process" mode one takes a while (it lists the machine's processes, and
# waits for the work to release Python's lock): a stop() that comes while a sample is still being taken
# reads the same previous-sample time and counts that interval twice, or finds the sample just done and
# drops the time it was stuck. The CPU's power is still averaged over the whole work: CodeCarbon samples
# the load every second on another thread and weighs those samples by the time each covers. The RAM is read
# at start() and at stop() only: exact here, where every process sits on CodeCarbon's two-module floor.
SAMPLE_AT_STOP_S = 3600.0
# measure() repeats the work until it has run at least this long: the process's CPU time is counted in
# ticks of 10 ms, so a second of work reads it to about 1%.
MIN_DURATION_S = 1.0


class MeasurementTooShort(RuntimeError):
    """The work ended before CodeCarbon sampled it: the figures describe the tracker, not the work."""


def check_measured(label: str, work_s: float, cpu_energy_kwh: float) -> None:
    """Raise :class:`MeasurementTooShort` when a tracker run cannot describe the work it wrapped.

    ``work_s`` is how long the work itself ran, timed inside the tracker. Below
    :data:`MIN_SAMPLE_INTERVAL_S` CodeCarbon takes no sample of it at all, and what it reports
    (zero, or the energy of its own start-up) says nothing about the work, without a warning.
    """
    if work_s < MIN_SAMPLE_INTERVAL_S or cpu_energy_kwh <= 0:
        raise MeasurementTooShort(
            f"{label} ran for {work_s:.4f} s under the tracker, which recorded {cpu_energy_kwh * 3.6e6:.4f} J of "
            "CPU energy. CodeCarbon samples when start() ends and at stop() only if at least "
            f"{MIN_SAMPLE_INTERVAL_S} s have passed since, so work this short is never sampled: the figure "
            "describes the tracker, not the work. Repeat the work under one tracker until it runs for longer "
            "(energy.measure does), and divide by the number of repeats."
        )


@dataclass(frozen=True)
class Measurement:
    """One tracked piece of work: what it was, how often it ran, and what it cost."""

    label: str
    repeats: int
    duration_s: float
    emissions_kg: float
    energy_kwh: float
    cpu_energy_kwh: float
    ram_energy_kwh: float
    cpu_power_w: float
    ram_power_w: float
    method: str

    @property
    def ram_share(self) -> float:
        """The part of the energy that is CodeCarbon's RAM estimate (a floor for any small process)."""
        return self.ram_energy_kwh / self.energy_kwh if self.energy_kwh else 0.0

    def per_repeat(self) -> dict[str, float]:
        """Duration, emissions and energy of one repetition."""
        return {
            "duration_s": self.duration_s / self.repeats,
            "emissions_kg": self.emissions_kg / self.repeats,
            "energy_kwh": self.energy_kwh / self.repeats,
        }


def measurement_method() -> str:
    """Say how CodeCarbon gets the CPU's power on this Linux machine: measured by counters, or estimated.

    On Linux (WSL2 and the dev container included) CodeCarbon reads the RAPL counters where they are
    readable, and otherwise estimates from the CPU load and the processor's rated power, or, for a
    processor missing from its table, a default power per thread: the same checks, through CodeCarbon's
    own functions. macOS and Windows have meters and defaults of their own, in an order this does not
    reproduce: there it says so, and CodeCarbon's log names its choice.
    """
    if platform.system() != "Linux":
        return METHODS["not_linux"].format(system=platform.system())
    if is_rapl_available():
        return METHODS["intel_rapl"]
    unrated = _processor_without_rating()
    if unrated:
        return METHODS["cpu_load_default"].format(watts=DEFAULT_POWER_PER_CORE, model=unrated)
    return METHODS["cpu_load"]


@functools.cache
def _processor_without_rating() -> str | None:
    """The processor's name if CodeCarbon's table has no rated power for it (it then assumes a power per thread)."""
    model = detect_cpu_model()
    return model if model and not TDP()._get_cpu_power_from_registry(model) else None  # pylint: disable=protected-access


def read_emissions(csv_file: Path, run_id: str) -> dict[str, float]:
    """Read one tracker run from CodeCarbon's CSV, by column name (the file has ~38 columns)."""
    table = pd.read_csv(csv_file)
    missing = [column for column in CSV_COLUMNS.values() if column not in table.columns]
    if missing:
        raise KeyError(f"{csv_file} lacks CodeCarbon's columns {missing}; is it an emissions.csv?")
    rows = table[table[CSV_COLUMNS["run_id"]] == run_id]
    if rows.empty:
        raise LookupError(f"{csv_file} has no row for tracker run {run_id}")
    row = rows.iloc[-1]
    return {name: float(row[column]) for name, column in CSV_COLUMNS.items() if name != "run_id"}


def measure(
    work: Callable[[], object],
    *,
    label: str,
    repeats: int,
    country_iso_code: str,
    output_dir: Path,
    tracking_mode: str = TRACKING_MODE,
    min_duration_s: float = MIN_DURATION_S,
) -> Measurement:
    """Run ``work`` under an offline tracker, at least ``repeats`` times and ``min_duration_s`` seconds.

    Compared with the bare tracker: the work is repeated until it has run long enough to be
    sampled (the result says how many times it ran), the tracker stops even if the work
    fails, the figures are read back by column name from the CSV it wrote, work too short to be
    sampled is refused (:class:`MeasurementTooShort`) instead of reported, and the result says
    whether the power was measured or estimated.
    """
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    tracker = OfflineEmissionsTracker(
        country_iso_code=country_iso_code,
        output_dir=str(output_dir),
        project_name=label,
        log_level="error",
        output_methods=[OutputMethod.CSV],
        measure_power_secs=SAMPLE_AT_STOP_S,
        tracking_mode=tracking_mode,
    )
    done = 0
    tracker.start()
    started = time.perf_counter()
    try:
        while done < repeats or time.perf_counter() - started < min_duration_s:
            work()
            done += 1
        work_s = time.perf_counter() - started
    finally:
        tracker.stop()
    values = read_emissions(Path(output_dir) / "emissions.csv", tracker.final_emissions_data.run_id)
    check_measured(label, work_s, values["cpu_energy_kwh"])
    return Measurement(label=label, repeats=done, method=measurement_method(), **values)


def summary_table(measurements: dict[str, Measurement], scores: pd.DataFrame) -> pd.DataFrame:
    """Join per-training costs with each candidate's macro-F1 (``scores`` has ``candidate``, ``test_macro_f1``...)."""
    rows = []
    for name, measurement in measurements.items():
        once = measurement.per_repeat()
        rows.append(
            {"candidate": name, **{f"train_{k}": v for k, v in once.items()}, "cpu_power_w": measurement.cpu_power_w}
        )
    costs = pd.DataFrame(rows)
    return scores[["candidate", "cv_macro_f1", "test_macro_f1"]].merge(costs, on="candidate")


def write_metrics(
    training: dict[str, Measurement],
    inference: Measurement,
    *,
    predictions_per_repeat: int,
    table: pd.DataFrame,
    country_iso_code: str,
    metrics_dir: Path,
) -> tuple[Path, Path]:
    """Write ``metrics/emissions.json`` (DVC metrics) and ``metrics/energy.csv`` (a DVC plot).

    Training costs are per training of each candidate; inference costs per 1000
    predictions of the champion. Emissions are in mg CO2eq and energy in mWh (kg and
    kWh would print as 0.0 in ``dvc metrics show``); 4 significant digits.
    """
    metrics_dir = Path(metrics_dir)
    metrics_dir.mkdir(parents=True, exist_ok=True)

    def readable(costs: dict[str, float], scale: float = 1.0) -> dict[str, float]:
        return {
            "duration_s": float(f"{costs['duration_s'] * scale:.4g}"),
            "emissions_mg": float(f"{costs['emissions_kg'] * scale * 1e6:.4g}"),
            "energy_mwh": float(f"{costs['energy_kwh'] * scale * 1e6:.4g}"),
        }

    summary = {
        "country_iso_code": country_iso_code,
        "method": inference.method,
        "training": {name: readable(m.per_repeat()) for name, m in training.items()},
        "inference_per_1000_predictions": readable(inference.per_repeat(), 1000 / predictions_per_repeat),
    }
    json_file, csv_file = metrics_dir / "emissions.json", metrics_dir / "energy.csv"
    json_file.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    table.to_csv(csv_file, index=False, float_format="%.6g")
    return json_file, csv_file
