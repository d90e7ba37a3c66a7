"""Text as the chart's font can draw it: names and titles wrapped to fit, unknown glyphs out."""

from __future__ import annotations

import textwrap
from functools import cache

TITLE_CHARS = 44  # a theme title wider than this takes a second line
LEGEND_CHARS, LEGEND_LINES = 46, 3  # a role and a name: at most three lines of this length


def legend_lines(text: str) -> str:
    """``text`` wrapped to at most LEGEND_LINES lines, shortened with "…" beyond them."""
    lines = textwrap.wrap(printable(text), LEGEND_CHARS, break_on_hyphens=False)
    if len(lines) > LEGEND_LINES:
        last = lines[LEGEND_LINES - 1][: LEGEND_CHARS - 1].rstrip() + "…"
        lines = [*lines[: LEGEND_LINES - 1], last]
    return "\n".join(lines)


def wrap_title(title: str) -> str:
    return textwrap.fill(printable(title), TITLE_CHARS, break_on_hyphens=True)


def printable(text: str) -> str:
    """``text`` without characters the font cannot draw (emoji in a name, say)."""
    known = charmap()
    return " ".join("".join(c for c in text if ord(c) in known or c.isspace()).split())


@cache
def charmap() -> frozenset[int]:
    from matplotlib.font_manager import FontProperties, findfont, get_font

    return frozenset(get_font(findfont(FontProperties())).get_charmap())
