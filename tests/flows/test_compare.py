"""The comparison of two partners' answers: verdicts, counts, movement and the agenda.

The helpers at the top (a canvas built from a short spec, answers from a dict of scores) are
shared with test_summary.py and test_chart_report.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from flows.canvas import Canvas, Part, parse_canvas
from flows.compare import Thresholds, Verdict, classify, compare
from flows.model import Answer
from tests.flows.conftest import CANVAS_HEADER

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
SOCIAL, BUSINESS = 1, 2

# (phase id, [(theme id, part), ...]) in the order of asking
Spec = Sequence[tuple[str, Sequence[tuple[str, Part]]]]

SMALL: Spec = [
    ("orientation", [("selection", Part.PARTNERSHIP), ("resources", Part.RESOURCES)]),
    ("integration", [("trust", Part.PARTNERSHIP), ("value", Part.VALUE)]),
]
_PARTS = itertools.cycle(Part)
SEVENTEEN: Spec = [
    (phase, [(f"{phase[:3]}{i}", next(_PARTS)) for i in range(count)])
    for phase, count in (("orientation", 6), ("integration", 6), ("transformation", 5))
]


def build_canvas(spec: Spec) -> Canvas:
    """A canvas with the given phases and themes; titles and questions name the theme id."""
    lines = [CANVAS_HEADER]
    for phase, _ in spec:
        lines.append(
            f'[[phases]]\nid = "{phase}"\ntitle = {{nl = "Fase {phase}", en = "Phase {phase}"}}\n'
            'intro = {nl = "Intro.", en = "Intro."}'
        )
    for phase, themes in spec:
        for theme, part in themes:
            lines.append(
                f'[[themes]]\nid = "{theme}"\nphase = "{phase}"\npart = "{part.value}"\n'
                f'title = {{nl = "Thema {theme}", en = "Theme {theme}"}}\n'
                f'statement = {{nl = "Wij zijn klaar voor {theme}.", '
                f'en = "We are ready for {theme}."}}\n'
                f'question = {{nl = "Wat vraagt {theme} van ons?", en = "What does {theme} ask?"}}'
                "\n"
                f'gist = {{nl = "is klaar voor {theme}", en = "is ready for {theme}"}}\n'
                f'next_step = {{nl = "Begin met {theme}.", en = "Start on {theme}."}}'
            )
    return parse_canvas("\n".join(lines))


def answers(
    user_id: int,
    scores: Mapping[str, int | None],
    notes: Mapping[str, str] | None = None,
    round_: int = 1,
) -> list[Answer]:
    """One partner's answers: a score (None = skipped) and optional note per theme id."""
    notes = notes or {}
    return [
        Answer("p1", round_, user_id, theme, "test.1", score, notes.get(theme), NOW)
        for theme, score in scores.items()
    ]


CANVAS = build_canvas(SMALL)


@pytest.mark.parametrize(("a", "b"), [(3, 4), (4, 3), (2, 3), (3, 2)])
def test_a_gap_of_exactly_one_across_neutral_is_not_a_mismatch(a: int, b: int):
    """Scores one point apart, one of them neutral, are aligned rather than a mismatch."""
    assert classify(a, b) is Verdict.ALIGNED


@pytest.mark.parametrize(("a", "b"), [(3, 5), (5, 3), (2, 4), (4, 2), (1, 3), (1, 5)])
def test_a_gap_of_two_or_more_is_a_mismatch(a: int, b: int):
    """Scores two or more points apart are a mismatch, whichever partner scored higher."""
    assert classify(a, b) is Verdict.MISMATCH


@pytest.mark.parametrize(("a", "b"), [(4, 5), (5, 4), (4, 4), (5, 5)])
def test_both_agreeing_is_a_shared_strength(a: int, b: int):
    """Both partners at 4 or 5 is a shared strength."""
    assert classify(a, b) is Verdict.SHARED_STRENGTH


@pytest.mark.parametrize(("a", "b"), [(1, 2), (2, 1), (1, 1), (2, 2)])
def test_both_disagreeing_is_a_shared_concern(a: int, b: int):
    """Both partners at 1 or 2 is a shared concern."""
    assert classify(a, b) is Verdict.SHARED_CONCERN


def test_both_neutral_is_aligned():
    """Both partners at 3 are aligned."""
    assert classify(3, 3) is Verdict.ALIGNED


@pytest.mark.parametrize(("a", "b"), [(None, 3), (3, None), (None, None)])
def test_a_skipped_or_missing_answer_is_incomplete(a: int | None, b: int | None):
    """A theme that either partner skipped or has not answered cannot be compared."""
    assert classify(a, b) is Verdict.INCOMPLETE


def test_the_thresholds_are_used_and_opposite_sides_stay_a_mismatch():
    """Custom thresholds change the gap rule, but answers either side of neutral still clash."""
    lenient = Thresholds(mismatch_gap=4)
    assert classify(3, 5, lenient) is Verdict.ALIGNED
    assert classify(2, 4, lenient) is Verdict.MISMATCH
    assert classify(1, 5, lenient) is Verdict.MISMATCH


def test_classify_is_symmetric():
    """Swapping the partners never changes the verdict."""
    scores = [None, 1, 2, 3, 4, 5]
    for a, b in itertools.product(scores, scores):
        assert classify(a, b) is classify(b, a)


def test_results_follow_the_canvas_with_gaps_and_verdicts():
    """Each theme gets both answers, the gap and the verdict, in the order of the canvas."""
    social = answers(SOCIAL, {"trust": 5, "selection": 4, "resources": None, "value": 2})
    business = answers(BUSINESS, {"value": 2, "trust": 2, "selection": 5})
    result = compare(CANVAS, social, business)
    assert [r.theme.id for r in result.results] == ["selection", "resources", "trust", "value"]
    assert [r.verdict for r in result.results] == [
        Verdict.SHARED_STRENGTH,
        Verdict.INCOMPLETE,
        Verdict.MISMATCH,
        Verdict.SHARED_CONCERN,
    ]
    assert [r.gap for r in result.results] == [1, None, 3, 0]
    resources = result.results[1]
    assert resources.social is not None
    assert resources.social_score is None
    assert resources.business is None


def test_answers_to_unknown_themes_are_ignored_and_the_latest_answer_counts():
    """An answer to a theme not in the canvas is left out; of two answers the later one counts."""
    earlier = answers(SOCIAL, {"trust": 1})
    later = [
        Answer("p1", 1, SOCIAL, "trust", "test.1", 5, None, NOW + timedelta(minutes=1)),
        Answer("p1", 1, SOCIAL, "gone", "test.1", 1, None, NOW),
    ]
    result = compare(CANVAS, [*later, *earlier], answers(BUSINESS, {"trust": 5}))
    assert len(result.results) == 4
    trust = result.results[2]
    assert trust.social_score == 5
    assert trust.verdict is Verdict.SHARED_STRENGTH


def test_counts_per_phase_and_part_and_alignment():
    """Counts are kept overall, per phase and per part, with each group's alignment figure."""
    social = answers(SOCIAL, {"selection": 4, "resources": 1, "trust": 5, "value": 2})
    business = answers(BUSINESS, {"selection": 5, "resources": 1, "trust": 2, "value": None})
    result = compare(CANVAS, social, business)
    assert result.counts == {
        Verdict.MISMATCH: 1,
        Verdict.SHARED_STRENGTH: 1,
        Verdict.SHARED_CONCERN: 1,
        Verdict.ALIGNED: 0,
        Verdict.NOT_YET: 0,
        Verdict.SKIPPED: 1,
        Verdict.INCOMPLETE: 0,
    }
    assert list(result.phases) == ["orientation", "integration"]
    assert result.phases["orientation"].counts[Verdict.SHARED_STRENGTH] == 1
    assert result.phases["orientation"].counts[Verdict.SHARED_CONCERN] == 1
    assert result.phases["orientation"].alignment == 1.0
    assert result.phases["integration"].complete == 1
    assert result.phases["integration"].alignment == 0.0
    assert result.parts[Part.PARTNERSHIP].counts[Verdict.MISMATCH] == 1
    assert result.parts[Part.PARTNERSHIP].alignment == 0.5
    assert result.parts[Part.RESOURCES].counts[Verdict.SHARED_CONCERN] == 1
    assert result.parts[Part.VALUE].counts[Verdict.SKIPPED] == 1
    assert result.total.alignment == pytest.approx(2 / 3)


def test_alignment_is_none_without_a_complete_theme():
    """A group in which no theme has both scores has no alignment figure."""
    result = compare(CANVAS, answers(SOCIAL, {"trust": 4}), [])
    assert result.phases["integration"].alignment is None
    assert result.total.complete == 0
    assert result.total.alignment is None


def test_agenda_holds_five_by_weight_gaps_by_size_concerns_by_depth_ties_in_canvas_order():
    """At most five items: a gap weighs its size, a shared concern 2 to 3 by how deep it is;
    equal weights keep canvas order, and what does not fit is left off."""
    canvas = build_canvas(
        [("one", [(t, Part.VALUE) for t in ("a", "b", "c", "d", "e", "f", "g")])]
    )
    social = answers(SOCIAL, {"a": 2, "b": 1, "c": 5, "d": 1, "e": 3, "f": 2, "g": 4})
    business = answers(BUSINESS, {"a": 1, "b": 3, "c": 1, "d": 4, "e": 5, "f": 2, "g": 4})
    result = compare(canvas, social, business)
    assert [item.theme.id for item in result.agenda] == ["c", "d", "a", "b", "e"]
    assert [item.weight for item in result.agenda] == [4, 3, 2.5, 2, 2]
    assert [item.verdict for item in result.agenda] == [
        Verdict.MISMATCH,
        Verdict.MISMATCH,
        Verdict.SHARED_CONCERN,
        Verdict.MISMATCH,
        Verdict.MISMATCH,
    ]


def test_agenda_items_carry_scores_notes_and_the_opening_question():
    """Each agenda item has both scores, both notes and the theme's reflection question."""
    social = answers(SOCIAL, {"trust": 5}, {"trust": "  We delen alles.  "})
    business = answers(BUSINESS, {"trust": 1}, {"trust": "   "})
    (item,) = compare(CANVAS, social, business).agenda
    assert (item.social_score, item.business_score) == (5, 1)
    assert item.social_note == "We delen alles."
    assert item.business_note is None  # a blank note is no note
    assert item.question("nl") == "Wat vraagt trust van ons?"
    assert item.question("en") == "What does trust ask?"


def test_movement_is_none_without_a_previous_round():
    """Without the previous round's answers there is no movement at all."""
    result = compare(CANVAS, answers(SOCIAL, {"trust": 4}), answers(BUSINESS, {"trust": 4}))
    assert result.movement is None


def test_movement_is_the_change_per_theme_and_partner():
    """Movement is the new score minus the old one, None where either is missing or skipped."""
    social = answers(SOCIAL, {"selection": 4, "resources": 2, "trust": None}, round_=2)
    business = answers(BUSINESS, {"selection": 5, "resources": 2, "trust": 3}, round_=2)
    previous = (
        answers(SOCIAL, {"selection": 3, "resources": 4, "trust": 5}),
        answers(BUSINESS, {"selection": 5, "trust": None}),
    )
    movement = compare(CANVAS, social, business, previous).movement
    assert movement is not None
    assert (movement["selection"].social, movement["selection"].business) == (1, 0)
    assert (movement["resources"].social, movement["resources"].business) == (-2, None)
    assert (movement["trust"].social, movement["trust"].business) == (None, None)
    assert (movement["value"].social, movement["value"].business) == (None, None)
