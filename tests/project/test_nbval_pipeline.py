"""--nbval-pipeline fails a lesson where nbval would, reading the pipeline's executed copy instead of a new kernel."""

import subprocess
import sys
import xml.etree.ElementTree as ET

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from tests import sandbox

SANITIZE = "[tmp]\nregex: /tmp/[a-z]+\nreplace: TMPDIR\n"


def cell(source, text, tags=(), name="stdout"):
    """A code cell that ran and printed ``text``."""
    made = new_code_cell(source, execution_count=1, outputs=[new_output("stream", name=name, text=text)])
    made.metadata["tags"] = list(tags)
    return made


def raised(source):
    """A code cell as papermill saves it after the cell raised."""
    error = new_output("error", ename="ValueError", evalue="bad row", traceback=["ValueError: bad row"])
    return new_code_cell(source, execution_count=1, outputs=[error])


def write(path, cells):
    nbformat.write(new_notebook(cells=list(cells)), path)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Run the plugin on three lessons against a fake pipeline; return {test id: (outcome, message)}."""
    lessons = tmp_path_factory.mktemp("lessons")
    root = tmp_path_factory.mktemp("project")
    copies = root / "reports" / "notebooks"
    copies.mkdir(parents=True)
    saved = [
        cell("print('same')", "same\n"),
        cell("print('count')", "1 finding\n"),
        cell("check()", "all good\n"),
        cell("print(time.time())", "1764329000.1\n", tags=["nbval-ignore-output"]),
        cell("print(folder)", "/tmp/abc\n"),
        cell("print('skipped')", "old\n", tags=["nbval-skip"]),
    ]
    injected = new_code_cell("seed = 42")
    injected.metadata["tags"] = ["injected-parameters"]
    ran = [
        saved[0],
        injected,
        cell("print('count')", "0 finding\n"),
        raised("check()"),
        cell("print(time.time())", "1764329999.9\n"),
        cell("print(folder)", "/tmp/xyz\n"),
        cell("print('skipped')", "new\n"),
    ]
    write(lessons / "lesson.ipynb", saved)
    write(copies / "lesson.ipynb", ran)
    write(lessons / "unbuilt.ipynb", saved[:1])
    write(lessons / "edited.ipynb", [cell("print('edited')", "same\n")])
    write(copies / "edited.ipynb", saved[:1])
    (lessons / "sanitize.cfg").write_text(SANITIZE, encoding="utf-8")
    junit = lessons / "junit.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", "/dev/null", "--rootdir", str(lessons), "-p", "tests.nbval_pipeline"]
        + ["--nbval-pipeline", "--nbval-sanitize-with", str(lessons / "sanitize.cfg"), "-p", "no:cacheprovider"]
        + [f"--junitxml={junit}", str(lessons)],
        cwd=sandbox.WORKTREE,
        capture_output=True,
        text=True,
        check=False,
        env={**sandbox.tool_env(), sandbox.ROOT_ENV_VAR: str(root)},
        timeout=120,
    )
    assert junit.exists(), done.stdout + done.stderr
    results = {}
    for case in ET.parse(junit).iter("testcase"):
        verdict = next(iter(case), None)
        outcome = "passed" if verdict is None else verdict.tag
        results[f"{case.get('classname')}::{case.get('name')}"] = (outcome, "" if verdict is None else verdict.text)
    return results


def result(outcomes, lesson, number):
    matches = [value for key, value in outcomes.items() if lesson in key and key.endswith(f"Cell {number}")]
    assert len(matches) == 1, outcomes
    return matches[0]


def test_equal_outputs_pass_and_the_injected_parameters_are_left_out(outcomes):
    assert result(outcomes, "lesson", 0) == ("passed", "")


def test_a_changed_output_fails_with_both_versions(outcomes):
    outcome, message = result(outcomes, "lesson", 1)
    assert outcome == "failure" and "Cell outputs differ" in message
    assert "1 finding" in message and "0 finding" in message


def test_a_cell_that_raised_in_the_pipeline_fails_with_its_traceback(outcomes):
    outcome, message = result(outcomes, "lesson", 2)
    assert outcome == "failure" and "Cell execution caused an exception" in message and "ValueError: bad row" in message


def test_nbval_tags_and_sanitizers_apply_as_under_nbval(outcomes):
    assert result(outcomes, "lesson", 3) == ("passed", "")  # nbval-ignore-output
    assert result(outcomes, "lesson", 4) == ("passed", "")  # /tmp/abc and /tmp/xyz sanitized alike
    assert result(outcomes, "lesson", 5)[0] == "skipped"  # nbval-skip


def test_a_missing_or_stale_copy_says_what_to_run(outcomes):
    outcome, message = result(outcomes, "unbuilt", 0)
    assert outcome == "failure" and "the pipeline wrote no executed copy of unbuilt.ipynb" in message
    outcome, message = result(outcomes, "edited", 0)
    assert outcome == "failure" and "not an execution of this version of edited.ipynb" in message
    assert "dvc repro" in message
