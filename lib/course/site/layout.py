"""What the site looks like: its pages, the sidebar in course order, the home page, the footer, Sphinx's settings.

:mod:`lib.course.site.stage` stages the pages and builds them with these.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
from pathlib import Path

from lib.course.site import course

PAGES = ("README.md", "notebooks/*.ipynb", "docs/**/*.md", "exercises/README.md")
CONF = """
project = "Penguins MLOps course"
author = "the course's authors"
extensions = ["myst_nb"]
html_theme = "sphinx_book_theme"
html_title = "Penguins MLOps course"
templates_path = ["_templates"]
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    # One search box, the sidebar's: the theme also puts one in a header bar above it.
    "navbar_persistent": [],
    "footer_content_items": ["course-footer.html"],
}
html_static_path = ["_course_static"]
html_copy_source = False
html_show_sourcelink = False
nb_execution_mode = "off"  # the lessons as their saved outputs show them, which is what nbval checks
# A lesson's Markdown output (a table of requirements, a card's section) rendered as JupyterLab renders it:
# MyST-NB's default, CommonMark, has no tables and would print their pipes as one paragraph.
nb_render_markdown_format = "myst"
nb_ipywidgets_js = {}  # no widget loader from a CDN: the lessons have no widgets
nb_merge_streams = True  # a shell cell's output saved in pieces reads as one block, as in JupyterLab
myst_heading_anchors = 3
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]
# A shell block with a placeholder such as <the team's repository> cannot be lexed strictly; Pygments
# then highlights it leniently, which is right for it.
suppress_warnings = ["misc.highlighting_failure"]
"""

# The sidebar, in the course's order (Previous and Next follow it): the home page, then these groups. The
# lessons come from notebooks/; every other page is named here once, and a page in no group stops the build.
START = ("README.md",)
GUIDES = {  # by milestone, as README's course table pairs them with the lessons
    "M1": ("docs/coordination.md", "docs/cards/dataset_card.md", "docs/cards/model_card.md"),
    "M2": ("docs/git-demo.md", "docs/dvc-demo.md", "docs/mlflow-demo.md"),
    "M3": (
        "docs/codecarbon-demo.md",
        "docs/static-analysis-demo.md",
        "docs/pytest-demo.md",
        "docs/great-expectations-demo.md",
    ),
    "M4": ("docs/fastapi-demo.md",),
    "M5": ("docs/monitoring-demo.md",),
}
DEPLOYMENT = (
    "docs/deployment/README.md",
    "docs/deployment/docker.md",
    "docs/deployment/linux-vm.md",
    "docs/deployment/cloud-run.md",
)
YOUR_PROJECT = ("docs/your-project.md", "docs/team-setup.md", "docs/architecture.md")
TEACHING = ("docs/instructors.md", "exercises/README.md", "docs/performance.md", "docs/contributing.md")
# Shown in every page's footer, and served from the site itself (_static/).
LICENCES = {"LICENSE": "LICENSE.txt", "LICENSE-CC-BY-4.0.txt": "LICENSE-CC-BY-4.0.txt"}
FOOTER = """<p class="course-footer">
{{ course.name }} {{ course.version }}, built on {{ course.date }} from {{ course.repository }}.
Code: <a href="{{ pathto('_static/LICENSE.txt', 1) }}">MIT licence</a>; lesson text and figures:
<a href="{{ pathto('_static/LICENSE-CC-BY-4.0.txt', 1) }}">CC BY 4.0</a>; the Palmer Penguins data: CC0 1.0.
</p>
"""


def page_files(root: Path) -> list[Path]:
    """The repository's files that become pages, relative to ``root``."""
    found: set[Path] = set()
    for pattern in PAGES:
        found |= {path.relative_to(root) for path in root.glob(pattern) if path.is_file()}
    return sorted(found)


def _title(page: Path) -> str:
    """A Markdown page's first heading."""
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line.removeprefix("# ").strip()
    return page.stem


def navigation(root: Path) -> list[tuple[str, list[str]]]:
    """The sidebar's groups in course order: (caption, toctree entries), every page of the site in exactly one.

    Raises ``RuntimeError`` naming a page that is in no group (or a group's page that does not exist).
    """
    lessons = [f"notebooks/{lesson.path.name}" for lesson in course.lessons(root / "notebooks")]
    guides = [f"{milestone} · {_title(root / page)} <{page}>" for milestone, pages in GUIDES.items() for page in pages]
    groups = [
        ("Start", [f"Set up and run the course <{START[0]}>"]),
        ("Lessons", lessons),
        ("Guides, by milestone", guides),
        ("Deployment", list(DEPLOYMENT)),
        ("Your project", list(YOUR_PROJECT)),
        ("Teaching", list(TEACHING)),
    ]
    placed = [entry.rsplit("<", 1)[-1].rstrip(">") for _, entries in groups for entry in entries]
    pages = [path.as_posix() for path in page_files(root)]
    missing = sorted(set(pages) - set(placed))
    unknown = sorted(set(placed) - set(pages))
    if missing or unknown:
        raise RuntimeError(
            "the site's navigation (lib/course/site/layout.py) does not match the pages: "
            + "; ".join(
                [f"{page} is in no group: add it to one" for page in missing]
                + [f"{page} is named but is not a page" for page in unknown]
            )
        )
    return groups


def index_page(root: Path) -> str:
    """The home page: what the course is, for whom, where to start, the course map, and the sidebar's groups."""
    found = course.lessons(root / "notebooks")
    toctrees = "\n".join(
        f"```{{toctree}}\n:hidden:\n:maxdepth: 1\n:caption: {caption}\n\n" + "\n".join(entries) + "\n```\n"
        for caption, entries in navigation(root)
    )
    return f"""# The penguins MLOps course

One real model, a penguin species classifier, taken through its whole life in numbered,
runnable Jupyter lessons: inception with dataset and model cards, reproducibility (Git,
DVC, MLflow), quality assurance (CodeCarbon, linters, pytest, Great Expectations),
deployment (a FastAPI service), monitoring in production (Prometheus, drift), and closing
the loop (labels, a promotion gate, a model switch without a restart).

**For students** working on their own laptop, **instructors** choosing and running a course
([instructors' guide](docs/instructors.md)), and **teams** sharing a tracking server and a
data remote ([team set-up](docs/team-setup.md)). Every page here is what the lessons printed
when they were last run; to run them yourself, see [Set up and run the course](README.md).

**Start here:** [{found[0].number} {found[0].title}](notebooks/{found[0].path.name}), then in order:
each lesson reads what the one before produced.

## The course map

{course.course_map(found)}

The study time is a student's estimate: reading and running the lesson, then its exercises
([exercises/README.md](exercises/README.md) lists them, each a *build* or an *investigation*). The run
time is the machine's: what the lesson printed when it was last executed (its last cell), which also
printed the date of that run and the versions of the tools the lesson teaches (*last verified*; a test
checks the Python packages' versions against the course's lock).

{toctrees}"""


def _git(root: Path, *arguments: str) -> str:
    if not (root / ".git").exists():
        return ""  # not a clone (a hand-out): never the answer of a repository around it
    done = subprocess.run(["git", *arguments], cwd=root, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def repository_url(root: Path) -> str:
    """Where the site's sources live: the GitHub repository a workflow builds, else Git's ``origin``, else ``""``."""
    if os.environ.get("GITHUB_REPOSITORY"):
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{os.environ['GITHUB_REPOSITORY']}"
    origin = _git(root, "remote", "get-url", "origin")
    scp = re.fullmatch(r"[\w.-]+@([\w.-]+):(.+?)(?:\.git)?", origin)  # git@github.com:owner/name.git
    if scp:
        return f"https://{scp.group(1)}/{scp.group(2)}"
    return origin.removesuffix(".git") if origin.startswith("https://") else ""


def footer(root: Path, today: datetime.date | None = None, handout: bool = False) -> dict[str, str]:
    """What every page's footer says: the course, its version and commit, the build's date, the repository.

    A site built from the hand-out names neither: they are the instructor's copy, with the solutions.
    """
    version = re.search(r'^version = "([^"]+)"', (root / "pyproject.toml").read_text(encoding="utf-8"), re.M)
    commit = "" if handout else _git(root, "rev-parse", "--short", "HEAD")
    url = "" if handout else repository_url(root)
    return {
        "name": "Penguins MLOps course",
        "version": (version.group(1) if version else "") + (f" (commit {commit})" if commit else ""),
        "date": (today or datetime.datetime.now(datetime.UTC).date()).isoformat(),
        "repository": (
            f'<a href="{url}">{url.split("://", 1)[-1]}</a>'
            if url
            else ("the students' hand-out" if handout else "a copy with no remote repository")
        ),
    }


def write_sphinx_files(root: Path, destination: Path, handout: bool = False) -> None:
    """``conf.py`` with the footer's facts, the footer's template, and the licences served beside the pages."""
    facts = footer(root, handout=handout)
    (destination / "conf.py").write_text(CONF + f"html_context = {{'course': {facts!r}}}\n", encoding="utf-8")
    (destination / "_templates").mkdir(exist_ok=True)
    (destination / "_templates" / "course-footer.html").write_text(FOOTER, encoding="utf-8")
    (destination / "_course_static").mkdir(exist_ok=True)
    for name, served in LICENCES.items():
        shutil.copy2(root / name, destination / "_course_static" / served)
