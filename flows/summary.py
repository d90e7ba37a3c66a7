"""The comparison as Telegram messages (HTML parse mode), in the reader's language.

``sections`` prepares each theme's data once (titles, scale words, verdict, notes, movement);
the summary here, the report and the CSV export all render from it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from flows.canvas import Canvas, Language, Phase
from flows.compare import Comparison, Movement, ThemeResult, Verdict
from flows.messages import Markup, Messages
from flows.model import Answer

MESSAGE_LIMIT = 4096  # Telegram: text of one message
CAPTION_LIMIT = 1024  # Telegram: caption of a photo or document

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
    """The whole comparison as Telegram HTML messages, each within Telegram's length limit."""
    ctx = _Context(messages, language, social_name, business_name)
    prepared = sections(comparison, canvas, messages, language)
    blocks = [_intro(comparison, canvas, ctx, incomplete)]
    for section in prepared:
        blocks.extend(_section_blocks(section, ctx))
    blocks.extend(_agenda_blocks(agenda_rows(comparison, prepared), ctx))
    return split_html(blocks)


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


# --- splitting into messages ----------------------------------------------------------------

_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)[^>]*>")
_FINER = (
    re.compile(r"[^\n]*\n|[^\n]+"),  # lines
    re.compile(r"(?:<[^>]*>|[^\s<])+\s*|\s+"),  # words (tags whole) with their trailing space
    re.compile(r"<[^>]*>|&#?\w+;|.", re.DOTALL),  # tags, entities, characters
)


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: in UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def split_html(blocks: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pack blocks of Telegram HTML into as few messages as fit within ``limit``.

    A block that does not fit beside others starts a new message; only a block too long for a
    message on its own is split, at a line, else a word, else a character (never inside a tag
    or an entity), closing the tags open at the cut and opening them again after it.
    """
    packer = _Packer(limit)
    for block in blocks:
        packer.add(block + "\n\n", level=0)
    packer.flush()
    return packer.parts


def _open_after(stack: tuple[tuple[str, str], ...], piece: str) -> tuple[tuple[str, str], ...]:
    """The tags still open after ``piece``, as (name, opening tag), outermost first."""
    opened = list(stack)
    for match in _TAG.finditer(piece):
        closing, name = match.group(1), match.group(2).lower()
        if not closing:
            opened.append((name, match.group(0)))
        elif any(n == name for n, _ in opened):
            index = max(i for i, (n, _) in enumerate(opened) if n == name)
            del opened[index:]
    return tuple(opened)


def _closing(stack: tuple[tuple[str, str], ...]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


class _Packer:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self._buffer: list[str] = []
        self._size = 0
        self._stack: tuple[tuple[str, str], ...] = ()
        self._has_text = False

    def add(self, piece: str, level: int) -> None:
        if not self._has_text and not _TAG.sub("", piece).strip():
            self._append(piece)  # only tags or space: they go with the text that follows
        elif self._fits(piece, self._size):
            self._append(piece)
        elif level < len(_FINER) and not self._fits(piece, self._reopen_size()):
            for finer in _FINER[level].findall(piece):  # too long for any message: cut it
                self.add(finer, level + 1)
        else:
            self.flush()
            self._append(piece)

    def flush(self) -> None:
        if self._has_text:
            self.parts.append("".join(self._buffer).rstrip() + _closing(self._stack))
        reopen = "".join(tag for _, tag in self._stack)
        self._buffer, self._size, self._has_text = [reopen], telegram_length(reopen), False

    def _fits(self, piece: str, after: int) -> bool:
        """Whether ``piece`` fits after ``after`` code units, with the tags it leaves open."""
        closing = _closing(_open_after(self._stack, piece))
        return after + telegram_length(piece) + telegram_length(closing) <= self.limit

    def _reopen_size(self) -> int:
        """The size a new message starts with: the open tags, opened again."""
        return sum(telegram_length(tag) for _, tag in self._stack)

    def _append(self, piece: str) -> None:
        if not self._has_text:
            piece = piece.lstrip()  # no message starts with space
        self._buffer.append(piece)
        self._size += telegram_length(piece)
        self._stack = _open_after(self._stack, piece)
        self._has_text = self._has_text or bool(_TAG.sub("", piece).strip())
