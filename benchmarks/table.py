"""The benchmark's table: one row per measure, with the target it is held to and whether the run met it."""

from __future__ import annotations

from typing import NamedTuple

TARGETS = {
    "added_latency_ms": 2.0,  # /predict p50 at concurrency 1, above the in-process 1-row call
    "throughput_vs_peer": 3.0,  # /predict requests per second at concurrency 16, this API / the peer
    "batch_1000_p50_ms": 4.0,  # /predict/batch of 1000 penguins, p50 at concurrency 1
    "batch_c16_p99_over_p50": 3.0,  # /predict/batch of 1000 at concurrency 16: p99 within this many p50s
    "batch_vs_peer": 2.0,  # /predict/batch of 1000, requests per second, this API / the peer
    "predict_p99_c16_ms": 25.0,  # /predict p99 at concurrency 16
    "cold_repro_s": 180.0,  # every stage from nothing, as make pipeline runs them (on 2 cores)
    "noop_repro_s": 3.0,  # dvc repro with nothing to do
    "metrics_added_p50_ms": 0.1,  # /metrics on against off: p50 added per request
    "metrics_throughput_share": 0.9,  # /metrics on against off: share of the throughput kept
}


class Row(NamedTuple):
    """One measure: its value as printed, its target (empty: none), and whether it is met (None: no target)."""

    measure: str
    value: str
    target: str = ""
    met: bool | None = None


def _servers(report: dict) -> list[Row]:
    rows = []
    for name, results in (
        ("this API", report["api"]),
        ("this API, /metrics off", report["api_no_metrics"]),
        ("this API, micro-batching on", report["api_batched"]),
        ("this API, pandas path", report["api_pandas"]),
        ("peer: mlflow models serve", report["peer"]),
    ):
        for key, value in results.items():
            scenario, connections = key.split("@")
            rows.append(
                Row(
                    f"{name}: {scenario}, concurrency {connections}",
                    f"p50 {value['p50_ms']:.2f} ms, p99 {value['p99_ms']:.2f} ms, {value['rps']:.0f} req/s, "
                    f"{value['errors']} errors",
                )
            )
    return rows


def _targets(report: dict) -> list[Row]:
    api, peer, ratios = report["api"], report["peer"], report["ratios"]
    rows = [
        Row(
            "/predict p50 above the limit, concurrency 1",
            f"{ratios['added_latency_ms']:+.2f} ms",
            f"<= {TARGETS['added_latency_ms']} ms",
            ratios["added_latency_ms"] <= TARGETS["added_latency_ms"],
        ),
        Row(
            "/predict p50 above the numpy path (HTTP, JSON, validation), concurrency 1",
            f"{ratios['http_overhead_ms']:+.2f} ms",
        ),
        Row(
            "/predict throughput vs peer, concurrency 16",
            f"{ratios['throughput_vs_peer']:.1f}x",
            f">= {TARGETS['throughput_vs_peer']}x",
            ratios["throughput_vs_peer"] >= TARGETS["throughput_vs_peer"],
        ),
        Row("/predict throughput vs peer, concurrency 1", f"{ratios['throughput_vs_peer_c1']:.1f}x"),
        Row(
            "/predict p99 at concurrency 16",
            f"{api['predict@16']['p99_ms']:.2f} ms",
            f"<= {TARGETS['predict_p99_c16_ms']} ms",
            api["predict@16"]["p99_ms"] <= TARGETS["predict_p99_c16_ms"],
        ),
        Row(
            "/predict/batch of 1000, p50 at concurrency 1",
            f"{ratios['batch_1000_p50_ms']:.2f} ms",
            f"<= {TARGETS['batch_1000_p50_ms']} ms",
            ratios["batch_1000_p50_ms"] <= TARGETS["batch_1000_p50_ms"],
        ),
        Row(
            "/predict/batch of 1000 at concurrency 16, p99 / p50",
            f"{ratios['batch_c16_p99_over_p50']:.2f}x ({api['predict/batch@16']['p99_ms']:.1f} / "
            f"{api['predict/batch@16']['p50_ms']:.1f} ms)",
            f"<= {TARGETS['batch_c16_p99_over_p50']}x",
            ratios["batch_c16_p99_over_p50"] <= TARGETS["batch_c16_p99_over_p50"],
        ),
    ]
    for connections in (1, 16):
        ratio = api[f"predict/batch@{connections}"]["rps"] / peer[f"predict/batch@{connections}"]["rps"]
        rows.append(
            Row(
                f"/predict/batch of 1000 throughput vs peer, concurrency {connections}",
                f"{ratio:.2f}x",
                f">= {TARGETS['batch_vs_peer']}x",
                ratio >= TARGETS["batch_vs_peer"],
            )
        )
    return rows


def _settings(report: dict) -> list[Row]:
    api, rows = report["api"], []
    for scenario in ("predict", "predict/batch"):
        for connections in (1, 16):
            on, off = api[f"{scenario}@{connections}"], report["api_no_metrics"][f"{scenario}@{connections}"]
            added, kept = on["p50_ms"] - off["p50_ms"], on["rps"] / off["rps"]
            rows.append(
                Row(
                    f"/metrics on vs off, /{scenario} at concurrency {connections}",
                    f"p50 {added:+.3f} ms, {kept:.0%} of the throughput",
                    f"<= +{TARGETS['metrics_added_p50_ms']} ms, >= {TARGETS['metrics_throughput_share']:.0%}",
                    added <= TARGETS["metrics_added_p50_ms"] and kept >= TARGETS["metrics_throughput_share"],
                )
            )
    for connections in (1, 16):
        on, off = report["api_batched"][f"predict@{connections}"], api[f"predict@{connections}"]
        rows.append(
            Row(
                f"micro-batching on vs off, /predict at concurrency {connections}",
                f"{on['rps'] / off['rps']:.2f}x the throughput, p99 {on['p99_ms']:.2f} vs {off['p99_ms']:.2f} ms",
                "> 1.0x to batch by default",
                None,  # a decision rule, not a target: batching is on by default only where it is above 1.0x
            )
        )
    return rows


def _onnx(report: dict) -> list[Row]:
    rows = []
    for name, result in report["onnx"].items():
        if result["onnx"] == "converted":
            value = (
                f"1 row {result['onnx_1_row_ms']:.3f} vs {result['numpy_1_row_ms']:.3f} ms, "
                f"1000 rows {result['onnx_1000_rows_ms']:.2f} vs {result['numpy_1000_rows_ms']:.2f} ms, "
                f"max abs diff {result['max_abs_diff']:.1e}"
            )
        else:
            value = f"{result['onnx']}; numpy 1 row {result['numpy_1_row_ms']:.3f} ms"
        rows.append(Row(f"onnxruntime vs numpy replay (in-process): {name}", value))
    return rows


def _switches(report: dict) -> list[Row]:
    switches = report["reload"]
    change, admin = switches["file_change_to_new_answer_s"], switches["admin_reload_s"]
    calm, swap = switches["predict_c16_windows"]["without_swap"], switches["predict_c16_windows"]["with_swap"]
    return [
        Row(
            "model switch: export replaced -> first answer of the new model (the API checks every "
            f"{switches['reload_interval_s']:g} s)",
            f"median {change['median']:.2f} s, max {change['max']:.2f} s over {change['swaps']} swaps",
        ),
        Row(
            "model switch: POST /admin/reload (load, check, swap)",
            f"median {admin['median'] * 1000:.0f} ms, max {admin['max'] * 1000:.0f} ms over {admin['reloads']}",
        ),
        Row(
            "/predict at concurrency 16 (Python clients), a window with a swap vs one without",
            f"p99 {swap['p99_ms']:.1f} vs {calm['p99_ms']:.1f} ms, "
            f"max {swap['max_ms']:.1f} vs {calm['max_ms']:.1f} ms, {swap['errors']} and {calm['errors']} errors",
            "0 errors",
            swap["errors"] == 0 and calm["errors"] == 0,
        ),
    ]


def _pipeline(report: dict) -> list[Row]:
    if "pipeline" not in report:
        return []
    cold, noop = report["pipeline"]["cold_repro_s"], report["pipeline"]["noop_repro_s"]
    stages = report["pipeline"].get("stages", {})
    jobs = report["pipeline"].get("most_at_once")
    slowest = max(stages, key=stages.get) if stages else None
    return [
        Row(
            "pipeline, cold (every stage; make pipeline" + (f", up to {jobs} stages at a time)" if jobs else ")"),
            f"{cold:.1f} s",
            f"<= {TARGETS['cold_repro_s']:.0f} s",
            cold <= TARGETS["cold_repro_s"],
        ),
        *(
            Row(f"pipeline, cold: stage {name}" + (" (the slowest)" if name == slowest else ""), f"{seconds:.1f} s")
            for name, seconds in stages.items()
        ),
        *(
            [
                Row(
                    "pipeline, cold, one stage at a time (as dvc repro runs it)",
                    f"{report['pipeline']['cold_one_at_a_time_s']:.1f} s",
                )
            ]
            if "cold_one_at_a_time_s" in report["pipeline"]
            else []
        ),
        Row(
            "dvc repro, nothing to do",
            f"{noop:.2f} s",
            f"< {TARGETS['noop_repro_s']} s",
            noop < TARGETS["noop_repro_s"],
        ),
        *_determinism(report["pipeline"].get("determinism", {})),
    ]


def _determinism(outputs: dict) -> list[Row]:
    """One row per kind of output (data, split, model bytes, scores): the two cold runs wrote the same bytes."""
    rows = []
    for what in dict.fromkeys(output["what"] for output in outputs.values()):
        mine = {path: output for path, output in outputs.items() if output["what"] == what}
        same = all(output["same_in_both_runs"] for output in mine.values())
        locked = all(output["same_as_dvc_lock"] for output in mine.values())
        missing = sorted({run for output in mine.values() for run in output.get("missing_from", [])})
        if missing:  # a run's dvc.lock does not record the output: the stage did not write it
            value = f"missing from the dvc.lock of {' and '.join(missing)}"
        else:
            value = ("identical" if same else "different") + ("; the first" if locked else "; the first not")
            value += " as in dvc.lock"
        rows.append(Row(f"pipeline, both cold runs: the same {what} ({', '.join(mine)})", value, "identical", same))
    return rows


def _soak(report: dict) -> list[Row]:
    if "soak" not in report:
        return []
    soak = report["soak"]
    return [
        Row(
            f"soak: tests/api/test_soak.py for {soak['seconds']} s (64 clients, mixed and hostile)",
            soak["summary"] or "(no summary printed)",
            "passes",
            soak["passed"],
        )
    ]


def summarise(report: dict) -> list[Row]:
    """Every row: the limit, each server and scenario, the targets, settings, onnx, switches, the pipeline."""
    lim = report["limit"]
    rows = [
        Row("limit: pipeline predict_proba, 1 row (in-process)", f"p50 {lim['1_row']['p50_ms']:.2f} ms"),
        Row("limit: pipeline predict_proba, 1000 rows (in-process)", f"p50 {lim['1000_rows']['p50_ms']:.2f} ms"),
        Row(
            "numpy path (what the API calls), 1 row (in-process)",
            f"p50 {report['limit_numpy']['1_row']['p50_ms']:.3f} ms",
        ),
    ]
    return (
        rows
        + _servers(report)
        + _targets(report)
        + _settings(report)
        + _onnx(report)
        + _switches(report)
        + _soak(report)
        + _pipeline(report)
    )
