"""The bot tells its repository when an update is handled alone: only then may a commit wait
for the disk on the event loop (storage/writer.py); with another update in progress it may
not, so that update's work goes on during the sync."""

from __future__ import annotations

from storage.sqlite import SqliteRepository
from tests.bot.conftest import Harness
from tests.bot.test_journey_bot import SOCIAL, create, join
from tests.bot.test_live_card import answer_card


async def test_only_an_update_handled_alone_is_told_it_is_alone(harness: Harness) -> None:
    token = await create(harness)
    await join(harness, token)
    services = harness.app.bot_data
    repo = services.journey.repo
    assert isinstance(repo, SqliteRepository)
    told: list[bool] = []
    alone = repo.alone

    def noted() -> bool:
        told.append(alone())
        return told[-1]

    repo.alone = noted
    await answer_card(harness, SOCIAL)
    by_itself, told[:] = list(told), []
    services.handling += 1  # another update is being handled meanwhile
    try:
        await answer_card(harness, SOCIAL)
    finally:
        services.handling -= 1

    assert by_itself == [True]  # the answer's one commit
    assert told == [False]
    assert services.handling == 0  # each update counted itself out again
