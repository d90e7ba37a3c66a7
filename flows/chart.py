"""The comparison as a picture: both partners' scores per theme, phase by phase.

A horizontal dumbbell chart laid out for a phone: each theme's title on a line of its own
above its scores, so the text can be large for the width. The figure is 4.2 inches wide,
so on a phone screen (or in the report at full width) one point of type shows as about a
pixel of text; the same picture goes to the chat and into the report. Made with matplotlib's
object API on the Agg canvas (never pyplot, which keeps global state), so it can run in a
worker thread. matplotlib is imported on first use, off the start-up path.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flows.agenda_text import Plain, plain_messages
from flows.canvas import Canvas, Language
from flows.chart_text import legend_lines, printable, wrap_title
from flows.compare import Comparison, State, ThemeResult, Verdict
from flows.reading import Reading

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_IN, DPI = 4.2, 220  # 924 px wide: sharp on a phone, text about 1 px per point there
# Heights in inches; the y axis counts inches from the top of the themes down.
PHASE_IN, TITLE_IN, ROW_IN, GAP_IN, BOTTOM_IN = 0.5, 0.2, 0.36, 0.08, 0.15
TOP_IN = 1.6  # the legend, the key of the bands and the scale's words
LEFT, RIGHT = 0.06, 0.84  # fractions of the width: the scale; a mismatch's gap right of it
EDGE = 0.03  # titles and bands start this far from the left edge

SOCIAL_COLOUR, BUSINESS_COLOUR = "#0072B2", "#E69F00"  # Okabe-Ito blue and orange
MISMATCH_COLOUR, MISMATCH_BAND = "#C0392B", "#FBE3E0"
STRENGTH_COLOUR, STRENGTH_BAND = "#1E7D46", "#DDF1E4"
CONCERN_COLOUR, CONCERN_BAND = "#B35C00", "#FCE9D2"
# Each verdict that gets a band behind its theme: (band, the colour of its title and label).
MARKED = {
    Verdict.MISMATCH: (MISMATCH_BAND, MISMATCH_COLOUR),
    Verdict.SHARED_STRENGTH: (STRENGTH_BAND, STRENGTH_COLOUR),
    Verdict.SHARED_CONCERN: (CONCERN_BAND, CONCERN_COLOUR),
}
LINK_COLOUR, GRID_COLOUR, TEXT_COLOUR, MUTED = "#9AA0A6", "#C9CDD2", "#202124", "#5F6368"
TITLE_SIZE, PHASE_SIZE, TICK_SIZE, LEGEND_SIZE, MARKER_SIZE = 11.5, 13, 9.5, 10.5, 10
KEY_SIZE, STATE_SIZE = 10, 9.5
KEY_TOP_IN = 0.62  # where the key of the bands starts, below the names
SAME_SCORE_SHIFT = 0.11  # equal scores sit side by side instead of on top of each other
UNSCORED_X = (0.72, 5.28)  # an answer without a score: beside the scale, never on a score
LEGEND_LINE_IN = 0.2  # the height one more legend line takes
PNG_COMPRESSION = 1  # zlib level: the default (6) takes ~40 ms more; Telegram re-encodes anyway


@dataclass(frozen=True, slots=True)
class _Row:
    """One theme: where its block starts, its wrapped title and where its scores sit."""

    top: float
    title: str
    y: float  # the scores' line
    bottom: float
    result: ThemeResult


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each phase heading and theme goes on the y axis (inches from the top)."""

    phases: tuple[tuple[float, str], ...]  # (y, title)
    themes: tuple[_Row, ...]
    height_in: float
    top_in: float  # above the first phase: the legend and the scale
    bottom_y: float

    @property
    def box(self) -> tuple[float, float, float, float]:
        """Where the axes sit in the figure: left, bottom, width, height, as fractions."""
        top, bottom = self.top_in / self.height_in, BOTTOM_IN / self.height_in
        return (LEFT, bottom, RIGHT - LEFT, 1 - top - bottom)


def render_chart(reading: Reading) -> bytes:
    """A PNG of both partners' scores per theme, mismatches and shared views highlighted.

    A theme a partner skipped, found not yet relevant or has not answered shows that in words.
    """
    figure = chart_figure(reading)
    buffer = io.BytesIO()
    figure.savefig(
        buffer,
        format="png",
        dpi=DPI,
        metadata={"Software": None},
        pil_kwargs={"compress_level": PNG_COMPRESSION},
    )
    return buffer.getvalue()


def chart_figure(reading: Reading) -> Figure:
    """The chart as a matplotlib figure on an Agg canvas (``render_chart`` saves it)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    comparison, canvas, language = reading.comparison, reading.canvas, reading.language
    t = plain_messages(reading.messages, language)
    roles = (t("report_role_social"), t("report_role_business"))
    who = [
        legend_lines(t("report_role_name", role=role, name=name))
        for role, name in zip(roles, (reading.social_name, reading.business_name), strict=True)
    ]
    extra = sum(label.count("\n") for label in who) * LEGEND_LINE_IN
    layout = _layout(comparison, canvas, language, TOP_IN + extra)
    figure = Figure(figsize=(WIDTH_IN, layout.height_in), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    ax = figure.add_axes(layout.box)
    _axes(ax, canvas, language, layout)
    _labels(figure, ax, layout)
    _bands(figure, ax, layout, t)
    _scores(ax, layout, t)
    _legend(figure, layout, comparison, who, t)
    return figure


def _layout(comparison: Comparison, canvas: Canvas, language: Language, top_in: float) -> _Layout:
    phases: list[tuple[float, str]] = []
    themes: list[_Row] = []
    y = 0.0
    for phase in canvas.phases:
        phases.append((y + PHASE_IN / 2, printable(phase.title(language))))
        y += PHASE_IN
        for result in comparison.in_phase(phase.id):
            title = wrap_title(result.theme.title(language))
            below = y + TITLE_IN * (title.count("\n") + 1)
            themes.append(_Row(y, title, below + ROW_IN / 2, below + ROW_IN, result))
            y = below + ROW_IN + GAP_IN
    height = top_in + BOTTOM_IN + y
    return _Layout(tuple(phases), tuple(themes), height, top_in, y)


def _axes(ax: Axes, canvas: Canvas, language: Language, layout: _Layout) -> None:
    """The scale's words on top; under each theme a short tick at each point of the scale."""
    from matplotlib.collections import LineCollection

    scale = [textwrap.fill(printable(word(language)), 9) for word in canvas.scale]
    ax.set_xlim(0.6, 5.4)
    ax.set_ylim(layout.bottom_y, 0)  # top to bottom
    ax.set_xticks(range(1, 6), scale, fontsize=TICK_SIZE, color=MUTED)
    ax.tick_params(top=True, labeltop=True, bottom=False, labelbottom=False, length=0, pad=4)
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    reach = ROW_IN / 2 - 0.05
    ticks = [[(x, r.y - reach), (x, r.y + reach)] for r in layout.themes for x in range(1, 6)]
    tracks = [[(1, row.y), (5, row.y)] for row in layout.themes]
    ax.add_collection(LineCollection(tracks, colors=GRID_COLOUR, linewidths=0.8, zorder=1))
    ax.add_collection(LineCollection(ticks, colors=GRID_COLOUR, linewidths=1.2, zorder=1))


def _labels(figure: Figure, ax: Axes, layout: _Layout) -> None:
    """Phase headings across the width with a rule between phases; each theme's title above
    its scores, in the colour of its band."""
    from matplotlib.transforms import blended_transform_factory

    across = blended_transform_factory(figure.transFigure, ax.transData)
    for index, (y, title) in enumerate(layout.phases):
        if index:
            ax.axhline(y - PHASE_IN / 2, color=MUTED, linewidth=1, zorder=1, clip_on=False)
        ax.text(
            EDGE,
            y,
            title,
            transform=across,
            fontsize=PHASE_SIZE,
            fontweight="bold",
            color=TEXT_COLOUR,
            va="center",
            ha="left",
        )
    for row in layout.themes:
        marked = MARKED.get(row.result.verdict)
        ax.text(
            EDGE + 0.015,
            row.top + 0.02,
            row.title,
            transform=across,
            fontsize=TITLE_SIZE,
            fontweight="bold" if marked else "normal",
            color=marked[1] if marked else TEXT_COLOUR,
            va="top",
            ha="left",
            linespacing=1.1,
            zorder=3,
        )


def _bands(figure: Figure, ax: Axes, layout: _Layout, t: Plain) -> None:
    """A band behind each mismatch, shared strength and shared concern, its title included;
    a mismatch's gap right of the scale."""
    from matplotlib.patches import Rectangle
    from matplotlib.transforms import blended_transform_factory

    across = blended_transform_factory(figure.transFigure, ax.transData)
    for row in layout.themes:
        marked = MARKED.get(row.result.verdict)
        if marked is None:
            continue
        height = row.bottom - row.top + GAP_IN / 2
        band = Rectangle(
            (EDGE, row.top - GAP_IN / 4),
            1 - 2 * EDGE,
            height,
            transform=across,
            facecolor=marked[0],
            linewidth=0,
            zorder=0.5,
            clip_on=False,
        )
        ax.add_patch(band)
        if row.result.verdict is Verdict.MISMATCH:
            ax.text(
                5.5,
                row.y,
                t("chart_gap", gap=row.result.gap),
                fontsize=TITLE_SIZE,
                fontweight="bold",
                color=MISMATCH_COLOUR,
                va="center",
                ha="left",
                clip_on=False,
            )


def _scores(ax: Axes, layout: _Layout, t: Plain) -> None:
    """A link between both scores of each theme, then each partner's scores as markers; an
    answer without a score is a hollow marker at the edge with its state in words."""
    from matplotlib.collections import LineCollection

    links, colours, widths = [], [], []
    social: tuple[list[float], list[float]] = ([], [])
    business: tuple[list[float], list[float]] = ([], [])
    for row in layout.themes:
        y, result = row.y, row.result
        a, b = result.social_score, result.business_score
        if a is not None and b is not None:
            mismatch = result.verdict is Verdict.MISMATCH
            links.append([(a, y), (b, y)])
            colours.append(MISMATCH_COLOUR if mismatch else LINK_COLOUR)
            widths.append(3.5 if mismatch else 2.0)
        shift = SAME_SCORE_SHIFT if a is not None and a == b else 0.0
        for score, dx, points in ((a, -shift, social), (b, shift, business)):
            if score is not None:
                points[0].append(score + dx)
                points[1].append(y)
        _unscored(ax, y, result, t)
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
            markeredgewidth=1.2,
            zorder=3,
        )


def _unscored(ax: Axes, y: float, result: ThemeResult, t: Plain) -> None:
    """Each answer without a score as a hollow marker with its state ("skipped") in words:
    the social enterprise's on the left, the business's on the right, unless the other
    partner's score sits on that half (a neutral 3 leaves room on either side only to the
    right: the longest words, "nog niet aan de orde", reach the middle from the left)."""
    a, b = result.social_score, result.business_score
    sides = (
        (result.social_state, SOCIAL_COLOUR, "o", b is None or b >= 4),
        (result.business_state, BUSINESS_COLOUR, "s", a is not None and a >= 4),
    )
    for state, colour, marker, left in sides:
        if state is State.SCORED:
            continue
        x, dx, align = (UNSCORED_X[0], 0.16, "left") if left else (UNSCORED_X[1], -0.16, "right")
        ax.plot(
            [x],
            [y],
            marker=marker,
            markersize=MARKER_SIZE - 2,
            markerfacecolor="white",
            markeredgecolor=colour,
            markeredgewidth=1.8,
            linestyle="",
            zorder=3,
        )
        ax.text(
            x + dx,
            y,
            t(f"report_state_{state.value}"),
            fontsize=STATE_SIZE,
            fontstyle="italic",
            color=colour,
            va="center",
            ha=align,
            zorder=3,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.85},
        )


def _legend(
    figure: Figure,
    layout: _Layout,
    comparison: Comparison,
    who: list[str],
    t: Plain,
) -> None:
    """Who is who (role and name, from ``legend_lines``), then what the bands mean."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Line2D([], [], marker="o", color=SOCIAL_COLOUR, linestyle="", markersize=MARKER_SIZE),
        Line2D([], [], marker="s", color=BUSINESS_COLOUR, linestyle="", markersize=MARKER_SIZE),
    ]
    top = figure.legend(
        handles,
        who,
        loc="upper left",
        bbox_to_anchor=(0.01, 0.998),
        fontsize=LEGEND_SIZE,
        frameon=False,
        handletextpad=0.3,
        borderaxespad=0.1,
        labelspacing=0.3,
        labelcolor=TEXT_COLOUR,
    )
    figure.add_artist(top)
    key = [
        Patch(facecolor=MISMATCH_BAND, edgecolor=MISMATCH_COLOUR, linewidth=1.5),
        Patch(facecolor=STRENGTH_BAND, edgecolor=STRENGTH_COLOUR, linewidth=1.5),
        Patch(facecolor=CONCERN_BAND, edgecolor=CONCERN_COLOUR, linewidth=1.5),
    ]
    words = [
        t("chart_legend_mismatch", gap=comparison.thresholds.mismatch_gap),
        t("chart_legend_shared_strength"),
        t("chart_legend_shared_concern"),
    ]
    figure.legend(
        key,
        [printable(w) for w in words],
        loc="upper left",
        bbox_to_anchor=(0.01, 1 - (KEY_TOP_IN + layout.top_in - TOP_IN) / layout.height_in),
        ncols=2,
        fontsize=KEY_SIZE,
        frameon=False,
        handlelength=1.2,
        handletextpad=0.4,
        columnspacing=1.0,
        labelspacing=0.3,
        borderaxespad=0.1,
        labelcolor=TEXT_COLOUR,
    )
