"""The DVC pipeline: one papermill stage per lesson, complete deps, and a real run of it."""

import json
import re

import pandas as pd
import pytest

from lib import params, paths
from tests import lessons
from tests.sandbox import WORKTREE, run

NOTEBOOK_IDS = [nb.name for nb in lessons.NOTEBOOKS]


def lib_modules_used(notebook) -> set[str]:
    """The lib modules a notebook imports, and the lib modules those import, transitively.

    Cell magics (``%%bash``) hold no Python; line magics and shell lines (``%``, ``!``) are skipped.
    """
    direct = set()
    for cell in lessons.code_cells(notebook):
        if cell.source.startswith("%%"):
            continue
        python = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        direct |= lessons.lib_imports(python)
    return lessons.lib_closure(direct)


@pytest.mark.parametrize("notebook", lessons.NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_stage_runs_its_notebook_with_papermill(notebook):
    """papermill, the python3 kernel, and the executed copy in reports/notebooks/ as an uncached out."""
    name, stage = lessons.stage_of(notebook)
    words = stage["cmd"].split()
    executed = f"reports/notebooks/{notebook.name}"
    assert words[:3] == ["papermill", f"notebooks/{notebook.name}", executed]
    assert "-k python3" in " ".join(words)
    outs = {next(iter(o)) if isinstance(o, dict) else o: o for o in stage["outs"]}
    assert outs[executed] == {executed: {"cache": False}}
    assert f"notebooks/{notebook.name}" in stage["deps"]


# What a stage depends on beyond the lib modules its lesson imports, and why.
EXTRA_DEPS = {
    "monitor": {"lib/serving"},  # the lesson starts the API as a process (uvicorn lib.serving:create_app)
}
LINTING_STAGE = "quality"  # lesson 3.2 lints all of lib/ and tests/: it depends on both folders whole


@pytest.mark.parametrize("notebook", lessons.NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_stage_deps_are_the_lib_modules_it_runs(notebook):
    """A stage depends on exactly the lib modules its lesson uses (directly or not), nothing it cannot use.

    Changing one of them re-runs the stage; changing a lesson-only helper of another lesson does not.
    The templates go with the cards; the exceptions are EXTRA_DEPS and the linting stage.
    """
    name, stage = lessons.stage_of(notebook)
    declared = {dep for dep in stage["deps"] if dep == "lib" or dep.startswith("lib/")}
    if name == LINTING_STAGE:
        assert declared == {"lib"} and "tests" in stage["deps"], f"stage '{name}' lints lib/ and tests/ whole"
        return
    needed = {lessons.lib_path(module) for module in lib_modules_used(notebook)} | EXTRA_DEPS.get(name, set())
    if "lib/cards.py" in needed:
        needed.add("lib/templates")
    assert not needed - declared, f"stage '{name}' misses deps {sorted(needed - declared)}"
    assert not declared - needed, f"stage '{name}' depends on {sorted(declared - needed)}, which its lesson never runs"


def test_dvc_analytics_are_off_in_the_committed_config():
    """No DVC command phones home, whoever runs it."""
    config = (WORKTREE / ".dvc" / "config").read_text(encoding="utf-8")
    assert re.search(r"^\s*analytics\s*=\s*false\s*$", config, re.MULTILINE)


def test_pipeline_runs_on_a_fresh_copy(project):
    """dvc repro on a copy of the project runs every stage and writes the lessons' outputs."""
    for stage in lessons.dvc_stages():
        assert f"Running stage '{stage}'" in project.repro_output
    raw = pd.read_csv(paths.RAW_DATA_FILE)
    assert raw.shape == (344, 17)
    assert (paths.DATASET_CARD_FILE).read_text() == (WORKTREE / "docs" / "cards" / "dataset_card.md").read_text(), (
        "the committed dataset card differs from the one the pipeline writes"
    )
    for notebook in lessons.NOTEBOOKS:
        assert (paths.NOTEBOOK_REPORTS_DIR / notebook.name).is_file()


def test_second_repro_has_nothing_to_do(project):
    """Right after a run, every stage is up to date."""
    assert "Data and pipelines are up to date." in project.second_repro_output


def test_bytecode_and_notebook_checkpoints_leave_every_stage_up_to_date(project):
    """Python's __pycache__/ and JupyterLab's .ipynb_checkpoints/ inside a folder a stage reads change nothing.

    Both appear as soon as someone runs pytest or edits a template in JupyterLab; without
    .dvcignore, ``dvc status`` would call the stage changed and ``dvc repro`` would run it again.
    """
    folders = sorted(
        {
            dep
            for stage in lessons.dvc_stages().values()
            for dep in stage.get("deps", [])
            if (project.root / dep).is_dir()
        }
    )
    assert {"tests/api", "lib/serving"} <= set(folders)
    made = []  # what this test creates, removed afterwards: the project is shared with the other tests
    try:
        for folder in folders:
            for junk, name in (
                ("__pycache__", "module.cpython-311.pyc"),
                (".ipynb_checkpoints", "notes-checkpoint.md"),
            ):
                path = project.root / folder / junk
                if not path.exists():
                    path.mkdir()
                    made.append(path)
                (path / name).write_bytes(b"not the project's")
                made.append(path / name)
        status = run(["dvc", "status"], project.root)
        assert status.returncode == 0, status.stderr
        assert "Data and pipelines are up to date." in status.stdout, status.stdout
    finally:
        for path in reversed(made):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink()


def test_closing_the_loop_leaves_the_project_as_the_pipeline_made_it(project):
    """Lesson 5.2 promotes, rolls back and adds a data version in a scratch copy: none of it reaches the project.

    After the whole pipeline (5.2 is its last stage) the project's registry still names the
    champion that 2.2 exported, holds no version beyond it and no ``challenger`` alias, and has
    no retraining experiment; ``models/`` and ``data/`` are what ``dvc.lock`` records (the
    second repro, which found nothing to do, checks those against their hashes).
    """
    import mlflow  # noqa: PLC0415  # slow to import: only this test needs it

    store = mlflow.MlflowClient(tracking_uri=f"sqlite:///{project.root / 'mlflow.db'}")
    name = params.stage_params("train", project.root / "params.yaml")["registered_model"]
    exported = json.loads((project.root / "models" / "model.json").read_text(encoding="utf-8"))
    registered = store.get_registered_model(name)
    # MLflow 3 gives the alias's version as an int, MLflow 2 as a str: compare them as text
    assert {alias: str(version) for alias, version in registered.aliases.items()} == {
        "champion": str(exported["version"])
    }
    versions = [int(version.version) for version in store.search_model_versions(f"name = '{name}'")]
    assert max(versions) == exported["version"]
    retraining = params.stage_params("loop", project.root / "params.yaml")["experiment"]
    assert store.get_experiment_by_name(retraining) is None
    assert "Running stage 'loop'" in project.repro_output
    assert "Data and pipelines are up to date." in project.second_repro_output
    assert not (project.root / "data" / "deliveries").exists()
