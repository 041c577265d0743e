"""A block of a page that code writes, between two HTML-comment markers: the figures and tables that README,
the instructors' guide and the exercises' README carry from a measurement or a list, never typed by hand."""

from __future__ import annotations


def replace_between(text: str, start: str, end: str, block: str, missing: str) -> str:
    """``text`` with what lies between the first ``start`` and the ``end`` after it replaced by ``block``.

    Raises ``ValueError(missing)`` when a marker is absent (the caller says what to put where).
    """
    begin = text.find(start)
    finish = text.find(end, begin + len(start)) if begin >= 0 else -1
    if finish < 0:
        raise ValueError(missing)
    return f"{text[: begin + len(start)]}\n{block}\n{text[finish:]}"
