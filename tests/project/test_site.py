"""``make site``: every lesson and guide as a page, rendered as JupyterLab shows it, in the course's order, nothing
loaded from elsewhere, no broken link; a site from the hand-out without the solutions; README's times."""

import datetime
import json
import re
import shutil
from pathlib import Path

import pytest

from lib.course import handout
from lib.course.site import __main__ as site_command
from lib.course.site import check, course, layout, stage
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
def test_nothing_is_loaded_from_elsewhere_every_link_resolves_and_every_lessons_text_shows(site):
    assert check.problems(site, WORKTREE) == []


@pytest.mark.slow
def test_tables_printed_by_a_lesson_are_tables(site):
    """1.0's requirements and 2.2's model comparisons are printed as Markdown: on the page they are HTML tables."""
    for lesson, header in (("1.0-inception", "checked by"), ("2.2-experiment-tracking", "CV macro-F1")):
        page = (site / "notebooks" / f"{lesson}.html").read_text(encoding="utf-8")
        assert re.search(rf"<th[^>]*><p>{re.escape(header)}", page), lesson
        assert not check.RAW_TABLE.search(" ".join(check.article(site / "notebooks" / f"{lesson}.html").prose))


@pytest.mark.slow
def test_the_sidebar_and_previous_next_follow_the_course(site):
    """Grouped captions in order; each lesson's Next is the next lesson; the last lesson's Next is a guide."""
    home = (site / "index.html").read_text(encoding="utf-8")
    captions = re.findall(r'<p aria-level="2" class="caption"[^>]*><span class="caption-text">([^<]+)</span>', home)
    assert captions == ["Start", "Lessons", "Guides, by milestone", "Deployment", "Your project", "Teaching"]
    names = [lesson.path.stem for lesson in course.lessons(WORKTREE / "notebooks")]
    for this, after in zip(names, names[1:], strict=False):
        page = (site / "notebooks" / f"{this}.html").read_text(encoding="utf-8")
        assert re.search(rf'class="right-next"\s+href="{re.escape(after)}.html"', page), this
    last = (site / "notebooks" / f"{names[-1]}.html").read_text(encoding="utf-8")
    assert re.search(r'class="right-next"\s+href="../docs/coordination.html"', last)
    assert home.count("search-button-field ") == 1  # one search box: the sidebar's


@pytest.mark.slow
def test_every_page_names_the_repository_the_licences_the_version_and_the_date(site):
    page = (site / "docs" / "deployment" / "docker.html").read_text(encoding="utf-8")
    footer = page.split('class="course-footer"', 1)[1].split("</p>", 1)[0]
    assert "Penguins MLOps course 0.1.0" in footer and datetime.date.today().isoformat()[:4] in footer
    assert "MIT licence" in footer and "CC BY 4.0" in footer and "CC0" in footer
    assert (site / "_static" / "LICENSE-CC-BY-4.0.txt").read_text(encoding="utf-8").startswith("Attribution 4.0")
    assert "Permission is hereby granted" in (site / "_static" / "LICENSE.txt").read_text(encoding="utf-8")


def test_a_table_left_as_text_and_swallowed_text_are_found(tmp_path):
    """The check reads the built page against the lesson: pipes of an unrendered table, and an <n> a browser ate."""
    (tmp_path / "notebooks").mkdir()
    cells = [
        {"cell_type": "markdown", "source": ["# A lesson\n", "\n", "Files are numbered <n>-<name> here.\n"]},
        {"cell_type": "markdown", "source": ["1. a list item with a [link](x.md) and `code`\n"]},
    ]
    (tmp_path / "notebooks" / "lesson.ipynb").write_text(json.dumps({"cells": cells}), encoding="utf-8")
    (tmp_path / "notebooks" / "lesson.html").write_text(
        "<nav>numbered n name</nav><article><h1>A lesson</h1><p>Files are numbered - here.</p>"
        "<ol><li>a list item with a <a>link</a> and <code>code</code></li></ol>"
        "<p>| a | b | |—|—| | 1 | 2 |</p><pre>|---|---|</pre></article>",
        encoding="utf-8",
    )
    (tmp_path / "docs").mkdir()
    guide = "---\norphan: true\n---\n# A guide\n\n```bash\nmake <target>\n```\n\nA table:\n\n| a |\n|-|\n| 1 |\n"
    (tmp_path / "docs" / "guide.md").write_text(guide, encoding="utf-8")
    (tmp_path / "docs" / "guide.html").write_text(
        "<article><h1>A guide</h1><pre>make &lt;target&gt;</pre><p>A table:</p><p>| a | |-| | 1 |</p></article>",
        encoding="utf-8",
    )
    found = check.rendering_problems(tmp_path, tmp_path)
    assert len(found) == 3, found
    assert found[0] == "docs/guide.html: a table printed as text ('|-|'): it was not rendered"
    assert "a table printed as text ('|—|')" in found[1]
    assert "cell 0's text is not on the page from 'n name here'" in found[2]


def test_a_page_in_no_group_of_the_sidebar_stops_the_build(tmp_path):
    """A new guide nobody placed in the navigation is named, with what to do."""
    for part in ("README.md", "notebooks", "docs", "exercises/README.md"):
        source, target = WORKTREE / part, tmp_path / part
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    assert [caption for caption, _ in layout.navigation(tmp_path)][0] == "Start"
    (tmp_path / "docs" / "new-guide.md").write_text("# A new guide\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"docs/new-guide.md is in no group: add it to one"):
        layout.navigation(tmp_path)


@pytest.mark.parametrize(
    ("origin", "env", "expected"),
    [
        ("git@github.com:teach/penguins.git", {}, "https://github.com/teach/penguins"),
        ("https://gitlab.example.org/teach/penguins.git", {}, "https://gitlab.example.org/teach/penguins"),
        ("/home/ana/penguins", {}, ""),
        ("git@github.com:x/y.git", {"GITHUB_REPOSITORY": "teach/course"}, "https://github.com/teach/course"),
    ],
)
def test_the_footer_names_the_repository_a_reader_can_open(tmp_path, monkeypatch, origin, env, expected):
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    (tmp_path / ".git").mkdir()
    monkeypatch.setattr(layout, "_git", lambda root, *arguments: origin if "origin" in arguments else "")
    assert layout.repository_url(tmp_path) == expected


@pytest.mark.slow
def test_a_site_from_the_hand_out_keeps_the_solutions_out(tmp_path, monkeypatch):
    """make site HANDOUT=1: the exercise modules on the site are the students' stubs."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(site_command.paths, "PROJ_ROOT", WORKTREE)
    assert site_command.main(["build", str(tmp_path / "site"), "--handout"]) == 0
    modules = sorted((tmp_path / "site" / "_downloads").glob("*/*.py"))  # Sphinx serves linked files there
    footer = (tmp_path / "site" / "index.html").read_text(encoding="utf-8").split('class="course-footer"', 1)[1]
    footer = footer.split("</p>", 1)[0]
    assert "from the students' hand-out" in footer and "commit" not in footer, footer
    exercises = [
        module for module in modules if module.name in ("inception.py", "data_versioning.py", "closing_the_loop.py")
    ]
    assert len(exercises) == 3, [module.name for module in modules]  # linked from exercises/README.md
    for module in exercises:
        text = module.read_text(encoding="utf-8")
        assert handout.STUB_NOTE in text and "NotImplementedError" in text, module.name


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
    layout.write_sphinx_files(WORKTREE, source)
    (source / "index.md").write_text("# Home\n\nSee [the missing guide](docs/missing.md).\n", encoding="utf-8")
    done = stage.sphinx(source, tmp_path / "out")
    assert done.returncode != 0 and "docs/missing.md" in done.stderr


def test_readme_shows_each_lessons_time_from_its_last_run():
    """README's course table is what ``python -m lib.course.site readme`` writes from the saved lessons."""
    readme = (WORKTREE / "README.md").read_text(encoding="utf-8")
    assert course.with_times(readme, course.lessons(WORKTREE / "notebooks")) == readme, (
        "README's lesson times differ from the lessons' last runs: run .venv/bin/python -m lib.course.site readme"
    )


def test_the_instructors_guide_lists_the_locked_versions_of_the_taught_tools():
    """Its table is what ``python -m lib.course.site readme`` writes from requirements.lock."""
    page = (WORKTREE / "docs" / "instructors.md").read_text(encoding="utf-8")
    lock = (WORKTREE / "requirements.lock").read_text(encoding="utf-8")
    assert course.with_versions(page, lock) == page, (
        "the instructors' guide's tool versions differ from requirements.lock: run .venv/bin/python -m lib.course.site"
        " readme"
    )
    dvc = re.search(r"^dvc==(\S+)$", lock, re.MULTILINE)
    assert dvc and f"| dvc | {dvc.group(1)} | 2.1: data and pipeline versioning; 5.2: a new data version |" in page
    two = "shap==0.51.0 ; python_full_version < '3.12'\nshap==0.54.1 ; python_full_version >= '3.12'\n"
    without_shap = re.sub(r"^shap==.*$", "", lock, flags=re.MULTILINE)
    assert "| shap | 0.51.0 (Python < 3.12), 0.54.1 (Python >= 3.12) |" in course.tool_versions(without_shap + two)
    with pytest.raises(ValueError, match="dvc is taught but requirements.lock does not pin it"):
        course.tool_versions(re.sub(r"^dvc==.*$", "", lock, flags=re.MULTILINE))
