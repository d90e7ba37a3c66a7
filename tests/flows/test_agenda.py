"""The meeting agenda: states apart from skips, ambitions first, phase weighting, extremes."""

from __future__ import annotations

import pytest

from flows.compare import AGENDA_SIZE, Comparison, Direction, State, Verdict, compare
from flows.model import Role
from tests.flows.planted import (
    BUSINESS,
    CANVAS_V2,
    PLANTED_BUSINESS,
    PLANTED_SOCIAL,
    SOCIAL,
    Score,
    ambitions,
    pair_answers,
)


def pair(social: dict[str, Score], business: dict[str, Score]) -> Comparison:
    return compare(CANVAS_V2, pair_answers(SOCIAL, social), pair_answers(BUSINESS, business))


SAME = ambitions("integration", "integration", "organisation")


@pytest.mark.parametrize(
    ("social", "business", "verdict"),
    [
        ("not_yet", 3, Verdict.NOT_YET),
        ("not_yet", None, Verdict.NOT_YET),
        (None, 3, Verdict.SKIPPED),
        (None, None, Verdict.SKIPPED),
        ("not_yet", "not_yet", Verdict.NOT_YET),
    ],
)
def test_not_yet_relevant_and_skipped_are_answers_not_open_themes(
    social: Score, business: Score, verdict: Verdict
) -> None:
    """A theme both partners answered is never 'still open', skipped or not yet relevant."""
    result = pair({"trust": social}, {"trust": business})
    trust = next(r for r in result.results if r.theme.id == "trust")
    assert trust.verdict is verdict
    assert result.counts[Verdict.INCOMPLETE] == len(CANVAS_V2.themes) - 1
    assert result.total.complete == 0


def test_each_answer_state_is_told_apart() -> None:
    """Scored, skipped, not yet relevant and unanswered are four different states."""
    result = pair({"trust": "not_yet", "goals": 4}, {"trust": None})
    by_id = {r.theme.id: r for r in result.results}
    assert by_id["trust"].social_state is State.NOT_YET
    assert by_id["trust"].business_state is State.SKIPPED
    assert by_id["goals"].social_state is State.SCORED
    assert by_id["goals"].business_state is State.UNANSWERED
    assert by_id["goals"].verdict is Verdict.INCOMPLETE


def test_ambitions_are_compared_per_partner_and_a_gap_opens_the_agenda() -> None:
    """Each ambition carries both choices; the ones that differ form the first agenda item."""
    result = pair(PLANTED_SOCIAL, PLANTED_BUSINESS)
    chosen = {r.ambition.id: (r.social, r.business) for r in result.ambitions}
    assert {k: (a.id if a else None, b.id if b else None) for k, (a, b) in chosen.items()} == {
        "depth_now": ("transaction", "transaction"),
        "depth_goal": ("transformation", "integration"),
        "impact": ("society", "organisation"),
    }
    assert result.ambition_gap is not None
    assert [r.ambition.id for r in result.ambition_gap.differing] == ["depth_goal", "impact"]
    assert len(result.agenda) == AGENDA_SIZE - 1
    assert result.agenda_size == AGENDA_SIZE


def test_same_ambitions_leave_all_five_places_to_the_themes() -> None:
    """Without an ambition gap the agenda holds up to five themes."""
    social = {**SAME, **dict.fromkeys(CANVAS_V2.theme_ids, 5)}
    business = {**SAME, **dict.fromkeys(CANVAS_V2.theme_ids, 1)}
    result = pair(social, business)
    assert result.ambition_gap is None
    assert len(result.agenda) == AGENDA_SIZE


def test_a_gap_in_the_phase_the_partners_are_in_comes_before_an_equal_gap_elsewhere() -> None:
    """Partners who see their collaboration as transactional now discuss orientation first."""
    transaction = ambitions("transaction", "integration", "organisation")
    integration = ambitions("integration", "integration", "organisation")
    scores_social: dict[str, Score] = {"trust": 5, "goals": 5}  # trust: integration phase
    scores_business: dict[str, Score] = {"trust": 3, "goals": 3}  # goals: orientation phase
    in_orientation = pair({**transaction, **scores_social}, {**transaction, **scores_business})
    assert [i.theme.id for i in in_orientation.agenda] == ["goals", "trust"]
    assert in_orientation.current_phases == {"orientation"}
    assert [i.in_phase for i in in_orientation.agenda] == [True, False]
    in_integration = pair({**integration, **scores_social}, {**integration, **scores_business})
    assert [i.theme.id for i in in_integration.agenda] == ["trust", "goals"]


def test_in_phase_weighting_outranks_a_larger_gap_elsewhere_only_up_to_one_and_a_half() -> None:
    """An in-phase gap of 2 (weight 3) beats a gap of 2 elsewhere and ties a gap of 3, winning the
    tie; a gap of 4 elsewhere still comes first."""
    now = ambitions("transformation", "transformation", "society")  # transformation phase
    social: dict[str, Score] = {**now, "system": 5, "goals": 5, "trust": 5, "resources": 5}
    business: dict[str, Score] = {**now, "system": 3, "goals": 2, "trust": 3, "resources": 1}
    result = pair(social, business)
    assert [(i.theme.id, i.weight) for i in result.agenda] == [
        ("resources", 4.0),
        ("system", 3.0),
        ("goals", 3.0),
        ("trust", 2.0),
    ]


def test_partners_in_different_phases_weigh_both() -> None:
    """When the partners place their collaboration differently, both phases are weighted."""
    result = pair(
        {**ambitions("transaction", "integration", "organisation"), "goals": 5, "trust": 5},
        {**ambitions("integration", "integration", "organisation"), "goals": 3, "trust": 3},
    )
    assert result.current_phases == {"orientation", "integration"}
    assert all(item.in_phase for item in result.agenda)
    assert result.ambition_gap is not None  # depth now differs: an ambition gap too


def test_a_strong_view_against_a_skip_or_not_yet_relevant_counts() -> None:
    """A 5 against 'not yet relevant' and a 1 against a skip are on the agenda; a 4 is not."""
    result = pair(
        {**SAME, "visibility": 5, "trust": None, "goals": 4},
        {**SAME, "visibility": "not_yet", "trust": 1, "goals": None},
    )
    items = {i.theme.id: i for i in result.agenda}
    assert set(items) == {"visibility", "trust"}
    assert items["visibility"].direction is Direction.ALONE_AGREE
    assert items["visibility"].first is Role.SOCIAL
    assert items["visibility"].business_state is State.NOT_YET
    assert items["trust"].direction is Direction.ALONE_DISAGREE
    assert items["trust"].first is Role.BUSINESS
    assert items["trust"].social_state is State.SKIPPED


def test_directions_follow_the_side_of_neutral_each_partner_is_on() -> None:
    """Agree against disagree, agree against neutral, neutral against disagree, both disagree."""
    result = pair(
        {**SAME, "goals": 4, "trust": 3, "investment": 3, "agreements": 1},
        {**SAME, "goals": 2, "trust": 5, "investment": 1, "agreements": 2},
    )
    items = {i.theme.id: i for i in result.agenda}
    assert (items["goals"].direction, items["goals"].first) == (Direction.APART, Role.SOCIAL)
    assert (items["trust"].direction, items["trust"].first) == (Direction.UNSURE, Role.BUSINESS)
    assert items["investment"].direction is Direction.DOUBT
    assert items["agreements"].direction is Direction.CONCERN
    assert items["goals"].next_step is not None


def test_a_shared_concern_is_on_the_agenda_even_behind_five_larger_gaps() -> None:
    """Five gaps of four points outweigh a shared concern, yet the concern takes the last place:
    both partners worry about it, so the meeting must not skip it."""
    gaps = [t for t in CANVAS_V2.theme_ids if t != "agreements"][:5]
    social: dict[str, Score] = {**SAME, **dict.fromkeys(gaps, 5), "agreements": 2}
    business: dict[str, Score] = {**SAME, **dict.fromkeys(gaps, 1), "agreements": 1}
    result = pair(social, business)
    ids = [i.theme.id for i in result.agenda]
    assert len(ids) == AGENDA_SIZE
    assert ids[-1] == "agreements"
    assert result.agenda[-1].direction is Direction.CONCERN
    assert all(i.direction is Direction.APART for i in result.agenda[:-1])
