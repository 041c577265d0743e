"""make new-project end to end, and the checker both ways.

A project is made from scikit-learn's wine data (a CSV no one here wrote), cloned afresh, and its own
``make test`` (set-up, pipeline, tests, ruff) runs in the clone; then ``check-project`` finds every
milestone met. Breaks a team really makes are then planted in it one at a time (data committed to Git,
a parameter changed without a run, a suite that lets corrupted data through, an API that does not
start, a card that lost a section): each fails with its reason. A regression target (diabetes) runs
the same way.
"""

import json
import os
import pwd
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from sklearn.datasets import load_diabetes, load_wine

from lib import paths
from lib.course import newproject
from lib.course.checker import __main__ as cli
from lib.course.checker import inception, quality, service, versioning
from lib.course.checker.project import LEFT_OUT, MET, NOT_MET, Project
from lib.course.snapshot import commit_all

pytestmark = pytest.mark.slow


def clean_env() -> dict[str, str]:
    """The environment a team's own commands get: nothing of this session's project, venv or make.

    The session's home is a new, empty one (conftest.py); uv's and pip's caches stay the user's own, so
    the project's set-up takes the packages the course's set-up already downloaded.
    """
    env = {k: v for k, v in os.environ.items() if k not in LEFT_OUT}
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    if home.is_dir() and os.access(home, os.W_OK):
        env.setdefault("UV_CACHE_DIR", str(home / ".cache" / "uv"))
        env.setdefault("PIP_CACHE_DIR", str(home / ".cache" / "pip"))
    return env


def fresh_clone(made: Path) -> Path:
    """``git clone`` the new project beside it, and run its own ``make test`` there; return the clone."""
    clone = made.parent / f"{made.name}-clone"
    subprocess.run(["git", "clone", "--quiet", str(made), str(clone)], check=True)
    done = subprocess.run(
        ["make", "test"], check=False, cwd=clone, env=clean_env(), capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-5000:]
    return clone


def write_cards(project: Path) -> None:
    """What a team does for M1: write the cards' prose (the pipeline's cards stage puts it beside the facts)."""
    keys = yaml.safe_load((project / "cards.yaml").read_text())
    prose = {key: f"The team's own words for {key}, written with the people who know the data." for key in keys}
    (project / "cards.yaml").write_text(yaml.safe_dump(prose))


def write_cards_and_commit(project: Path) -> None:
    """What a team does for M1 and M2: write the cards' prose, run the pipeline again, commit everything."""
    write_cards(project)
    done = subprocess.run(
        ["make", "pipeline"], check=False, cwd=project, env=clean_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    commit_all(project, "Cards written; first results")


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """A classification project made from wine.csv, passing its own make test on a fresh clone."""
    base = tmp_path_factory.mktemp("teams")
    load_wine(as_frame=True).frame.to_csv(base / "wine.csv", index=False)
    return fresh_clone(newproject.create(base / "wine-cellar", base / "wine.csv", "target"))


@pytest.fixture(scope="module")
def wine(made) -> Path:
    """The same project once the team has written its cards' prose and committed the results."""
    write_cards_and_commit(made)
    return made


def test_cards_still_waiting_for_the_teams_words_are_not_met(made):
    """On day zero the cards hold only computed facts and "To write" lines: M1 is not met yet."""
    finding = inception.check_card(made / "docs" / "cards" / "model_card.md")
    assert finding.status == NOT_MET
    assert "Uses" in finding.detail


@contextmanager
def planted(path: Path, old: str, new: str) -> Iterator[None]:
    """Replace ``old`` by ``new`` in a file of the project for the duration of a check, then restore it."""
    original = path.read_bytes()
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    try:
        yield
    finally:
        path.write_bytes(original)


def test_the_generated_project_runs_its_pipeline_and_tests_from_a_fresh_clone(wine):
    """The clone's make test ran every stage and left the cards, the metrics and the model."""
    metrics = json.loads((wine / "reports" / "metrics.json").read_text())
    assert metrics["metric"] == "accuracy" and metrics["requirement_met"]
    assert metrics["n_test"] == 45
    assert (wine / "docs" / "cards" / "model_card.md").exists()
    tracked = subprocess.run(["git", "ls-files"], cwd=wine, capture_output=True, text=True, check=True).stdout.split()
    assert "data/raw/wine.csv.dvc" in tracked and "data/raw/wine.csv" not in tracked
    assert "penguin" not in " ".join(p.read_text().lower() for p in (wine / "src").rglob("*.py"))


def test_check_project_finds_every_milestone_met(wine, tmp_path):
    """M1 to M5 on the generated project, through the command line an instructor runs."""
    out = tmp_path / "report.json"
    assert cli.main([str(wine), "--json", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document["milestones"] == {m: MET for m in ("M1", "M2", "M3", "M4", "M5")}
    prediction = next(f for f in document["findings"] if f["check"] == "API predicts a row of the data")
    assert prediction["detail"].startswith("200:")


def test_data_committed_to_git_is_not_met(wine, tmp_path):
    """A team that commits the CSV instead of its .dvc file fails M2 with the fix."""
    clone = tmp_path / "committed"
    subprocess.run(["git", "clone", "--quiet", str(wine), str(clone)], check=True)
    (clone / "data" / "raw" / "wine.csv").write_bytes((wine / "data" / "raw" / "wine.csv").read_bytes())
    subprocess.run(["git", "rm", "--quiet", "data/raw/wine.csv.dvc", "data/raw/.gitignore"], cwd=clone, check=True)
    commit_all(clone, "data in Git")
    finding = versioning.check_data(Project.load(clone))
    assert finding.status == NOT_MET
    assert "committed to Git: git rm --cached data/raw/wine.csv" in finding.detail


def test_a_parameter_changed_without_a_run_is_not_met(wine):
    """params.yaml edited and not reproduced: dvc status and dvc repro --dry both say so."""
    with planted(wine / "params.yaml", "test_size: 0.25", "test_size: 0.3"):
        status, dry = versioning.check_pipeline(Project.load(wine))
    assert (status.status, dry.status) == (NOT_MET, NOT_MET)
    assert "split" in status.detail and "would run: split" in dry.detail


def test_a_suite_that_accepts_corrupted_data_is_not_met(wine):
    """A suite reduced to one input column's existence lets the target's loss, wild numbers and nulls through."""
    validate = wine / "src" / "wine_cellar" / "validate.py"
    with planted(validate, "    return suite\n", "    return suite[:1]\n"):
        findings = {f.check: f for f in quality.check_suite(Project.load(wine))}
    assert findings["data suite accepts the raw data"].status == MET
    for check in (
        "data suite refuses a column dropped",
        "data suite refuses values out of range",
        "data suite refuses nulls where none were",
    ):
        assert findings[check].status == NOT_MET
        assert "accepted (exit 0)" in findings[check].detail


def test_an_api_that_does_not_start_is_not_met(wine):
    """An import error in the service: M4 fails, and the reason carries the server's own last lines."""
    serve = wine / "src" / "wine_cellar" / "serve.py"
    with planted(serve, "from . import config, model", "from . import config, model, settings"):
        findings = {f.check: f for f in service.check(Project.load(wine), {"M4"})}
    assert findings["API starts"].status == NOT_MET
    assert "did not answer /health" in findings["API starts"].detail
    assert "settings" in findings["API starts"].detail
    assert findings["API predicts a row of the data"].status == NOT_MET


def test_a_card_without_its_sections_is_not_met(wine):
    """A model card whose Evaluation section was deleted fails M1 by the section's name."""
    card = wine / "docs" / "cards" / "model_card.md"
    with planted(card, "## Evaluation", "## Notes"):
        finding = inception.check_card(card)
    assert finding.status == NOT_MET
    assert "missing section(s): Evaluation" in finding.detail


def test_a_regression_target_works_the_same_way(tmp_path):
    """diabetes' progression score: a regression project (its cards' prose written before the first run) passes
    its own make test, then, committed, runs again from what a fresh clone holds (the model is rebuilt, not looked
    up in a registry Git does not hold).

    ``git clean -xdf`` leaves the clone as ``git clone`` makes it: every untracked and ignored file goes (the
    registry, the DVC cache, the model and the data DVC tracks), but the venv is kept, so the run does not
    install the lock again. The model is trained again and must score exactly as before (the evaluate stage
    runs again: the skops archive's bytes differ, as a zip file records when each member was written).
    """
    load_diabetes(as_frame=True, scaled=False).frame.to_csv(tmp_path / "diabetes.csv", index=False)
    made = newproject.create(tmp_path / "progression", tmp_path / "diabetes.csv", "target")
    write_cards(made)
    commit_all(made, "Cards written")
    clone = fresh_clone(made)
    metrics = json.loads((clone / "reports" / "metrics.json").read_text())
    assert metrics["metric"] == "r2" and metrics["requirement_met"]
    commit_all(clone, "First results")
    project = Project.load(clone)
    findings = inception.check(project) + versioning.check(project) + service.check(project, {"M4"})
    assert [f for f in findings if f.status != MET] == []
    subprocess.run(["git", "clean", "-xdf", "--quiet", "-e", ".venv"], cwd=clone, check=True)
    assert not (clone / "mlflow.db").exists() and not (clone / "models" / "model.skops").exists()
    done = subprocess.run(["make", "pipeline"], check=False, cwd=clone, env=clean_env(), capture_output=True, text=True)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert (clone / "models" / "model.skops").exists()
    again = json.loads((clone / "reports" / "metrics.json").read_text())
    assert {k: v for k, v in again.items() if k != "version"} == {k: v for k, v in metrics.items() if k != "version"}


def test_copier_update_brings_a_template_fix_and_keeps_the_teams_change(tmp_path):
    """The command docs/your-project.md gives: a fix committed to the course's template reaches the project."""
    course = tmp_path / "course"
    subprocess.run(["git", "clone", "--quiet", str(paths.project_root()), str(course)], check=True)
    load_wine(as_frame=True).frame.to_csv(tmp_path / "wine.csv", index=False)
    env = {**clean_env(), "PENGUINS_PROJECT_ROOT": str(course)}
    made = tmp_path / "cellar"
    subprocess.run(
        [sys.executable, "-m", "lib.course.newproject", str(made), str(tmp_path / "wine.csv"), "target"],
        cwd=course,
        env=env,
        check=True,
        capture_output=True,
    )
    template = course / "template" / "params.yaml.jinja"
    template.write_text(template.read_text().replace("cv_folds: 5", "cv_folds: 10"))
    commit_all(course, "template fix")
    params = made / "params.yaml"
    params.write_text(params.read_text().replace("test_size: 0.25", "test_size: 0.3"))
    commit_all(made, "our change")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=course, capture_output=True, text=True, check=True).stdout
    copier = Path(sys.executable).parent / "copier"
    subprocess.run(
        [str(copier), "update", "--defaults", "--vcs-ref", head.strip()],
        cwd=made,
        env=env,
        check=True,
        capture_output=True,
    )
    text = params.read_text()
    assert "cv_folds: 10" in text and "test_size: 0.3" in text
