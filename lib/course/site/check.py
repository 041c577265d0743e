"""Checks of the built site: nothing loaded from elsewhere, every local link resolves, every lesson's text shows."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# (tag, attribute) pairs that load something into the page: these must be local.
LOADS = {("script", "src"), ("link", "href"), ("img", "src"), ("source", "src"), ("iframe", "src")}


class Page(HTMLParser):
    """One HTML page's element ids, the URLs it loads, and the URLs it links to."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.loads: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a" and "name" in values:
            self.ids.add(values["name"])
        for name, value in values.items():
            if (tag, name) in LOADS:
                self.loads.append(value)
        if tag == "a" and "href" in values:
            self.links.append(values["href"])


def _parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def external(url: str) -> bool:
    """Whether a URL leaves the site (a scheme, or a protocol-relative ``//host``); ``data:`` stays."""
    parts = urlsplit(url)
    return bool(parts.netloc) or parts.scheme not in ("", "data")


def problems(site: Path, root: Path | None = None) -> list[str]:
    """Everything wrong with the built site at ``site``: one line per external load or broken local link.

    Given the repository ``root`` the site was built from, also every table left as text and every piece of a
    lesson's Markdown its page does not show (:func:`rendering_problems`).
    """
    # The themes copy Jinja macro files (``webpack-macros.html``) into _static/ as they are: assets, not pages.
    pages = {
        path: _parse(path) for path in sorted(site.rglob("*.html")) if "_static" not in path.relative_to(site).parts
    }
    found = []
    for path, page in pages.items():
        where = path.relative_to(site).as_posix()
        for url in page.loads:
            if external(url):
                found.append(f"{where}: loads {url} from elsewhere")
            elif not url.startswith("data:") and not (path.parent / unquote(urlsplit(url).path)).exists():
                found.append(f"{where}: loads {url}, which is not in the site")
        for url in page.links:
            parts = urlsplit(url)
            if external(url) or (not parts.path and not parts.fragment):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path.resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                found.append(f"{where}: links to {url}, which is not in the site")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    found.append(f"{where}: links to {url}, whose anchor is not on that page")
    return found + (rendering_problems(site, root) if root is not None else [])


# A Markdown table's delimiter row printed as text (``|---|``, or ``|—|`` after Sphinx's smart quotes): a table
# that was not rendered. Text in <pre> and <code> is left alone: a guide may show a table's source.
RAW_TABLE = re.compile(r"\|\s*:?(?:-+|[—–]+)\s*:?\|")
# Inline HTML a lesson may use on purpose; any other <word> in its Markdown is text a browser would swallow.
HTML_TAGS = (
    "a|abbr|b|br|code|details|div|em|i|img|kbd|li|ol|p|pre|span|strong|sub|summary|sup|table|tbody|td|th|thead|tr|u|ul"
)
WORD = re.compile(r"[A-Za-z0-9]+")


class Article(HTMLParser):
    """A page's article (the lesson or guide, without the sidebar), as words and as text outside code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # > 0 inside <article>
        self.skipping = 0  # > 0 inside <script>, <style>
        self.coding = 0  # > 0 inside <pre>, <code>
        self.words: list[str] = []
        self.prose: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += tag == "article"
        self.skipping += tag in ("script", "style")
        self.coding += tag in ("pre", "code")

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag == "article" and self.depth > 0
        self.skipping -= tag in ("script", "style") and self.skipping > 0
        self.coding -= tag in ("pre", "code") and self.coding > 0

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skipping:
            self.words += WORD.findall(data)
            if not self.coding:
                self.prose.append(data)


def article(path: Path) -> Article:
    """The article of the built page at ``path``."""
    parsed = Article()
    parsed.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parsed


def source_words(markdown: str) -> list[str]:
    """The words a reader should see of a piece of Markdown: no comments, images, link targets or list markers."""
    text = re.sub(r"\A---\n.*?\n---\n", " ", markdown, flags=re.DOTALL)  # front matter: metadata, not shown
    text = re.sub(r"^(\s*)(```+|~~~+)[\w+-]*", r"\1", text, flags=re.MULTILINE)  # a fence's language name
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.DOTALL)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(rf"</?(?:{HTML_TAGS})\b[^>]*>", " ", text, flags=re.IGNORECASE)
    text = re.sub(r"^\s*(?:\d+\.|[-*+])\s", " ", text, flags=re.MULTILINE)
    return WORD.findall(html.unescape(text))


def vanished(markdown: str, page_words: str) -> str | None:
    """Where ``markdown``'s words stop appearing, in order, in the page's words (joined by spaces); None if all do.

    Returns the words from the first one the page lacks (a few of them, for the message).
    """
    words = source_words(markdown)
    if not words or " ".join(words) in page_words:
        return None
    low, high = 0, len(words)  # the longest prefix the page shows: found for low, not for high
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if " ".join(words[:middle]) in page_words else (low, middle)
    return " ".join(words[low : low + 8])


def notebook_markdown(path: Path) -> list[tuple[str, str]]:
    """A notebook's Markdown as a reader should see it: (where, text) for each Markdown cell and Markdown output."""
    found = []
    for index, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
        if cell["cell_type"] == "markdown":
            found.append((f"cell {index}", "".join(cell["source"])))
        for output in cell.get("outputs", []):
            if "text/markdown" in output.get("data", {}):
                found.append((f"cell {index}'s output", "".join(output["data"]["text/markdown"])))
    return found


def rendering_problems(site: Path, root: Path) -> list[str]:
    """Tables left as pipes in any page, and text of a lesson's or a guide's Markdown that its page does not show."""
    found = []
    for path in sorted(site.rglob("*.html")):
        if "_static" in path.relative_to(site).parts:
            continue
        where = path.relative_to(site).as_posix()
        page = article(path)
        raw = RAW_TABLE.search(" ".join(page.prose))
        if raw:
            found.append(f"{where}: a table printed as text ({raw.group(0)!r}): it was not rendered")
        notebook, guide = (root / path.relative_to(site).with_suffix(suffix) for suffix in (".ipynb", ".md"))
        if notebook.is_file():
            parts = notebook_markdown(notebook)
        elif guide.is_file():
            parts = [("its Markdown", guide.read_text(encoding="utf-8"))]
        else:
            continue  # the home page and the listings are written by the build itself
        shown = " ".join(page.words)
        for part, markdown in parts:
            lost = vanished(markdown, shown)
            if lost:
                found.append(f"{where}: {part}'s text is not on the page from {lost!r} on (escape any <...>)")
    return found
