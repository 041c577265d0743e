"""The course meets every milestone its checker asks of a team, checked the same way (make check-project).

The checker runs on the session's copy of the course, where the pipeline has run: M1, M2, M4 and M5
through its command line, M3 through each of its checks but one. That one, "the team's tests pass"
(``make test-fast`` for the course, as ``[tool.check-project]`` says), is this very test session.
"""

import json
import shutil

import pytest

from lib.course.checker import __main__ as cli
from lib.course.checker import quality
from lib.course.checker.project import MET, Project
from lib.course.snapshot import commit_all

pytestmark = pytest.mark.slow


def test_the_course_meets_m1_m2_m4_and_m5(project, tmp_path):
    """Cards, requirements, DVC, MLflow, the API on a test row, /metrics and the alert rule's promtool test.

    On a copy of the session's project with the pipeline's results committed, as a team hands in a
    milestone (the session's own copy is shared with other tests and stays as it is).
    """
    course = tmp_path / "course"
    shutil.copytree(project.root, course, symlinks=True)
    commit_all(course, "results", allow_empty=True)
    out = tmp_path / "course.json"
    assert cli.main([str(course), "--milestone", "M1,M2,M4,M5", "--json", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document["milestones"] == {"M1": MET, "M2": MET, "M4": MET, "M5": MET}
    assert len(document["findings"]) == 14


def test_the_courses_suite_refuses_corrupted_copies_of_its_data(project):
    """M3: the raw suite (python -m lib.validation) accepts the export and refuses each corruption."""
    findings = quality.check_suite(Project.load(project.root))
    assert [(f.check, f.status) for f in findings if f.status != MET] == []
    assert len(findings) == 4


def test_the_courses_energy_and_notebooks_meet_m3(project):
    """M3: CodeCarbon's measurements are there and the lessons have no Pynblint lint."""
    course = Project.load(project.root)
    for finding in (quality.check_emissions(course), quality.check_notebooks(course)):
        assert finding.status == MET, finding.detail
