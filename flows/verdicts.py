"""The verdict on two partners' answers to one theme, and the values the comparison is made of.

The rule (see CANVAS-NOTES, "Mismatched expectations"): a gap of two points or more on the 1-5
scale, or answers on opposite sides of neutral, is a mismatch; both agreeing is a shared
strength, both disagreeing a shared concern. A theme that either partner skipped or found
"not yet relevant" is an answer too, not a theme still open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from flows.canvas import Theme
from flows.model import Answer


class Verdict(StrEnum):
    """What the two answers to one theme say together."""

    MISMATCH = "mismatch"
    SHARED_STRENGTH = "shared_strength"
    SHARED_CONCERN = "shared_concern"
    ALIGNED = "aligned"
    NOT_YET = "not_yet"  # both answered; one or both found it not yet relevant
    SKIPPED = "skipped"  # both answered; one or both skipped it
    INCOMPLETE = "incomplete"  # one or both have not answered it yet


SCORED = (Verdict.MISMATCH, Verdict.SHARED_STRENGTH, Verdict.SHARED_CONCERN, Verdict.ALIGNED)


class State(StrEnum):
    """One partner's answer to one theme."""

    SCORED = "scored"
    NOT_YET = "not_yet"  # "not yet relevant": an answer, not a gap
    SKIPPED = "skipped"
    UNANSWERED = "unanswered"


def state_of(answer: Answer | None) -> State:
    if answer is None:
        return State.UNANSWERED
    if answer.score is not None:
        return State.SCORED
    return State.NOT_YET if answer.not_yet else State.SKIPPED


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Every number the verdicts depend on, in one place."""

    mismatch_gap: int = 2  # a third of the 1-5 scale or more
    agree_min: int = 4  # 4 and 5 agree
    disagree_max: int = 2  # 1 and 2 disagree


DEFAULT = Thresholds()


def classify(a: int | None, b: int | None, t: Thresholds = DEFAULT) -> Verdict:
    """The verdict for two scores on the 1-5 scale; None is a skipped or missing answer."""
    if a is None or b is None:
        return Verdict.INCOMPLETE
    low, high = sorted((a, b))
    if high - low >= t.mismatch_gap:
        return Verdict.MISMATCH
    if high >= t.agree_min and low <= t.disagree_max:  # opposite sides of neutral
        return Verdict.MISMATCH
    if low >= t.agree_min:
        return Verdict.SHARED_STRENGTH
    if high <= t.disagree_max:
        return Verdict.SHARED_CONCERN
    return Verdict.ALIGNED


@dataclass(frozen=True, slots=True)
class ThemeResult:
    """Both partners' answers to one theme (None: not answered) and what they say together."""

    theme: Theme
    social: Answer | None
    business: Answer | None
    verdict: Verdict
    gap: int | None  # |social - business| when both scored

    @property
    def social_score(self) -> int | None:
        return self.social.score if self.social else None

    @property
    def business_score(self) -> int | None:
        return self.business.score if self.business else None

    @property
    def social_note(self) -> str | None:
        return note_of(self.social)

    @property
    def business_note(self) -> str | None:
        return note_of(self.business)

    @property
    def social_state(self) -> State:
        return state_of(self.social)

    @property
    def business_state(self) -> State:
        return state_of(self.business)


@dataclass(frozen=True, slots=True)
class Tally:
    """How many themes of a group got each verdict."""

    counts: Mapping[Verdict, int]  # every verdict present, zero included

    @property
    def complete(self) -> int:
        """Themes both partners scored."""
        return sum(self.counts[verdict] for verdict in SCORED)

    @property
    def alignment(self) -> float | None:
        """Share of the complete themes that are not a mismatch (0..1); None without any."""
        if not self.complete:
            return None
        return 1 - self.counts[Verdict.MISMATCH] / self.complete


@dataclass(frozen=True, slots=True)
class Movement:
    """Score change since the previous round (new - old); None when either is missing."""

    social: int | None
    business: int | None


def note_of(answer: Answer | None) -> str | None:
    """The answer's note, stripped; None when there is none or it is blank."""
    if answer is None or answer.note is None or not answer.note.strip():
        return None
    return answer.note.strip()
