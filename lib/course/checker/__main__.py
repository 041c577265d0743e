"""``python -m lib.course.checker PROJECT [--milestone M2] [--json report.json]``: check a team's repository.

Exit code 0 when every milestone checked is met, 1 when one is not, 2 when the project cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lib.course.checker import inception, quality, report, service, versioning
from lib.course.checker.project import MILESTONES, Finding, Project


def check(project: Project, milestones: list[str]) -> list[Finding]:
    """Run the checks of the milestones asked for, in order."""
    findings: list[Finding] = []
    for milestone, module in (("M1", inception), ("M2", versioning), ("M3", quality)):
        if milestone in milestones:
            findings += module.check(project)
    if {"M4", "M5"} & set(milestones):
        findings += service.check(project, set(milestones))
    return findings


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, check, print the table, write the JSON."""
    parser = argparse.ArgumentParser(
        description="Check a team's repository milestone by milestone, by running the tools."
    )
    parser.add_argument("project", type=Path, help="the root of the team's checkout")
    parser.add_argument("--milestone", default="", help="M1 to M5, or several separated by commas (default: all)")
    parser.add_argument("--json", type=Path, help="write the findings here as JSON")
    args = parser.parse_args(argv)
    asked = [m.strip().upper() for m in args.milestone.split(",") if m.strip()] or list(MILESTONES)
    unknown = [m for m in asked if m not in MILESTONES]
    if unknown:
        print(f"check-project: unknown milestone {', '.join(unknown)}; known: {', '.join(MILESTONES)}", file=sys.stderr)
        return 2
    try:
        project = Project.load(args.project)
    except FileNotFoundError as error:
        print(f"check-project: {error}", file=sys.stderr)
        return 2
    findings = check(project, asked)
    print(report.table(project, findings))
    if args.json:
        print(f"\nwritten: {report.write(args.json, project, findings)}")
    return 0 if all(v == "met" for v in report.verdicts(findings).values()) else 1


if __name__ == "__main__":
    sys.exit(main())
