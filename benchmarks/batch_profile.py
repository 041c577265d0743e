"""Where a ``/predict/batch`` of 1000 penguins spends its time: ``python -m benchmarks.batch_profile``.

Two views, printed side by side:

- **in-process**, each step the route runs, timed alone (p50 of many calls): parsing and
  validating the body, turning it into rows, the model on the numpy path, writing the answer;
- **in the server**, ``python -m lib.serving`` (as ``make api`` runs it) under ``cProfile`` while
  wrk sends the same body for a few seconds, at concurrency 1 and then 16: the share of the
  server's main thread each group of functions took (the route's steps, uvicorn and asyncio,
  the request guards), and the functions that took the most.

Whatever the route's own steps do not explain is the HTTP server's part: receiving a
200 KB body in pieces, the ASGI plumbing, the event loop. Needs ``wrk`` and the pipeline's
exported champion (``make pipeline``).
"""

from __future__ import annotations

import argparse
import cProfile
import inspect
import json
import pstats
import signal
import sys
import tempfile
import time
from pathlib import Path

from pydantic import TypeAdapter

from benchmarks import run
from benchmarks.timing import timed
from lib import champion, processes, serving
from lib.serving import inference, routes
from lib.serving.__main__ import main as serving_main
from lib.serving.bodies import limited_batch

STEPS = (
    "parse and validate (pydantic-core)",
    "rows",
    "model (numpy path)",
    "answer (batch_json)",
)
HTTP = "HTTP server (uvicorn, starlette, fastapi)"
LOOP = "event loop (asyncio, uvloop)"
OWN = "the API's plumbing (guards, metrics, state)"
ORDER = (*STEPS, OWN, HTTP, LOOP, "other")


def _ranges() -> dict[str, tuple[str, int, int]]:
    """Each step's function in routes.py: (file, first line, last line), to place its comprehensions."""
    spans = {}
    for step, function in (
        ("parse and validate (pydantic-core)", routes.parse_batch),
        ("rows", routes.to_rows),
        ("answer (batch_json)", routes.batch_json),
    ):
        lines, first = inspect.getsourcelines(function)
        spans[step] = (inspect.getsourcefile(function) or "", first, first + len(lines) - 1)
    return spans


def _own_group(key: tuple[str, int, str], spans: dict[str, tuple[str, int, int]]) -> str | None:
    """The group of a function by where it is (``None``: a builtin, placed by its callers)."""
    file, line, function = key
    for step, (source, first, last) in spans.items():
        if file == source and first <= line <= last:
            return step
    rules = (
        ("parse and validate (pydantic-core)", ("validate_json",)),
        ("model (numpy path)", ("lib/serving/inference.py", "sklearn")),
        (OWN, ("lib/serving/",)),
        (HTTP, ("uvicorn", "starlette", "fastapi", "httptools", "h11")),
        (LOOP, ("asyncio", "uvloop", "selectors")),
    )
    where = f"{file}:{function}"
    found = next((group for group, marks in rules if any(mark in where for mark in marks)), None)
    return found if found is not None or file == "~" else "other"


def grouped(stats: pstats.Stats) -> dict[str, float]:
    """Seconds of own time per group; a builtin's time goes to its callers' groups, in proportion to their calls."""
    table = stats.stats  # type: ignore[attr-defined]  # (file, line, name) -> (cc, nc, tottime, cumtime, callers)
    spans, memo = _ranges(), {}

    def shares_of(key, depth=0) -> dict[str, float]:
        if key in memo:
            return memo[key]
        group = _own_group(key, spans)
        if group is not None or depth > 4 or not table.get(key, (0, 0, 0, 0, {}))[4]:
            result = {group or "other": 1.0}
        else:
            callers = table[key][4]
            weight = sum(value[2] for value in callers.values()) or 1.0
            result = {}
            for caller, value in callers.items():
                for name, share in shares_of(caller, depth + 1).items():
                    result[name] = result.get(name, 0.0) + share * value[2] / weight
        memo[key] = result
        return result

    totals = dict.fromkeys(ORDER, 0.0)
    for key, value in table.items():
        for name, share in shares_of(key).items():
            totals[name] += value[2] * share
    return totals


def in_process(body: bytes, repeats: int = 200) -> dict[str, float]:
    """p50 in ms of each step of the route, called in-process on ``body``."""
    adapter = TypeAdapter(limited_batch(1000))
    model, record = champion.read()
    compiled = inference.CompiledPipeline(model)
    parsed = routes.parse_batch(adapter, body, "application/json")
    rows = serving.to_rows(parsed.penguins)
    probabilities = compiled.predict_proba(rows)
    classes = record.classes
    steps = {
        "parse and validate (pydantic-core)": lambda: routes.parse_batch(adapter, body, "application/json"),
        "rows": lambda: serving.to_rows(parsed.penguins),
        "model (numpy path)": lambda: compiled.predict_proba(rows),
        "answer (batch_json)": lambda: routes.batch_json(probabilities, classes, "1"),
    }
    return {name: timed(call, repeats)["p50_ms"] for name, call in steps.items()}


def serve_profiled(port: int, out: Path) -> int:
    """``python -m lib.serving PORT`` with a profiler that SIGUSR1 starts and SIGUSR2 stops and writes to ``out``.

    Only the measured seconds are profiled: not the start-up, the imports or the warm-up.
    """
    profiler = cProfile.Profile()

    def stop(*_: object) -> None:
        profiler.disable()
        profiler.dump_stats(str(out))

    signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())
    signal.signal(signal.SIGUSR2, stop)
    return serving_main([str(port)])


def profiled_server(body_file: Path, connections: int, seconds: int, out: Path) -> dict:
    """wrk against the API under a profiler; return wrk's summary (the measured seconds' profile goes to ``out``)."""
    port = processes.free_port()
    command = [sys.executable, "-m", "benchmarks.batch_profile", "--serve", str(port), str(out)]
    server = processes.launch(command, f"http://127.0.0.1:{port}", "/health", 60, name="the API under cProfile")
    try:
        url = f"http://127.0.0.1:{port}/predict/batch"
        run.wrk(url, body_file, connections, 1)  # warm-up, not profiled
        server.process.send_signal(signal.SIGUSR1)
        result = run.wrk(url, body_file, connections, seconds)
        server.process.send_signal(signal.SIGUSR2)
        for _ in range(100):
            if out.exists():
                break
            time.sleep(0.1)
    finally:
        server.stop()
    return result


def shares(profile: Path) -> tuple[dict[str, float], list[tuple[str, float]]]:
    """The share of the profiled thread's time per group, and the ten functions with the most time of their own."""
    stats = pstats.Stats(str(profile))
    table = stats.stats  # type: ignore[attr-defined]
    groups = grouped(stats)
    total = sum(groups.values()) or 1.0
    top = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:10]
    return (
        {name: seconds / total for name, seconds in groups.items()},
        [(f"{Path(file).name}:{line}({function})", value[2] / total) for (file, line, function), value in top],
    )


def main(argv: list[str] | None = None) -> int:
    """Print the in-process steps, then each concurrency's profile."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=8, help="profiled seconds per concurrency (default 8)")
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "OUT"), help=argparse.SUPPRESS)  # the profiled server
    args = parser.parse_args(argv)
    if args.serve:
        return serve_profiled(int(args.serve[0]), Path(args.serve[1]))
    work = Path(tempfile.mkdtemp(prefix="penguins-batch-profile-"))
    body_file = work / "batch.json"
    body_file.write_text(json.dumps({"penguins": run.penguins(1000)}), encoding="utf-8")
    steps = in_process(body_file.read_bytes())
    print(f"in-process, one /predict/batch of 1000 penguins ({body_file.stat().st_size} bytes), p50 per step:")
    for name, ms in steps.items():
        print(f"  {name:40} {ms:7.2f} ms")
    together = "the route's own steps together"
    print(f"  {together:40} {sum(steps.values()):7.2f} ms")
    for connections in (1, 16):
        result = profiled_server(body_file, connections, args.seconds, work / f"c{connections}.prof")
        groups, top = shares(work / f"c{connections}.prof")
        print(
            f"\nthe server under cProfile, concurrency {connections}: p50 {result['p50_ms']:.1f} ms, "
            f"p99 {result['p99_ms']:.1f} ms, {result['rps']:.0f} req/s (the profiler slows it down)"
        )
        print("  share of the main thread's time:")
        for name, share in groups.items():
            print(f"    {name:45} {share:6.1%}")
        print("  the ten functions with the most time of their own:")
        for where, share in top:
            print(f"    {share:6.1%}  {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
