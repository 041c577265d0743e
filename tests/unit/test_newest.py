"""make try-newest: the resolution it runs, how it reads what broke, whom it blames, what it reports."""

import json
import re
import subprocess
import sys
import textwrap

import nbformat
import pytest
import yaml

from lib.course import breakage, newest
from tests.sandbox import WORKTREE

MOVED = {"mlflow": ("3.17.2", "3.18.0"), "pandas": ("2.3.3", "3.0.1"), "evidently": ("0.7.20", "0.7.23")}
OWNERS = {"mlflow": ["mlflow"], "pandas": ["pandas"], "evidently": ["evidently"], "sklearn": ["scikit-learn"]}


def test_it_resolves_as_make_lock_does():
    """The scratch lock is `make lock`'s resolution plus --upgrade: the same arguments, for both files."""
    recipe = (WORKTREE / "Makefile").read_text(encoding="utf-8").split("\nlock:", 1)[1].split("\n\n", 1)[0]
    compiles = [
        [word for word in line.split("uv pip compile ", 1)[1].split() if word != "$(LOCK_FLAGS)"]
        for line in recipe.splitlines()
        if "uv pip compile" in line
    ]
    assert [tuple(arguments[:-2]) for arguments in compiles] == [newest.LOCK_ARGUMENTS, newest.SERVE_ARGUMENTS]
    assert [arguments[-1] for arguments in compiles] == ["requirements.lock", "requirements-serve.lock"]


def test_lock_versions_follow_the_markers():
    """A package pinned per Python gets the pin of the interpreter asked about, and marker-less pins always."""
    lock = textwrap.dedent("""\
        numpy==2.3.5 ; python_full_version < '3.12'
        numpy==2.4.1 ; python_full_version >= '3.12'
            # via pandas
        uvloop==0.22.1 ; sys_platform != 'win32'
        Great_Expectations==1.9.0
        """)
    linux_311 = {"python_full_version": "3.11.7", "python_version": "3.11", "sys_platform": "linux"}
    windows_313 = {"python_full_version": "3.13.1", "python_version": "3.13", "sys_platform": "win32"}
    assert breakage.lock_versions(lock, linux_311) == {
        "numpy": "2.3.5",
        "uvloop": "0.22.1",
        "great-expectations": "1.9.0",
    }
    assert breakage.lock_versions(lock, windows_313) == {"numpy": "2.4.1", "great-expectations": "1.9.0"}


def test_moved_versions_name_both_sides():
    before = {"mlflow": "3.17.2", "dvc": "3.66.1", "gone": "1.0"}
    after = {"mlflow": "3.18.0", "dvc": "3.66.1", "new": "2.0"}
    assert breakage.moved_versions(before, after) == {
        "gone": ("1.0", "-"),
        "mlflow": ("3.17.2", "3.18.0"),
        "new": ("-", "2.0"),
    }


TRACEBACK = """Traceback (most recent call last):
  File "/p/lib/monitoring/drift.py", line 40, in report
    result = Report(metrics).run(current, reference)
  File "/p/.venv/lib/python3.11/site-packages/evidently/core/report.py", line 88, in run
    frame = data.to_frame()
  File "/p/.venv/lib/python3.11/site-packages/pandas/core/frame.py", line 1200, in to_frame
    raise TypeError("unexpected keyword")
TypeError: unexpected keyword"""


@pytest.mark.parametrize(
    ("error", "moved", "blamed"),
    [
        pytest.param(TRACEBACK, MOVED, "evidently", id="the-outermost-moved-library"),
        pytest.param(TRACEBACK, {"pandas": MOVED["pandas"]}, "pandas", id="an-inner-one-when-the-outer-did-not-move"),
        pytest.param("ModuleNotFoundError: No module named 'mlflow.sklearn'", MOVED, "mlflow", id="a-missing-module"),
        pytest.param(
            "ImportError: cannot import name 'ColumnMapping' from 'evidently' (/p/evidently/__init__.py)",
            MOVED,
            "evidently",
            id="a-name-gone-from-a-module",
        ),
        pytest.param("AssertionError: the mlflow run has no metric", MOVED, "mlflow", id="named-in-the-message"),
        pytest.param(
            "KeyError: pandas frame lacks a column expected by great_expectations",
            MOVED | {"great-expectations": ("1.9", "1.10")},
            "pandas",
            id="the-first-named",
        ),
        pytest.param(
            "ValueError from great_expectations.core",
            {"great-expectations": ("1.9", "1.10")},
            "great-expectations",
            id="a-module-spelled-with-underscores",
        ),
        pytest.param(TRACEBACK, {"shap": ("0.51", "0.52")}, breakage.UNATTRIBUTED, id="nothing-moved-is-named"),
        pytest.param(
            "\x1b[31mKeyError\x1b[0m: 'x' in site-packages/sklearn/base.py",
            {"scikit-learn": ("1", "2")},
            "scikit-learn",
            id="module-to-distribution-colours-stripped",
        ),
    ],
)
def test_a_break_is_blamed_on_the_package_most_likely_responsible(error, moved, blamed):
    assert breakage.attribute(error, OWNERS, moved) == blamed


def test_a_failed_pytest_run_becomes_findings(tmp_path):
    """Each failure and error of a real pytest JUnit file: its id, the error and frames, not the test's own source."""
    library = tmp_path / "venv" / "site-packages" / "fakelib"
    library.mkdir(parents=True)
    (library / "__init__.py").write_text("def load(name):\n    return _inner(name)\n\ndef _inner(name):\n"
                                         "    raise KeyError(f'no column {name}')\n", encoding="utf-8")  # fmt: skip
    (tmp_path / "test_sample.py").write_text(
        textwrap.dedent(f"""\
            import sys
            import pytest
            sys.path.insert(0, {str(library.parent)!r})
            import fakelib

            def test_passes():
                assert True

            def test_fails():
                # a comment that names mlflow, which must not be blamed
                fakelib.load("bill_length_mm")

            @pytest.fixture
            def broken():
                raise RuntimeError("the fixture broke")

            def test_errors(broken):
                pass
            """),
        encoding="utf-8",
    )
    xml = tmp_path / "out.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:nbval", "-p", "no:cacheprovider", "-o", "addopts=",
         f"--junitxml={xml}", str(tmp_path / "test_sample.py")],
        cwd=tmp_path, capture_output=True, check=False,
    )  # fmt: skip
    found = breakage.junit_findings(xml, "test-fast")
    assert [finding.where for finding in found] == ["test_sample::test_fails", "test_sample::test_errors"]
    assert "no column bill_length_mm" in found[0].error and "site-packages/fakelib/__init__.py" in found[0].error
    assert "mlflow" not in found[0].error, "the test's own source is left out"
    assert breakage.attribute(found[0].error, {"fakelib": ["fakelib"]}, MOVED | {"fakelib": ("1", "2")}) == "fakelib"
    assert "the fixture broke" in found[1].error
    missing = breakage.junit_findings(tmp_path / "absent.xml", "nbval")
    assert len(missing) == 1 and "did not get as far" in missing[0].error


def test_an_nbval_failure_keeps_the_difference_not_the_cell():
    message = "Notebook cell execution failed"
    body = (
        "#x1B[94mCell 8: Cell outputs differ\nInput:\n\x1b[0mrequests = pylint_report(lib)\nprint(requests)\n"
        "Traceback:\n mismatch 'stdout'\n assert reference_output == test_output failed:\n"
        "  '3 findings' == '0 findings'"
    )
    error = breakage.error_lines(message, body)
    assert "'3 findings' == '0 findings'" in error and "pylint_report" not in error and "x1B" not in error
    assert breakage.attribute(error, OWNERS, MOVED | {"requests": ("2.32", "2.33")}) == breakage.UNATTRIBUTED


def test_a_broken_stage_names_the_lesson_cell_that_raised(tmp_path):
    """A stage left out of date: the first code cell of its executed copy that raised, or else DVC's own error line."""
    notebook = nbformat.v4.new_notebook()
    ran = nbformat.v4.new_code_cell("x = 1")
    raised = nbformat.v4.new_code_cell("report.run()")
    trace = [
        "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
        "Cell \x1b[0;32mIn[3], line 1\x1b[0m\n\x1b[0;32m----> 1\x1b[0m report\x1b[38;5;241m.\x1b[39mrun()  # mlflow",
        "File \x1b[0;32m/p/.venv/lib/python3.11/site-packages/evidently/core/report.py:88\x1b[0m, in "
        "\x1b[0;36mrun\x1b[0m",
    ]
    raised.outputs = [nbformat.v4.new_output("error", ename="TypeError", evalue="bad argument", traceback=trace)]
    injected = nbformat.v4.new_code_cell("seed = 42", metadata={"tags": ["injected-parameters"]})
    notebook.cells = [nbformat.v4.new_markdown_cell("# 5.1"), ran, injected, raised]
    (tmp_path / "reports" / "notebooks").mkdir(parents=True)
    nbformat.write(notebook, tmp_path / "reports" / "notebooks" / "5.1-monitoring.ipynb")
    log = "Running stage 'deploy':\nERROR: failed to reproduce 'deploy': exit 1\n"
    found = breakage.stage_findings(
        tmp_path,
        ["monitor", "deploy", "loop"],
        {"monitor": "5.1-monitoring.ipynb", "deploy": "4.1-deployment.ipynb", "loop": "5.2-closing-the-loop.ipynb"},
        log,
    )
    assert (
        found[0].where == "stage monitor: 5.1-monitoring.ipynb, Cell 1"
    )  # nbval's numbering: from 0, papermill's cell out
    assert found[0].error.splitlines() == [
        "TypeError: bad argument",
        "Cell In[3], line 1",
        "File /p/.venv/lib/python3.11/site-packages/evidently/core/report.py:88, in run",
    ]  # the frames, without the cell's source (which names mlflow)
    assert breakage.attribute(found[0].error, OWNERS, MOVED) == "evidently"
    assert found[1].error == "ERROR: failed to reproduce 'deploy': exit 1"
    assert "did not run" in found[2].error


def test_every_stage_is_mapped_to_its_lesson():
    mapped = newest.stage_notebooks(WORKTREE / "dvc.yaml")
    stages = yaml.safe_load((WORKTREE / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    assert set(mapped) == set(stages)
    assert all((WORKTREE / "notebooks" / lesson).exists() for lesson in mapped.values())


def test_the_report_groups_breaks_by_package_and_keeps_refreshes_apart(tmp_path):
    report = breakage.Report(python="3.11.7", platform="Linux x86_64", date="2026-12-07", moved=dict(MOVED))
    report.phases = [{"name": "test-fast", "result": "failed", "seconds": 120}]
    report.held = [{"pin": "scikit-learn>=1.6,<1.9", "newest": "1.9.1", "why": "mlflow's sklearn flavour"}]
    report.findings = [
        breakage.Finding("nbval", "5.1-monitoring.ipynb::Cell 12", "drift share differs", "evidently"),
        breakage.Finding("test-fast", "tests.unit.test_verified::test_x", "stale", breakage.REFRESH),
        breakage.Finding("pipeline", "stage train", "boom", breakage.UNATTRIBUTED),
        breakage.Finding("test-fast", "tests.unit.test_tracking::test_y", "no run", "mlflow"),
    ]
    assert list(breakage.grouped(report.findings)) == ["evidently", "mlflow", breakage.REFRESH, breakage.UNATTRIBUTED]
    md_file, json_file = breakage.write(report, tmp_path / "out")
    text = md_file.read_text(encoding="utf-8")
    assert "**3 broken**" in text and "## evidently 0.7.20 -> 0.7.23" in text and "## mlflow 3.17.2 -> 3.18.0" in text
    assert "| `scikit-learn>=1.6,<1.9` | 1.9.1 | mlflow's sklearn flavour |" in text
    assert text.index("## mlflow") < text.index(f"## {breakage.UNATTRIBUTED}")
    assert json.loads(json_file.read_text(encoding="utf-8"))["broken"] == 3
    report.findings = report.findings[1:2]
    assert "**nothing broke**" in breakage.markdown(report)


def test_the_pins_held_back_carry_their_reasons(tmp_path):
    """Every upper-bound pin of pyproject.toml is listed with the index's newest release and its comment."""
    fake_uv = tmp_path / "uv"
    fake_uv.write_text('#!/bin/sh\nread name\necho "$name==99.0"\n', encoding="utf-8")
    fake_uv.chmod(0o755)
    held = newest.held_back(WORKTREE / "pyproject.toml", str(fake_uv))
    pins = {re.split(r"[<>=;]", row["pin"])[0]: row for row in held}
    assert {"scikit-learn", "huggingface_hub", "click", "evidently"} <= set(pins)
    assert all(row["newest"] == "99.0" for row in held)
    assert all(row["why"] for row in held), [row["pin"] for row in held if not row["why"]]
    assert all("https://" in row["why"] for row in held), "each pin links the upstream reason"


def test_the_scheduled_workflow_never_gates_a_pull_request():
    """Weekly and by hand only, Python 3.11 and 3.13, the report kept as an artifact whatever the result."""
    workflow = yaml.safe_load((WORKTREE / ".github" / "workflows" / "try-newest.yml").read_text(encoding="utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    assert workflow["permissions"] == {"contents": "read"}  # it can open no issue
    job = workflow["jobs"]["try-newest"]
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.13"]
    assert any("make try-newest" in step.get("run", "") for step in job["steps"])
    kept = [step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact")]
    assert kept and kept[0]["if"] == "always()" and kept[0]["with"]["path"] == "reports/try-newest/"


def test_a_phase_keeps_its_log_and_a_silent_failure_is_still_a_finding(tmp_path, monkeypatch):
    """A phase that fails without a test report is reported with the end of its log; a hung one is stopped."""
    (tmp_path / "project").mkdir()
    run = newest.Run(tmp_path / "project", tmp_path / "logs")
    assert run.phase("fine", ["sh", "-c", "echo hello"]).returncode == 0
    assert run.phase("install", ["sh", "-c", "echo resolving; echo 'no wheel for numpy' >&2; exit 3"]).returncode == 3
    monkeypatch.setattr(newest, "PHASE_TIMEOUT", 1)
    assert run.phase("pipeline", ["sleep", "20"]).returncode != 0
    assert [phase["result"] for phase in run.phases] == ["passed", "failed", "failed"]
    assert run.log("fine") == "hello\n"
    found = run.unexplained([breakage.Finding("pipeline", "stage train", "boom")])
    assert [(finding.phase, finding.where) for finding in found] == [("install", "logs/install.log")]
    assert found[0].error.endswith("no wheel for numpy")
    assert "stopped after 1 s" in run.log("pipeline")


def test_only_the_saved_versions_check_counts_as_a_refresh():
    findings = [
        breakage.Finding("test-fast", "tests.unit.test_verified::test_saved_versions_are_the_locked_ones[2.2-x]", "x"),
        breakage.Finding("test-fast", "tests.unit.test_verified::test_the_line_reads_back", "mlflow moved"),
    ]
    blamed = newest.blame(findings, OWNERS, MOVED)
    assert [finding.package for finding in blamed] == [breakage.REFRESH, "mlflow"]


def test_a_new_run_clears_only_what_the_last_one_wrote(tmp_path):
    for name in ("report.md", "report.json", "requirements.lock", "logs/install.log", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    newest.clear(tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_the_run_reports_and_exits_by_what_broke(tmp_path, monkeypatch):
    """main() with the phases stubbed: the report is written, the exit status says whether something broke,
    and the scratch copy is kept only then."""
    monkeypatch.setattr(newest, "resolve", lambda run, uv: [])
    monkeypatch.setattr(newest, "held_back", lambda *arguments: [])
    broke = breakage.Finding("pipeline", "stage monitor: 5.1-monitoring.ipynb, Cell 3", "File site-packages/x.py:1")
    monkeypatch.setattr(newest, "check", lambda run, python: [broke])
    report = tmp_path / "report"
    assert newest.main(["--report", str(report), "--work", str(tmp_path / "first")]) == 1
    data = json.loads((report / "report.json").read_text(encoding="utf-8"))
    assert data["broken"] == 1 and data["findings"][0]["where"] == broke.where
    assert (tmp_path / "first" / "project" / "dvc.yaml").exists(), "kept to look into"
    assert (report / "requirements.lock").exists() and (report / "requirements-serve.lock").exists()

    def clean(run, python):
        assert run.logs.is_absolute(), "the phases run in the copy, so where they write must not be relative"
        return []

    monkeypatch.setattr(newest, "check", clean)
    monkeypatch.chdir(tmp_path)  # as make runs it: REPORT=reports/try-newest, relative to the course
    assert newest.main(["--report", "report", "--work", "second"]) == 0
    assert "**nothing broke**" in (report / "report.md").read_text(encoding="utf-8")
    assert not (tmp_path / "second" / "project").exists()

    def crash(run, python):
        raise RuntimeError("dvc status printed nothing")

    monkeypatch.setattr(newest, "check", crash)
    assert newest.main(["--report", str(report), "--work", str(tmp_path / "third")]) == 1
    assert "dvc status printed nothing" in (report / "report.md").read_text(encoding="utf-8")
    with pytest.raises(SystemExit):
        newest.main(["--report", str(report), "--work", str(tmp_path / "third")])  # not empty: refused
