"""``docs/performance.md``, written by ``make bench`` from the run's report: every figure in it comes from the run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.table import Row

HEADER = """# Performance

*Written by `make bench` from `reports/bench.json`; do not edit it by hand: run `make bench`
again (it needs `wrk`, and the pipeline's exported champion).*

"""

METHOD = """## How it is measured

Every server runs as one process on loopback, and wrk (one thread) is the load generator;
each scenario is warmed up for {warmup} s, then measured for {seconds} s. **This API** is the
API as `make api` and the Docker image run it (`python -m lib.serving`, with `/metrics`);
the *`/metrics` off*, *micro-batching on* and *pandas path* rows force those settings, for
comparison. **The limit** is the exported pipeline's `predict_proba` called in-process; the
**numpy path** is what the API calls instead (`lib/serving/inference.py`). **The peer** is
what a user would pick otherwise, `mlflow models serve` (local env manager) on the same
registered model, with the same rows (in MLflow's input format). The model switches are measured on a scratch copy
of the export that is replaced while the API serves it (`benchmarks/reload.py`). The
pipeline rows time a cold run of every stage in a fresh copy of the project, as `make pipeline`
runs it (`lib/course/repro.py`: the stages after `train` side by side), with each stage's own
time, and then a `dvc repro` with nothing to do; a second cold run, one stage at a time, must
write the same data, splits, model bytes and scores, byte for byte (the *both cold runs* rows
compare the md5 each run's `dvc.lock` records, and say whether the first run's are the ones the
project's `dvc.lock` holds). These outputs come from `inception`, `prepare` and `train`, which run
alone in both runs: the rows show a cold run repeats itself, not that stages side by side leave
each other's outputs alone (the stages after `train` write measured figures). The soak row is
`tests/api/test_soak.py` run for a minute (`make test` runs it for 20 s). Compare rows within one
run: another machine, or the same one busier, moves them all.

"""

WHY = """## What makes the difference

- **The numpy path.** The exported pipeline's `predict_proba` on one row costs {pipeline_1:.2f} ms
  in-process here, nearly all of it the fixed cost of a DataFrame and the `ColumnTransformer`;
  the API replays the fitted preprocessing with numpy instead ({numpy_1:.3f} ms), checked
  against the pipeline when the model loads ([fastapi-demo.md](fastapi-demo.md)).
- **Micro-batching: off by default on the numpy path.** With one client, queueing for a shared
  call costs more than it saves; with 16 it may raise the throughput (the *micro-batching on vs
  off* rows say how much in this run). `PENGUINS_MICRO_BATCHING=auto` batches only on the pandas
  path, where each call costs milliseconds (no row compares the pandas path with and without
  batching).
- **The batch route in one pass** (its rows and targets above say whether it is enough on this
  machine). `/predict/batch` parses and validates its body in one call
  of pydantic-core (Rust) instead of Python's `json` and then pydantic, into plain dicts
  checked by the `Penguin` model's own fields rather than 1000 model objects; the numpy path
  (shared with `/predict`) transforms them column by column; the route writes its answer with
  numpy's rounding, one pydantic-core call for all the numbers and one f-string per row,
  instead of 1000 response objects; the server
  reads a batch body whole instead of pausing the socket at uvicorn's 64 KB until the app asks
  for more.
- **The stages side by side.** `make pipeline` starts each DVC stage as soon as the stages it
  reads are done (`lib/course/repro.py`), so the five lessons after `train` run together, lesson
  5.2 at full priority and the others under `nice`, and the waits of lessons 5.1 and 5.2 on their
  clocks overlap the others' work (the *pipeline, cold* rows: side by side, each stage's time with
  the slowest named, and one stage at a time).
- **Metrics counted on the loop, handed over when scraped.** `/metrics` keeps plain counters on
  the event loop's one thread and hands them to prometheus_client only when scraped. Every
  prediction also fills the feature histograms (bisect for one penguin, numpy for a batch) and
  counts islands and sexes. What that costs in
  this run, against the targets, is in the *`/metrics` on vs off* rows.
- **The garbage collector kept off the loaded model.** The app calls `gc.freeze()` after
  start-up, so Python's full collections, which a large batch triggers now and then, no longer
  walk the model's and the libraries' objects in the middle of a request (the model loaded at
  start-up: a model loaded later by a reload is not frozen).
- **Where a batch's time goes.** `python -m benchmarks.batch_profile` times each step of
  `/predict/batch` in-process (parsing and validating, the rows, the model, the answer) and
  profiles the server's main thread while wrk sends batches, at concurrency 1 and 16.
- **Model switches off the request path.** A new model is loaded and checked in a worker
  thread while the old one answers; the swap itself is one assignment (the *model switch*
  rows, and [fastapi-demo.md](fastapi-demo.md#switching-models-while-serving)).

"""


def markdown(report: dict, rows: list[Row], warmup_s: int) -> str:
    """The whole page for one run's ``report`` and its table ``rows``."""
    when = datetime.fromtimestamp(report.get("finished", 0), UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = report["machine"]
    model = report["model"]
    intro = (
        f"Run of {when} on {machine['cpus']} cores, Python {machine['python']}, serving "
        f"`{model['name']}` version {model['version']} ({model['candidate']}).\n\n"
    )
    table = ["## Results", "", "| measure | value | target | met |", "|---|---|---|---|"]
    marks = {None: "", True: "yes", False: "**no**"}
    table += [f"| {row.measure} | {row.value} | {row.target} | {marks[row.met]} |" for row in rows]
    missed = [row for row in rows if row.met is False]
    verdict = ["", "## Targets", ""]
    if missed:
        verdict.append(f"{sum(row.met is True for row in rows)} targets met; not met in this run:")
        verdict += [f"- {row.measure}: {row.value} (target {row.target})" for row in missed]
    else:
        verdict.append(f"All {sum(row.met is True for row in rows)} targets met in this run.")
    lim = report["limit"]
    why = WHY.format(pipeline_1=lim["1_row"]["p50_ms"], numpy_1=report["limit_numpy"]["1_row"]["p50_ms"])
    method = METHOD.format(warmup=warmup_s, seconds=report["seconds"])
    return HEADER + intro + method + "\n".join(table) + "\n" + "\n".join(verdict) + "\n\n" + why


def write(report: dict, rows: list[Row], path: Path, warmup_s: int) -> Path:
    """Write the page to ``path`` and return it."""
    path.write_text(markdown(report, rows, warmup_s).rstrip() + "\n", encoding="utf-8")
    return path


README_START = "<!-- make bench writes this summary from reports/bench.json: do not edit it by hand -->"
README_END = "<!-- end of make bench's summary -->"


def summary(report: dict, rows: list[Row]) -> str:
    """The contributors' page's short summary of one run: the headline figures and the targets it missed."""
    api, ratios, switches = report["api"], report["ratios"], report["reload"]
    when = datetime.fromtimestamp(report.get("finished", 0), UTC).strftime("%Y-%m-%d")
    met, missed = [row for row in rows if row.met is True], [row for row in rows if row.met is False]
    verdict = f"{len(met)} of {len(met) + len(missed)} targets met"
    verdict += f"; not met: {'; '.join(row.measure for row in missed)}." if missed else "."
    return (
        f"Last run ({when}, {report['machine']['cpus']} cores): one `/predict` in "
        f"{api['predict@1']['p50_ms']:.2f} ms (p50, one client), {ratios['throughput_vs_peer']:.1f}x the "
        f"throughput of `mlflow models serve` with 16 clients; `/predict/batch` of 1000 penguins in "
        f"{ratios['batch_1000_p50_ms']:.2f} ms (p50); a replaced export answering "
        f"{switches['file_change_to_new_answer_s']['median']:.2f} s after the change (median, the API checking "
        f"every {switches['reload_interval_s']:g} s; `make api` checks every 10 s). {verdict}"
    )


def update_readme(readme: Path, report: dict, rows: list[Row]) -> bool:
    """Replace the summary between a page's two markers (docs/contributing.md); return whether it changed.

    Raises ``ValueError`` when the markers are missing (the page is then left as it was).
    """
    from lib.course import blocks  # noqa: PLC0415  # as in main: the report's formatting needs nothing of lib

    text = readme.read_text(encoding="utf-8")
    missing = f"{readme} has no summary block: put {README_START!r} and {README_END!r} where it goes"
    updated = blocks.replace_between(text, README_START, README_END, summary(report, rows), missing)
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
    return updated != text


def main() -> int:
    """Rewrite docs/performance.md and docs/contributing.md's summary from reports/bench.json (no new measurement)."""
    from lib import paths  # noqa: PLC0415  # only this entry point needs the project's paths

    report = json.loads((paths.REPORTS_DIR / "bench.json").read_text(encoding="utf-8"))
    rows = [Row(**row) for row in report["table"]]
    write(report, rows, paths.DOCS_DIR / "performance.md", report.get("warmup_s", 2))
    update_readme(paths.DOCS_DIR / "contributing.md", report, rows)
    print("rewrote docs/performance.md and docs/contributing.md's summary from reports/bench.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
