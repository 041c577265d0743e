"""lib.quality: the Pynblint gate reads the JSON report, since pynblint always exits 0."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lib import quality


def _notebook(path, cells):
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_a_clean_notebook_has_no_lints(tmp_path):
    """Title, text, executed code with output, closing text: nothing to report."""
    code = new_code_cell("x = 1\nx", execution_count=1)
    code.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "1"}, execution_count=1)]
    path = _notebook(tmp_path / "clean.ipynb", [
        new_markdown_cell("# Title\n\nWhat this does."), code, new_markdown_cell("Summary: done."),
    ])
    assert quality.pynblint_lints(path) == []


def test_a_sloppy_notebook_is_reported(tmp_path):
    """Untitled, never executed, imports late: each is a named lint."""
    cells = [new_code_cell("x = 1"), new_code_cell("import os"), new_code_cell("y = 2")]
    path = _notebook(tmp_path / "Untitled1.ipynb", cells)
    slugs = {lint["slug"] for lint in quality.pynblint_lints(path)}
    assert {"untitled-notebook", "non-executed-notebook", "missing-h1-MD-heading", "imports-beyond-first-cell"} <= slugs


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
