"""What broke when the course ran on newer releases, and which package most likely broke it (make try-newest).

:mod:`lib.course.newest` runs the course in a scratch copy against the newest releases that
``pyproject.toml`` allows; this module reads what that run left (pytest's JUnit XML, the executed
copies of the lessons, DVC's status), turns each failure into a :class:`Finding` with the first lines
of its error, names the package most likely responsible, and writes the report. The lock is read with
:func:`lib.course.projectlock.lock_lines`, its environment markers with ``packaging``.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path

from packaging.markers import Marker

from lib.course import projectlock

ERROR_LINES = 8  # the first lines of an error that a report keeps
ANSI = re.compile(r"(?:\x1b|#x1B)\[[0-9;]*[A-Za-z]")  # colours, raw or as JUnit XML writes them
# Where a traceback or a message names a third-party module: a frame in site-packages, an import that failed.
NAMED_MODULES = (
    re.compile(r"site-packages[/\\]([A-Za-z0-9_]+)"),
    re.compile(r"No module named '([A-Za-z0-9_]+)"),
    re.compile(r"cannot import name '[^']+' from '([A-Za-z0-9_]+)"),
)
UNATTRIBUTED = "unattributed (no moved package in the error; read it)"
REFRESH = "saved outputs to refresh (not a break)"


@dataclass
class Finding:
    """One thing that broke: where (a test, a pipeline stage, a lesson's cell), its error, and the likely package."""

    phase: str
    where: str
    error: str
    package: str = UNATTRIBUTED


@dataclass
class Report:
    """A try-newest run: the interpreter, what moved, what the pins hold back, each phase's result, the findings."""

    python: str
    platform: str
    date: str
    moved: dict[str, tuple[str, str]] = field(default_factory=dict)
    held: list[dict[str, str]] = field(default_factory=list)
    phases: list[dict[str, object]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def broken(self) -> list[Finding]:
        """The findings that are breaks (a lesson's saved versions falling behind is not one)."""
        return [finding for finding in self.findings if finding.package != REFRESH]


def _plain_lines(text: str) -> list[str]:
    return [line.rstrip() for line in ANSI.sub("", text).splitlines() if line.strip()]


def first_lines(text: str, count: int = ERROR_LINES) -> str:
    """The first ``count`` non-empty lines of ``text``, colours stripped."""
    return "\n".join(_plain_lines(text)[:count])


def last_lines(text: str, count: int = ERROR_LINES) -> str:
    """The last ``count`` non-empty lines of ``text`` (where a command's log ends with its error), colours stripped."""
    return "\n".join(_plain_lines(text)[-count:])


def error_lines(message: str, body: str) -> str:
    """What a failed test says of its error, without the test's own source.

    pytest's report repeats the test's source before the error (its ``E`` lines) and the frames'
    locations (``path.py:12: in name``); nbval's repeats the cell's source between ``Input:`` and
    ``Traceback:``. The message's first line, then those ``E`` lines and locations, then the rest.
    """
    plain = ANSI.sub("", f"{message}\n{body}")
    plain = re.sub(r"\nInput:\n.*?(?=\nTraceback:|\Z)", "\n", plain, flags=re.DOTALL)
    lines = [line.rstrip() for line in plain.splitlines() if line.strip()]
    if not lines:
        return ""
    kept = [line for line in lines[1:] if re.match(r"^E\s|.*\.py:\d+:|\s*File \"", line)]
    return first_lines("\n".join([lines[0], *(kept or lines[1:])]))


def lock_versions(lock: str, environment: dict[str, str]) -> dict[str, str]:
    """Each package's pinned version in ``lock`` for the interpreter described by ``environment`` (PEP 508 markers)."""
    pinned = {}
    for name, lines in projectlock.lock_lines(lock).items():
        for line in lines:
            pin, _, marker = line.partition(";")
            if "==" in pin and (not marker.strip() or Marker(marker.strip()).evaluate(environment)):
                pinned[name] = pin.split("==", 1)[1].strip()
    return pinned


def moved_versions(before: dict[str, str], after: dict[str, str]) -> dict[str, tuple[str, str]]:
    """The packages whose pinned version differs, with (before, after); ``-`` where a side does not pin it."""
    names = sorted(set(before) | set(after))
    return {
        name: (before.get(name, "-"), after.get(name, "-")) for name in names if before.get(name) != after.get(name)
    }


def attribute(text: str, owners: dict[str, list[str]], moved: dict[str, tuple[str, str]]) -> str:
    """The moved package most likely behind an error.

    ``owners`` maps a top-level module to the distributions that provide it
    (``importlib.metadata.packages_distributions()`` of the environment that ran). In order: the
    outermost frame in ``site-packages`` whose package moved (the library the course called; one it
    calls in turn is a suspect only when the first did not move); a module that failed to import;
    the first moved package the error names. Else the finding is left unattributed.
    """
    plain = ANSI.sub("", text)
    for pattern in NAMED_MODULES:
        for match in pattern.finditer(plain):
            for distribution in owners.get(match.group(1), [match.group(1)]):
                if projectlock.canonical(distribution) in moved:
                    return projectlock.canonical(distribution)
    words = plain.lower().replace("_", "-")  # great_expectations.core names great-expectations
    named = [
        (found.start(), name)
        for name in moved
        if (found := re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", words, re.IGNORECASE))
    ]
    return min(named)[1] if named else UNATTRIBUTED


def junit_findings(xml_file: Path, phase: str) -> list[Finding]:
    """A Finding for each failed or erroring test case of a pytest JUnit XML file."""
    if not xml_file.exists():
        return [Finding(phase, "pytest", f"no test report at {xml_file}: pytest did not get as far as running tests")]
    found = []
    for case in ET.parse(xml_file).getroot().iter("testcase"):
        for problem in list(case.findall("failure")) + list(case.findall("error")):
            where = "::".join(part for part in (case.get("classname", ""), case.get("name", "")) if part)
            found.append(Finding(phase, where, error_lines(problem.get("message", ""), problem.text or "")))
    return found


def failed_cell(executed: Path) -> tuple[int, str] | None:
    """The first code cell of an executed lesson that raised, as (its number as nbval counts, its error and frames).

    nbval numbers a lesson's own code cells from 0; papermill's injected parameters cell is not one of them.
    """
    if not executed.exists():
        return None
    cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    code = [
        cell
        for cell in cells
        if cell["cell_type"] == "code" and "injected-parameters" not in cell.get("metadata", {}).get("tags", [])
    ]
    for index, cell in enumerate(code):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                trace = ANSI.sub("", "\n".join(output.get("traceback", [])))
                frames = [line for line in trace.splitlines() if re.match(r"\s*(File |Cell In\[)", line)]
                return index, first_lines("\n".join([f"{output.get('ename')}: {output.get('evalue')}", *frames]))
    return None


def stage_findings(project: Path, stale: list[str], notebooks: dict[str, str], log: str) -> list[Finding]:
    """A Finding for each pipeline stage left out of date: the lesson cell that raised, or DVC's own error."""
    found = []
    for stage in stale:
        lesson = notebooks.get(stage)
        cell = failed_cell(project / "reports" / "notebooks" / lesson) if lesson else None
        if cell is not None:
            found.append(Finding("pipeline", f"stage {stage}: {lesson}, Cell {cell[0]}", cell[1]))
            continue
        mentions = [line for line in log.splitlines() if f"'{stage}'" in line and "ERROR" in line]
        error = first_lines("\n".join(mentions)) or "did not run (a stage it depends on failed, or DVC stopped first)"
        found.append(Finding("pipeline", f"stage {stage}" + (f": {lesson}" if lesson else ""), error))
    return found


def grouped(findings: list[Finding]) -> dict[str, list[Finding]]:
    """The findings by package, the packages in name order and the unattributed ones last."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.package, []).append(finding)
    return dict(sorted(groups.items(), key=lambda item: (item[0] in (UNATTRIBUTED, REFRESH), item[0])))


def markdown(report: Report) -> str:
    """The report for a reader: the verdict, the breaks by package, the phases, the pins, every moved package."""
    broken = report.broken
    verdict = f"**{len(broken)} broken**" if broken else "**nothing broke**"
    lines = [
        f"# The course on the newest releases ({report.date}, Python {report.python}, {report.platform})",
        "",
        f"{verdict}; {len(report.moved)} packages moved from `requirements.lock` (which this run did not touch).",
        "",
        "| phase | result | seconds |",
        "|---|---|---|",
        *(f"| {phase['name']} | {phase['result']} | {phase['seconds']} |" for phase in report.phases),
        "",
    ]
    for package, findings in grouped(report.findings).items():
        change = report.moved.get(package)
        lines += [f"## {package}" + (f" {change[0]} -> {change[1]}" if change else ""), ""]
        for finding in findings:
            lines += [
                f"- {finding.phase}: `{finding.where}`",
                "",
                "  ```",
                *(f"  {line}" for line in finding.error.splitlines()),
                "  ```",
                "",
            ]
    if report.held:
        lines += [
            "## Held back by the course's own pins",
            "",
            "| pin | newest release | why (pyproject.toml) |",
            "|---|---|---|",
        ]
        lines += [f"| `{pin['pin']}` | {pin['newest']} | {pin['why']} |" for pin in report.held]
        lines += [""]
    lines += ["## Moved", "", "| package | requirements.lock | newest |", "|---|---|---|"]
    lines += [f"| {name} | {before} | {after} |" for name, (before, after) in report.moved.items()]
    return "\n".join(lines) + "\n"


def write(report: Report, folder: Path) -> list[Path]:
    """Write ``report.md`` and ``report.json`` into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    data = asdict(report) | {"broken": len(report.broken)}
    written = [folder / "report.md", folder / "report.json"]
    written[0].write_text(markdown(report), encoding="utf-8")
    written[1].write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return written
