"""The checker's report: a table per milestone for the team, JSON for the instructor who collects a class."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lib.course.checker.project import MET, MILESTONES, Finding, Project


def verdicts(findings: list[Finding]) -> dict[str, str]:
    """A milestone is met when every one of its checks is met."""
    checked = sorted({f.milestone for f in findings})
    return {m: MET if all(f.status == MET for f in findings if f.milestone == m) else "not met" for m in checked}


def table(project: Project, findings: list[Finding]) -> str:
    """The report a person reads: per milestone, each check, its status and why."""
    lines = [f"check-project: {project.root}"]
    for milestone, verdict in verdicts(findings).items():
        lines += ["", f"{milestone} {MILESTONES[milestone]}: {verdict.upper()}"]
        own = [f for f in findings if f.milestone == milestone]
        width = max(len(f.check) for f in own)
        lines += [f"  {f.status:<11}  {f.check:<{width}}  {f.detail}" for f in own]
    return "\n".join(lines)


def document(project: Project, findings: list[Finding]) -> dict[str, Any]:
    """The JSON an instructor collects: the project, when, each milestone's verdict and every check."""
    commit = project.run(["git", "rev-parse", "HEAD"]).stdout.strip()
    changed = project.run(["git", "status", "--porcelain", "--untracked-files=no"]).stdout.splitlines()
    return {
        "project": project.name,
        "path": str(project.root),
        "commit": commit,
        # Tracked files changed since that commit: what was checked is then not exactly the commit.
        "uncommitted_changes": len(changed),
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "milestones": verdicts(findings),
        "findings": [f.as_dict() for f in findings],
    }


def write(path: Path, project: Project, findings: list[Finding]) -> Path:
    """Write the JSON report (its folder made if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document(project, findings), indent=2) + "\n", encoding="utf-8")
    return path
