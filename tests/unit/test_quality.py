"""lib.quality: the Pynblint gate reads the JSON report, since pynblint always exits 0."""

import os
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lib import quality
from lib.course.lessons import sloppy_notebook


def _notebook(path, cells):
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_one_run_lints_each_notebook_on_its_own(tmp_path):
    """A clean notebook gets nothing and a sloppy one its named lints, from one Pynblint run over both."""
    code = new_code_cell("x = 1\nx", execution_count=1)
    code.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "1"}, execution_count=1)]
    clean = _notebook(
        tmp_path / "clean.ipynb",
        [
            new_markdown_cell("# Title\n\nWhat this does."),
            code,
            new_markdown_cell("Summary: done."),
        ],
    )
    cells = [new_code_cell("x = 1"), new_code_cell("import os"), new_code_cell("y = 2")]
    sloppy = _notebook(tmp_path / "Untitled1.ipynb", cells)
    report = quality.pynblint_report([sloppy, clean])
    assert list(report) == [sloppy, clean]
    assert report[clean] == []
    slugs = {lint["slug"] for lint in report[sloppy]}
    assert {"untitled-notebook", "non-executed-notebook", "missing-h1-MD-heading", "imports-beyond-first-cell"} <= slugs
    assert "repository-not-versioned" not in slugs  # the scratch folder's own lints are not the notebooks'


def test_notebooks_linted_together_need_distinct_names(tmp_path):
    """Two notebooks with one name cannot share a Pynblint run; the error says why."""
    first = _notebook(tmp_path / "a" / "nb.ipynb", [new_code_cell("x = 1")])
    second = _notebook(tmp_path / "b" / "nb.ipynb", [new_code_cell("x = 1")])
    with pytest.raises(ValueError, match="distinct names"):
        quality.pynblint_report([first, second])


def test_main_exits_1_when_there_are_lints(tmp_path, capsys):
    """The CLI prints each lint and fails, so make lint and pre-commit stop."""
    path = _notebook(tmp_path / "Untitled.ipynb", [new_code_cell("x = 1")])
    assert quality.main([str(path)]) == 1
    assert "untitled-notebook" in capsys.readouterr().out
    assert quality.main([]) == 2


def test_missing_notebook_is_an_error(tmp_path):
    """A path that is not there is named."""
    with pytest.raises(FileNotFoundError, match="expected a .ipynb"):
        quality.pynblint_lints(tmp_path / "none.ipynb")


def test_ruff_findings_locate_problems(tmp_path):
    """ruff's JSON becomes rows with code, file (relative) and line."""
    (tmp_path / "bad.py").write_text("import os\n")
    findings = quality.ruff_findings([tmp_path / "bad.py"], cwd=tmp_path)
    assert [(f["code"], f["file"], f["line"]) for f in findings] == [("F401", "bad.py", 1)]


def test_nbqa_findings_name_notebook_and_cell(tmp_path):
    """ruff on notebook cells, through nbqa, reports the cell of each finding."""
    code = new_code_cell("import os\nx = 1", execution_count=1)
    _notebook(tmp_path / "nb.ipynb", [new_markdown_cell("# T"), code])
    findings = quality.nbqa_ruff_findings(tmp_path, cwd=tmp_path)
    assert ("nb.ipynb", "cell_1", "F401") in [(f["file"], f["cell"], f["code"]) for f in findings]


def test_pylint_report_scores(tmp_path):
    """pylint's score and messages are parsed from its JSON report."""
    (tmp_path / "mod.py").write_text('"""Doc."""\n\n\ndef f(x):\n    """Doc."""\n    return y\n')
    report = quality.pylint_report([tmp_path / "mod.py"], cwd=tmp_path)
    assert report["score"] < 10
    assert "undefined-variable" in {m["symbol"] for m in report["messages"]}


def test_run_pytest_reports_each_test_with_its_family(tmp_path):
    """Outcomes and families come from pytest's JUnit report."""
    (tmp_path / "test_x.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.parametrize('v', [1, 2])\ndef test_invariance(v):\n    assert v == 1\n\n"
        "def test_directional():\n    pass\n"
    )
    rows = quality.run_pytest(tmp_path / "test_x.py", cwd=tmp_path)
    assert [(r["family"], r["test"], r["outcome"]) for r in rows] == [
        ("invariance", "test_invariance[1]", "passed"),
        ("invariance", "test_invariance[2]", "failed"),
        ("directional", "test_directional", "passed"),
    ]
    only = quality.run_pytest(tmp_path / "test_x.py", cwd=tmp_path, args=["-k", "directional"])
    assert [r["test"] for r in only] == ["test_directional"]


def test_run_pytest_in_this_process_reports_what_a_new_process_reports(tmp_path, monkeypatch):
    """The gate's in-process run: the same rows, the variables it was given seen by the tests, none left behind."""
    (tmp_path / "test_y.py").write_text(
        "import os\n\n"
        "def test_directional():\n    assert os.environ['PROBE'] == 'given'\n\n"
        "def test_invariance():\n    os.environ['LEFT_BEHIND'] = 'x'\n    assert False, 'broken on purpose'\n"
    )
    (tmp_path / "conftest.py").write_text(  # as the project's conftest.py does: a new home for the session
        "import os, sys\n\ndef pytest_configure(config):\n    os.environ['HOME'] = '/a/scratch/home'\n"
        "    sys.path.insert(0, '/a/scratch/path')\n"
    )
    monkeypatch.delenv("LEFT_BEHIND", raising=False)
    before, path = dict(os.environ), list(sys.path)
    separate = quality.run_pytest(tmp_path / "test_y.py", cwd=tmp_path, env={"PROBE": "given"})
    current = os.environ.pop("PYTEST_CURRENT_TEST")  # as in a lesson's kernel, where no test is running
    try:
        here = quality.run_pytest(tmp_path / "test_y.py", cwd=tmp_path, env={"PROBE": "given"}, in_process=True)
    finally:
        os.environ["PYTEST_CURRENT_TEST"] = current
    assert here == separate
    assert [(r["test"], r["outcome"]) for r in here] == [("test_directional", "passed"), ("test_invariance", "failed")]
    assert "broken on purpose" in here[1]["message"]
    assert dict(os.environ) == before  # PROBE and LEFT_BEHIND gone, HOME back, nothing else changed
    assert sys.path == path
    assert not [
        name for name, module in sys.modules.items() if str(tmp_path) in (getattr(module, "__file__", "") or "")
    ]


def test_sloppy_example_has_the_smells(tmp_path):
    """The lesson's example notebook trips the lints it is meant to show."""
    slugs = {lint["slug"] for lint in quality.pynblint_lints(sloppy_notebook.write(tmp_path))}
    assert {"non-linear-execution", "untitled-notebook", "empty-cells", "non-executed-cells"} <= slugs


def test_write_report_is_sorted_json(tmp_path):
    """The quality report is stable JSON."""
    path = quality.write_report({"b": 1, "a": {"d": 2, "c": 3}}, tmp_path / "q" / "quality.json")
    assert path.read_text() == '{\n  "a": {\n    "c": 3,\n    "d": 2\n  },\n  "b": 1\n}\n'
