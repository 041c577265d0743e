"""``make site``: every lesson and guide as a page, nothing loaded from elsewhere, no broken link; README's times."""

import re
from pathlib import Path

import pytest

from lib.course.site import check, course, stage
from tests.sandbox import WORKTREE


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built from the working tree, as ``make site`` builds it: to a path relative to where it runs."""
    folder = tmp_path_factory.mktemp("site")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        built = stage.build(Path("site"), root=WORKTREE)
    assert built == folder / "site"
    assert sorted(path.name for path in folder.iterdir()) == ["site"]  # no staged source, no jupyter_execute/
    return built


@pytest.mark.slow  # each test using the site waits for a full Sphinx build of every lesson and guide
def test_every_lesson_and_guide_is_a_page(site):
    for notebook in sorted((WORKTREE / "notebooks").glob("*.ipynb")):
        assert (site / "notebooks" / f"{notebook.stem}.html").is_file(), notebook.name
    for guide in sorted((WORKTREE / "docs").rglob("*.md")):
        relative = guide.relative_to(WORKTREE).with_suffix(".html")
        assert (site / relative).is_file(), relative
    for page in ("index.html", "README.html", "exercises/README.html", "search.html", "searchindex.js"):
        assert (site / page).is_file(), page


@pytest.mark.slow
def test_lessons_show_their_saved_plots_from_the_site_itself(site):
    page = (site / "notebooks" / "5.2-closing-the-loop.html").read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]+src="([^"]+)"', page)
    assert len(images) >= 4 and all(src.startswith("../_images/") for src in images), images
    assert all((site / "notebooks" / src).resolve().is_file() for src in images)
    assert "this lesson ran in" in page  # outputs rendered, not executed again


@pytest.mark.slow
def test_nothing_is_loaded_from_elsewhere_and_every_local_link_resolves(site):
    assert check.problems(site) == []


@pytest.mark.slow
def test_the_home_page_maps_every_lesson_with_its_objectives_and_time(site):
    home = (site / "index.html").read_text(encoding="utf-8")
    for lesson in course.lessons(WORKTREE / "notebooks"):
        assert f"notebooks/{lesson.path.stem}.html" in home, lesson.path.name
        assert lesson.objectives and lesson.seconds is not None, lesson.path.name
        assert course.run_time(lesson.seconds) in home
    assert "docs/instructors.html" in home


def test_the_checker_finds_external_assets_and_broken_links(tmp_path):
    """A page loading a CDN script and image, and linking to a missing page and a missing anchor, is refused."""
    (tmp_path / "ok.html").write_text('<h1 id="here">ok</h1>', encoding="utf-8")
    (tmp_path / "index.html").write_text(
        '<script src="https://cdn.example.org/x.js"></script><link rel="stylesheet" href="//fonts.example.org/a.css">'
        '<img src="http://example.org/p.png"><img src="_images/local.png">'
        '<a href="missing.html">x</a><a href="ok.html#here">ok</a><a href="ok.html#gone">x</a>'
        '<a href="https://example.org/">fine: a link out</a><a href="#top">x</a>',
        encoding="utf-8",
    )
    found = check.problems(tmp_path)
    assert sum("from elsewhere" in line for line in found) == 3
    assert any("missing.html" in line for line in found) and any("#gone" in line for line in found)
    assert any("#top" in line for line in found) and any("_images/local.png" in line for line in found)
    assert not any("ok.html#here" in line or "https://example.org/" in line for line in found)
    assert len(found) == 7, found


def test_a_page_with_a_broken_link_fails_the_build(tmp_path):
    """Sphinx runs with -W: a link to a page that is not there stops the build, naming it."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "conf.py").write_text(stage.CONF, encoding="utf-8")
    (source / "index.md").write_text("# Home\n\nSee [the missing guide](docs/missing.md).\n", encoding="utf-8")
    done = stage.sphinx(source, tmp_path / "out")
    assert done.returncode != 0 and "docs/missing.md" in done.stderr


def test_readme_shows_each_lessons_time_from_its_last_run():
    """README's course table is what ``python -m lib.course.site readme`` writes from the saved lessons."""
    readme = (WORKTREE / "README.md").read_text(encoding="utf-8")
    assert course.with_times(readme, course.lessons(WORKTREE / "notebooks")) == readme, (
        "README's lesson times differ from the lessons' last runs: run .venv/bin/python -m lib.course.site readme"
    )
