"""``make bench``: the API against the limit (the model in-process) and the peer (MLflow's server).

Measured side by side in one run, on one machine, with the same champion model:

- **the limit**: ``predict_proba`` called in-process on 1 row and on 1000 rows;
- **this API**: ``POST /predict`` and ``POST /predict/batch`` (1000 rows) over HTTP on
  loopback, at concurrency 1 and 16, after a warm-up, with wrk as the load generator;
- **the peer**: ``mlflow models serve`` (local env manager) serving the same registered
  model, with the same payloads and concurrency;
- **model switches**: a running API replacing its model (:mod:`benchmarks.reload`);
- **the soak**: ``tests/api/test_soak.py`` for a minute (``make test`` runs it for 20 s);
- **the pipeline**: a cold run of every stage in a fresh copy (``make pipeline``'s driver, each stage's
  seconds recorded), then a no-op ``dvc repro``, and a cold run with one stage at a time for comparison;
  the two cold runs' data, splits, model bytes and scores are compared with each other, and the first
  run's with the ``dvc.lock`` of the project.

Prints a table and writes ``reports/bench.json``. Run ``make pipeline`` first.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from benchmarks import onnx, performance, reload
from benchmarks.table import summarise
from benchmarks.timing import timed
from lib import champion, params, paths, processes, schema, serving, tracking
from lib.course import snapshot
from lib.serving import inference

HERE = Path(__file__).resolve().parent
# What two cold runs must write byte for byte the same (item by item: data, splits, model bytes, scores).
# The rest differ by what they measure (seconds, energy, run ids) or hold such figures (the lessons).
DETERMINISTIC = {
    "data/raw/penguins_raw.csv": "data",
    "data/processed/train.csv": "split",
    "data/processed/test.csv": "split",
    "models/penguins-classifier.skops": "model bytes",
    "metrics/scores.json": "scores",
    "metrics/candidates.csv": "scores",
}
SOAK_SECONDS = 60
CONCURRENCY = (1, 16)
WARMUP_S = 2


def penguins(count: int) -> list[dict]:
    """``count`` plausible, varied penguins (deterministic)."""
    rng = np.random.default_rng(7)
    islands, sexes = schema.ISLANDS, ("female", "male", None)
    return [
        {
            "island": islands[i % 3],
            "bill_length_mm": round(float(rng.uniform(35, 55)), 1),
            "bill_depth_mm": round(float(rng.uniform(14, 20)), 1),
            "flipper_length_mm": round(float(rng.uniform(180, 225))),
            "body_mass_g": round(float(rng.uniform(3000, 6000)), -1),
            "sex": sexes[i % 3],
        }
        for i in range(count)
    ]


def peer_body(rows: list[dict]) -> dict:
    """The same rows in MLflow's ``dataframe_split`` format."""
    return {
        "dataframe_split": {
            "columns": list(schema.FEATURES),
            "data": [[row[name] for name in schema.FEATURES] for row in rows],
        }
    }


def limit(model, rows: list[dict], repeats: int) -> dict:
    """In-process ``predict_proba`` of the exported pipeline on the DataFrame of ``rows``."""
    frame = inference.frame(serving.to_rows([serving.Penguin(**row) for row in rows]))
    return timed(lambda: model.predict_proba(frame), repeats)


def limit_numpy(compiled: inference.CompiledPipeline, rows: list[dict], repeats: int) -> dict:
    """The same for the numpy path the API uses (preprocessing replayed, then the classifier)."""
    tuples = serving.to_rows([serving.Penguin(**row) for row in rows])
    return timed(lambda: compiled.predict_proba(tuples), repeats, warmup=50)


def wrk(url: str, body: Path, connections: int, seconds: int) -> dict:
    """Run wrk (one thread, ``connections`` open connections) and return its JSON summary."""
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(HERE / "post.lua"), url],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "WRK_BODY": str(body)},
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "requests": result["requests"],
        "errors": result["errors"] + result["non_2xx"],
        "rps": result["requests"] / (result["duration_us"] / 1e6),
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
    }


def load(targets: dict[str, tuple[str, Path]], seconds: int) -> dict:
    """Every scenario (name -> URL and body) against one server: warm up, then measure, at each concurrency."""
    results = {}
    for scenario, (url, body) in targets.items():
        for connections in CONCURRENCY:
            wrk(url, body, connections, WARMUP_S)  # warm-up, discarded
            results[f"{scenario}@{connections}"] = wrk(url, body, connections, seconds)
            print(f"  {scenario} at concurrency {connections}: {results[f'{scenario}@{connections}']}", flush=True)
    return results


def start_peer(port: int) -> processes.Server:
    """``mlflow models serve`` on the registered champion, from the store the course uses, once it answers /ping.

    It runs in a process group of its own (mlflow starts uvicorn under a shell): stop it with ``stop(group=True)``.
    """
    model_uri = f"models:/{params.stage_params('train')['registered_model']}@champion"
    command = [processes.tool("mlflow"), "models", "serve", "-m", model_uri, "--env-manager", "local"]
    return processes.launch(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        f"http://127.0.0.1:{port}",
        "/ping",
        60,
        name="mlflow models serve (is the model registered? run 'make pipeline')",
        env={"MLFLOW_TRACKING_URI": tracking.tracking_uri()},
        detach=True,
    )


def locked_digests(root: Path) -> dict[str, str]:
    """The md5 ``dvc.lock`` records for each of :data:`DETERMINISTIC`'s outputs (what DVC itself compares)."""
    lock = yaml.safe_load((root / "dvc.lock").read_text(encoding="utf-8"))
    digests = {out["path"]: out["md5"] for stage in lock["stages"].values() for out in stage.get("outs", [])}
    return {path: digests.get(path, "") for path in DETERMINISTIC}


def cold_run(jobs: int) -> tuple[float, dict, float, dict[str, str]]:
    """In a fresh copy: the pipeline from nothing (``python -m lib.course.repro --jobs jobs``, 0: as ``make
    pipeline``), in a new, empty home as ``make pipeline`` gives it; its seconds, the driver's record of each
    stage, the seconds of a ``dvc repro`` with nothing left to do, and the digests of what must not vary."""
    with tempfile.TemporaryDirectory(prefix="penguins-bench-") as folder:
        root = Path(folder)
        snapshot.copy_project(paths.PROJ_ROOT, root)
        snapshot.commit_all(root, "bench")
        env = processes.tool_env({paths.ROOT_ENV_VAR: str(root)})
        times = root / "stage-times.json"
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "lib.course.toolstate",
                sys.executable,
                "-m",
                "lib.course.repro",
                "--jobs",
                str(jobs),
                "--times",
                str(times),
            ],
            cwd=root,
            check=True,
            env=env,
            capture_output=True,
        )
        cold = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run(["dvc", "repro"], cwd=root, check=True, env=env, capture_output=True)
        noop = time.perf_counter() - start
        return cold, json.loads(times.read_text(encoding="utf-8")), noop, locked_digests(root)


def pipeline_seconds() -> dict:
    """A cold run as ``make pipeline`` runs it (each stage's seconds from the driver), a no-op ``dvc repro``,
    and a cold run with one stage at a time (what ``dvc repro`` alone does), for comparison; then whether
    the two runs wrote the same data, splits, model bytes and scores as each other and as ``dvc.lock``."""
    cold, recorded, noop, side_by_side = cold_run(0)
    sequential, _, _, one_at_a_time = cold_run(1)
    committed = locked_digests(paths.PROJ_ROOT)
    return {
        "cold_repro_s": cold,
        "noop_repro_s": noop,
        "cold_one_at_a_time_s": sequential,
        "most_at_once": recorded["most_at_once"],
        "stages": {stage["stage"]: stage["seconds"] for stage in recorded["stages"]},
        "determinism": {
            path: {
                "what": what,
                "same_in_both_runs": side_by_side[path] == one_at_a_time[path] != "",
                "same_as_dvc_lock": side_by_side[path] == committed[path] != "",
                "missing_from": [
                    run
                    for run, digests in (("the first run", side_by_side), ("the second", one_at_a_time))
                    if not digests[path]
                ],
            }
            for path, what in DETERMINISTIC.items()
        },
    }


def soak(seconds: int) -> dict:
    """``tests/api/test_soak.py`` for ``seconds`` (``make test`` gives it 20): its verdict and its own summary."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/api/test_soak.py", "-q", "-p", "no:nbval", "-p", "no:cacheprovider"]
        + ["-o", "addopts=", "-s"],
        cwd=paths.PROJ_ROOT,
        env=processes.tool_env({"PENGUINS_SOAK_SECONDS": str(seconds)}),
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((line for line in done.stdout.splitlines() if line.startswith("soak: ")), "")
    return {"seconds": seconds, "passed": done.returncode == 0, "summary": line.removeprefix("soak: ")}


def measure_servers(report: dict, files: dict, seconds: int) -> None:
    """Load-test this API (default, /metrics off, micro-batching on, pandas path) and the peer; add to ``report``."""
    print(
        "this API as make api runs it (python -m lib.serving, 1 process; numpy path: micro-batching off):", flush=True
    )
    with processes.start_server(production=True) as server:
        scenarios = {s: (f"{server.url}/{s}", files[("api", s)]) for s in ("predict", "predict/batch")}
        report["api"] = load(scenarios, seconds)
    print("this API with PENGUINS_METRICS=0 (no /metrics, no request counting):", flush=True)
    with processes.start_server(env={"PENGUINS_METRICS": "0"}, production=True) as server:
        scenarios = {s: (f"{server.url}/{s}", files[("api", s)]) for s in ("predict", "predict/batch")}
        report["api_no_metrics"] = load(scenarios, seconds)
    print("this API with PENGUINS_MICRO_BATCHING=on (numpy path, concurrent requests share calls):", flush=True)
    with processes.start_server(env={"PENGUINS_MICRO_BATCHING": "on"}, production=True) as server:
        scenarios = {s: (f"{server.url}/{s}", files[("api", s)]) for s in ("predict", "predict/batch")}
        report["api_batched"] = load(scenarios, seconds)
    print("this API with PENGUINS_INFERENCE=pandas (micro-batching alone):", flush=True)
    with processes.start_server(env={"PENGUINS_INFERENCE": "pandas"}, production=True) as server:
        report["api_pandas"] = load({"predict": (f"{server.url}/predict", files[("api", "predict")])}, seconds)
    print("peer (mlflow models serve, 1 worker):", flush=True)
    port = processes.free_port()
    peer = start_peer(port)
    try:
        invocations = f"http://127.0.0.1:{port}/invocations"
        report["peer"] = load({s: (invocations, files[("peer", s)]) for s in ("predict", "predict/batch")}, seconds)
    finally:
        peer.stop(group=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table; write reports/bench.json."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per scenario (default 10)")
    parser.add_argument("--skip-pipeline", action="store_true", help="do not time dvc repro")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print(
            "wrk is needed: 'sudo apt-get install wrk' (Debian, Ubuntu) or 'brew install wrk' (macOS)", file=sys.stderr
        )
        return 2
    try:
        model, record = champion.read()
    except champion.ModelFileError as exc:
        print(f"cannot benchmark: {exc}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="penguins-bench-payloads-"))
    one, thousand = penguins(1), penguins(1000)
    bodies = {
        "api": {"predict": one[0], "predict/batch": {"penguins": thousand}},
        "peer": {"predict": peer_body(one), "predict/batch": peer_body(thousand)},
    }
    files = {}
    for server, payloads in bodies.items():
        for scenario, body in payloads.items():
            files[(server, scenario)] = work / f"{server}-{scenario.replace('/', '-')}.json"
            files[(server, scenario)].write_text(json.dumps(body), encoding="utf-8")
    report = {
        "model": {"name": record.name, "version": record.version, "candidate": record.candidate},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "seconds": args.seconds,
        "warmup_s": WARMUP_S,
    }
    print(f"limit: {record.candidate} in-process", flush=True)
    report["limit"] = {"1_row": limit(model, one, 500), "1000_rows": limit(model, thousand, 100)}
    compiled = inference.CompiledPipeline(model)
    report["limit_numpy"] = {"1_row": limit_numpy(compiled, one, 2000)}
    print("the numpy replay against skl2onnx + onnxruntime, per candidate:", flush=True)
    tuples = [serving.to_rows([serving.Penguin(**row)])[0] for row in (*one, *thousand)]
    report["onnx"] = onnx.compare(tuples[:1], tuples[1:])
    measure_servers(report, files, args.seconds)
    print("model switches (a scratch export replaced while the API serves it):", flush=True)
    report["reload"] = reload.measure(one[0])
    print(f"  {report['reload']}", flush=True)
    print(f"soak: tests/api/test_soak.py for {SOAK_SECONDS} s", flush=True)
    report["soak"] = soak(SOAK_SECONDS)
    print(f"  {report['soak']}", flush=True)
    report["ratios"] = {
        "added_latency_ms": report["api"]["predict@1"]["p50_ms"] - report["limit"]["1_row"]["p50_ms"],
        "http_overhead_ms": report["api"]["predict@1"]["p50_ms"] - report["limit_numpy"]["1_row"]["p50_ms"],
        "throughput_vs_peer": report["api"]["predict@16"]["rps"] / report["peer"]["predict@16"]["rps"],
        "throughput_vs_peer_c1": report["api"]["predict@1"]["rps"] / report["peer"]["predict@1"]["rps"],
        "batch_1000_p50_ms": report["api"]["predict/batch@1"]["p50_ms"],
        "batch_c16_p99_over_p50": report["api"]["predict/batch@16"]["p99_ms"]
        / report["api"]["predict/batch@16"]["p50_ms"],
    }
    if not args.skip_pipeline:
        print(
            "pipeline: cold runs in fresh copies (side by side, then one stage at a time), a no-op dvc repro",
            flush=True,
        )
        report["pipeline"] = pipeline_seconds()
    shutil.rmtree(work, ignore_errors=True)
    report["finished"] = time.time()
    rows = summarise(report)
    report["table"] = [row._asdict() for row in rows]
    out = paths.REPORTS_DIR / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print("\n| measure | value | target | met |\n|---|---|---|---|")
    for row in rows:
        print(f"| {row.measure} | {row.value} | {row.target} | {'' if row.met is None else row.met} |")
    page = performance.write(report, rows, paths.DOCS_DIR / "performance.md", WARMUP_S)
    contributing = paths.DOCS_DIR / "contributing.md"
    performance.update_readme(contributing, report, rows)
    print(f"\nwrote {paths.relative(out)}, {paths.relative(page)} and the summary in {paths.relative(contributing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
