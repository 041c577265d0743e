"""The lessons as files: Pynblint-clean, executed in order, parameters wired to params.yaml.

nbval's comparison (``tests/nbval_pipeline.py``) checks each notebook's saved
outputs against the pipeline's run of it; these tests check what nbval does not.
"""

import nbformat
import pytest

from lib import quality
from tests import lessons

NOTEBOOK_IDS = [nb.name for nb in lessons.NOTEBOOKS]


def test_there_are_lessons():
    """The course has its numbered notebooks (this guards the parametrized tests below)."""
    assert "1.0-inception.ipynb" in NOTEBOOK_IDS


@pytest.fixture(scope="module")
def pynblint_lints():
    """Pynblint's lints for every lesson, from one run (it takes about 3 s to start)."""
    return quality.pynblint_report(lessons.NOTEBOOKS)


@pytest.mark.parametrize("notebook", lessons.NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_pynblint_finds_nothing(notebook, pynblint_lints):
    """Zero Pynblint lints with default settings."""
    lints = pynblint_lints[notebook]
    assert lints == [], [f"{lint['slug']}: {lint['description']}" for lint in lints]


@pytest.mark.parametrize("notebook", lessons.NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_saved_executed_top_to_bottom_with_outputs(notebook):
    """Every code cell ran, in order 1, 2, 3, ..., and outputs are saved for nbval."""
    cells = lessons.code_cells(notebook)
    assert [cell.execution_count for cell in cells] == list(range(1, len(cells) + 1))
    assert any(cell.outputs for cell in cells)


@pytest.mark.parametrize("notebook", lessons.NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_parameters_cell_follows_the_imports(notebook):
    """Imports in the first code cell; the papermill parameters cell right after it, then the cell that checks them.

    papermill puts the values it is given after the parameters cell, so the check cell sees them and stops the
    lesson on a bad one before it writes anything (tests/project/test_faults.py runs one through papermill).
    """
    cells = lessons.code_cells(notebook)
    assert "import" in cells[0].source
    assert "parameters" in cells[1].metadata.get("tags", [])
    assert cells[2].source.strip() == "params.check_namespace(globals())"


@pytest.mark.parametrize("notebook", lessons.NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_parameter_defaults_equal_params_yaml(notebook):
    """dvc.yaml passes every parameter from params.yaml, and the notebook's default is that value."""
    name, stage = lessons.stage_of(notebook)
    defaults = lessons.parameter_defaults(notebook)
    injected = lessons.injected_parameters(stage)
    assert set(injected) == set(defaults), f"stage '{name}' passes {sorted(injected)}, notebook has {sorted(defaults)}"
    for parameter, key in injected.items():
        expected = lessons.params_value(key)
        assert defaults[parameter] == expected and type(defaults[parameter]) is type(expected), (
            f"{notebook.name}: {parameter} = {defaults[parameter]!r}, but params.yaml {key} = {expected!r}"
        )
        assert key.split(".")[0] in stage.get("params", []) or key in stage.get("params", []), (
            f"stage '{name}' reads {key} but does not declare it under params:"
        )


@pytest.mark.parametrize("notebook", lessons.NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_no_measured_figure_is_typed_by_hand(notebook):
    """A time, rate, energy, share, score or count that a run measures is printed by code, not typed in markdown."""
    assert lessons.hand_typed_figures(notebook) == []


@pytest.mark.parametrize(
    ("prose", "flagged"),
    [
        pytest.param("about 0.4 ms per request, about 3000 requests per second on one core", True, id="4.1-as-it-was"),
        pytest.param("the shortcut's accuracy is 0.884", True, id="a-score"),
        pytest.param("the 86 penguins of the test split", True, id="a-count"),
        pytest.param("a p99 of `max_p99_latency_ms` (100 ms)", False, id="a-params-value"),
        pytest.param("the limit `0.05` in a code span", False, id="code-span"),
        pytest.param("up to 1000 penguins in one request", False, id="allowed-setting"),
        pytest.param("Python 3.11 to 3.13, GX Core 1.x", False, id="versions"),
    ],
)
def test_the_figure_rule_catches_what_it_should(tmp_path, prose, flagged):
    """The rule flags the figure that lesson 4.1 once typed, and lets settings and versions through."""
    notebook = tmp_path / "lesson.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(prose)]), notebook)
    assert bool(lessons.hand_typed_figures(notebook)) is flagged
