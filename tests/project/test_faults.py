"""Fault checks: bad models, bad data and bad parameters fail early, clearly, and harm nothing."""

import fractions
import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys

import pytest
import skops.io as sio

from lib import champion, data, paths, processes, validation
from tests import sandbox

PROTECTED = [
    "models/penguins-classifier.skops",
    "models/model.json",
    "metrics/scores.json",
    "metrics/emissions.json",
    "reports/quality.json",
    "reports/api_smoke.json",
    "docs/cards/model_card.md",
    "data/processed/train.csv",
    "data/processed/test.csv",
]


def digests(root, names):
    return {name: hashlib.md5((root / name).read_bytes()).hexdigest() for name in names}


def copy_project(project, tmp_path):
    """A copy of the session's project (its pipeline run), to damage without touching the original."""
    copy = tmp_path / "project"
    shutil.copytree(project.root, copy, symlinks=True, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    return copy


def repro(copy, *targets):
    """``dvc repro`` on the copy, as a student runs it; the run and its whole output."""
    done = subprocess.run(
        ["dvc", "repro", *targets],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env=processes.tool_env({sandbox.ROOT_ENV_VAR: str(copy)}),
    )
    return done, done.stdout + done.stderr


def registered_versions(root) -> int:
    with sqlite3.connect(root / "mlflow.db") as db:
        return db.execute("select count(*) from model_versions").fetchone()[0]


@pytest.mark.parametrize("damage", ["missing", "corrupted", "untrusted"])
def test_the_api_refuses_to_start_on_a_bad_model_with_one_clear_line(project, tmp_path, damage):
    """python -m lib.serving (make api) exits 2 with the reason and the fix, no traceback."""
    if damage != "missing":
        shutil.copy(paths.MODELS_DIR / champion.METADATA_FILE_NAME, tmp_path)
        target = tmp_path / champion.MODEL_FILE_NAME
        if damage == "corrupted":
            target.write_bytes(b"PK\x03\x04 truncated")
        else:  # a type nobody reviewed, exported with its hash so that the type check is what refuses it
            sio.dump({"payload": fractions.Fraction(1, 3)}, target)
            metadata = json.loads((tmp_path / champion.METADATA_FILE_NAME).read_text(encoding="utf-8"))
            metadata["model_sha256"] = hashlib.sha256(target.read_bytes()).hexdigest()
            (tmp_path / champion.METADATA_FILE_NAME).write_text(json.dumps(metadata), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "lib.serving", str(processes.free_port())],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=processes.tool_env({"PENGUINS_MODELS_DIR": str(tmp_path)}),
    )
    assert done.returncode == 2
    assert done.stderr.startswith("cannot start the API: ") and "Traceback" not in done.stderr
    expected = {
        "missing": "is missing: train and export the champion with 'make pipeline'",
        "corrupted": "re-export",
        "untrusted": "types that are not trusted",
    }[damage]
    assert expected in done.stderr


def test_corrupted_raw_data_stops_the_pipeline_at_the_gate_and_harms_nothing(project, tmp_path, invalid_parameter_runs):
    """A broken delivery stops dvc repro at 'prepare'; models, metrics, reports and splits stay as they were.

    (``invalid_parameter_runs`` starts the papermill runs of the test below first, to run beside this one.)
    """
    project.ensure_pipeline()
    copy = copy_project(project, tmp_path)
    before, versions = digests(copy, PROTECTED), registered_versions(copy)
    delivery = copy / "data" / "external" / "delivery.csv"
    delivery.parent.mkdir(parents=True)
    validation.corrupt(data.load_raw(copy / "data" / "raw" / "penguins_raw.csv")).to_csv(delivery, index=False)
    params = copy / "params.yaml"
    params.write_text(
        params.read_text().replace("raw_source: palmerpenguins", "raw_source: data/external/delivery.csv")
    )
    done, output = repro(copy)
    print(f"\n{output[output.find('DataValidationError') :][:900]}")
    assert done.returncode != 0
    assert "Running stage 'prepare'" in output and "Running stage 'train'" not in output
    assert "failed to reproduce 'prepare'" in output
    assert "data failed the 'penguins_raw' suite: 6 of 29 expectations failed" in output
    assert digests(copy, PROTECTED) == before
    assert registered_versions(copy) == versions


def test_a_failed_training_keeps_the_last_good_export(project, tmp_path):
    """A hyperparameter scikit-learn refuses, run by ``dvc repro`` itself (past make's params check), fails the
    train stage; the export the API serves, the scores and the model card stay as they were (``persist``)."""
    project.ensure_pipeline()
    copy = copy_project(project, tmp_path)
    kept = [name for name in PROTECTED if not name.startswith(("data/", "reports/"))]
    before = digests(copy, kept)
    params = copy / "params.yaml"
    params.write_text(params.read_text().replace("      max_depth: 8\n", "      max_depth: -8\n"), encoding="utf-8")
    assert "max_depth: -8" in params.read_text()
    done, output = repro(copy, "train")
    assert done.returncode != 0 and "failed to reproduce 'train'" in output, output[-3000:]
    assert "'max_depth' parameter of RandomForestClassifier must be" in output
    assert digests(copy, kept) == before


# One lesson run through papermill with a bad value: each lesson checks its parameters in the cell after them
# (tests/notebooks/test_lessons.py), with the rules of lib/params.py (each rule's message: tests/unit/test_params.py).
INVALID_PARAMETERS = [
    pytest.param(
        "2.2-experiment-tracking",
        ["-p", "cv_folds", "1"],
        "parameter 'cv_folds' is 1 (int), expected an integer from 2 to 20",
        id="cv-folds",
    ),
]


@pytest.fixture(scope="module")
def invalid_parameter_runs(project, tmp_path_factory):
    """Start papermill on each bad parameter; return the digests before and {notebook: (process, log)}.

    A run is mostly a kernel start and its imports (about 10 s); started first, it overlaps the
    corrupted-data run.
    """
    before = digests(project.root, PROTECTED)
    folder = tmp_path_factory.mktemp("invalid-parameters")
    runs = {}
    for case in INVALID_PARAMETERS:
        notebook, option, _ = case.values
        log = (folder / f"{notebook}.log").open("w+", encoding="utf-8")
        command = ["papermill", f"notebooks/{notebook}.ipynb", str(folder / f"{notebook}.ipynb"), "-k", "python3"]
        process = subprocess.Popen(
            [*command, "--no-progress-bar", *option],
            cwd=project.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env=processes.tool_env(),
        )
        runs[notebook] = (process, log)
    yield before, runs
    for process, log in runs.values():
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


@pytest.mark.parametrize(("notebook", "option", "message"), INVALID_PARAMETERS)
def test_an_invalid_parameter_stops_the_notebook_naming_it(project, invalid_parameter_runs, notebook, option, message):
    """papermill with a bad -p value fails in the check cell, naming it, before the lesson writes anything."""
    before, runs = invalid_parameter_runs
    process, log = runs[notebook]
    process.wait(timeout=300)
    log.seek(0)
    output = log.read()
    assert process.returncode != 0
    assert message in output and f"parameter '{option[1]}'" in output
    assert digests(project.root, PROTECTED) == before
