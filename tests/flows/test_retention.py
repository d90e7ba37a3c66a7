"""The daily retention job deletes people who stayed in no partnership, not only partnerships."""

from __future__ import annotations

from flows.events import Command
from flows.journey import Journey
from storage.sqlite import SqliteRepository
from tests.flows.conftest import Clock, Person

NEWCOMER = 501
STAYER = 502


async def test_retention_purges_a_newcomer_who_never_finished_onboarding(
    journey: Journey, repo: SqliteRepository, clock: Clock
) -> None:
    """Someone who typed an organisation name and then left is deleted after the retention
    period, with that name; someone who wrote to the bot since stays."""
    newcomer, stayer = Person(journey, NEWCOMER), Person(journey, STAYER)
    for person in (newcomer, stayer):
        await person.command(Command.START)
        await person.say("Onaf BV")
    stored = await repo.participant(NEWCOMER)
    assert stored is not None
    assert "Onaf BV" in stored.context.values()

    clock.advance(days=200)
    await stayer.command(Command.HELP)
    clock.advance(days=166)
    await journey.purge_inactive(clock())

    assert await repo.participant(NEWCOMER) is None
    assert await repo.participant(STAYER) is not None
