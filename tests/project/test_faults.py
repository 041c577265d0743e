"""Fault checks: bad models, bad data and bad parameters fail early, clearly, and harm nothing."""

import fractions
import hashlib
import shutil
import sqlite3
import subprocess
import sys

import pytest
import skops.io as sio

from lib import champion, data, processes, validation
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


def registered_versions(root) -> int:
    with sqlite3.connect(root / "mlflow.db") as db:
        return db.execute("select count(*) from model_versions").fetchone()[0]


@pytest.mark.parametrize("damage", ["missing", "corrupted", "untrusted"])
def test_the_api_refuses_to_start_on_a_bad_model_with_one_clear_line(project, tmp_path, damage):
    """python -m lib.serving (make api) exits 2 with the reason and the fix, no traceback."""
    if damage != "missing":
        shutil.copy(project.root / "models" / champion.METADATA_FILE_NAME, tmp_path)
        target = tmp_path / champion.MODEL_FILE_NAME
        if damage == "corrupted":
            target.write_bytes(b"PK\x03\x04 truncated")
        else:
            sio.dump({"payload": fractions.Fraction(1, 3)}, target)  # a type nobody reviewed
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


def test_corrupted_raw_data_stops_the_pipeline_at_the_gate_and_harms_nothing(project, tmp_path):
    """A broken delivery stops dvc repro at 'prepare'; models, metrics, reports and splits stay as they were."""
    project.ensure_pipeline()
    copy = tmp_path / "project"
    shutil.copytree(project.root, copy, symlinks=True, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    before, versions = digests(copy, PROTECTED), registered_versions(copy)
    delivery = copy / "data" / "external" / "delivery.csv"
    delivery.parent.mkdir(parents=True)
    validation.corrupt(data.load_raw(copy / "data" / "raw" / "penguins_raw.csv")).to_csv(delivery, index=False)
    params = copy / "params.yaml"
    params.write_text(
        params.read_text().replace("raw_source: palmerpenguins", "raw_source: data/external/delivery.csv")
    )
    done = subprocess.run(
        ["dvc", "repro"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env=processes.tool_env({sandbox.ROOT_ENV_VAR: str(copy)}),
    )
    output = done.stdout + done.stderr
    print(f"\n{output[output.find('DataValidationError') :][:900]}")
    assert done.returncode != 0
    assert "Running stage 'prepare'" in output and "Running stage 'train'" not in output
    assert "failed to reproduce 'prepare'" in output
    assert "data failed the 'penguins_raw' suite: 6 of 29 expectations failed" in output
    assert digests(copy, PROTECTED) == before
    assert registered_versions(copy) == versions


@pytest.mark.parametrize(
    ("notebook", "option", "message"),
    [
        (
            "2.1-data-versioning",
            ["-p", "test_size", "1.5"],
            "parameter 'test_size' is 1.5 (float), expected a number strictly between 0.0 and 1.0",
        ),
        (
            "2.2-experiment-tracking",
            ["-p", "cv_folds", "1"],
            "parameter 'cv_folds' is 1 (int), expected an integer from 2 to 20",
        ),
        (
            "4.1-deployment",
            ["-p", "keep_serving", "maybe"],
            "parameter 'keep_serving' is 'maybe' (str), expected true or false",
        ),
    ],
    ids=["test-size", "cv-folds", "keep-serving"],
)
def test_an_invalid_parameter_stops_the_notebook_naming_it(project, tmp_path, notebook, option, message):
    """papermill with a bad -p value fails in the check cell, before the lesson writes anything."""
    before = digests(project.root, PROTECTED)
    done = subprocess.run(
        [
            "papermill",
            f"notebooks/{notebook}.ipynb",
            str(tmp_path / "out.ipynb"),
            "-k",
            "python3",
            "--no-progress-bar",
            *option,
        ],
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=processes.tool_env(),
    )
    assert done.returncode != 0
    assert message in done.stdout + done.stderr
    assert digests(project.root, PROTECTED) == before
