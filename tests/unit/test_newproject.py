"""make new-project's profile of a team's CSV, its refusals, and the lock it narrows from the course's."""

import subprocess
import sys

import copier
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_wine

from lib import paths
from lib.course import newproject, projectlock


@pytest.fixture(scope="module")
def wine() -> pd.DataFrame:
    return load_wine(as_frame=True).frame


@pytest.fixture(scope="module")
def diabetes() -> pd.DataFrame:
    return load_diabetes(as_frame=True, scaled=False).frame


def test_a_few_integer_classes_make_a_classification(wine):
    """wine's target holds 0, 1 and 2: three classes, the baseline the share of the largest."""
    answers = newproject.profile(wine, "target")
    assert answers["task"] == "classification"
    assert answers["target_profile"] == {"classes": [0, 1, 2]}
    assert answers["baseline_score"] == pytest.approx(71 / 178, abs=1e-4)
    assert answers["min_score"] >= answers["baseline_score"]
    assert [c["name"] for c in answers["columns"]] == [c for c in wine.columns if c != "target"]
    alcohol = answers["columns"][0]
    assert alcohol == {"name": "alcohol", "kind": "numeric", "min": 11.03, "max": 14.83, "nullable": False}


def test_many_numbers_make_a_regression(diabetes):
    """diabetes' target is a measurement: a regression whose baseline (the mean) scores R2 = 0."""
    answers = newproject.profile(diabetes, "target")
    assert answers["task"] == "regression"
    assert answers["target_profile"] == {"min": 25.0, "max": 346.0}
    assert answers["min_score"] == 0.0


def test_text_columns_become_categories_and_missing_values_are_allowed(wine):
    """A text column's values become its categories; a column with a gap is nullable."""
    frame = wine.assign(region=["north", "south"] * 89)
    frame.loc[3, "ash"] = None
    answers = newproject.profile(frame, "target")
    by_name = {c["name"]: c for c in answers["columns"]}
    assert by_name["region"] == {
        "name": "region",
        "kind": "categorical",
        "categories": ["north", "south"],
        "nullable": False,
    }
    assert by_name["ash"]["nullable"] is True


def with_nulls_in_target(frame):
    broken = frame.astype({"target": float})
    broken.loc[0, "target"] = None
    return broken


@pytest.mark.parametrize(
    ("change", "target", "options", "message"),
    [
        pytest.param(lambda f: f, "colour", {}, "TARGET=colour is not a column", id="unknown-target"),
        pytest.param(with_nulls_in_target, "target", {}, "1 rows have no 'target'", id="target-with-gaps"),
        pytest.param(lambda f: f.head(90), "target", {}, "has 90 rows", id="too-few-rows"),
        pytest.param(
            lambda f: f.assign(target=[0] * 175 + [3] * 3),
            "target",
            {},
            "class 3 of 'target' has 3 rows",
            id="rare-class",
        ),
        pytest.param(
            lambda f: f.assign(note=[f"bottle {i}" for i in range(len(f))]),
            "target",
            {},
            "column 'note' has 178 distinct values",
            id="free-text-column",
        ),
        pytest.param(
            lambda f: f,
            "alcohol",
            {"task": "classification"},
            "TASK=classification on 'alcohol'",
            id="decimals-as-classes",
        ),
        pytest.param(
            lambda f: f.assign(target=f["target"].map({0: "a", 1: "b", 2: "c"})),
            "target",
            {"task": "regression"},
            "TASK=regression needs a numeric target",
            id="text-as-regression",
        ),
        pytest.param(lambda f: f, "target", {"drop": ("colour",)}, "DROP names colour", id="unknown-drop"),
        pytest.param(
            lambda f: f.assign(target=[0] * 168 + [1] * 10),
            "target",
            {},
            "even a perfect model's 95% interval starts at 92.1%",
            id="baseline-out-of-reach",
        ),
    ],
)
def test_a_csv_the_template_cannot_serve_is_refused_by_name(wine, change, target, options, message):
    """Each refusal names the column or class and what to change."""
    with pytest.raises(newproject.ProjectDataError, match=message.replace("(", r"\(")):
        newproject.profile(change(wine), target, **options)


def test_drop_leaves_out_a_column_that_would_be_refused(wine):
    """DROP=note makes the CSV with a free-text column acceptable."""
    frame = wine.assign(note=[f"bottle {i}" for i in range(len(wine))])
    answers = newproject.profile(frame, "target", drop=("note",))
    assert "note" not in [c["name"] for c in answers["columns"]]


def test_the_destination_must_be_new_or_empty(tmp_path, wine):
    """A folder with files in it is never written into."""
    (tmp_path / "ours").mkdir()
    (tmp_path / "ours" / "notes.txt").write_text("keep me")
    data = tmp_path / "wine.csv"
    wine.to_csv(data, index=False)
    with pytest.raises(newproject.ProjectDataError, match="exists and is not empty"):
        newproject.create(tmp_path / "ours", data, "target")
    assert (tmp_path / "ours" / "notes.txt").read_text() == "keep me"


def test_the_narrowed_lock_holds_what_the_project_needs_and_nothing_of_the_lessons(tmp_path):
    """The project's lock: the course's lines for its requirements and their dependencies, no JupyterLab."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["fastapi>=0.115", "scikit-learn"]\n'
        '[project.optional-dependencies]\ndev = ["mlflow>=3.1", "dvc>=3.50", "pytest"]\n'
    )
    text = projectlock.narrowed(tmp_path)
    course = projectlock.lock_lines((paths.project_root() / "requirements.lock").read_text())
    lines = projectlock.lock_lines(text)
    assert {"fastapi", "starlette", "pydantic", "scikit-learn", "mlflow", "dvc", "pytest", "sqlalchemy"} <= set(lines)
    assert not {"jupyterlab", "sphinx", "papermill", "locust"} & set(lines)
    assert all(course[name] == kept for name, kept in lines.items())
    assert lines["numpy"] == course["numpy"] and len(course["numpy"]) > 1, "every Python's numpy line is kept"


def test_the_rendered_template_is_ruff_clean(tmp_path, wine):
    """What copier renders passes the project's own ruff gate (rules and format), before any project runs it."""
    answers = {"project_name": "wine-cellar", "data_file": "wine.csv", **newproject.profile(wine, "target")}
    copier.run_copy(
        str(paths.project_root()),
        str(tmp_path / "p"),
        data=answers,
        vcs_ref=newproject.template_ref(),
        defaults=True,
        quiet=True,
    )
    ruff = [sys.executable, "-m", "ruff"]
    for command in ([*ruff, "check", "."], [*ruff, "format", "--check", "."]):
        done = subprocess.run(command, cwd=tmp_path / "p", capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
