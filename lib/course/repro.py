"""``dvc repro`` with the stages that do not depend on each other side by side.

DVC runs one stage at a time. After ``train``, five lessons (energy, quality, deploy,
monitor, loop) read what the stages up to ``train`` wrote, never each other's outputs, and
two of them spend much of their time waiting on clocks (traffic at a fixed pace, alert
windows), so running them together shortens the pipeline even on two cores (``make bench``
prints each stage's time beside the total, and a run with one stage at a time).

The driver reads the graph from ``dvc.yaml`` (a stage waits for every stage that writes
one of its dependencies) and starts ``dvc --wait-for-lock repro --single-item STAGE`` for
each stage whose upstream stages are done (``--jobs`` limits how many run at once). Among
stages that run together, the first started (the later lesson, so 5.2 after ``train``)
keeps full priority and the others run under ``nice``, with one thread each for the
numeric libraries. Which stage ends last depends on the machine (on two shared cores, 5.2
or 3.2): the order is a fixed rule, not a forecast. DVC itself decides whether each stage
changed and records it in ``dvc.lock``: the repository lock is released while a stage's
command runs and taken again to record it, and ``--wait-for-lock`` makes the others wait
for it instead of failing.

When every stage is done, one plain ``dvc repro`` confirms that nothing is left to
run, and the stages of ``dvc.lock`` are put back in ``dvc.yaml``'s order (a stage
recorded for the first time is appended where it finished): the file ends as a
sequential run writes it. ``--times FILE`` saves each stage's seconds as JSON.

A stage whose kernel dies at start-up because its port was taken is started again (at most
twice more). Jupyter picks a kernel's TCP ports by binding them and closing them, then
starts the kernel, which binds them again: another process (five kernels starting together,
a test's server) can take one in between, and the kernel exits with ``Address already in
use`` before any cell has run (nteract/papermill#511, jupyter/jupyter_client#487). Any
other failure is reported as it is.

    python -m lib.course.repro [--jobs N] [--keep-going] [--times FILE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from lib.course.dvc_graph import order, restore_order, upstream
from lib.processes import tool_env

DVC = [str(Path(sys.executable).with_name("dvc")), "--wait-for-lock"]
SKIPPED = "didn't change, skipping"
# What papermill prints when a kernel could not bind the port Jupyter chose for it: no cell has run.
PORT_TAKEN = ("Address already in use", "Kernel died before replying to kernel_info")
ATTEMPTS = 3
# Stages that run side by side get one thread each for the numeric libraries (OpenMP, as in scikit-learn's
# HistGradientBoosting, and the BLAS): threads that wait on each other on cores another stage holds spend
# more CPU than they save. The results are the same (the model files and scores are byte-identical).
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


PRINTING = threading.Lock()


def echo(line: str) -> None:
    """Print one line of a stage's output whole (the stages' threads print side by side)."""
    with PRINTING:
        print(line, flush=True)


@dataclass
class StageRun:
    """One stage's run: ``ran``, ``up to date``, ``failed`` or ``not started`` (an upstream stage failed)."""

    stage: str
    status: str = "not started"
    seconds: float = 0.0
    attempts: int = 0
    output: list[str] = field(default_factory=list, repr=False)


def kernel_port_taken(output: list[str]) -> bool:
    """Whether a stage's output says its kernel died at start-up because its port was taken (no cell ran)."""
    text = "".join(output)
    return all(sign in text for sign in PORT_TAKEN)


class Driver:
    """Runs the stages of ``root``'s ``dvc.yaml`` with at most ``jobs`` at a time (0: no limit)."""

    def __init__(self, root: Path, jobs: int, keep_going: bool = False, nice: int = 10) -> None:
        self.root = root
        self.nice = nice
        self.first: str | None = None  # the stage running at full priority
        self.keep_going = keep_going
        self.stages: dict[str, dict] = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
        self.after = upstream(self.stages)
        order(self.stages)  # refuse a cycle before anything starts
        self.jobs = jobs if jobs > 0 else len(self.stages)
        self.peak = 0  # the most stages that ran at once
        self.runs = {name: StageRun(name) for name in self.stages}
        self._finished = threading.Condition()

    def next_stages(self, running: set[str]) -> list[str]:
        """The stages that may start now: upstream done (and not failed), not started; later lessons first.

        Among the stages that are ready together, the later lesson starts first (and so, in
        :meth:`run`, at full priority): lesson 5.2, which waits on clocks and servers longest.
        """
        failed = any(run.status == "failed" for run in self.runs.values())
        if failed and not self.keep_going:
            return []
        ready = [
            name
            for name, run in self.runs.items()
            if run.status == "not started"
            and name not in running
            and all(self.runs[up].status in ("ran", "up to date") for up in self.after[name])
        ]
        return list(reversed(ready))[: self.jobs - len(running)]

    def _run(self, name: str, nice: int, together: bool) -> None:
        run = self.runs[name]
        started = time.perf_counter()
        status = "failed"  # unless DVC says otherwise: whatever goes wrong here, the stage ends and run() goes on
        try:
            while True:
                run.attempts += 1
                status, lines = self._attempt(run, nice, together)
                if status != "failed" or run.attempts == ATTEMPTS or not kernel_port_taken(lines):
                    break
                echo(f"{name:>10} | its kernel could not bind its port (another process took it): starting it again")
        finally:
            run.seconds = round(time.perf_counter() - started, 1)
            with self._finished:
                run.status = status
                self._finished.notify_all()

    def _attempt(self, run: StageRun, nice: int, together: bool) -> tuple[str, list[str]]:
        """Run ``run``'s stage once with DVC; its status and the lines this run printed."""
        command = [*(["nice", "-n", str(nice)] if nice else []), *DVC, "repro", "--single-item", run.stage]
        first_line = len(run.output)
        try:
            with subprocess.Popen(
                command,
                cwd=self.root,
                env=tool_env(ONE_THREAD if together else None),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                bufsize=1,
            ) as process:
                assert process.stdout is not None
                for line in process.stdout:
                    run.output.append(line)
                    echo(f"{run.stage:>10} | {line.rstrip()}")
        except OSError as error:
            run.output.append(f"could not run {' '.join(command)}: {error}\n")
            return "failed", run.output[first_line:]
        lines = run.output[first_line:]
        if process.returncode:
            return "failed", lines
        return ("up to date" if any(SKIPPED in line for line in lines) else "ran"), lines

    def run(self) -> bool:
        """Run every stage that is out of date; return whether all of them succeeded."""
        running: set[str] = set()
        threads: list[threading.Thread] = []
        with self._finished:
            while True:
                running = {name for name in running if self.runs[name].status == "not started"}
                ready = self.next_stages(running)
                together = len(running) + len(ready) > 1
                for name in ready:
                    if self.first not in running:
                        self.first = name
                    nice = 0 if name == self.first else self.nice
                    echo(
                        f"{name:>10} | starting ({len(running) + 1} of at most {self.jobs} at a time"
                        + (f", at nice {nice}" if nice else "")
                        + (", one thread each)" if together else ")")
                    )
                    running.add(name)
                    self.peak = max(self.peak, len(running))
                    thread = threading.Thread(target=self._run, args=(name, nice, together), daemon=True)
                    threads.append(thread)
                    thread.start()
                if not running:
                    break
                self._finished.wait()
        for thread in threads:
            thread.join()
        return all(run.status in ("ran", "up to date") for run in self.runs.values())


def summary(driver: Driver, total: float, times: Path | None) -> None:
    """Print each stage's status and seconds (and the failed stages' last lines); write them to ``times``."""
    width = max(map(len, driver.runs))
    print(f"\n{'stage':<{width}}  {'status':<11}  seconds")
    for run in driver.runs.values():
        again = f"  (started {run.attempts} times: its kernel's port was taken)" if run.attempts > 1 else ""
        print(f"{run.stage:<{width}}  {run.status:<11}  {run.seconds:7.1f}{again}")
    print(f"{'total':<{width}}  {'':<11}  {total:7.1f}  (up to {driver.peak} stages at a time)")
    if times:
        stages = [{key: value for key, value in asdict(run).items() if key != "output"} for run in driver.runs.values()]
        times.parent.mkdir(parents=True, exist_ok=True)
        times.write_text(
            json.dumps({"total_s": total, "most_at_once": driver.peak, "stages": stages}, indent=2) + "\n",
            encoding="utf-8",
        )
    for run in driver.runs.values():
        if run.status == "failed":
            print(
                f"\nstage '{run.stage}' failed; the end of its output:\n" + "".join(run.output[-40:]), file=sys.stderr
            )


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line: ``--jobs``, ``--keep-going``, ``--nice``, ``--times``."""
    parser = argparse.ArgumentParser(prog="python -m lib.course.repro", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--jobs",
        type=int,
        default=0,
        help="stages at a time (default 0: every stage whose inputs are ready; the lessons after train "
        "spend much of their time waiting on clocks and servers, and all but one run at a lower priority)",
    )
    parser.add_argument("--keep-going", action="store_true", help="after a failure, run the stages it does not feed")
    parser.add_argument(
        "--nice",
        type=int,
        default=10,
        help="the niceness of every stage but the first of those running together (0: all equal)",
    )
    parser.add_argument("--times", type=Path, help="write each stage's status and seconds to this JSON file")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the pipeline, confirm it with one ``dvc repro``, print each stage's time; 0 when every stage succeeded."""
    args = parse(argv)
    root = args.root.resolve()
    driver = Driver(root, args.jobs, args.keep_going, args.nice)
    started = time.perf_counter()
    succeeded = driver.run()
    confirm = None
    if succeeded:
        confirm = subprocess.run([*DVC, "repro"], cwd=root, env=tool_env(), capture_output=True, text=True, check=False)
        if "Running stage" in confirm.stdout:  # the graph above missed a stage: say so, with what DVC ran
            print("the closing `dvc repro` ran a stage the driver had not:\n" + confirm.stdout[-4000:], flush=True)
        restore_order(root, order(driver.stages))
    summary(driver, round(time.perf_counter() - started, 1), args.times)
    if confirm is not None and confirm.returncode:
        print("the closing `dvc repro` failed:\n" + (confirm.stdout + confirm.stderr)[-4000:], file=sys.stderr)
        return 1
    return 0 if succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
