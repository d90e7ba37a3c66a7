"""The summary in the chat, phone first: one short message to run the meeting from, and the
whole agenda one tap away.

The first message (at most ``FIRST_LIMIT`` visible characters) holds the ambitions side by
side, one line of counts, the shared strengths, the top three agenda items and what to do next.
The detail (``detail_blocks``) holds the whole agenda with notes, opening questions and next
steps, and every theme in one line, as blocks a transport splits into messages as it needs.
The first message fits by construction: names are shortened where needed, never the structure.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import replace

from flows.agenda import DEPTH_GOAL, DEPTH_NOW, IMPACT
from flows.agenda_text import Topic, option_word, topics
from flows.compare import State, ThemeResult, Verdict
from flows.messages import Markup
from flows.reading import Reading
from flows.summary import MARKERS, NO_SCORE, headline, movement_mark

FIRST_LIMIT = 1000  # visible characters of the first message
TOP = 3  # agenda items in the first message
NAME_SHORT = 40  # an organisation's name in the first message
NAME_TIGHT = 22  # in the top three when the first message is tight
NAME_DETAIL = 40  # and in the detail
STRENGTHS_LISTED = 3
NOT_YET_MARK = "⏸"
AMBITION_MARK = "🎯"
_TAG = re.compile(r"<[^>]*>")


def visible_length(text: str) -> int:
    """The length Telegram counts for a message in HTML parse mode: tags left out, entities
    as one character, in UTF-16 code units (an emoji counts two)."""
    return len(html.unescape(_TAG.sub("", text)).encode("utf-16-le")) // 2


def clip(text: str, limit: int) -> str:
    """``text`` shortened to at most ``limit`` characters at a word, ending in an ellipsis."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:") + "…"


def _short(r: Reading, limit: int) -> Reading:
    """``r`` with both names clipped to ``limit`` characters."""
    return replace(
        r, social_name=clip(r.social_name, limit), business_name=clip(r.business_name, limit)
    )


def _topics(r: Reading) -> tuple[Topic, ...]:
    return topics(r.comparison, r.messages, r.language, r.names)


# --- the first message --------------------------------------------------------------------


def first_message(
    reading: Reading,
    *,
    incomplete: bool = False,
    detail_button: bool = False,
    lead: str | None = None,
) -> str:
    """The first summary message, at most ``FIRST_LIMIT`` visible characters.

    ``detail_button``: the message goes out with a button that shows ``render_detail``, and
    says so; without it, it points to the report. ``lead``: a line (HTML) to open with.
    """
    r = _short(reading, NAME_SHORT)
    found = _topics(r)
    head: list[str] = [r("summary_interim")] if incomplete else []
    head.append(r("summary_first_title", social=r.social_name, business=r.business_name))
    blocks: list[str] = [lead] if lead else []
    blocks.append("\n".join(head))
    ambitions = _ambitions_block(r)
    if ambitions:
        blocks.append(ambitions)
    counts = [headline(r.comparison, r.messages, r.language)]
    if r.comparison.movement is not None:
        counts.append(_movement_line(r))
    counts.append(_strengths_line(r))
    blocks.append("\n".join(counts))
    if incomplete:
        tail = r("summary_next_interim")
    else:
        tail = r("summary_next_button" if detail_button else "summary_next_report")
    fixed = "\n\n".join([*blocks, tail])
    budget = FIRST_LIMIT - visible_length(fixed) - 2  # the blank line before the agenda
    blocks.append(_top_block(r, found, budget))
    blocks.append(tail)
    return "\n\n".join(blocks)


def _ambitions_block(r: Reading) -> str:
    by_id = {a.ambition.id: a for a in r.comparison.ambitions}
    if not by_id:
        return ""

    def choice(ambition_id: str, social: bool) -> str:
        result = by_id.get(ambition_id)
        if result is None:
            return NO_SCORE
        option = result.social if social else result.business
        return NO_SCORE if option is None else option_word(option, r.language)

    lines: list[str] = [r("summary_ambitions_title")]
    for name, social in ((r.social_name, True), (r.business_name, False)):
        lines.append(
            r(
                "summary_ambition_line",
                name=name,
                now=choice(DEPTH_NOW, social),
                goal=choice(DEPTH_GOAL, social),
                impact=choice(IMPACT, social),
            )
        )
    return "\n".join(lines)


def _movement_line(r: Reading) -> Markup:
    """Since the previous round: themes closer together or further apart, scores up or down."""
    closer = apart = up = down = 0
    movement = r.comparison.movement or {}
    for result in r.comparison.results:
        moved = movement.get(result.theme.id)
        if moved is None:
            continue
        changes = [c for c in (moved.social, moved.business) if c is not None]
        up += sum(c > 0 for c in changes)
        down += sum(c < 0 for c in changes)
        if result.gap is not None and moved.social is not None and moved.business is not None:
            before = _before_gap(result, moved.social, moved.business)
            closer += result.gap < before
            apart += result.gap > before
    return r("summary_movement", closer=closer, apart=apart, up=up, down=down)


def _before_gap(result: ThemeResult, social_change: int, business_change: int) -> int:
    a, b = result.social_score, result.business_score
    if a is None or b is None:
        return 0
    return abs((a - social_change) - (b - business_change))


def _strengths_line(r: Reading) -> Markup:
    strengths = r.comparison.strengths
    if not strengths:
        return r("summary_no_strengths")
    titles = [s.theme.title(r.language) for s in strengths[:STRENGTHS_LISTED]]
    listed = ", ".join(titles)
    if len(strengths) > STRENGTHS_LISTED:
        listed = r("summary_strengths_more", themes=listed, count=len(strengths) - len(titles))
    return r("summary_strengths", themes=listed)


def _top_block(r: Reading, found: Sequence[Topic], budget: int) -> str:
    """The top agenda items in short form within ``budget``; else what to talk about."""
    if not found:
        return _no_agenda(r)
    shown = found[:TOP]
    title = r("summary_top_title")
    rest = len(found) - len(shown)
    more = ""
    if rest:
        more = r("summary_top_more_one" if rest == 1 else "summary_top_more_other", count=rest)

    def render(sentences: Sequence[str]) -> str:
        lines: list[str] = [title]
        for number, (topic, sentence) in enumerate(zip(shown, sentences, strict=True), start=1):
            marker = AMBITION_MARK if topic.item is None else MARKERS[topic.item.verdict]
            line = r("summary_top_item", number=number, title=topic.title, sentence=sentence)
            lines.append(f"{marker} {line}")
        if more:
            lines.append(more)
        return "\n".join(lines)

    # The gist's plain sentence; else a compact one without the gist; else that one with the
    # names shortened more; else cut short (only with titles far longer than usual).
    for sentences in (
        [t.short for t in shown],
        [t.compact for t in shown],
        compact := [t.compact for t in _retold(r, NAME_TIGHT)[: len(shown)]],
    ):
        text = render(sentences)
        if visible_length(text) <= budget:
            return text
    limit = max(len(c) for c in compact)
    while visible_length(text) > budget and limit > 1:
        limit -= 4
        text = render([clip(c, max(limit, 1)) for c in compact])
    return text


def _retold(r: Reading, name_limit: int) -> tuple[Topic, ...]:
    return _topics(_short(r, name_limit))


def _no_agenda(r: Reading) -> str:
    """No differences and no concerns: praise only what is shared, never an empty picture."""
    if r.comparison.strengths:
        return r("summary_agenda_strengths_only")
    current = r.comparison.current_phases
    neutral = [x for x in r.comparison.results if x.verdict is Verdict.ALIGNED]
    neutral.sort(key=lambda x: x.theme.phase not in current)  # stable: canvas order stays
    titles = [x.theme.title(r.language) for x in neutral[:TOP]]
    if not titles:
        return r("summary_all_neutral_plain")
    listed = titles[0]
    if len(titles) > 1:
        listed = r("summary_list_and", items=", ".join(titles[:-1]), last=titles[-1])
    return r("summary_all_neutral", themes=listed)


# --- the detail, behind the button ----------------------------------------------------------


def render_detail(reading: Reading) -> str:
    """The detail as one text (its blocks joined), as a chat without a limit would show it."""
    return "\n\n".join(detail_blocks(reading))


def detail_blocks(reading: Reading) -> tuple[str, ...]:
    """The whole agenda (both notes in full, opening questions, next steps) and every theme in
    one line, as blocks: a transport with a length limit splits them between messages."""
    r = _short(reading, NAME_DETAIL)
    found = _topics(r)
    blocks: list[str] = [r("summary_detail_title")]
    if not found:
        blocks.append(_no_agenda(r))
    for number, topic in enumerate(found, start=1):
        lines: list[str] = [
            r("summary_detail_item", number=number, title=topic.title, sentence=topic.sentence)
        ]
        lines.extend(
            r("summary_note", name=name, note=note)
            for name, note in (
                (r.social_name, topic.social_note),
                (r.business_name, topic.business_note),
            )
            if note
        )
        lines.append(r("summary_detail_question", question=topic.question))
        if topic.next_step:
            lines.append(r("summary_detail_next", step=topic.next_step))
        blocks.append("\n".join(lines))
    blocks.append(_themes_block(r))
    return tuple(blocks)


def _themes_block(r: Reading) -> str:
    lines: list[str] = [r("summary_detail_themes", social=r.social_name, business=r.business_name)]
    movement = r.comparison.movement or {}
    for result in r.comparison.results:
        moved = movement.get(result.theme.id)
        lines.append(
            r(
                "summary_detail_theme",
                marker=MARKERS[result.verdict],
                title=result.theme.title(r.language),
                social=_cell(result, social=True, change=moved.social if moved else None),
                business=_cell(result, social=False, change=moved.business if moved else None),
            )
        )
    return "\n".join(lines)


def _cell(result: ThemeResult, *, social: bool, change: int | None) -> str:
    state = result.social_state if social else result.business_state
    score = result.social_score if social else result.business_score
    if state is State.NOT_YET:
        return NOT_YET_MARK
    if score is None:
        return NO_SCORE
    mark = movement_mark(change)
    return f"{score}{mark}" if mark else str(score)
