"""The meeting agenda: the ambitions compared first, then the themes that matter most.

At most five items. A difference in ambitions (the depth of collaboration now and in two years,
the level of impact) always opens the meeting; then the largest gaps, weighted toward the phase
the partners say they are in; shared concerns; and a strong view (a 1 or a 5) that the other
partner skipped or found "not yet relevant", which a plain gap would miss.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from flows.canvas import Ambition, Option, Text, Theme
from flows.model import Answer, Role
from flows.verdicts import State, ThemeResult, Thresholds, Verdict, note_of, state_of


class Direction(StrEnum):
    """Which way two answers to a theme on the agenda differ; it picks the words used."""

    APART = "apart"  # one agrees, the other disagrees
    UNSURE = "unsure"  # one agrees, the other is neutral
    DOUBT = "doubt"  # one is neutral, the other disagrees
    CONCERN = "concern"  # both disagree: a shared concern
    ALONE_AGREE = "alone_agree"  # one strongly agrees, the other skipped it or found it premature
    ALONE_DISAGREE = "alone_disagree"  # one strongly disagrees, the other did not score it


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """One theme to talk about: what each partner said, which way they differ, how much it weighs.

    ``first`` is the partner with the higher score (for a one-sided item: the one who scored);
    in a shared concern it is the social enterprise.
    """

    theme: Theme
    verdict: Verdict
    gap: int | None
    social_score: int | None
    business_score: int | None
    social_note: str | None
    business_note: str | None
    question: Text  # the theme's reflection question, to open the conversation
    direction: Direction
    first: Role
    social_state: State
    business_state: State
    weight: float  # what decided its place on the agenda
    in_phase: bool  # in the phase the partners say they are in

    @property
    def next_step(self) -> Text | None:
        return self.theme.next_step

    @property
    def second(self) -> Role:
        return self.first.counterpart


@dataclass(frozen=True, slots=True)
class AmbitionResult:
    """Both partners' choice for one ambition question (None: not answered)."""

    ambition: Ambition
    social: Option | None
    business: Option | None
    social_note: str | None
    business_note: str | None
    social_state: State  # a skip stays a skip, not "no choice yet"
    business_state: State

    @property
    def differs(self) -> bool:
        return (
            self.social is not None
            and self.business is not None
            and self.social.id != self.business.id
        )


@dataclass(frozen=True, slots=True)
class AmbitionGap:
    """The first agenda item: the ambitions on which the partners chose differently."""

    differing: tuple[AmbitionResult, ...]

    @property
    def social_notes(self) -> tuple[str, ...]:
        return tuple(r.social_note for r in self.differing if r.social_note)

    @property
    def business_notes(self) -> tuple[str, ...]:
        return tuple(r.business_note for r in self.differing if r.business_note)


# The ambition questions compared first, and the phase each depth of collaboration belongs to.
DEPTH_NOW, DEPTH_GOAL, IMPACT = "depth_now", "depth_goal", "impact"
PHASE_OF_DEPTH = {
    "transaction": "orientation",
    "integration": "integration",
    "transformation": "transformation",
}
AGENDA_SIZE = 5  # items, the ambition gap included
IN_PHASE_WEIGHT = 1.5  # a theme of the phase the partners are in counts this much more
ALONE_WEIGHT = 2.0  # a 1 or 5 against a skip or "not yet relevant": as much as a gap of two


def ambition_result(
    ambition: Ambition, social: Answer | None, business: Answer | None
) -> AmbitionResult:
    return AmbitionResult(
        ambition,
        ambition.option(social.score if social else None),
        ambition.option(business.score if business else None),
        note_of(social),
        note_of(business),
        state_of(social),
        state_of(business),
    )


def current_phases(ambitions: Iterable[AmbitionResult]) -> frozenset[str]:
    """The phases the partners say they are in, from where each sees the collaboration now."""
    for result in ambitions:
        if result.ambition.id == DEPTH_NOW:
            chosen = (result.social, result.business)
            return frozenset(PHASE_OF_DEPTH[o.id] for o in chosen if o and o.id in PHASE_OF_DEPTH)
    return frozenset()


def agenda(
    results: tuple[ThemeResult, ...], current: frozenset[str], size: int, t: Thresholds
) -> tuple[AgendaItem, ...]:
    """The ``size`` themes that matter most: the largest gaps, shared concerns and one-sided
    extremes, a theme of the phase the partners are in weighing one and a half times as much.
    Ties go to the phase they are in, then to the order of the canvas. A shared concern is
    always on it when there is one: both partners worry, so the meeting must not skip it."""
    items = [item for r in results if (item := _agenda_item(r, current, t)) is not None]
    position = {r.theme.id: i for i, r in enumerate(results)}
    items.sort(key=lambda i: (-i.weight, not i.in_phase, position[i.theme.id]))
    chosen = items[: max(size, 0)]
    concern = next((i for i in items if i.direction is Direction.CONCERN), None)
    if chosen and concern is not None and concern not in chosen:
        chosen[-1] = concern  # it had the least weight of those chosen; the concern follows
    return tuple(chosen)


def _agenda_item(r: ThemeResult, current: frozenset[str], t: Thresholds) -> AgendaItem | None:
    a, b = r.social_score, r.business_score
    first = Role.SOCIAL
    if r.verdict is Verdict.MISMATCH and a is not None and b is not None:
        high, low = max(a, b), min(a, b)
        first = Role.SOCIAL if a >= b else Role.BUSINESS
        if high >= t.agree_min:
            direction = Direction.APART if low <= t.disagree_max else Direction.UNSURE
        else:
            direction = Direction.DOUBT
        weight = float(high - low)
    elif r.verdict is Verdict.SHARED_CONCERN and a is not None and b is not None:
        direction, weight = Direction.CONCERN, 4 - (a + b) / 2  # (2,2): 2 ... (1,1): 3
    elif r.verdict in (Verdict.SKIPPED, Verdict.NOT_YET) and (a is None) != (b is None):
        score = a if a is not None else b
        if score not in (1, 5):
            return None
        first = Role.SOCIAL if a is not None else Role.BUSINESS
        direction = Direction.ALONE_AGREE if score == 5 else Direction.ALONE_DISAGREE
        weight = ALONE_WEIGHT
    else:
        return None
    in_phase = r.theme.phase in current
    return AgendaItem(
        theme=r.theme,
        verdict=r.verdict,
        gap=r.gap,
        social_score=a,
        business_score=b,
        social_note=r.social_note,
        business_note=r.business_note,
        question=r.theme.question,
        direction=direction,
        first=first,
        social_state=r.social_state,
        business_state=r.business_state,
        weight=weight * (IN_PHASE_WEIGHT if in_phase else 1.0),
        in_phase=in_phase,
    )
