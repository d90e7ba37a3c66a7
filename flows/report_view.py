"""What the report and the CSV show of a comparison, prepared once per language.

The agenda is the summary's own (``flows.agenda_text.topics``), so the chat, the report and
the CSV name the same items in the same order; the ambitions are the comparison's. Each
partner's answer is in one of the states of ``flows.verdicts.State``, read from the answer
itself, so a skip stays visible wherever it is shown. All text here is plain (not escaped).
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.agenda import AmbitionResult
from flows.agenda_text import Plain, Topic, plain_messages, topics
from flows.canvas import Canvas, Language, Option, Phase
from flows.compare import SCORED, State, ThemeResult, Verdict
from flows.model import Answer, Role
from flows.reading import Reading
from flows.verdicts import note_of, state_of

OPEN = "open"  # the kind of a theme not scored by both (a CSS class)


def kind(result: ThemeResult) -> str:
    """The verdict's value when both scored the theme, else ``OPEN``."""
    return result.verdict.value if result.verdict in SCORED else OPEN


@dataclass(frozen=True, slots=True)
class Side:
    """One partner's answer to a theme, ready to show."""

    role: Role
    name: str
    state: State
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
    part: str
    outcome: str
    sides: tuple[Side, Side]


@dataclass(frozen=True, slots=True)
class Item:
    """One agenda item: the summary's topic, with the theme's card (None: the ambitions)."""

    topic: Topic
    card: Card | None

    @property
    def kind(self) -> str:
        return Verdict.MISMATCH.value if self.card is None else self.card.kind

    def notes(self, names: tuple[str, str]) -> tuple[tuple[str, str], ...]:
        """(name, note) for each partner who left a note on this item."""
        notes = zip(names, (self.topic.social_note, self.topic.business_note), strict=True)
        return tuple((name, note) for name, note in notes if note)


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
    states: tuple[State, State]


@dataclass(frozen=True, slots=True)
class View:
    """The whole comparison in the reader's language."""

    names: tuple[str, str]
    roles: tuple[str, str]  # "sociale onderneming", "reguliere onderneming"
    phases: tuple[PhaseView, ...]
    ambitions: tuple[AmbitionView, ...]
    agenda: tuple[Item, ...]
    strengths: tuple[Card, ...]
    counts: tuple[tuple[str, int], ...]  # (label, count), the zero ones left out


def prepare(reading: Reading) -> View:
    """What the report and the CSV show, in the reader's language."""
    comparison, canvas, language = reading.comparison, reading.canvas, reading.language
    names = (reading.social_name, reading.business_name)
    t = plain_messages(reading.messages, language)
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
    counted = [
        (t(f"report_count_{verdict.value}"), comparison.counts[verdict]) for verdict in SCORED
    ]
    # Not scored by both, told apart as the chat tells them: not yet relevant, skipped, open.
    counted += [
        (t(f"summary_verdict_{verdict.value}"), comparison.counts[verdict])
        for verdict in (Verdict.NOT_YET, Verdict.SKIPPED, Verdict.INCOMPLETE)
    ]
    agenda = tuple(
        Item(topic, None if topic.item is None else cards[topic.item.theme.id])
        for topic in topics(comparison, reading.messages, language, reading.names)
    )
    return View(
        names=names,
        roles=(t("report_role_social"), t("report_role_business")),
        phases=phases,
        ambitions=tuple(_ambition(a, language, t) for a in comparison.ambitions),
        agenda=agenda,
        strengths=tuple(cards[r.theme.id] for r in comparison.strengths),
        counts=tuple((label, n) for label, n in counted if n),
    )


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
    outcome = t(f"summary_verdict_{result.verdict.value}")
    if result.verdict is Verdict.MISMATCH:
        outcome = t("summary_gap", verdict=outcome, gap=result.gap)

    def side(role: Role, answer: Answer | None, name: str, change: int | None) -> Side:
        state = state_of(answer)
        score = answer.score if answer is not None else None
        if score is not None:
            label = canvas.scale[score - 1](language)
        else:
            label = t(f"report_state_{state.value}")
        return Side(role, name, state, score, label, note_of(answer), change)

    return Card(
        result=result,
        kind=kind_,
        title=theme.title(language),
        statement=theme.statement(language),
        part=canvas.parts[theme.part](language),
        outcome=outcome,
        sides=(
            side(Role.SOCIAL, result.social, names[0], changes[0]),
            side(Role.BUSINESS, result.business, names[1], changes[1]),
        ),
    )


def _ambition(result: AmbitionResult, language: Language, t: Plain) -> AmbitionView:
    states = (result.social_state, result.business_state)

    def choice(option: Option | None, state: State) -> str:
        if option is not None:
            return option.label(language)
        scored = state is State.SCORED  # a score that names no option
        return t("report_state_no_choice" if scored else f"report_state_{state.value}")

    def place(option: Option | None) -> int | None:
        return result.ambition.options.index(option) + 1 if option else None

    return AmbitionView(
        id=result.ambition.id,
        title=result.ambition.title(language),
        question=result.ambition.question(language),
        differs=result.differs,
        sides=(
            (choice(result.social, states[0]), result.social_note),
            (choice(result.business, states[1]), result.business_note),
        ),
        scores=(place(result.social), place(result.business)),
        states=states,
    )


def _percent(share: float | None) -> int | None:
    return None if share is None else round(share * 100)
