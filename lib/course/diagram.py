"""Boxes of text joined by labelled arrows: the course's diagrams (``docs/architecture.svg``, lesson 4.1's design)."""

from __future__ import annotations

from collections.abc import Mapping

from matplotlib.axes import Axes


def diagram(
    ax: Axes,
    boxes: Mapping[str, tuple[float, float, str, str]],
    arrows: list[tuple[str, str, str]],
    fontsize: float,
    bends: Mapping[tuple[str, str], float] | None = None,
) -> None:
    """Draw ``boxes`` (key: centre x, centre y, text, colour) and the labelled ``arrows`` (from, to, label) on ``ax``.

    Each arrow runs from one box's edge to the other's, its label at its middle; an arrow
    named in ``bends`` curves (matplotlib's ``arc3`` with that ``rad``) around what lies between.
    """
    texts = {
        key: ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=fontsize,
            linespacing=1.35,
            bbox={"boxstyle": "round,pad=0.6", "facecolor": colour, "edgecolor": "#555555"},
        )
        for key, (x, y, text, colour) in boxes.items()
    }
    ax.figure.canvas.draw()  # lay the boxes out, so arrows can stop at their edges
    (left, bottom), (right, top) = ax.transData.transform([(0, 0), (1, 1)])
    aspect = (top - bottom) / (right - left)  # screen length of one unit of y over one unit of x
    for start, end, what in arrows:
        (x0, y0), (x1, y1) = boxes[start][:2], boxes[end][:2]
        rad = (bends or {}).get((start, end), 0.0)
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#555555",
                "shrinkA": 3,
                "shrinkB": 3,
                "patchA": texts[start].get_bbox_patch(),
                "patchB": texts[end].get_bbox_patch(),
                "connectionstyle": f"arc3,rad={rad}",
            },
        )
        # A label to the right of an upright arrow (or of a bent one that mostly climbs), else above it.
        vertical = abs(x1 - x0) < 0.01 or (rad != 0 and abs(x1 - x0) < abs(y1 - y0))
        # The middle of a bent arrow: arc3 bends by rad times the arrow's length on screen, and the
        # curve's middle lies half that away from the straight line, on arc3's side.
        middle = ((x0 + x1) / 2 + rad * (y1 - y0) * aspect / 2, (y0 + y1) / 2 - rad * (x1 - x0) / aspect / 2)
        ax.text(
            middle[0] + (0.01 if vertical else 0.0),
            middle[1] + (0.0 if vertical else 0.02),
            what,
            fontsize=8,
            color="#333333",
            ha="left" if vertical else "center",
            va="center",
        )
