"""No lesson's output depends on the user's home.

Lesson 3.2's saved outputs once held "(previous run: 10.00/10, +0.00)": pylint reads the statistics it saved
for a module of the same name from its home (``~/.cache/pylint``) even with ``--persistent=n``, and the home of
the machine that executed the lesson had them. Here the lesson's lint cells run in a kernel started under a home
that holds what a user's home may hold (pylint's statistics for ``summary``, an IPython profile that shows the
value of every statement, a Jupyter kernel of the user's own), with the user's variables pointing at it, and
their outputs must equal the saved ones. The same run with a kernel that lacks ``lib.course.toolstate``'s folders
must not: the check can fail.
"""

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from lib import TELEMETRY_OFF, processes
from lib.course import jupyter
from tests.sandbox import WORKTREE

LESSON = WORKTREE / "notebooks" / "3.2-quality-assurance.ipynb"
PYPROJECT = WORKTREE / "pyproject.toml"
FLAWED_SUMMARY = "import os\n\n\ndef known_species(rows, seen=[]):\n    return totl\n"

pytestmark = pytest.mark.slow


def lint_cells(notebook: Path) -> tuple[list, list]:
    """The lesson's first code cell (its imports) and the cells that run ruff or pylint on ``summary.py``."""
    cells = [cell for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]
    linting = [
        cell for cell in cells if "summary.py" in cell.source and re.search(r"^!.*(ruff|pylint)", cell.source, re.M)
    ]
    return cells[:1], linting


def text_of(cell) -> str:
    """A cell's printed text, the way nbval compares it: streams joined, scratch folders and line ends unified."""
    text = "".join(
        output.get("text", "") or output.get("data", {}).get("text/plain", "") for output in cell.get("outputs", [])
    )
    return re.sub(r"/tmp/[A-Za-z0-9_.-]+", "TMPDIR", text.replace("\r\n", "\n"))


def cluttered_home(home: Path) -> dict[str, str]:
    """Fill ``home`` as a user's home may be; return the variables of a user who points their tools at it."""
    stats, ipython = home / ".cache" / "pylint", home / ".ipython"
    snippet = home / "work"
    snippet.mkdir(parents=True)
    (snippet / "summary.py").write_text(FLAWED_SUMMARY, encoding="utf-8")
    # pylint's own statistics for a module named summary, saved by a real run of the user's (persistent by default).
    subprocess.run(
        [processes.tool("pylint"), "--rcfile", str(PYPROJECT), "summary.py"],
        cwd=snippet,
        env=processes.tool_env({"PYLINTHOME": str(stats)}),
        capture_output=True,
        check=False,
    )
    assert (stats / "summary_1.stats").is_file(), "pylint saved no statistics to plant"
    startup = ipython / "profile_default"
    (startup / "startup").mkdir(parents=True)
    (startup / "ipython_kernel_config.py").write_text(
        'c.InteractiveShell.ast_node_interactivity = "all"\n', encoding="utf-8"
    )
    (startup / "startup" / "00-mine.py").write_text("print('from the user profile')\n", encoding="utf-8")
    (home / ".config" / "matplotlib").mkdir(parents=True)
    (home / ".config" / "matplotlib" / "matplotlibrc").write_text("figure.dpi: 17\n", encoding="utf-8")
    (home / ".codecarbon.config").write_text("[codecarbon]\nforce_cpu_power = 999\n", encoding="utf-8")
    # The user's own python3 kernel, as the course's was before: telemetry off, no tool-state folders.
    spec = json.loads(jupyter.kernelspec_file(Path(sys.prefix)).read_text(encoding="utf-8"))
    spec["argv"][0] = sys.executable
    spec["env"] = dict(TELEMETRY_OFF)
    kernel = home / ".local" / "share" / "jupyter" / "kernels" / jupyter.KERNEL / "kernel.json"
    kernel.parent.mkdir(parents=True)
    kernel.write_text(json.dumps(spec), encoding="utf-8")
    return {
        "HOME": str(home),
        "PYLINTHOME": str(stats),
        "IPYTHONDIR": str(ipython),
        "MPLCONFIGDIR": str(home / ".config" / "matplotlib"),
        "JUPYTER_DATA_DIR": str(home / ".local" / "share" / "jupyter"),
    }


def run_cells(cells: list, folder: Path, env: dict[str, str]) -> list:
    """Execute ``cells`` with papermill in the ``python3`` kernel under ``env``; return the executed code cells."""
    folder.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell.source) for cell in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    source, executed = folder / "lint.ipynb", folder / "lint-out.ipynb"
    nbformat.write(notebook, source)
    done = subprocess.run(
        [processes.tool("papermill"), str(source), str(executed), "-k", "python3", "--cwd", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [cell for cell in nbformat.read(executed, as_version=4).cells if cell.cell_type == "code"]


def test_lint_cells_print_the_same_under_a_cluttered_home(tmp_path):
    """Lesson 3.2's ruff and pylint cells print their saved outputs whatever the home holds (and a kernel
    without the course's state folders does not: the check can fail)."""
    imports, linting = lint_cells(LESSON)
    assert len(linting) >= 2, "the lesson's lint cells were not found"
    assert any("(previous run" not in text_of(cell) and "rated at" in text_of(cell) for cell in linting)
    user = cluttered_home(tmp_path / "home")
    # Jupyter prefers the environment's kernel to the user's in a virtual environment; the user's kernel,
    # preferred, stands for the course's kernel as it was before it had the state folders.
    course = processes.tool_env(user, without=["JUPYTER_PATH", "JUPYTER_PREFER_ENV_PATH"])
    before = processes.tool_env({**user, "JUPYTER_PREFER_ENV_PATH": "0"}, without=["JUPYTER_PATH"])
    with ThreadPoolExecutor(2) as pool:
        runs = [
            pool.submit(run_cells, imports + linting, tmp_path / name, env)
            for name, env in (("course", course), ("before", before))
        ]
        course_cells, before_cells = (run.result()[1:] for run in runs)
    assert [text_of(cell) for cell in course_cells] == [text_of(cell) for cell in linting]
    changed = [text_of(cell) for cell in before_cells]
    assert any("(previous run" in text for text in changed), changed
    assert changed != [text_of(cell) for cell in linting]


def test_a_scratch_home_is_new_empty_and_removed(tmp_path):
    """python -m lib.course.toolstate (make pipeline, make notebooks) runs a command in a new home, then deletes it."""
    probe = (
        "import json, os, pathlib; home = pathlib.Path.home(); "
        "print(json.dumps({'home': str(home), 'files': os.listdir(home), "
        "'vars': {k: os.environ.get(k) for k in ('PYLINTHOME', 'IPYTHONDIR', 'XDG_CACHE_HOME', 'JUPYTER_PATH')}}))"
    )
    user = cluttered_home(tmp_path / "home")
    done = subprocess.run(
        [sys.executable, "-m", "lib.course.toolstate", sys.executable, "-c", probe],
        env=processes.tool_env(user),
        capture_output=True,
        text=True,
        check=True,
        cwd=WORKTREE,
    )
    seen = json.loads(done.stdout)
    home = Path(seen["home"])
    assert home != Path(user["HOME"]) and seen["files"] == [] and not home.exists()
    assert seen["vars"]["PYLINTHOME"].startswith(str(home)) and seen["vars"]["IPYTHONDIR"].startswith(str(home))
    assert seen["vars"]["XDG_CACHE_HOME"] == str(home / ".cache") and seen["vars"]["JUPYTER_PATH"] == ""
    failed = subprocess.run([sys.executable, "-m", "lib.course.toolstate", "false"], cwd=WORKTREE, check=False)
    assert failed.returncode == 1
