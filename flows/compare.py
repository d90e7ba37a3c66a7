"""Where two partners' expectations meet and where they differ, theme by theme.

Pure and fast: plain values in, plain values out. The rule (see CANVAS-NOTES, "Mismatched
expectations"): a gap of two points or more on the 1-5 scale, or answers on opposite sides of
neutral, is a mismatch; both agreeing is a shared strength, both disagreeing a shared concern.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from flows.canvas import Canvas, Part, Text, Theme
from flows.model import Answer


class Verdict(StrEnum):
    """What the two answers to one theme say together."""

    MISMATCH = "mismatch"
    SHARED_STRENGTH = "shared_strength"
    SHARED_CONCERN = "shared_concern"
    ALIGNED = "aligned"
    INCOMPLETE = "incomplete"  # one or both skipped the theme or have not answered it yet


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
        return _note(self.social)

    @property
    def business_note(self) -> str | None:
        return _note(self.business)


@dataclass(frozen=True, slots=True)
class Tally:
    """How many themes of a group got each verdict."""

    counts: Mapping[Verdict, int]  # every verdict present, zero included

    @property
    def complete(self) -> int:
        """Themes both partners scored."""
        return sum(self.counts.values()) - self.counts[Verdict.INCOMPLETE]

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


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """One theme to talk about, with what each partner said and a question to open with."""

    theme: Theme
    verdict: Verdict
    gap: int | None
    social_score: int | None
    business_score: int | None
    social_note: str | None
    business_note: str | None
    question: Text  # the theme's reflection question, to open the conversation


@dataclass(frozen=True, slots=True)
class Comparison:
    """Both partners' answers to a whole canvas, compared."""

    results: tuple[ThemeResult, ...]  # in canvas order
    total: Tally
    phases: Mapping[str, Tally]  # by phase id, in canvas order
    parts: Mapping[Part, Tally]
    movement: Mapping[str, Movement] | None  # by theme id; None without a previous round
    agenda: tuple[AgendaItem, ...]
    thresholds: Thresholds = DEFAULT

    @property
    def counts(self) -> Mapping[Verdict, int]:
        return self.total.counts

    def in_phase(self, phase_id: str) -> tuple[ThemeResult, ...]:
        return tuple(r for r in self.results if r.theme.phase == phase_id)


def compare(
    canvas: Canvas,
    social: Sequence[Answer],
    business: Sequence[Answer],
    previous: tuple[Sequence[Answer], Sequence[Answer]] | None = None,
    thresholds: Thresholds = DEFAULT,
) -> Comparison:
    """Compare the social enterprise's and the business's answers, theme by theme.

    ``previous`` holds both partners' answers of the round before, to show what moved.
    Answers are matched to themes by id; answers to themes not in ``canvas`` are ignored.
    """
    by_social, by_business = _by_theme(social), _by_theme(business)
    results = tuple(
        _result(theme, by_social.get(theme.id), by_business.get(theme.id), thresholds)
        for theme in canvas.themes
    )
    return Comparison(
        results=results,
        total=_tally(results),
        phases={p.id: _tally(r for r in results if r.theme.phase == p.id) for p in canvas.phases},
        parts={part: _tally(r for r in results if r.theme.part is part) for part in Part},
        movement=None if previous is None else _movement(canvas, by_social, by_business, previous),
        agenda=_agenda(results),
        thresholds=thresholds,
    )


def _note(answer: Answer | None) -> str | None:
    if answer is None or answer.note is None or not answer.note.strip():
        return None
    return answer.note.strip()


def _by_theme(answers: Sequence[Answer]) -> dict[str, Answer]:
    """The latest answer per theme."""
    latest: dict[str, Answer] = {}
    for answer in answers:
        known = latest.get(answer.theme_id)
        if known is None or answer.answered_at >= known.answered_at:
            latest[answer.theme_id] = answer
    return latest


def _result(
    theme: Theme, social: Answer | None, business: Answer | None, thresholds: Thresholds
) -> ThemeResult:
    a = social.score if social else None
    b = business.score if business else None
    gap = None if a is None or b is None else abs(a - b)
    return ThemeResult(theme, social, business, classify(a, b, thresholds), gap)


def _tally(results: Iterable[ThemeResult]) -> Tally:
    counts = dict.fromkeys(Verdict, 0)
    for result in results:
        counts[result.verdict] += 1
    return Tally(counts)


def _change(new: Answer | None, old: Answer | None) -> int | None:
    if new is None or old is None or new.score is None or old.score is None:
        return None
    return new.score - old.score


def _movement(
    canvas: Canvas,
    social: Mapping[str, Answer],
    business: Mapping[str, Answer],
    previous: tuple[Sequence[Answer], Sequence[Answer]],
) -> dict[str, Movement]:
    old_social, old_business = _by_theme(previous[0]), _by_theme(previous[1])
    return {
        t.id: Movement(
            _change(social.get(t.id), old_social.get(t.id)),
            _change(business.get(t.id), old_business.get(t.id)),
        )
        for t in canvas.themes
    }


def _agenda(results: tuple[ThemeResult, ...]) -> tuple[AgendaItem, ...]:
    """Mismatches, largest gap first (ties in canvas order), then shared concerns in order."""
    mismatches = sorted(
        (r for r in results if r.verdict is Verdict.MISMATCH),
        key=lambda r: -(r.gap or 0),  # sorted() is stable: ties keep canvas order
    )
    concerns = [r for r in results if r.verdict is Verdict.SHARED_CONCERN]
    return tuple(_agenda_item(r) for r in [*mismatches, *concerns])


def _agenda_item(result: ThemeResult) -> AgendaItem:
    return AgendaItem(
        theme=result.theme,
        verdict=result.verdict,
        gap=result.gap,
        social_score=result.social_score,
        business_score=result.business_score,
        social_note=result.social_note,
        business_note=result.business_note,
        question=result.theme.question,
    )
