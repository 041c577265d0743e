"""The parallel pipeline driver: its graph, its schedule, and a dvc.lock that ends as a sequential run writes it."""

import json
import shutil
import subprocess
import sys
import textwrap

import pytest
import yaml

from lib.course import dvc_graph
from lib.processes import tool_env
from tests.sandbox import WORKTREE

# Two slow branches after a shared first stage, and a last stage that needs both: "slow" finishes after "quick"
# although dvc.yaml names it first, so a driver that recorded stages as they finished would write them swapped.
TINY = textwrap.dedent("""\
    stages:
      source:
        cmd: python -c "open('a.txt', 'w').write('a')"
        outs: [a.txt]
      slow:
        cmd: python -c "import time; time.sleep(2); open('out/slow.txt', 'w').write(open('a.txt').read() + 's')"
        deps: [a.txt]
        outs: [out/slow.txt]
      quick:
        cmd: python -c "import os; os.makedirs('q', exist_ok=True); open('q/quick.txt', 'w').write('q')"
        deps: [a.txt]
        outs: [q]
      last:
        cmd: python -c "open('last.txt', 'w').write(open('out/slow.txt').read() + open('q/quick.txt').read())"
        deps: [out/slow.txt, q/quick.txt]
        metrics: [last.txt]
    """)


# A stage whose first start fails as a kernel does when Jupyter's port was taken before it bound it.
RACY = textwrap.dedent("""\
    import os, sys
    with open("starts.txt", "a", encoding="utf-8") as starts:
        starts.write("x")
    if os.path.getsize("starts.txt") == 1:
        print("zmq.error.ZMQError: Address already in use (addr='tcp://127.0.0.1:55521')")
        sys.exit("RuntimeError: Kernel died before replying to kernel_info")
    os.makedirs("q", exist_ok=True)
    open("q/quick.txt", "w").write("q")
    """)


def tiny_project(root):
    root.mkdir()
    (root / "out").mkdir()
    (root / "dvc.yaml").write_text(TINY, encoding="utf-8")
    for command in (["git", "init", "-q"], [str(WORKTREE / ".venv/bin/dvc"), "init", "-q"]):
        subprocess.run(command, cwd=root, check=True, env=tool_env(), capture_output=True)
    return root


def test_upstream_reads_files_and_folders_either_side():
    stages = yaml.safe_load(TINY)["stages"]
    assert dvc_graph.upstream(stages) == {
        "source": set(),
        "slow": {"source"},
        "quick": {"source"},
        "last": {"slow", "quick"},
    }
    assert dvc_graph.order(stages) == ["source", "slow", "quick", "last"]


def test_the_course_pipeline_fans_out_after_train():
    """The five lessons after train wait for the stages up to train only, not for each other: side by side."""
    stages = yaml.safe_load((WORKTREE / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    after = dvc_graph.upstream(stages)
    assert after["prepare"] == {"inception"}
    assert after["train"] == {"prepare"}
    for lesson in ("energy", "quality", "deploy", "monitor", "loop"):
        assert after[lesson] <= {"inception", "prepare", "train"}, lesson
        assert "train" in after[lesson], lesson
    assert dvc_graph.order(stages) == list(stages)


def test_a_cycle_is_refused_before_anything_runs():
    stages = {"a": {"deps": ["b.txt"], "outs": ["a.txt"]}, "b": {"deps": ["a.txt"], "outs": ["b.txt"]}}
    with pytest.raises(ValueError, match="cycle"):
        dvc_graph.order(stages)


DRIVER = [sys.executable, "-m", "lib.course.repro"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three tiny projects run at once (DVC starts in about a second per stage): dvc repro, the driver, a failure."""
    if shutil.which("git") is None:
        pytest.skip("needs git")
    folder = tmp_path_factory.mktemp("repro")
    sequential, parallel = tiny_project(folder / "sequential"), tiny_project(folder / "parallel")
    broken = tiny_project(folder / "broken")
    # "slow" fails as a lesson fails; "quick" fails once as a kernel that lost its port, then runs
    (broken / "racy.py").write_text(RACY, encoding="utf-8")
    quick = yaml.safe_load(TINY)["stages"]["quick"]["cmd"]
    broken_stages = TINY.replace("time.sleep(2); ", "raise SystemExit(3); ").replace(quick, "python racy.py")
    (broken / "dvc.yaml").write_text(broken_stages, encoding="utf-8")
    commands = {
        "sequential": ([str(WORKTREE / ".venv/bin/dvc"), "repro"], sequential),
        "parallel": (
            [*DRIVER, "--jobs", "2", "--root", str(parallel), "--times", str(parallel / "times.json")],
            WORKTREE,
        ),
        "broken": ([*DRIVER, "--keep-going", "--root", str(broken), "--times", str(broken / "times.json")], WORKTREE),
    }
    processes = {
        name: subprocess.Popen(
            command, cwd=cwd, env=tool_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for name, (command, cwd) in commands.items()
    }
    finished = {}
    for name, process in processes.items():
        out, err = process.communicate(timeout=300)
        finished[name] = (process.returncode, out, err)
    return {
        "sequential": sequential,
        "parallel": parallel,
        "broken": broken,
        "finished": finished,
    }


def test_parallel_run_writes_the_lock_a_sequential_run_writes(runs):
    """Same dvc.lock, byte for byte, from dvc repro and from the driver, on a project never run before."""
    code, out, err = runs["finished"]["parallel"]
    assert code == 0, out + err
    assert runs["finished"]["sequential"][0] == 0
    parallel = runs["parallel"]
    assert (parallel / "dvc.lock").read_text() == (runs["sequential"] / "dvc.lock").read_text()
    assert (parallel / "last.txt").read_text() == "asq"
    times = json.loads((parallel / "times.json").read_text())
    assert [(stage["stage"], stage["status"]) for stage in times["stages"]] == [
        ("source", "ran"),
        ("slow", "ran"),
        ("quick", "ran"),
        ("last", "ran"),
    ]
    assert times["most_at_once"] == 2  # slow and quick, side by side
    again = subprocess.run(
        [*DRIVER, "--root", str(parallel)], cwd=WORKTREE, env=tool_env(), capture_output=True, text=True, check=False
    )
    assert again.returncode == 0
    assert [line.split()[:2] for line in again.stdout.splitlines() if line.startswith(("slow ", "last "))] == [
        ["slow", "up"],
        ["last", "up"],
    ]


def recorded(root):
    """The driver's record of each stage (``--times``), by stage."""
    return {stage["stage"]: stage for stage in json.loads((root / "times.json").read_text())["stages"]}


def test_a_failed_stage_stops_what_it_feeds_and_says_so(runs):
    code, _, err = runs["finished"]["broken"]
    assert code == 1
    stages = recorded(runs["broken"])
    assert {name: stage["status"] for name, stage in stages.items()} == {
        "source": "ran",
        "slow": "failed",
        "quick": "ran",
        "last": "not started",
    }
    assert "stage 'slow' failed" in err
    assert stages["slow"]["attempts"] == 1  # a lesson that fails is not run again: only a kernel that could not start


def test_a_stage_whose_kernel_lost_its_port_is_started_again(runs):
    _, out, _ = runs["finished"]["broken"]
    assert (runs["broken"] / "starts.txt").read_text() == "xx"
    assert (runs["broken"] / "q" / "quick.txt").read_text() == "q"
    assert "quick | its kernel could not bind its port (another process took it): starting it again" in out
    stages = recorded(runs["broken"])
    assert (stages["quick"]["status"], stages["quick"]["attempts"]) == ("ran", 2)
