"""The lessons as files: Pynblint-clean, executed in order, parameters wired to params.yaml.

nbval's comparison (``tests/nbval_pipeline.py``) checks each notebook's saved
outputs against the pipeline's run of it; these tests check what nbval does not.
"""

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
    """Imports in the first code cell; the papermill parameters cell right after it."""
    cells = lessons.code_cells(notebook)
    assert "import" in cells[0].source
    assert "parameters" in cells[1].metadata.get("tags", [])


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
