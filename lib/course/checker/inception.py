"""M1, project inception: the cards parse with Hugging Face's card classes and say what they must; the
requirements are numbers.

A card is read with ``DatasetCard.load`` or ``ModelCard.load`` (a file named ``*dataset*`` is a dataset
card): its YAML metadata must parse and hold something, and each section of :data:`REQUIRED` must be
there, with text of its own and no placeholder left in it (outside its ``[optional]`` parts): the
official templates' ``[More Information Needed]``, or ``*To write: `key` in cards.yaml.*`` (what ``make
new-project``'s cards say until the team writes their prose).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from huggingface_hub import DatasetCard, ModelCard

from lib.course.checker.project import MET, NOT_MET, Finding, Project

# The sections of Hugging Face's official templates a card must fill; alternatives separated by "|".
REQUIRED = {
    "dataset": ["Dataset Details|Dataset Description", "Uses", "Dataset Structure", "Bias, Risks, and Limitations"],
    "model": ["Model Details", "Uses", "Bias, Risks, and Limitations", "Training Details", "Evaluation"],
}
# The official templates' placeholder (on a line that is not itself optional), and make new-project's.
PLACEHOLDER = re.compile(r"\[More Information Needed\]|\*To write: `\w+` in cards\.yaml\.\*")


def placeholder(line: str) -> bool:
    """Whether a line still holds a placeholder (a template field left empty, or text still to write)."""
    return bool(PLACEHOLDER.search(line)) and "[optional]" not in line


HEADING = re.compile(r"^(#+)\s+(.*?)(\s+\[optional\])?\s*$")


def sections(text: str) -> dict[str, tuple[str, int]]:
    """Each heading's own text with its subsections' (``[optional]`` ones left out), and how many
    placeholder lines that holds; HTML comments removed."""
    lines = re.sub(r"<!--.*?-->", "", text, flags=re.S).splitlines()
    headings = [
        (i, len(m.group(1)), m.group(2), bool(m.group(3))) for i, line in enumerate(lines) if (m := HEADING.match(line))
    ]
    found = {}
    for n, (start, level, title, _) in enumerate(headings):
        end = next((i for i, lvl, _, _ in headings[n + 1 :] if lvl <= level), len(lines))
        skipped: set[int] = set()
        for k, (sub, sub_level, _, optional) in enumerate(headings[n + 1 :], start=n + 1):
            if sub >= end or not optional:
                continue
            sub_end = next((i for i, lvl, _, _ in headings[k + 1 :] if lvl <= sub_level), len(lines))
            skipped.update(range(sub, sub_end))
        body = [lines[i] for i in range(start + 1, end) if i not in skipped and lines[i].strip()]
        body = [line for line in body if not HEADING.match(line)]
        placeholders = sum(placeholder(line) for line in body)
        own = [PLACEHOLDER.sub("", line).strip(" -*:") for line in body if "[optional]" not in line]
        found[title] = ("\n".join(line for line in own if line), placeholders)
    return found


def check_card(path: Path) -> Finding:
    """One card: it parses, has metadata, and fills every required section."""
    kind = "dataset" if "dataset" in path.name.lower() else "model"
    name = f"{kind} card {path.name}"
    if not path.exists():
        return Finding("M1", name, NOT_MET, f"{path} is missing ([tool.check-project] cards lists the cards)")
    try:
        card = (DatasetCard if kind == "dataset" else ModelCard).load(path)
    except (ValueError, yaml.YAMLError) as error:
        return Finding("M1", name, NOT_MET, f"does not parse as a Hugging Face card: {error}")
    if not card.data.to_dict():
        return Finding("M1", name, NOT_MET, "no YAML metadata block (--- ... ---) at the top")
    found = sections(card.text)
    missing, empty, waiting = [], [], []
    for required in REQUIRED[kind]:
        names = required.split("|")
        present = [name for name in names if name in found]
        if not present:
            missing.append(names[0])
        elif not any(found[name][0] for name in present):
            empty.append(names[0])
        elif any(found[name][1] for name in present):
            waiting.append(present[0])
    if missing or empty or waiting:
        reasons = [f"missing section(s): {', '.join(missing)}"] * bool(missing)
        reasons += [f"section(s) with no text of their own: {', '.join(empty)}"] * bool(empty)
        reasons += [f"placeholder text left in: {', '.join(waiting)}"] * bool(waiting)
        return Finding("M1", name, NOT_MET, "; ".join(reasons))
    return Finding("M1", name, MET, f"parses; metadata {sorted(card.data.to_dict())[:4]}; {len(found)} sections")


def leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf of a nested mapping, by its dotted name."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in leaves(item, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): value}


def check_requirements(project: Project) -> Finding:
    """The requirements (file:key) exist and every one of them is a number."""
    location = project.settings["requirements"]
    file, _, key = location.partition(":")
    path = project.root / file
    name = f"requirements are numbers ({location})"
    if not path.exists():
        return Finding("M1", name, NOT_MET, f"{file} is missing")
    value: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for part in filter(None, key.split(".")):
        value = value.get(part) if isinstance(value, dict) else None
    found = leaves(value) if isinstance(value, dict) else {}
    if not found:
        return Finding("M1", name, NOT_MET, f"no requirements under {key or 'the top'} of {file}")
    words = [name for name, v in found.items() if isinstance(v, bool) or not isinstance(v, int | float)]
    if words:
        return Finding("M1", name, NOT_MET, f"not numbers: {', '.join(f'{n}={found[n]!r}' for n in words)}")
    return Finding("M1", name, MET, ", ".join(f"{name}={v}" for name, v in found.items()))


def check(project: Project) -> list[Finding]:
    """M1's findings."""
    cards = project.settings["cards"]
    return [*(check_card(project.root / card) for card in cards), check_requirements(project)]
