"""The site's sources, staged in a scratch folder laid out as the repository is, then built by Sphinx.

Pages keep their repository paths (``notebooks/2.2-experiment-tracking.ipynb``,
``docs/mlflow-demo.md``), so the relative links they already use resolve as they do on
GitHub. A link to another file of the repository (``../lib/serving/metrics.py``) is
kept: the file is copied beside the pages and Sphinx serves it as it is. A link to a
folder becomes a link to its ``README.md``, or to a listing page made for it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from lib import paths
from lib.course import snapshot
from lib.course.site import course

# A Markdown link or image target: ](target#anchor), the target relative, not a URL.
LINK = re.compile(r"(\]\()(?!https?:|mailto:|#)([^)\s#]+)(#[^)\s]*)?(\))")
PAGES = ("README.md", "notebooks/*.ipynb", "docs/**/*.md", "exercises/README.md")
CONF = """
project = "Penguins MLOps course"
author = "the course's authors"
extensions = ["myst_nb"]
html_theme = "sphinx_book_theme"
html_title = "Penguins MLOps course"
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
}
html_copy_source = False
html_show_sourcelink = False
nb_execution_mode = "off"  # the lessons as their saved outputs show them, which is what nbval checks
nb_ipywidgets_js = {}  # no widget loader from a CDN: the lessons have no widgets
nb_merge_streams = True  # a shell cell's output saved in pieces reads as one block, as in JupyterLab
myst_heading_anchors = 3
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]
# A shell block with a placeholder such as <the team's repository> cannot be lexed strictly; Pygments
# then highlights it leniently, which is right for it.
suppress_warnings = ["misc.highlighting_failure"]
"""


def page_files(root: Path) -> list[Path]:
    """The repository's files that become pages, relative to ``root``."""
    found: set[Path] = set()
    for pattern in PAGES:
        found |= {path.relative_to(root) for path in root.glob(pattern) if path.is_file()}
    return sorted(found)


def _target(page: Path, target: str, root: Path) -> Path | None:
    """The repository path a page's relative link points at, or None if it leaves the repository."""
    resolved = (root / page.parent / target).resolve()
    try:
        return resolved.relative_to(root.resolve())
    except ValueError:
        return None


def rewrite_links(text: str, page: Path, root: Path, pages: set[Path], linked: set[Path]) -> str:
    """Point each relative link of ``text`` (on ``page``) at a page, a copied file, or a folder's listing.

    Adds every repository file or folder a link needs to ``linked``.
    """

    def fix(match: re.Match) -> str:
        target = _target(page, match.group(2), root)
        if target is None or target in pages:
            return match.group(0)
        source = root / target
        if source.is_dir():
            readme = target / "README.md"
            destination = readme if readme in pages else Path("files") / target / "index.md"
            linked.add(target)
        elif source.is_file():
            destination = Path("files") / target
            linked.add(target)
        else:
            return match.group(0)  # broken on GitHub too: Sphinx reports it
        relative = Path(*[".."] * len(page.parent.parts)) / destination
        return f"{match.group(1)}{relative.as_posix()}{match.group(3) or ''}{match.group(4)}"

    return LINK.sub(fix, text)


def _first_line(path: Path) -> str:
    """A file's one-line description: a Python module's docstring summary, else nothing."""
    if path.suffix != ".py":
        return ""
    text = path.read_text(encoding="utf-8")
    match = re.match(r'\s*(?:#[^\n]*\n\s*)*[rR]?"""(.*?)(?:\n|""")', text, re.DOTALL)
    return f": {match.group(1).strip()}" if match else ""


def listing(folder: Path, root: Path, files: set[Path]) -> str:
    """A page listing a folder's files (those the project tracks), each linked, with its docstring's first line."""
    inside = sorted(path for path in files if path.parent == folder)
    rows = [f"- [{path.name}]({path.name}){_first_line(root / path)}" for path in inside]
    folders = sorted(
        {path.relative_to(folder).parts[0] for path in files if folder in path.parents and path.parent != folder}
    )
    rows += [f"- `{name}/`" for name in folders]
    return f"---\norphan: true\n---\n# `{folder.as_posix()}/`\n\n" + "\n".join(rows) + "\n"


def index_page(root: Path) -> str:
    """The home page: what the course is, for whom, where to start, and the course map with measured times."""
    found = course.lessons(root / "notebooks")
    pages = [
        "README.md",
        *(f"notebooks/{lesson.path.name}" for lesson in found),
        *(path.as_posix() for path in page_files(root) if path.parts[0] == "docs"),
        "exercises/README.md",
    ]
    toctree = "\n".join(pages)
    return f"""# The penguins MLOps course

One real model, a penguin species classifier, taken through its whole life in numbered,
runnable Jupyter lessons: inception with dataset and model cards, reproducibility (Git,
DVC, MLflow), quality assurance (CodeCarbon, linters, pytest, Great Expectations),
deployment (a FastAPI service), monitoring in production (Prometheus, drift), and closing
the loop (labels, a promotion gate, a model switch without a restart).

**For students** working on their own laptop, **instructors** choosing and running a course
([instructors' guide](docs/instructors.md)), and **teams** sharing a tracking server and a
data remote ([team set-up](docs/team-setup.md)). Every page here is what the lessons printed
when they were last run; to run them yourself, see [README](README.md).

**Start here:** [{found[0].number} {found[0].title}](notebooks/{found[0].path.name}), then in order:
each lesson reads what the one before produced.

## The course map

{course.course_map(found)}

The study time is a student's estimate: reading and running the lesson, then its exercises
([exercises/README.md](exercises/README.md) lists them, each a *build* or an *investigation*). The run
time is the machine's: what the lesson printed when it was last executed (its last cell).

```{{toctree}}
:hidden:
:maxdepth: 1

{toctree}
```
"""


def stage(root: Path, destination: Path) -> Path:
    """Copy the course's pages and what they link to into ``destination``, with ``conf.py`` and ``index.md``."""
    tracked = set(snapshot.project_files(root))
    pages = set(page_files(root))
    linked: set[Path] = set()
    for page in sorted(pages):
        target = destination / page
        target.parent.mkdir(parents=True, exist_ok=True)
        text = (root / page).read_text(encoding="utf-8")
        if page.suffix == ".ipynb":
            notebook = json.loads(text)
            for cell in notebook["cells"]:
                if cell["cell_type"] == "markdown":
                    cell["source"] = rewrite_links("".join(cell["source"]), page, root, pages, linked)
            text = json.dumps(notebook)
        else:
            text = rewrite_links(text, page, root, pages, linked)
        target.write_text(text, encoding="utf-8")
    for item in sorted(linked):
        if (root / item).is_dir():
            if item / "README.md" in pages:
                continue  # the link goes to the folder's README page
            page = destination / "files" / item / "index.md"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(listing(item, root, tracked), encoding="utf-8")
            for path in sorted(path for path in tracked if path.parent == item):
                _copy(root / path, destination / "files" / path)
        else:
            _copy(root / item, destination / "files" / item)
    (destination / "index.md").write_text(index_page(root), encoding="utf-8")
    (destination / "conf.py").write_text(CONF, encoding="utf-8")
    return destination


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def sphinx(source: Path, out: Path) -> subprocess.CompletedProcess:
    """``sphinx-build -b html -W --keep-going``: any warning (a broken link, a page left out) fails the build."""
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q", str(source), str(out)]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=source)


def build(out: Path, root: Path | None = None, workdir: Path | None = None) -> Path:
    """Stage the course and build the site into ``out`` (replaced once built); raise ``RuntimeError`` on a warning."""
    root, out = (root or paths.PROJ_ROOT).resolve(), out.resolve()  # Sphinx runs in the staged source
    source = stage(root, Path(workdir or out.parent / ".site-source").resolve())
    try:
        # Built inside the staged source, where MyST-NB's jupyter_execute/ (beside the output) is deleted
        # with it, then moved: a failed build leaves the last good site in place.
        built = source / "_build" / "html"
        done = sphinx(source, built)
        if done.returncode:
            raise RuntimeError(f"sphinx-build failed:\n{done.stderr}{done.stdout}")
        if out.exists():
            shutil.rmtree(out)
        shutil.move(built, out)
    finally:
        shutil.rmtree(source, ignore_errors=True)
    return out
