"""``python -m benchmarks.first_run``: what a student's first run costs, measured as a student makes it.

In a fresh ``git clone`` of the committed course, with empty package caches (so every package is
downloaded from the registry, as on a new laptop):

- ``make setup``: the seconds to create ``.venv`` and install the lock, the megabytes it received
  from the network (every interface but loopback: run it on an otherwise quiet machine), and the
  sizes of ``.venv`` and of the package caches it filled;
- ``make pipeline``: the seconds for every lesson, headless, and the largest memory the run held
  at once (the resident memory of ``make`` and every process under it, summed, sampled every
  0.2 s: an upper bound, since pages two processes share count twice);
- the clone's size afterwards, without ``.venv`` (data, models, reports, MLflow's store, DVC's cache).

Writes ``reports/first_run.json`` and the figures into README and the instructors' guide, between
their markers. System packages must already be there (``make system-packages``): installing them is
not part of a student's first run on a prepared machine, and needs root.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from lib import paths
from lib.course import blocks

START = "<!-- python -m benchmarks.first_run writes these figures: do not edit them by hand -->"
END = "<!-- end of the first run's figures -->"
# What the clean environment of a student's shell keeps from ours: nothing of this project's .venv or paths.
DROPPED = ("VIRTUAL_ENV", "PYTHONPATH", "PENGUINS_PROJECT_ROOT", "UV_CACHE_DIR", "PIP_CACHE_DIR")


def size_mb(folder: Path) -> float:
    """Megabytes of the files under ``folder`` (their sizes, not counting links twice), 0 if it is missing."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for path in folder.rglob("*") if folder.exists() else ():
        if path.is_file() and not path.is_symlink():
            stat = path.stat()
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_size
    return total / 1e6


def received_mb() -> float:
    """Megabytes this machine has received from the network so far (every interface but loopback)."""
    counters = psutil.net_io_counters(pernic=True)
    return sum(counter.bytes_recv for name, counter in counters.items() if not name.startswith("lo")) / 1e6


class PeakMemory:
    """The largest summed resident memory of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int, every_s: float = 0.2) -> None:
        self.pid, self.every_s, self.peak_mb = pid, every_s, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                root = psutil.Process(self.pid)
                family = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = 0
            for process in family:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
            self.peak_mb = max(self.peak_mb, total / 1e6)
            self._stop.wait(self.every_s)


def run(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> tuple[float, float]:
    """Run ``command``; return (seconds, peak memory in MB). Raises ``RuntimeError`` with the log's tail."""
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        with PeakMemory(process.pid) as memory:
            code = process.wait()
    seconds = time.perf_counter() - start
    if code:
        tail = "".join(log.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)[-30:])
        raise RuntimeError(f"{' '.join(command)} failed (exit {code}) after {seconds:.0f} s:\n{tail}")
    return seconds, memory.peak_mb


def measure(root: Path, scratch: Path) -> dict:
    """Clone ``root`` into ``scratch`` and measure a first ``make setup`` and ``make pipeline`` there."""
    clone = scratch / "course"
    subprocess.run(["git", "clone", "--quiet", str(root), str(clone)], check=True)
    caches = {"UV_CACHE_DIR": scratch / "uv-cache", "PIP_CACHE_DIR": scratch / "pip-cache"}
    env = {key: value for key, value in os.environ.items() if key not in DROPPED}
    venv_bin = str(root / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(part for part in env.get("PATH", "").split(os.pathsep) if part != venv_bin)
    env.update({name: str(path) for name, path in caches.items()})
    received = received_mb()
    setup_s, _ = run(["make", "setup"], clone, env, scratch / "setup.log")
    download_mb = received_mb() - received
    pipeline_s, peak_mb = run(["make", "pipeline"], clone, env, scratch / "pipeline.log")
    python = subprocess.run(
        [str(clone / ".venv" / "bin" / "python"), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    venv_mb = size_mb(clone / ".venv")
    return {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1e9, 1),
        "python": python,
        "setup_s": round(setup_s),
        "download_mb": round(download_mb),
        "caches_mb": round(sum(size_mb(path) for path in caches.values())),
        "venv_mb": round(venv_mb),
        "pipeline_s": round(pipeline_s),
        "pipeline_peak_memory_mb": round(peak_mb),
        "project_mb": round(size_mb(clone) - venv_mb - size_mb(clone / ".git")),
        "git_mb": round(size_mb(clone / ".git")),
    }


def minutes(seconds: float) -> str:
    """Seconds as a reader wants them: minutes and seconds from two minutes on (not rounded to a minute)."""
    if seconds < 120:
        return f"{round(seconds)} s"
    whole, rest = divmod(round(seconds), 60)
    return f"{whole} min {rest} s" if rest else f"{whole} min"


def figures(report: dict) -> str:
    """The first run's cost in a few sentences, for README and the instructors' guide."""
    disk_gb = (report["venv_mb"] + report["project_mb"] + report["git_mb"] + report["caches_mb"]) / 1000
    return (
        f"Measured on {report['date']} on a {report['cpus']}-core Linux machine with {report['memory_gb']:g} GB "
        f"of memory, Python {report['python']}, from a fresh clone with empty package caches and the system "
        f"packages already installed (`python -m benchmarks.first_run`): `make setup` "
        f"downloaded {report['download_mb']} MB and took {minutes(report['setup_s'])} (`.venv` is "
        f"{report['venv_mb']} MB on disk, the package caches {report['caches_mb']} MB); `make pipeline` then "
        f"ran every lesson in "
        f"{minutes(report['pipeline_s'])}, its processes holding at most {report['pipeline_peak_memory_mb']} MB "
        f"of memory together (their resident memory summed: an upper bound); the project's own files grew to "
        f"{report['project_mb']} MB beside the "
        f"{report['git_mb']} MB of Git history. Plan for about {disk_gb:.1f} GB of disk with the package "
        f"caches, which you may delete afterwards."
    )


def rewrite(page: Path, report: dict) -> bool:
    """Replace the figures between ``page``'s markers; return whether it changed. ``ValueError`` without markers."""
    text = page.read_text(encoding="utf-8")
    missing = f"{page} has no place for the first run's figures: put {START!r} and {END!r} there"
    updated = blocks.replace_between(text, START, END, figures(report), missing)
    if updated != text:
        page.write_text(updated, encoding="utf-8")
    return updated != text


def main(argv: list[str] | None = None) -> int:
    """Measure a first run in a scratch clone; write reports/first_run.json, README's and the guide's figures.

    ``--pages-only`` rewrites the figures from the last run's reports/first_run.json, without measuring.
    """
    out = paths.REPORTS_DIR / "first_run.json"
    if "--pages-only" in (sys.argv[1:] if argv is None else argv):
        report = json.loads(out.read_text(encoding="utf-8"))
    else:
        with tempfile.TemporaryDirectory(prefix="penguins-first-run-") as folder:
            report = measure(paths.PROJ_ROOT, Path(folder))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    for page in (paths.PROJ_ROOT / "README.md", paths.DOCS_DIR / "instructors.md"):
        rewrite(page, report)
    print(f"wrote {paths.relative(out)}; README and docs/instructors.md carry its figures")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
