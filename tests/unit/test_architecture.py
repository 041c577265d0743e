"""lib.course.architecture: the picture of docs/architecture.md is what the code draws, and names every module."""

from collections import Counter

from lib.course import architecture
from tests.sandbox import WORKTREE

LIB = WORKTREE / "lib"


def ml_system_modules() -> set[str]:
    """The top-level modules and subpackages of lib/, the course's machinery left out."""
    names = {path.stem for path in LIB.glob("*.py") if path.stem != "__init__"}
    names |= {path.name for path in LIB.iterdir() if (path / "__init__.py").is_file()}
    return names - {"course"}


def test_every_module_of_the_ml_system_is_in_exactly_one_box():
    """A module added to lib/ must be placed in the picture; a box may not name a module that does not exist."""
    named = Counter(module for box in architecture.BOXES.values() for module in box.modules)
    modules = ml_system_modules()
    assert set(named) == modules, (
        f"not drawn: {sorted(modules - set(named))}; not in lib: {sorted(set(named) - modules)}"
    )
    assert [module for module, count in named.items() if count > 1] == []


def test_every_arrow_joins_two_boxes():
    """What flows goes from one drawn part to another, never to a part the picture lacks."""
    ends = {end for arrow in architecture.ARROWS for end in arrow[:2]}
    assert ends <= set(architecture.BOXES)
    assert all(what for *_, what in architecture.ARROWS)


def test_the_saved_picture_is_what_the_code_draws():
    """docs/architecture.svg is the code's drawing, byte for byte (the drawing is deterministic)."""
    assert architecture.svg() == architecture.svg()
    saved = architecture.PICTURE.read_text(encoding="utf-8")
    assert saved == architecture.svg(), "docs/architecture.svg is stale: run python -m lib.course.architecture"


def test_the_page_shows_the_picture_and_links_every_module():
    """docs/architecture.md shows the picture and links each module the picture names."""
    page = (WORKTREE / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "](architecture.svg)" in page
    unlinked = [
        module
        for module in architecture.modules()
        if f"[`{module}`](../lib/{module}.py)" not in page and f"[`{module}`](../lib/{module}/__init__.py)" not in page
    ]
    assert unlinked == []
