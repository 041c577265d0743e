"""The milestone checker's own parts: the card and requirement checks, the corruptions, the report."""

import json
import subprocess

import numpy as np
import pandas as pd
import pytest

from lib import paths
from lib.course.checker import __main__ as cli
from lib.course.checker import inception, quality, report, versioning
from lib.course.checker.project import MET, NOT_CHECKED, NOT_MET, Finding, Project
from lib.course.snapshot import commit_all

COURSE_CARDS = paths.project_root() / "docs" / "cards"


def a_project(tmp_path, pyproject: str = "") -> Project:
    """An empty Git repository with an optional pyproject.toml."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    if pyproject:
        (tmp_path / "pyproject.toml").write_text(pyproject)
    return Project.load(tmp_path)


@pytest.mark.parametrize("card", ["dataset_card.md", "model_card.md"])
def test_the_courses_cards_meet_m1(card):
    """The course's own cards parse with Hugging Face's classes and fill every required section."""
    finding = inception.check_card(COURSE_CARDS / card)
    assert finding.status == MET, finding.detail


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        pytest.param(
            lambda t: t.replace("## Evaluation", "## Assessment"),
            "missing section(s): Evaluation",
            id="section-renamed",
        ),
        pytest.param(
            lambda t: t.replace("\n## Uses\n", "\n## Uses\n\n[More Information Needed]\n\n## Unused\n"),
            "no text of their own: Uses",
            id="section-left-as-template",
        ),
        pytest.param(lambda t: t.split("---\n", 2)[2], "no YAML metadata", id="no-metadata"),
    ],
)
def test_a_card_without_its_sections_is_not_met(tmp_path, edit, reason):
    """A model card that lost a section, or kept only the template's placeholder, fails with the reason."""
    card = tmp_path / "model_card.md"
    card.write_text(edit((COURSE_CARDS / "model_card.md").read_text()))
    finding = inception.check_card(card)
    assert finding.status == NOT_MET
    assert reason in finding.detail


@pytest.mark.parametrize(
    ("params", "status", "detail"),
    [
        pytest.param(
            "requirements:\n  min_f1: 0.9\n  latency:\n    p99_ms: 100\n", MET, "latency.p99_ms=100", id="numbers"
        ),
        pytest.param("requirements:\n  min_f1: high\n", NOT_MET, "not numbers: min_f1='high'", id="a-word"),
        pytest.param("requirements:\n  strict: true\n", NOT_MET, "not numbers: strict=True", id="a-boolean"),
        pytest.param("train:\n  seed: 1\n", NOT_MET, "no requirements under requirements", id="absent"),
    ],
)
def test_requirements_must_be_numbers(tmp_path, params, status, detail):
    """M1: each requirement is a number a test can compare with."""
    project = a_project(tmp_path)
    (tmp_path / "params.yaml").write_text(params)
    finding = inception.check_requirements(project)
    assert finding.status == status
    assert detail in finding.detail


@pytest.fixture
def data() -> pd.DataFrame:
    return pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "kind": list("abcabc"), "label": list("xyxyxy")})


def test_the_corruptions_break_what_they_say(data):
    """The target goes, numbers leave their range, nulls appear where there were none."""
    dropped, _ = quality.drop_a_column(data, "label")
    assert list(dropped.columns) == ["size", "kind"]
    assert list(quality.drop_a_column(data, "")[0].columns) == ["kind", "label"]
    far, how = quality.out_of_range(data, "label")
    assert (far["size"].head(5) > 6.0 + 1000).all() and far["size"].iloc[5] == 6.0
    assert "1 numeric columns" in how
    holes, _ = quality.nulls(data, "label")
    assert holes.head(5).isna().all().all() and holes.iloc[5].notna().all()


def test_a_suite_command_that_accepts_everything_is_not_met(tmp_path, data):
    """A 'suite' that exits 0 on any file passes the clean copy and fails every corruption check."""
    project = a_project(tmp_path, '[tool.check-project]\ndata = "raw.csv"\ntarget = "label"\nvalidate = "true {csv}"\n')
    data.to_csv(tmp_path / "raw.csv", index=False)
    findings = quality.check_suite(project)
    assert [f.status for f in findings] == [MET, NOT_MET, NOT_MET, NOT_MET]
    assert "accepted (exit 0)" in findings[1].detail


def test_a_suite_that_refuses_the_untouched_data_proves_nothing(tmp_path, data):
    """A suite command that fails on everything (a missing environment, say) is not met, its refusals not checked."""
    project = a_project(
        tmp_path, '[tool.check-project]\ndata = "raw.csv"\ntarget = "label"\nvalidate = "false {csv}"\n'
    )
    data.to_csv(tmp_path / "raw.csv", index=False)
    findings = quality.check_suite(project)
    assert [f.status for f in findings] == [NOT_MET, NOT_CHECKED, NOT_CHECKED, NOT_CHECKED]


def test_data_without_numbers_has_nothing_out_of_range(tmp_path):
    """All-text data: the out-of-range corruption changes nothing, so it is not held against the suite."""
    project = a_project(tmp_path, '[tool.check-project]\ndata = "raw.csv"\ntarget = "label"\nvalidate = "true {csv}"\n')
    pd.DataFrame({"kind": list("abcabc"), "label": list("xyxyxy")}).to_csv(tmp_path / "raw.csv", index=False)
    finding = next(f for f in quality.check_suite(project) if "out of range" in f.check)
    assert (finding.status, finding.detail) == (MET, "5 rows of 0 numeric columns far out of range: nothing to corrupt")


def test_placeholders_left_in_a_required_section_are_not_met(tmp_path):
    """make new-project's "To write" lines, or the template's placeholder, in a required section."""
    card = tmp_path / "dataset_card.md"
    text = (COURSE_CARDS / "dataset_card.md").read_text()
    card.write_text(
        text.replace("## Uses\n", "## Uses\n\nFacts first. *To write: `out_of_scope_use` in cards.yaml.*\n", 1)
    )
    finding = inception.check_card(card)
    assert (finding.status, finding.detail) == (NOT_MET, "placeholder text left in: Uses")


def test_a_relative_sqlite_store_is_the_projects_own(tmp_path):
    """mlflow = "sqlite:///mlflow.db" names the project's file, not one where the checker runs."""
    project = a_project(tmp_path, '[tool.check-project]\nmlflow = "sqlite:///mlflow.db"\n')
    assert versioning.tracking_uri(project) == f"sqlite:///{(tmp_path / 'mlflow.db').resolve().as_posix()}"


def test_the_pipeline_must_be_committed(tmp_path):
    """dvc.lock outside Git, or params.yaml changed since the commit, is not met."""
    project = a_project(tmp_path)
    for name in ("dvc.yaml", "dvc.lock", "params.yaml"):
        (tmp_path / name).write_text("x: 1\n")
    finding = versioning.check_committed(project)
    assert finding.status == NOT_MET and "not in Git: dvc.yaml, dvc.lock, params.yaml" in finding.detail
    commit_all(tmp_path, "x")
    assert versioning.check_committed(project).status == MET
    (tmp_path / "params.yaml").write_text("x: 2\n")
    assert "uncommitted changes: params.yaml" in versioning.check_committed(project).detail


def test_emissions_are_found_and_summed(tmp_path):
    """A CodeCarbon CSV with an emissions column counts; none is a reason."""
    project = a_project(tmp_path)
    assert quality.check_emissions(project).status == NOT_MET
    (tmp_path / "reports").mkdir()
    pd.DataFrame({"emissions": [1e-6, 2e-6], "duration": [1, 2]}).to_csv(tmp_path / "reports" / "emissions.csv")
    finding = quality.check_emissions(project)
    assert finding.status == MET
    assert "2 measurement(s), 3.00e-06 kg CO2eq" in finding.detail


def test_a_milestone_is_met_only_when_every_check_is(tmp_path):
    """The verdict per milestone, the table and the JSON an instructor collects."""
    project = a_project(tmp_path)
    findings = [
        Finding("M1", "cards", MET, "fine"),
        Finding("M2", "dvc status", MET, "clean"),
        Finding("M2", "MLflow runs", NOT_MET, "no store"),
    ]
    assert report.verdicts(findings) == {"M1": MET, "M2": NOT_MET}
    assert "M2 Reproducibility" in report.table(project, findings)
    written = json.loads(report.write(tmp_path / "out" / "r.json", project, findings).read_text())
    assert written["milestones"] == {"M1": MET, "M2": NOT_MET}
    assert written["findings"][2] == {
        "milestone": "M2",
        "check": "MLflow runs",
        "status": NOT_MET,
        "detail": "no store",
    }


def test_the_command_line_refuses_what_it_cannot_check(tmp_path, capsys):
    """An unknown milestone, or a folder that is not a repository, exits 2 with the reason."""
    assert cli.main([str(tmp_path), "--milestone", "M9"]) == 2
    assert "unknown milestone M9" in capsys.readouterr().err
    assert cli.main([str(tmp_path)]) == 2
    assert "is not a Git repository" in capsys.readouterr().err


def test_settings_default_to_the_templates_layout(tmp_path):
    """A repository without [tool.check-project] is checked with the template's defaults."""
    project = a_project(tmp_path)
    assert project.settings["rows"] == "data/processed/test.csv"
    assert project.settings["tests"] == "python -m pytest"
    assert np.isscalar(project.settings["api-factory"])
