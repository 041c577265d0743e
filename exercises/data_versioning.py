"""Solutions to the exercises of lesson 2.1, data versioning. Run: ``python -m exercises.data_versioning``.

Each one works in a scratch repository (:class:`lib.demo_repo.DemoRepo`) that it deletes afterwards.
"""

from __future__ import annotations

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


def who_changed_the_data(raw_file: Path) -> dict:
    """Exercise 1: v1, v2, then a README commit that also committed the v1 pointer; find it with ``dvc diff``.

    Walks the history oldest first and runs ``dvc diff`` between each commit and its parent; the
    commits whose diff names the data file are the ones that changed it.
    """
    demo = _versioned(raw_file)
    try:
        lines = (demo.root / "data/penguins.csv").read_text(encoding="utf-8").splitlines(keepends=True)
        demo.write("data/penguins.csv", "".join(line for line in lines if "Adult not sampled" not in line))
        demo.run("dvc add -q data/penguins.csv")
        demo.run("git commit -q -am 'Data v2: drop the unsampled birds'")
        demo.run("git checkout HEAD~1 -- data/penguins.csv.dvc")  # the teammate's stale pointer
        demo.run("dvc checkout -q")
        demo.write("README.md", "# Penguin classifier\n")
        demo.run("git add -A")
        demo.run("git commit -q -m 'Update the README'")
        commits = demo.run("git rev-list --reverse HEAD").split()
        changed = []
        for parent, commit in zip(commits, commits[1:], strict=False):
            if "data/penguins.csv" in demo.run(f"dvc diff {parent} {commit}"):
                changed.append(demo.run(f"git log -1 --format=%s {commit}"))
        rows = len(data.load_raw(demo.root / "data/penguins.csv"))
        demo.run("git checkout -q HEAD~1 -- data/penguins.csv.dvc")
        demo.run("dvc checkout -q")
        rows_before = len(data.load_raw(demo.root / "data/penguins.csv"))
        return {"changed_by": changed, "culprit": changed[-1], "rows_brought_back": rows - rows_before}
    finally:
        demo.cleanup()


def parameter_reach(raw_file: Path, new_test_size: float = 0.4) -> dict:
    """Exercise 2: change ``test_size``; what ``dvc status`` says before, and ``dvc metrics diff`` after, a repro."""
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
        demo.write("params.yaml", f"prepare:\n  test_size: {new_test_size}\n")
        status = demo.run("dvc status")
        demo.run("dvc repro -q")
        metrics = yaml.safe_load((demo.root / "metrics.json").read_text(encoding="utf-8"))
        return {"status": status, "metrics_diff": demo.run("dvc metrics diff"), "metrics": metrics}
    finally:
        demo.cleanup()


def ci_command(root: Path | None = None) -> dict:
    """Exercise 3: what CI runs on a pull request, down to the Makefile recipe behind it.

    The workflow's step runs a script; the script runs a make target; the target's recipe checks params.yaml and
    runs the tests.
    """
    root = Path(root) if root is not None else paths.PROJ_ROOT
    workflow = yaml.safe_load((root / ".github/workflows/ci.yml").read_text(encoding="utf-8"))
    step = next(step["run"] for step in workflow["jobs"]["test"]["steps"] if "run" in step)
    script = root / step.split()[-1]
    command = next(line.strip() for line in script.read_text(encoding="utf-8").splitlines() if line.startswith("make "))
    target = command.split()[1]
    makefile = (root / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(makefile) if line.startswith(f"{target}:"))
    recipe = []
    for line in makefile[start + 1 :]:  # the recipe: the tab-indented lines right after the target
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return {"step": step, "command": command, "target": target, "recipe": recipe}


if __name__ == "__main__":
    print("1.", who_changed_the_data(paths.RAW_DATA_FILE))
    print("2.", parameter_reach(paths.RAW_DATA_FILE))
    print("3.", ci_command())
