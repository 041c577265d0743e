"""nbval's output check, on the copies of the lessons that the pipeline executed.

``dvc repro`` already runs every lesson once, headless, with papermill, and
writes the executed copy to ``reports/notebooks/``. nbval's own mode
(``--nbval``) would run each lesson a second time in a fresh kernel, only to
compare the outputs it gets with those saved in ``notebooks/``: about three
minutes of ``make test`` spent executing the same cells again.

``--nbval-pipeline`` (set in ``pyproject.toml``) keeps everything of nbval but
the second execution. Each code cell of a lesson is still one test item, the
comparison is nbval's own (``IPyNbCell.compare_outputs``, the same sanitizers
from ``tests/notebooks/sanitize.cfg``, the same ``nbval-ignore-output`` and
``nbval-skip`` tags), and a cell that raised fails with its traceback; only the
new outputs come from the pipeline's copy instead of a new kernel. A lesson
whose saved outputs no longer match what the pipeline printed fails exactly as
it did under nbval.

What this does not cover is running a lesson a second time on top of a built
pipeline, as a student does in JupyterLab after ``make pipeline``; the
exercises and the fault tests run lessons again, and ``pytest --nbval
notebooks`` (nbval's own mode, which takes precedence when asked for) still
re-executes every lesson in its own kernel.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.sandbox import ROOT_ENV_VAR

INJECTED_TAG = "injected-parameters"  # the cell papermill adds after the ``parameters`` cell


def pytest_addoption(parser):
    parser.getgroup("nbval").addoption(
        "--nbval-pipeline",
        action="store_true",
        help="compare each lesson's saved outputs with the copy the pipeline executed "
        "(reports/notebooks/ under $PENGUINS_PROJECT_ROOT) instead of executing it again",
    )


def pytest_collect_file(file_path, parent):
    option = parent.config.option
    # nbval's own mode (--nbval or --nbval-lax), asked for on the command line, executes the lessons again.
    if file_path.suffix != ".ipynb" or not getattr(option, "nbval_pipeline", False) or option.nbval or option.nbval_lax:
        return None
    return PipelineNotebook.from_parent(parent, path=file_path)


def executed_copy(notebook: Path) -> Path:
    """Where the pipeline (the stage that runs ``notebook``) wrote its executed copy."""
    return Path(os.environ[ROOT_ENV_VAR]) / "reports" / "notebooks" / notebook.name


def executed_code_cells(notebook: Path, saved: list[str]) -> list:
    """The code cells of the pipeline's copy of ``notebook``, without the cell papermill injected.

    ``saved`` is the source of each code cell of the lesson as it is now. Raises
    ``LookupError`` when the copy is missing or is not of this version of the lesson.
    """
    # Imported here, not at the top: every pytest process loads this plugin (the lessons' own pytest runs
    # too), and nbformat's import (jsonschema's format checkers) would add about 3 s to each start.
    import nbformat  # noqa: PLC0415

    copy = executed_copy(notebook)
    if not copy.is_file():
        raise LookupError(f"the pipeline wrote no executed copy of {notebook.name} at {copy}; did its stage run?")
    cells = [
        cell
        for cell in nbformat.read(copy, as_version=4).cells
        if cell.cell_type == "code" and INJECTED_TAG not in cell.metadata.get("tags", [])
    ]
    if [cell.source for cell in cells] != saved:
        raise LookupError(
            f"{copy} is not an execution of this version of {notebook.name} (its code cells differ); "
            "run `dvc repro` so the pipeline executes the lesson as it is now"
        )
    return cells


def _nbval():
    # Imported on first use: ``make test-fast`` runs with ``-p no:nbval`` and never collects a lesson.
    from nbval import plugin  # noqa: PLC0415

    return plugin


class PipelineNotebook(pytest.File):
    """A lesson whose cells are checked against the pipeline's executed copy (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.nbval_file = _nbval().IPyNbFile.from_parent(self.parent, path=self.path)
        self.executed: list | None = None
        self.failure: str | None = None

    def collect(self):
        for item in self.nbval_file.collect():
            yield PipelineCell.from_parent(
                self, name=item.name, cell_num=item.cell_num, cell=item.cell, options=item.options
            )

    def setup(self):
        """Load the sanitizers and the executed copy (the session has built the pipeline by now)."""
        self.nbval_file.setup_sanitize_files()
        saved = [cell.source for cell in self.nbval_file.nb.cells if cell.cell_type == "code"]  # read by collect()
        try:
            self.executed = executed_code_cells(self.path, saved)
        except LookupError as error:
            self.failure = str(error)


class PipelineCell(pytest.Item):
    """One code cell: the outputs the pipeline got, compared by nbval with the outputs saved in the lesson."""

    def __init__(self, name, parent, cell_num, cell, options):
        super().__init__(name, parent)
        self.nbval_cell = _nbval().IPyNbCell.from_parent(
            parent.nbval_file, name=name, cell_num=cell_num, cell=cell, options=options
        )

    def runtest(self):
        """nbval's ``IPyNbCell.runtest`` after the kernel has answered, with the pipeline's outputs as the answer."""
        nbval_cell, cell, options = self.nbval_cell, self.nbval_cell.cell, self.nbval_cell.options
        if options["skip"]:
            pytest.skip("tagged nbval-skip")
        notebook = self.parent
        if notebook.failure:
            raise _nbval().NbCellError(nbval_cell.cell_num, notebook.failure, cell.source)
        executed = notebook.executed[nbval_cell.cell_num]
        outputs = _nbval().coalesce_streams(executed.outputs)
        errors = [output for output in outputs if output.get("output_type") == "error"]
        if errors and not options["check_exception"]:
            nbval_cell.raise_cell_error("Cell execution caused an exception", "\n" + "\n".join(errors[0]["traceback"]))
        if cell.execution_count is None:
            if cell.outputs:
                nbval_cell.raise_cell_error("Unrun reference cell has outputs")
            return
        if options["check"] and not nbval_cell.compare_outputs(outputs, _nbval().coalesce_streams(cell.outputs)):
            nbval_cell.raise_cell_error("Cell outputs differ", "\n".join(nbval_cell.comparison_traceback))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, _nbval().NbCellError):
            return self.nbval_cell.repr_failure(excinfo)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, 0, f"{self.parent.name}::Cell {self.nbval_cell.cell_num} (as the pipeline ran it)"
