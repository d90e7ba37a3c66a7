"""The meeting agenda in words: who sees what, both notes, an opening question, a next step.

Plain text in the reader's language (not escaped), shared by the chat summary and the report.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Protocol

from flows.agenda import DEPTH_GOAL, DEPTH_NOW, IMPACT, AgendaItem, AmbitionGap
from flows.canvas import Language, Option
from flows.compare import Comparison, State
from flows.messages import Messages
from flows.model import Role

_AMBITION_KEYS = {DEPTH_NOW: "depth_now", DEPTH_GOAL: "depth_goal", IMPACT: "impact"}


@dataclass(frozen=True, slots=True)
class Topic:
    """One item of the meeting agenda, ready to show. All text is plain (not escaped)."""

    title: str
    sentence: str  # who sees what, naming both organisations
    short: str  # for the first message, where the ambitions are shown above the agenda
    compact: str  # shorter still, without the theme's gist, for when ``short`` does not fit
    social_note: str | None
    business_note: str | None
    question: str  # the opening question, fitting the direction of the difference
    next_step: str | None
    item: AgendaItem | None  # None for the ambitions, the first item when they differ


@dataclass(frozen=True, slots=True)
class Names:
    social: str
    business: str

    def of(self, role: Role) -> str:
        return self.business if role is Role.BUSINESS else self.social


def topics(
    comparison: Comparison, messages: Messages, language: Language, names: Names
) -> tuple[Topic, ...]:
    """The whole agenda in order: the ambitions first when they differ, then the themes."""

    def t(key: str, /, **values: object) -> str:
        return html.unescape(messages(key, language, **values))

    found: list[Topic] = []
    if comparison.ambition_gap is not None:
        found.append(_ambitions(comparison.ambition_gap, t, language, names))
    found.extend(_theme(item, t, language, names) for item in comparison.agenda)
    return tuple(found)


class Plain(Protocol):
    """A message lookup in the reader's language, as plain text (not escaped)."""

    def __call__(self, key: str, /, **values: object) -> str: ...


def plain_messages(messages: Messages, language: Language) -> Plain:
    """``messages`` in ``language`` as plain text: for documents that escape on their own
    (the report's template, the CSV, the chart)."""

    def t(key: str, /, **values: object) -> str:
        return html.unescape(messages(key, language, **values))

    return t


def _ambitions(gap: AmbitionGap, t: Plain, language: Language, names: Names) -> Topic:
    sentences = [
        t(
            f"agenda_ambition_{_AMBITION_KEYS.get(r.ambition.id, 'other')}",
            first=names.social,
            second=names.business,
            a=option_word(r.social, language),
            b=option_word(r.business, language),
            title=r.ambition.title(language),
        )
        for r in gap.differing
    ]
    what = [
        t(
            f"agenda_ambition_name_{_AMBITION_KEYS.get(r.ambition.id, 'other')}",
            title=r.ambition.title(language),
        )
        for r in gap.differing
    ]
    listed = (
        what[0]
        if len(what) == 1
        else t("summary_list_and", items=", ".join(what[:-1]), last=what[-1])
    )
    sentence = "\n".join(sentences)
    short = t("agenda_ambition_short", what=listed)
    return Topic(
        title=t("agenda_ambition_title"),
        sentence=sentence,
        short=short,
        compact=short,
        social_note=" / ".join(gap.social_notes) or None,
        business_note=" / ".join(gap.business_notes) or None,
        question=t("agenda_ambition_question"),
        next_step=t("agenda_ambition_next"),
        item=None,
    )


def _theme(item: AgendaItem, t: Plain, language: Language, names: Names) -> Topic:
    theme = item.theme
    first, second = names.of(item.first), names.of(item.second)
    gist = theme.gist(language) if theme.gist else t("agenda_gist_fallback")
    other = item.business_state if item.first is Role.SOCIAL else item.social_state
    why = t("agenda_why_not_yet" if other is State.NOT_YET else "agenda_why_skipped")
    values = {"first": first, "second": second}
    sentence = t(f"agenda_says_{item.direction.value}", gist=gist, why=why, **values)
    return Topic(
        title=theme.title(language),
        sentence=sentence,
        short=sentence,
        compact=t(f"agenda_compact_{item.direction.value}", why=why, **values),
        social_note=item.social_note,
        business_note=item.business_note,
        question=t(
            f"agenda_open_{item.direction.value}", question=theme.question(language), **values
        ),
        next_step=theme.next_step(language) if theme.next_step else None,
        item=item,
    )


def option_word(option: Option | None, language: Language) -> str:
    """An ambition option's label to use inside a sentence: a leading capital lowered."""
    if option is None:
        return "?"
    label = option.label(language)
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label
