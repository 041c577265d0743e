"""Checks of the built site: nothing loaded from elsewhere, and every local link to a page, file or anchor resolves."""

from __future__ import annotations

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


def problems(site: Path) -> list[str]:
    """Everything wrong with the built site at ``site``: one line per external load or broken local link."""
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
    return found
