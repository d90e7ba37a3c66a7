"""The comparison as a picture: both partners' scores per theme, phase by phase.

A horizontal dumbbell chart, portrait and about 1080 px wide so that it reads on a phone.
Made with matplotlib's object API on the Agg canvas (never pyplot, which keeps global state),
so it can run in a worker thread. matplotlib is imported on first use, off the start-up path.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from flows.canvas import Canvas, Language
from flows.compare import Comparison, ThemeResult, Verdict

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_IN, DPI = 7.2, 150  # 1080 px wide
ROW_IN, PHASE_IN, TOP_IN, BOTTOM_IN = 0.62, 0.55, 1.45, 0.25
LEFT, RIGHT = 0.39, 0.9  # fractions of the width: theme titles left, gaps right

SOCIAL_COLOUR, BUSINESS_COLOUR = "#0072B2", "#E69F00"  # Okabe-Ito blue and orange
MISMATCH_COLOUR, MISMATCH_BAND = "#C0392B", "#FBE3E0"
LINK_COLOUR, GRID_COLOUR, TEXT_COLOUR, MUTED = "#9AA0A6", "#E3E5E8", "#202124", "#5F6368"
TITLE_SIZE, PHASE_SIZE, TICK_SIZE, LEGEND_SIZE, MARKER_SIZE = 14, 16, 11, 14, 13
SAME_SCORE_SHIFT = 0.11  # equal scores sit side by side instead of on top of each other
NAME_CHARS = 40
PNG_COMPRESSION = 1  # zlib level: the default (6) takes ~40 ms more; Telegram re-encodes anyway


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each phase heading and theme goes on the y axis (one unit per theme row)."""

    phases: tuple[tuple[float, str], ...]  # (y, title)
    themes: tuple[tuple[float, ThemeResult], ...]
    height_in: float
    bottom_y: float

    @property
    def box(self) -> tuple[float, float, float, float]:
        """Where the axes sit in the figure: left, bottom, width, height, as fractions."""
        top, bottom = TOP_IN / self.height_in, BOTTOM_IN / self.height_in
        return (LEFT, bottom, RIGHT - LEFT, 1 - top - bottom)


def render_chart(
    comparison: Comparison,
    canvas: Canvas,
    language: Language,
    *,
    social_name: str,
    business_name: str,
) -> bytes:
    """A PNG of both partners' scores per theme, mismatches highlighted."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    layout = _layout(comparison, canvas, language)
    figure = Figure(figsize=(WIDTH_IN, layout.height_in), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    ax = figure.add_axes(layout.box)
    _axes(ax, canvas, language, layout)
    _labels(figure, ax, layout, language)
    _mismatches(ax, layout)
    _scores(ax, layout)
    _legend(figure, comparison, social_name, business_name)
    buffer = io.BytesIO()
    figure.savefig(
        buffer,
        format="png",
        dpi=DPI,
        metadata={"Software": None},
        pil_kwargs={"compress_level": PNG_COMPRESSION},
    )
    return buffer.getvalue()


def _layout(comparison: Comparison, canvas: Canvas, language: Language) -> _Layout:
    phases, themes, y = [], [], 0.0
    for phase in canvas.phases:
        phases.append((y, _printable(phase.title(language))))
        y += PHASE_IN / ROW_IN
        for result in comparison.in_phase(phase.id):
            themes.append((y, result))
            y += 1
    height = TOP_IN + BOTTOM_IN + y * ROW_IN
    return _Layout(tuple(phases), tuple(themes), height, y - 0.5)


def _axes(ax: Axes, canvas: Canvas, language: Language, layout: _Layout) -> None:
    scale = [textwrap.fill(_printable(word(language)), 10) for word in canvas.scale]
    ax.set_xlim(0.6, 5.4)
    ax.set_ylim(layout.bottom_y, -PHASE_IN / ROW_IN + 0.25)  # top to bottom
    ax.set_xticks(range(1, 6), scale, fontsize=TICK_SIZE, color=MUTED)
    ax.tick_params(top=True, labeltop=True, bottom=False, labelbottom=False, length=0, pad=6)
    ax.set_yticks([])
    ax.grid(axis="x", color=GRID_COLOUR, linewidth=1.2, zorder=0)
    for side in ax.spines.values():
        side.set_visible(False)


def _labels(figure: Figure, ax: Axes, layout: _Layout, language: Language) -> None:
    """Phase headings across the width with a rule between phases; theme titles on the left."""
    from matplotlib.transforms import blended_transform_factory

    across = blended_transform_factory(figure.transFigure, ax.transData)
    left = blended_transform_factory(ax.transAxes, ax.transData)
    for index, (y, title) in enumerate(layout.phases):
        if index:
            ax.axhline(y - 0.25, color=MUTED, linewidth=1, zorder=1, clip_on=False)
        ax.text(
            0.03,
            y + 0.2,
            title,
            transform=across,
            fontsize=PHASE_SIZE,
            fontweight="bold",
            color=TEXT_COLOUR,
            va="center",
            ha="left",
        )
    for y, result in layout.themes:
        mismatch = result.verdict is Verdict.MISMATCH
        ax.text(
            -0.03,
            y,
            _wrap(result.theme.title(language)),
            transform=left,
            fontsize=TITLE_SIZE,
            fontweight="bold" if mismatch else "normal",
            color=MISMATCH_COLOUR if mismatch else TEXT_COLOUR,
            va="center",
            ha="right",
            multialignment="right",
        )


def _mismatches(ax: Axes, layout: _Layout) -> None:
    """A band behind each mismatched theme and its gap on the right."""
    for y, result in layout.themes:
        if result.verdict is Verdict.MISMATCH:
            ax.axhspan(y - 0.45, y + 0.45, color=MISMATCH_BAND, zorder=0.5, linewidth=0)
            ax.text(
                5.5,
                y,
                f"Δ{result.gap}",
                fontsize=TITLE_SIZE,
                fontweight="bold",
                color=MISMATCH_COLOUR,
                va="center",
                ha="left",
                clip_on=False,
            )


def _scores(ax: Axes, layout: _Layout) -> None:
    """A link between both scores of each theme, then each partner's scores as markers."""
    from matplotlib.collections import LineCollection

    links, colours, widths = [], [], []
    social: tuple[list[float], list[float]] = ([], [])
    business: tuple[list[float], list[float]] = ([], [])
    for y, result in layout.themes:
        a, b = result.social_score, result.business_score
        if a is not None and b is not None:
            mismatch = result.verdict is Verdict.MISMATCH
            links.append([(a, y), (b, y)])
            colours.append(MISMATCH_COLOUR if mismatch else LINK_COLOUR)
            widths.append(4.0 if mismatch else 2.5)
        shift = SAME_SCORE_SHIFT if a is not None and a == b else 0.0
        for score, dx, points in ((a, -shift, social), (b, shift, business)):
            if score is not None:  # a skipped answer is simply absent
                points[0].append(score + dx)
                points[1].append(y)
    ax.add_collection(
        LineCollection(links, colors=colours, linewidths=widths, capstyle="round", zorder=2)
    )
    for (xs, ys), colour, marker in (
        (social, SOCIAL_COLOUR, "o"),
        (business, BUSINESS_COLOUR, "s"),
    ):
        ax.plot(
            xs,
            ys,
            linestyle="",
            marker=marker,
            markersize=MARKER_SIZE,
            color=colour,
            markeredgecolor="white",
            markeredgewidth=1.5,
            zorder=3,
        )


def _legend(figure: Figure, comparison: Comparison, social: str, business: str) -> None:
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], marker="o", color=SOCIAL_COLOUR, linestyle="", markersize=MARKER_SIZE),
        Line2D([], [], marker="s", color=BUSINESS_COLOUR, linestyle="", markersize=MARKER_SIZE),
        Line2D([], [], color=MISMATCH_COLOUR, linewidth=4),
    ]
    labels = [_name(social), _name(business), f"Δ ≥ {comparison.thresholds.mismatch_gap}"]
    figure.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(0.02, 0.995),
        fontsize=LEGEND_SIZE,
        frameon=False,
        handletextpad=0.4,
        borderaxespad=0.2,
        labelcolor=TEXT_COLOUR,
    )


def _name(name: str) -> str:
    name = _printable(name)
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1].rstrip() + "…"


def _wrap(title: str) -> str:
    return textwrap.fill(_printable(title), 20, break_long_words=False, break_on_hyphens=True)


def _printable(text: str) -> str:
    """``text`` without characters the font cannot draw (emoji in a name, say)."""
    known = _charmap()
    return " ".join("".join(c for c in text if ord(c) in known or c.isspace()).split())


@cache
def _charmap() -> frozenset[int]:
    from matplotlib.font_manager import FontProperties, findfont, get_font

    return frozenset(get_font(findfont(FontProperties())).get_charmap())
