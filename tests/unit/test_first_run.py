"""``python -m benchmarks.first_run``: what a first run costs, as README and the instructors' guide state it."""

import os
import sys

import pytest

from benchmarks import first_run
from tests.sandbox import WORKTREE

REPORT = {
    "date": "2026-12-07",
    "cpus": 2,
    "memory_gb": 8.2,
    "python": "3.13.1",
    "setup_s": 95,
    "download_mb": 412,
    "caches_mb": 1290,
    "venv_mb": 1630,
    "pipeline_s": 330,
    "pipeline_peak_memory_mb": 2140,
    "project_mb": 96,
    "git_mb": 31,
}


def test_the_figures_say_what_was_measured_and_how():
    text = first_run.figures(REPORT)
    assert "2-core Linux machine with 8.2 GB" in text and "Python 3.13.1" in text
    assert "downloaded 412 MB and took 95 s" in text and "`.venv` is 1630 MB" in text and "caches 1290 MB" in text
    assert "every lesson in 5 min 30 s" in text and "at most 2140 MB" in text
    assert "about 3.0 GB of disk" in text  # .venv, the project, Git and the caches: 1630 + 96 + 31 + 1290 MB


def test_the_pages_get_the_figures_between_their_markers_and_nowhere_else(tmp_path):
    page = tmp_path / "README.md"
    page.write_text(f"before\n{first_run.START}\nold figures\n{first_run.END}\nafter\n", encoding="utf-8")
    assert first_run.rewrite(page, REPORT)
    text = page.read_text(encoding="utf-8")
    assert text == f"before\n{first_run.START}\n{first_run.figures(REPORT)}\n{first_run.END}\nafter\n"
    assert not first_run.rewrite(page, REPORT)  # the same run again: nothing to change
    page.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no place for the first run's figures"):
        first_run.rewrite(page, REPORT)
    assert page.read_text(encoding="utf-8") == "no markers\n"


@pytest.mark.parametrize("page", ["README.md", "docs/instructors.md"])
def test_readme_and_the_instructors_guide_carry_a_measured_first_run(page):
    text = (WORKTREE / page).read_text(encoding="utf-8")
    between = text.split(first_run.START, 1)[1].split(first_run.END, 1)[0]
    assert between.strip().startswith("Measured on 20") and "`make pipeline` then ran every lesson in" in between


def test_sizes_count_a_hard_linked_file_once(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 1_000_000)
    os.link(tmp_path / "a", tmp_path / "b")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c").write_bytes(b"y" * 500_000)
    assert first_run.size_mb(tmp_path) == pytest.approx(1.5)
    assert first_run.size_mb(tmp_path / "missing") == 0


def test_the_peak_memory_counts_the_processes_under_the_one_started(tmp_path):
    """A shell starting a Python that holds 300 MB: the peak is the child's, seen through its parent."""
    holder = "import time; block = bytearray(300_000_000); block[::4096] = b'x' * len(block[::4096]); time.sleep(1.5)"
    seconds, peak = first_run.run(
        ["sh", "-c", f'"{sys.executable}" -c "{holder}"; true'], tmp_path, dict(os.environ), tmp_path / "log"
    )
    assert seconds >= 1.5 and 300 <= peak < 1000, peak


def test_a_failed_step_says_which_and_shows_its_output(tmp_path):
    with pytest.raises(RuntimeError, match=r"(?s)exit 3.*the reason it stopped"):
        first_run.run(["sh", "-c", "echo the reason it stopped; exit 3"], tmp_path, dict(os.environ), tmp_path / "l")
