"""The comparison's shared pieces, in the reader's language: per-theme rows, the headline.

``sections`` prepares each theme's data once (titles, scale words, verdict, notes, movement);
the chat summary (``flows.chat_summary``), the report and the CSV export all render from it.
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
    Verdict.NOT_YET: "⏸",
    Verdict.SKIPPED: "⏭",
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
        key = (
            "summary_unanswered"
            if answer is None
            else "summary_not_yet"
            if answer.not_yet
            else "summary_skipped"
        )
        return plain(messages(key, language))

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
