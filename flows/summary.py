"""The comparison as Telegram messages (HTML parse mode), in the reader's language.

``sections`` prepares each theme's data once (titles, scale words, verdict, notes, movement);
the summary here, the report and the CSV export all render from it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from flows.canvas import Canvas, Language, Phase
from flows.compare import Comparison, Movement, ThemeResult, Verdict
from flows.messages import Markup, Messages
from flows.model import Answer

MARKERS = {
    Verdict.MISMATCH: "🔴",
    Verdict.SHARED_STRENGTH: "🟢",
    Verdict.SHARED_CONCERN: "🟠",
    Verdict.ALIGNED: "⚪",
    Verdict.INCOMPLETE: "⏳",
}
FULL, EMPTY, NO_SCORE = "●", "○", "—"
_UNKNOWN = Movement(None, None)


@dataclass(frozen=True, slots=True)
class Cell:
    """One partner's answer to a theme, ready to show. All text is plain (not escaped)."""

    score: int | None
    label: str  # the scale's word, or "skipped" / "not answered yet"
    note: str | None
    change: int | None  # since the previous round


@dataclass(frozen=True, slots=True)
class Row:
    """One theme with both answers, in the reader's language. All text is plain."""

    result: ThemeResult
    part: str
    title: str
    statement: str
    question: str
    verdict: str  # the verdict's name
    verdict_text: str  # the name, with the gap for a mismatch
    social: Cell
    business: Cell


@dataclass(frozen=True, slots=True)
class Section:
    """One phase: its title, how aligned the partners are in it, and its themes."""

    phase: Phase
    title: str
    alignment: float | None
    rows: tuple[Row, ...]


def sections(
    comparison: Comparison, canvas: Canvas, messages: Messages, language: Language
) -> tuple[Section, ...]:
    """Every phase of the canvas with its themes' data, in canvas order."""
    return tuple(
        Section(
            phase=phase,
            title=phase.title(language),
            alignment=comparison.phases[phase.id].alignment,
            rows=tuple(
                _row(result, comparison, canvas, messages, language)
                for result in comparison.in_phase(phase.id)
            ),
        )
        for phase in canvas.phases
    )


def agenda_rows(comparison: Comparison, prepared: Sequence[Section]) -> tuple[Row, ...]:
    """The rows of the themes on the agenda, in agenda order."""
    by_theme = {row.result.theme.id: row for section in prepared for row in section.rows}
    return tuple(by_theme[item.theme.id] for item in comparison.agenda)


def movement_mark(change: int | None) -> str:
    """A score's change since the previous round: "↑1", "↓2", "=" or "" (unknown)."""
    if change is None:
        return ""
    if change == 0:
        return "="
    return f"↑{change}" if change > 0 else f"↓{-change}"


def plain(markup: Markup) -> str:
    """A message meant as plain text (a label, a column name), without HTML escapes."""
    return html.unescape(markup)


def percent(share: float) -> int:
    return round(share * 100)


def dots(score: int | None, steps: int = 5) -> str:
    """A score as filled and empty dots, e.g. 4 -> ●●●●○."""
    return NO_SCORE if score is None else FULL * score + EMPTY * (steps - score)


def _row(
    result: ThemeResult,
    comparison: Comparison,
    canvas: Canvas,
    messages: Messages,
    language: Language,
) -> Row:
    theme = result.theme
    verdict = plain(messages(f"summary_verdict_{result.verdict.value}", language))
    verdict_text = verdict
    if result.verdict is Verdict.MISMATCH:
        verdict_text = plain(messages("summary_gap", language, verdict=verdict, gap=result.gap))
    moved = (comparison.movement or {}).get(theme.id, _UNKNOWN)

    def label(answer: Answer | None) -> str:
        if answer is not None and answer.score is not None:
            return canvas.scale[answer.score - 1](language)
        return plain(
            messages("summary_unanswered" if answer is None else "summary_skipped", language)
        )

    social = Cell(result.social_score, label(result.social), result.social_note, moved.social)
    business = Cell(
        result.business_score, label(result.business), result.business_note, moved.business
    )
    return Row(
        result=result,
        part=canvas.parts[theme.part](language),
        title=theme.title(language),
        statement=theme.statement(language),
        question=theme.question(language),
        verdict=verdict,
        verdict_text=verdict_text,
        social=social,
        business=business,
    )


# --- the headline ---------------------------------------------------------------------------


def headline(comparison: Comparison, messages: Messages, language: Language) -> Markup:
    """The counts in one line, e.g. "🔴 3 verschillen in verwachting · 🟢 5 gedeelde sterktes"."""
    counts = comparison.counts
    parts = []
    for verdict in Verdict:
        count = counts[verdict]
        if count == 0 and verdict is not Verdict.MISMATCH:
            continue
        form = "zero" if count == 0 else "one" if count == 1 else "other"
        text = messages(f"summary_count_{verdict.value}_{form}", language, count=count)
        parts.append(f"{MARKERS[verdict]} {text}")
    return Markup(" · ".join(parts))


# --- the summary ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    messages: Messages
    language: Language
    social: str
    business: str

    def __call__(self, key: str, /, **values: object) -> Markup:
        return self.messages(key, self.language, **values)


def render_summary(
    comparison: Comparison,
    canvas: Canvas,
    messages: Messages,
    language: Language,
    *,
    social_name: str,
    business_name: str,
    incomplete: bool = False,
) -> list[str]:
    """The whole comparison as blocks of HTML; the transport packs them into messages."""
    ctx = _Context(messages, language, social_name, business_name)
    prepared = sections(comparison, canvas, messages, language)
    blocks = [_intro(comparison, canvas, ctx, incomplete)]
    for section in prepared:
        blocks.extend(_section_blocks(section, ctx))
    blocks.extend(_agenda_blocks(agenda_rows(comparison, prepared), ctx))
    return blocks


def _intro(comparison: Comparison, canvas: Canvas, ctx: _Context, incomplete: bool) -> str:
    lines = [ctx("summary_incomplete") + "\n"] if incomplete else []
    lines.append(ctx("summary_title", social=ctx.social, business=ctx.business))
    lines.append(headline(comparison, ctx.messages, ctx.language))
    lowest, highest = canvas.scale[0], canvas.scale[-1]
    lines.append(
        ctx(
            "summary_how_to_read",
            lowest=dots(1),
            low=lowest(ctx.language),
            highest=dots(5),
            high=highest(ctx.language),
        )
    )
    if comparison.movement is not None:
        lines.append(ctx("summary_movement_legend"))
    return "\n".join(lines)


def _section_blocks(section: Section, ctx: _Context) -> list[str]:
    """The phase's heading kept together with its first theme, then the other themes."""
    heading = ctx("summary_phase", title=section.title)
    if section.alignment is not None:
        alignment = ctx("summary_phase_alignment", percent=percent(section.alignment))
        heading = Markup(f"{heading}\n{alignment}")
    return _headed(heading, [_theme_block(row, ctx) for row in section.rows])


def _headed(heading: str, blocks: list[str]) -> list[str]:
    """``blocks`` with ``heading`` joined to the first, so that a heading never ends a message."""
    return [f"{heading}\n\n{blocks[0]}", *blocks[1:]] if blocks else [heading]


def _theme_block(row: Row, ctx: _Context) -> str:
    marker = MARKERS[row.result.verdict]
    lines = [ctx("summary_theme", marker=marker, title=row.title, verdict=row.verdict_text)]
    partners = ((ctx.social, row.social), (ctx.business, row.business))
    for name, cell in partners:
        lines.append(
            ctx(
                "summary_score",
                name=name,
                dots=dots(cell.score),
                label=cell.label,
                movement=f" {movement_mark(cell.change)}" if cell.change is not None else "",
            )
        )
    lines.extend(ctx("summary_note", name=name, note=c.note) for name, c in partners if c.note)
    return "\n".join(lines)


def _score(score: int | None) -> str:
    return NO_SCORE if score is None else str(score)


def _agenda_blocks(rows: Sequence[Row], ctx: _Context) -> list[str]:
    title = ctx("summary_agenda_title")
    if not rows:
        return _headed(title, [ctx("summary_agenda_empty")])
    items: list[str] = [
        ctx(
            "summary_agenda_item",
            number=number,
            marker=MARKERS[row.result.verdict],
            title=row.title,
            social=ctx.social,
            social_score=_score(row.social.score),
            business=ctx.business,
            business_score=_score(row.business.score),
            question=row.question,
        )
        for number, row in enumerate(rows, start=1)
    ]
    return _headed(title, items)
