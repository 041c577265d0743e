"""Solutions to the exercises of lesson 2.1, data versioning. Run: ``python -m exercises.data_versioning``.

Each one works in a scratch repository (:class:`lib.demo_repo.DemoRepo`) that it deletes afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from lib import data, paths
from lib.course.lessons.demo_repo import DemoRepo

STAGE_SCRIPT = (
    "import json, pandas as pd, yaml\n"
    "p = yaml.safe_load(open('params.yaml'))['prepare']\n"
    "rows = len(pd.read_csv('data/penguins.csv'))\n"
    "json.dump({'rows': rows, 'test_rows': round(rows * p['test_size'])}, open('metrics.json', 'w'))\n"
)
# Exercise 3's script: the birds at least as heavy as a parameter, and how many of each species.
SUMMARY_SCRIPT = (
    "import json, pandas as pd, yaml\n"
    "p = yaml.safe_load(open('params.yaml'))['summary']\n"
    "raw = pd.read_csv('data/penguins.csv')\n"
    "heavy = raw[raw['Body Mass (g)'] >= p['min_body_mass_g']]\n"
    "heavy.to_csv('heavy.csv', index=False)\n"
    "counts = {name.split()[0]: int(n) for name, n in heavy['Species'].value_counts().sort_index().items()}\n"
    "json.dump({'birds': len(heavy), **counts}, open('summary.json', 'w'), indent=1)\n"
)
# The functions a student uses as they are (the hand-out keeps them whole).
GIVEN = ("shared_history", "try_stage")


def _versioned(raw_file: Path) -> DemoRepo:
    demo = DemoRepo.create()
    demo.copy_in(raw_file, "data/penguins.csv")
    for command in (
        "git init -q -b main",
        "dvc init -q",
        "dvc config core.analytics false",
        "dvc add -q data/penguins.csv",
        "git add -A",
        "git commit -q -m 'Data v1: the raw export'",
    ):
        demo.run(command)
    return demo


def shared_history(raw_file: Path) -> DemoRepo:
    """A scratch repository with a team's history: five commits, the data under DVC. Delete it with ``cleanup()``.

    Given, not an answer: the history exercise 1 investigates.
    """
    demo = _versioned(raw_file)
    lines = (demo.root / "data/penguins.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    demo.write("data/penguins.csv", "".join(line for line in lines if "Adult not sampled" not in line))
    demo.run("dvc add -q data/penguins.csv")
    demo.run("git commit -q -am 'Data v2: drop the birds that were not measured'")
    demo.write("README.md", "# Penguin classifier\n")
    demo.run("git add -A")
    demo.run("git commit -q -m 'Add a README'")
    demo.run("git checkout HEAD~2 -- data/penguins.csv.dvc")  # the teammate's stale pointer
    demo.run("dvc checkout -q")
    demo.write("notebooks.md", "The lessons run in order.\n")
    demo.run("git add -A")
    demo.run("git commit -q -m 'Tidy the notebooks'")
    demo.write("README.md", "# Penguin species classifier\n")
    demo.run("git commit -q -am 'Fix a typo in the README'")
    return demo


def who_changed_the_data(demo: DemoRepo) -> dict:
    """Exercise 1: in :func:`shared_history`'s repository, the commits that changed the data, and the birds back.

    Walks the history oldest first and runs ``dvc diff`` between each commit and its parent; the
    commits whose diff names the data file are the ones that changed it. The culprit is the one whose
    message does not say so; the birds it brought back are the rows of its data missing from its
    parent's, each named by its species and sample number (an ``Individual ID`` recurs across years, and
    each species' sample numbers start at 1).
    """
    commits = demo.run("git rev-list --reverse HEAD").split()
    changed = {}
    for parent, commit in zip(commits, commits[1:], strict=False):
        if "data/penguins.csv" in demo.run(f"dvc diff {parent} {commit}"):
            changed[demo.run(f"git log -1 --format=%s {commit}")] = (parent, commit)
    culprit = next(message for message in changed if "data" not in message.lower())
    parent, commit = changed[culprit]
    birds = {}
    for name, revision in (("before", parent), ("after", commit)):
        demo.run(f"git checkout -q {revision}")
        demo.run("dvc checkout -q --force")
        table = data.load_raw(demo.root / "data/penguins.csv")
        birds[name] = set(table["Species"].str.split().str[0] + " " + table["Sample Number"].astype(str))
    demo.run("git checkout -q main")
    demo.run("dvc checkout -q --force")
    return {"changed_by": list(changed), "culprit": culprit, "brought_back": sorted(birds["after"] - birds["before"])}


def parameter_reach(raw_file: Path, new_test_size: float = 0.4) -> dict:
    """Exercise 2: which changes make the one-stage pipeline stale, and ``dvc metrics diff`` after a new test_size.

    DVC compares what a stage declares: its dependencies' contents and its parameters' values. A
    parameter the stage does not declare, or a declared one rewritten with the same value, changes
    nothing it compares; a comment in its script changes a dependency; a new value of a declared
    parameter changes that parameter.

    Returns ``{"stale": {change: bool} for the changes "an undeclared parameter", "the same value rewritten",
    "a comment in the script" and "test_size 0.4" (with ``new_test_size``), "metrics_diff": dvc's text,
    "metrics": the metrics file after the repro}``.
    """
    demo = _versioned(raw_file)
    try:
        demo.write("params.yaml", "prepare:\n  test_size: 0.2\n")
        demo.write("prepare.py", STAGE_SCRIPT)
        for command in (
            "dvc stage add -q -n prepare -d prepare.py -d data/penguins.csv -p prepare.test_size "
            "-M metrics.json python prepare.py",
            "dvc repro -q",
            "git add -A",
            "git commit -q -m stage",
        ):
            demo.run(command)
        changes = {
            "an undeclared parameter": ("params.yaml", "prepare:\n  test_size: 0.2\n  seed: 7\n"),
            "the same value rewritten": ("params.yaml", "prepare:\n  test_size: 0.20\n"),
            "a comment in the script": ("prepare.py", STAGE_SCRIPT + "# reviewed\n"),
            f"test_size {new_test_size}": ("params.yaml", f"prepare:\n  test_size: {new_test_size}\n"),
        }
        stale = {}
        for change, (name, text) in changes.items():
            before = (demo.root / name).read_text(encoding="utf-8")
            demo.write(name, text)
            stale[change] = "prepare" in json.loads(demo.run("dvc status --json") or "{}")
            demo.write(name, before)
        demo.write("params.yaml", f"prepare:\n  test_size: {new_test_size}\n")
        demo.run("dvc repro -q")
        metrics = yaml.safe_load((demo.root / "metrics.json").read_text(encoding="utf-8"))
        return {"stale": stale, "metrics_diff": demo.run("dvc metrics diff"), "metrics": metrics}
    finally:
        demo.cleanup()


def summary_stage() -> dict:
    """Exercise 3: the ``summarise`` stage of ``dvc.yaml``, for :data:`SUMMARY_SCRIPT`: its command, deps, params, outs.

    The script reads the data and one parameter and writes two files: everything it reads is a
    dependency (the script itself too: a change to the code must re-run it), the parameter is
    declared by name, the table is an output (cached by DVC) and the counts are metrics (small, kept
    in Git, shown by ``dvc metrics show``). Try it with :func:`try_stage`.
    """
    return {
        "cmd": "python summarise.py",
        "deps": ["summarise.py", "data/penguins.csv"],
        "params": ["summary.min_body_mass_g"],
        "outs": ["heavy.csv"],
        "metrics": [{"summary.json": {"cache": False}}],
    }


def try_stage(stage: dict, raw_file: Path) -> dict:
    """Run ``stage`` as ``summarise`` in a scratch repository, then change each thing it should depend on.

    Given, not an answer: it runs ``dvc repro``, reads ``dvc metrics show``, then asks ``dvc status``
    whether the stage is out of date after each change (the parameter, the script, the output
    deleted, the data, and a parameter the stage does not read), putting each one back before the next.
    Returns the metrics, whether the status was clean after the repro, and, for each change, whether
    ``dvc status`` named the stage.
    """
    demo = _versioned(raw_file)
    try:
        demo.write("params.yaml", "summary:\n  min_body_mass_g: 4000\n")
        demo.write("summarise.py", SUMMARY_SCRIPT)
        demo.write("dvc.yaml", yaml.safe_dump({"stages": {"summarise": stage}}, sort_keys=False))
        demo.run("dvc repro -q")
        demo.run("git add -A")
        demo.run("git commit -q -m 'The summarise stage'")
        shown = json.loads(demo.run("dvc metrics show --json") or "{}")
        metrics = next(iter(shown.values()), {}).get("data", {}).get("summary.json", {}).get("data", {})

        def stale() -> bool:
            return "summarise" in json.loads(demo.run("dvc status --json") or "{}")

        clean = not stale()
        changes = {
            "params": ("params.yaml", "summary:\n  min_body_mass_g: 4500\n"),
            "another parameter": ("params.yaml", "summary:\n  min_body_mass_g: 4000\nreport:\n  title: heavy\n"),
            "script": ("summarise.py", SUMMARY_SCRIPT + "# a comment is a change too\n"),
        }
        stale_after = {}
        for change, (name, text) in changes.items():
            before = (demo.root / name).read_text(encoding="utf-8")
            demo.write(name, text)
            stale_after[change] = stale()
            demo.write(name, before)
        (demo.root / "heavy.csv").unlink(missing_ok=True)
        stale_after["outs"] = stale()
        demo.run("dvc checkout -q --force")
        lines = (demo.root / "data/penguins.csv").read_text(encoding="utf-8").splitlines(keepends=True)
        demo.write("data/penguins.csv", "".join(lines[:-1]))
        stale_after["data"] = stale()
        return {"metrics": metrics, "clean_after_repro": clean, "stale_after": stale_after}
    finally:
        demo.cleanup()


if __name__ == "__main__":
    history = shared_history(paths.RAW_DATA_FILE)
    try:
        print("1.", who_changed_the_data(history))
    finally:
        history.cleanup()
    print("2.", parameter_reach(paths.RAW_DATA_FILE))
    print("3.", try_stage(summary_stage(), paths.RAW_DATA_FILE))
