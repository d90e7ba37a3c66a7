"""Where two partners' expectations meet and where they differ, theme by theme.

Pure and fast: plain values in, plain values out. The verdict per theme lives in
``flows.verdicts``, the meeting agenda in ``flows.agenda``; both are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from flows.agenda import (
    AGENDA_SIZE,
    AgendaItem,
    AmbitionGap,
    AmbitionResult,
    Direction,
    agenda,
    ambition_result,
    current_phases,
)
from flows.canvas import Canvas, Part, Theme
from flows.model import Answer
from flows.verdicts import (
    DEFAULT,
    SCORED,
    Movement,
    State,
    Tally,
    ThemeResult,
    Thresholds,
    Verdict,
    classify,
    state_of,
)

__all__ = [
    "AGENDA_SIZE",
    "DEFAULT",
    "SCORED",
    "AgendaItem",
    "AmbitionGap",
    "AmbitionResult",
    "Comparison",
    "Direction",
    "Movement",
    "State",
    "Tally",
    "ThemeResult",
    "Thresholds",
    "Verdict",
    "classify",
    "compare",
    "state_of",
]


@dataclass(frozen=True, slots=True)
class Comparison:
    """Both partners' answers to a whole canvas, compared."""

    results: tuple[ThemeResult, ...]  # in canvas order
    total: Tally
    phases: Mapping[str, Tally]  # by phase id, in canvas order
    parts: Mapping[Part, Tally]
    movement: Mapping[str, Movement] | None  # by theme id; None without a previous round
    # The themes to talk about, most important first. With an ambition gap (always the first
    # item of the meeting) this holds one item fewer, so that the whole agenda stays within
    # AGENDA_SIZE: ``len(agenda) + (ambition_gap is not None) <= AGENDA_SIZE``.
    agenda: tuple[AgendaItem, ...]
    thresholds: Thresholds = DEFAULT
    ambitions: tuple[AmbitionResult, ...] = ()  # in canvas order
    ambition_gap: AmbitionGap | None = None
    current_phases: frozenset[str] = frozenset()  # the phases the partners say they are in

    @property
    def counts(self) -> Mapping[Verdict, int]:
        return self.total.counts

    @property
    def strengths(self) -> tuple[ThemeResult, ...]:
        return tuple(r for r in self.results if r.verdict is Verdict.SHARED_STRENGTH)

    @property
    def agenda_size(self) -> int:
        """Items on the whole agenda, the ambition gap included."""
        return len(self.agenda) + (self.ambition_gap is not None)

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
    ambitions = tuple(
        ambition_result(a, by_social.get(a.id), by_business.get(a.id)) for a in canvas.ambitions
    )
    differing = tuple(r for r in ambitions if r.differs)
    gap = AmbitionGap(differing) if differing else None
    current = current_phases(ambitions)
    return Comparison(
        results=results,
        total=_tally(results),
        phases={p.id: _tally(r for r in results if r.theme.phase == p.id) for p in canvas.phases},
        parts={part: _tally(r for r in results if r.theme.part is part) for part in Part},
        movement=None if previous is None else _movement(canvas, by_social, by_business, previous),
        agenda=agenda(results, current, AGENDA_SIZE - (gap is not None), thresholds),
        thresholds=thresholds,
        ambitions=ambitions,
        ambition_gap=gap,
        current_phases=current,
    )


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
    verdict = classify(a, b, thresholds)
    if verdict is Verdict.INCOMPLETE:
        states = {state_of(social), state_of(business)}
        if State.UNANSWERED not in states:
            verdict = Verdict.NOT_YET if State.NOT_YET in states else Verdict.SKIPPED
    return ThemeResult(theme, social, business, verdict, gap)


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
