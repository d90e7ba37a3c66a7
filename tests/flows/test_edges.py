"""Edges (issue 11, items 15 and 16): one invite opened by two at once, names with control
characters, an old erase button, caps on /new and /invite, a meeting in the clock change."""

from __future__ import annotations

import asyncio

from flows.events import Command
from flows.journey import Journey
from flows.model import Role
from storage.sqlite import SqliteRepository
from tests.flows.conftest import Clock, Person
from tests.flows.test_journey import BUSINESS, SOCIAL, start_partnership


async def test_two_people_using_one_invite_at_once_hear_it_was_used(
    journey: Journey, repo: SqliteRepository
) -> None:
    """Both open the link and name their organisation at the same moment: one joins, the other
    is told the link has been used (not that something went wrong)."""
    social = Person(journey, SOCIAL)
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    first, second = Person(journey, BUSINESS), Person(journey, BUSINESS + 1)
    for person in (first, second):
        await person.command(Command.START, token)
    await asyncio.gather(first.say("Jansen BV"), second.say("Pietersen BV"))
    [membership] = await repo.memberships(SOCIAL)
    members = await repo.members(membership.partnership_id)
    joined = [m.user_id for m in members if m.role is Role.BUSINESS]
    assert len(joined) == 1
    loser = second if joined == [BUSINESS] else first
    assert "al gebruikt" in loser.text()
    assert await repo.memberships(loser.user.id) == []


async def test_organisation_names_lose_invisible_direction_and_width_controls(
    journey: Journey, repo: SqliteRepository
) -> None:
    """A name with right-to-left overrides, isolates and zero-width characters is stored
    without them; a name of only such characters counts as empty."""
    social = Person(journey, SOCIAL)
    await social.command(Command.START)
    await social.say("\u200b\u202e\ufeff\u2066")
    assert "Typ de naam" in social.text()
    await social.say("De\u200b Kor\u202erel\u2069 \u200fBV\ufeff")
    await social.tap(f"o:{Role.SOCIAL.value}")
    [membership] = await repo.memberships(SOCIAL)
    assert membership.organisation == "De Korrel BV"


async def test_an_unused_erase_button_expires_after_ten_minutes(
    journey: Journey, repo: SqliteRepository, clock: Clock
) -> None:
    """'Yes, erase everything' tapped eleven minutes after /forget erases nothing; a fresh
    /forget answered at once does erase."""
    social = Person(journey, SOCIAL)
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    await social.command(Command.FORGET)
    old = social.button("f:yes")
    clock.advance(minutes=11)
    await social.tap(old)
    assert "verlopen" in social.text()
    assert await repo.memberships(SOCIAL)
    await social.command(Command.FORGET)
    await social.tap(social.button("f:yes"))
    assert await repo.memberships(SOCIAL) == []


async def test_new_partnerships_are_capped_per_person(
    journey: Journey, repo: SqliteRepository
) -> None:
    """After ten partnerships of their own, /new is refused with the limit named."""
    social = Person(journey, SOCIAL)
    await social.command(Command.START)
    for number in range(10):
        if number:
            await social.command(Command.NEW)
        await social.say(f"Korrel {number}")
        await social.tap(f"o:{Role.SOCIAL.value}")
    assert len(await repo.memberships(SOCIAL)) == 10
    await social.command(Command.NEW)
    assert "al 10 samenwerkingen gestart" in social.text()
    await social.say("Korrel 11")
    assert len(await repo.memberships(SOCIAL)) == 10


async def test_invites_are_capped_per_partnership_and_day(
    journey: Journey, repo: SqliteRepository, clock: Clock
) -> None:
    """Links are renewed at most five times a day (the first links count); a day later again."""
    social = Person(journey, SOCIAL)
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    for _ in range(4):
        clock.advance(minutes=1)
        await social.command(Command.INVITE)
        assert "start=" in social.text()
    clock.advance(minutes=1)
    await social.command(Command.INVITE)
    assert "start=" not in social.text()
    assert "al 5 keer" in social.text()
    clock.advance(days=1)
    await social.command(Command.INVITE)
    assert "start=" in social.text()


async def test_a_meeting_in_the_hour_the_clocks_skip_is_refused(
    journey: Journey, repo: SqliteRepository, clock: Clock
) -> None:
    """29-03-2026 02:30 and 28-03-2027 02:30 do not happen in Amsterdam: refused with a clear
    message and not stored; 03:30 that night is accepted as given."""
    social = Person(journey, SOCIAL)
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    for night in ("29-03-2026", "28-03-2027"):
        await social.command(Command.MEETING, f"{night} 02:30")
        assert f"{night} 02:30 bestaat niet" in social.text()
    [membership] = await repo.memberships(SOCIAL)
    stored = await repo.partnership(membership.partnership_id)
    assert stored is not None
    assert stored.meeting_at is None
    await social.command(Command.MEETING, "28-03-2027 03:30")
    assert "28-03-2027 03:30" in social.text()
    stored = await repo.partnership(membership.partnership_id)
    assert stored is not None
    assert stored.meeting_at is not None
    assert stored.meeting_at.isoformat().startswith("2027-03-28T01:30")
