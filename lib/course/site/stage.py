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
from lib.course.site.layout import index_page, page_files, write_sphinx_files

# A Markdown link or image target: ](target#anchor), the target relative, not a URL.
LINK = re.compile(r"(\]\()(?!https?:|mailto:|#)([^)\s#]+)(#[^)\s]*)?(\))")


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


def stage(root: Path, destination: Path, handout: bool = False) -> Path:
    """Copy the course's pages and what they link to into ``destination``, with ``conf.py`` and ``index.md``.

    ``handout``: the pages come from a hand-out, and the footer names no repository or commit.
    """
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
    write_sphinx_files(root, destination, handout)
    return destination


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def sphinx(source: Path, out: Path) -> subprocess.CompletedProcess:
    """``sphinx-build -b html -W --keep-going``: any warning (a broken link, a page left out) fails the build."""
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q", str(source), str(out)]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=source)


def build(out: Path, root: Path | None = None, workdir: Path | None = None, handout: bool = False) -> Path:
    """Stage the course and build the site into ``out`` (replaced once built); raise ``RuntimeError`` on a warning.

    ``handout``: ``root`` is a hand-out (``make handout``), whose footer names no repository or commit.
    """
    root, out = (root or paths.PROJ_ROOT).resolve(), out.resolve()  # Sphinx runs in the staged source
    source = stage(root, Path(workdir or out.parent / ".site-source").resolve(), handout)
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
