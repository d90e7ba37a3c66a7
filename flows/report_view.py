"""What the report, the chart and the CSV show of a comparison, prepared once per language.

Each partner's answer to a theme is in one of four states (scored, skipped, not yet relevant,
not answered yet), read from the answers themselves rather than from the verdict, so that a
skip stays visible wherever it is shown. All text here is plain (not escaped).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from flows.canvas import Ambition, Canvas, Language, Option, Phase
from flows.compare import Comparison, ThemeResult, Verdict
from flows.messages import Messages
from flows.model import Answer, Role

# The verdicts that need both scores; any other verdict means a theme not scored by both.
SCORED_VERDICTS = (
    Verdict.MISMATCH,
    Verdict.SHARED_STRENGTH,
    Verdict.SHARED_CONCERN,
    Verdict.ALIGNED,
)
OPEN = "open"  # the kind of a theme not scored by both (a CSS class and a chart style)


class AnswerState(StrEnum):
    """One partner's answer to one theme."""

    SCORED = "scored"
    SKIPPED = "skipped"
    NOT_YET = "not_yet"  # "not yet relevant"
    UNANSWERED = "unanswered"


def answer_state(answer: Answer | None) -> AnswerState:
    if answer is None:
        return AnswerState.UNANSWERED
    if answer.score is not None:
        return AnswerState.SCORED
    return AnswerState.NOT_YET if answer.not_yet else AnswerState.SKIPPED


def kind(result: ThemeResult) -> str:
    """The verdict's value when both scored the theme, else ``OPEN``."""
    return result.verdict.value if result.verdict in SCORED_VERDICTS else OPEN


class AmbitionPair(Protocol):
    """Both partners' choice for one ambition question (None: no choice)."""

    @property
    def ambition(self) -> Ambition: ...
    @property
    def social(self) -> Option | None: ...
    @property
    def business(self) -> Option | None: ...
    @property
    def social_note(self) -> str | None: ...
    @property
    def business_note(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Side:
    """One partner's answer to a theme, ready to show."""

    role: Role
    name: str
    state: AnswerState
    score: int | None
    label: str  # the scale's word, or the state's ("skipped")
    note: str | None
    change: int | None  # since the previous round


@dataclass(frozen=True, slots=True)
class Card:
    """One theme with both answers."""

    result: ThemeResult
    kind: str  # a verdict value or OPEN
    title: str
    statement: str
    question: str
    next_step: str | None
    part: str
    outcome: str
    sides: tuple[Side, Side]


@dataclass(frozen=True, slots=True)
class PhaseView:
    phase: Phase
    title: str
    alignment: int | None  # percent
    cards: tuple[Card, ...]


@dataclass(frozen=True, slots=True)
class AmbitionView:
    id: str
    title: str
    question: str
    differs: bool
    sides: tuple[tuple[str, str | None], tuple[str, str | None]]  # (choice, note) per partner
    scores: tuple[int | None, int | None]  # the options' places, for the CSV


@dataclass(frozen=True, slots=True)
class View:
    """The whole comparison in the reader's language."""

    names: tuple[str, str]
    roles: tuple[str, str]  # "sociale onderneming", "reguliere onderneming"
    phases: tuple[PhaseView, ...]
    ambitions: tuple[AmbitionView, ...]
    agenda: tuple[Card, ...]
    strengths: tuple[Card, ...]
    counts: tuple[tuple[str, int], ...]  # (label, count), the zero ones left out

    @property
    def ambitions_differ(self) -> tuple[AmbitionView, ...]:
        return tuple(a for a in self.ambitions if a.differs)


def agenda_theme_ids(comparison: Comparison) -> tuple[str, ...]:
    """The themes on the agenda, in order: the one place the report reads the agenda from."""
    return tuple(item.theme.id for item in comparison.agenda)


def prepare(
    comparison: Comparison,
    canvas: Canvas,
    messages: Messages,
    language: Language,
    *,
    names: tuple[str, str],
    ambitions: Sequence[AmbitionPair] = (),
) -> View:
    def t(key: str, /, **values: object) -> str:
        return html.unescape(messages(key, language, **values))

    movement = comparison.movement or {}
    cards: dict[str, Card] = {}
    for result in comparison.results:
        moved = movement.get(result.theme.id)
        changes = (moved.social, moved.business) if moved else (None, None)
        cards[result.theme.id] = _card(
            result, canvas, language=language, t=t, names=names, changes=changes
        )
    phases = tuple(
        PhaseView(
            phase=phase,
            title=phase.title(language),
            alignment=_percent(comparison.phases[phase.id].alignment),
            cards=tuple(cards[r.theme.id] for r in comparison.in_phase(phase.id)),
        )
        for phase in canvas.phases
    )
    every = list(cards.values())
    counted = [
        (t(f"report_count_{verdict.value}"), sum(c.result.verdict is verdict for c in every))
        for verdict in SCORED_VERDICTS
    ]
    counted.append((t("report_count_open"), sum(c.kind == OPEN for c in every)))
    return View(
        names=names,
        roles=(t("report_role_social"), t("report_role_business")),
        phases=phases,
        ambitions=tuple(_ambition(a, language, t) for a in ambitions),
        agenda=tuple(cards[i] for i in agenda_theme_ids(comparison) if i in cards),
        strengths=tuple(c for c in every if c.kind == Verdict.SHARED_STRENGTH.value),
        counts=tuple((label, n) for label, n in counted if n),
    )


class Plain(Protocol):
    """A message lookup in the reader's language, as plain text."""

    def __call__(self, key: str, /, **values: object) -> str: ...


def _card(
    result: ThemeResult,
    canvas: Canvas,
    *,
    language: Language,
    t: Plain,
    names: tuple[str, str],
    changes: tuple[int | None, int | None],
) -> Card:
    theme = result.theme
    kind_ = kind(result)
    if kind_ == OPEN:
        outcome = t("report_outcome_open")
    else:
        outcome = t(f"summary_verdict_{kind_}")
        if result.verdict is Verdict.MISMATCH:
            outcome = t("summary_gap", verdict=outcome, gap=result.gap)

    def side(role: Role, answer: Answer | None, name: str, change: int | None) -> Side:
        state = answer_state(answer)
        score = answer.score if answer is not None else None
        if score is not None:
            label = canvas.scale[score - 1](language)
        else:
            label = t(f"report_state_{state.value}")
        note = answer.note.strip() if answer is not None and answer.note else None
        return Side(role, name, state, score, label, note or None, change)

    return Card(
        result=result,
        kind=kind_,
        title=theme.title(language),
        statement=theme.statement(language),
        question=theme.question(language),
        next_step=theme.next_step(language) if theme.next_step else None,
        part=canvas.parts[theme.part](language),
        outcome=outcome,
        sides=(
            side(Role.SOCIAL, result.social, names[0], changes[0]),
            side(Role.BUSINESS, result.business, names[1], changes[1]),
        ),
    )


def _ambition(pair: AmbitionPair, language: Language, t: Plain) -> AmbitionView:
    def choice(option: Option | None) -> str:
        return option.label(language) if option else t("report_state_no_choice")

    def place(option: Option | None) -> int | None:
        return pair.ambition.options.index(option) + 1 if option else None

    differs = (
        pair.social is not None and pair.business is not None and pair.social != pair.business
    )
    return AmbitionView(
        id=pair.ambition.id,
        title=pair.ambition.title(language),
        question=pair.ambition.question(language),
        differs=differs,
        sides=(
            (choice(pair.social), pair.social_note),
            (choice(pair.business), pair.business_note),
        ),
        scores=(place(pair.social), place(pair.business)),
    )


def _percent(share: float | None) -> int | None:
    return None if share is None else round(share * 100)
