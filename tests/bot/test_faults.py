"""Telegram's faults and concurrent users: nothing is lost, nothing is doubled."""

from __future__ import annotations

import asyncio
import os

from bot.settings import Settings
from flows.actions import Send
from tests.bot.conftest import Harness
from tests.bot.test_journey_bot import (
    BUSINESS,
    SOCIAL,
    THEMES,
    create,
    join,
    past_ambitions,
    shows_question,
    statement_scores,
    stored_answers,
)
from tests.support import scenario
from tests.support.offline import OfflineRequest


async def test_an_edit_telegram_refuses_becomes_a_new_message(harness: Harness) -> None:
    """When the question message can't be edited any more, the answered view is sent anew."""
    await create(harness)
    await past_ambitions(harness, SOCIAL)
    harness.telegram.fail_next("editMessageText", 400, "Bad Request: message to edit not found")
    await harness.tap(SOCIAL, "a:", replace_last="4")
    assert any("4 · Eens" in t for t in harness.texts_to(SOCIAL))


async def test_a_double_tap_edit_is_not_an_error(harness: Harness) -> None:
    """'message is not modified' from a doubled edit is ignored, not reported to the user."""
    await create(harness)
    harness.telegram.fail_next("editMessageText", 400, "Bad Request: message is not modified")
    await harness.tap(SOCIAL, "a:", replace_last="4")
    assert not any("ging aan onze kant iets mis" in t for t in harness.texts_to(SOCIAL))


async def test_network_errors_are_retried_and_the_answer_stored_once(
    harness: Harness, settings: Settings
) -> None:
    """A time-out on the reply is retried; the answer was committed once before any reply."""
    await create(harness)
    await past_ambitions(harness, SOCIAL)
    harness.offline.raise_network_error_next("editMessageText", timed_out=True)
    await harness.tap(SOCIAL, "a:", replace_last="2")
    assert shows_question(harness.shown_to(SOCIAL)[-1], len(scenario.AMBITIONS) + 2)
    stored = await stored_answers(settings, SOCIAL)
    assert stored["selection"] == 2
    assert len(stored) == len(scenario.AMBITIONS) + 1


async def test_a_user_who_blocked_the_bot_is_marked_and_the_partner_told(
    harness: Harness,
) -> None:
    """A 403 on sending marks that member unreachable and tells the partner, once."""
    token = await create(harness)
    await join(harness, token)
    harness.telegram.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await harness.app.bot_data.send([Send(BUSINESS, "hallo")])
    await harness.settle()
    assert any("niet meer bereiken" in t for t in harness.texts_to(SOCIAL))
    [member] = await harness.app.bot_data.journey.repo.memberships(BUSINESS)
    assert member.unreachable
    await harness.text(BUSINESS, "I'm back", language_code="en")
    [member] = await harness.app.bot_data.journey.repo.memberships(BUSINESS)
    assert not member.unreachable


async def test_flood_limits_are_waited_out(settings: Settings) -> None:
    """A 429 with retry_after is retried by the rate limiter; the message still arrives."""
    harness = Harness(settings, rate_limiter=True)
    await harness.start()
    try:
        await harness.command(SOCIAL, "/start")
        harness.telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 1")
        await harness.command(SOCIAL, "/help")
        assert any("Zo werkt het" in t for t in harness.texts_to(SOCIAL))
    finally:
        await harness.stop()


async def test_partners_finishing_at_the_same_moment_get_one_summary(harness: Harness) -> None:
    """Concurrent last answers of both partners deliver the summary exactly once."""
    token = await create(harness)
    await join(harness, token)
    for user in (SOCIAL, BUSINESS):
        for _ in range(THEMES - 1):
            await harness.tap(user, "a:", replace_last="3")
    last = []
    for user in (SOCIAL, BUSINESS):
        message_id, data = harness.message_with(user, "a:")
        last.append(harness.updates.callback(user, data, message_id=message_id))
    await asyncio.gather(*(harness.arrive(update) for update in last))
    await harness.settle()
    photos = harness.offline.calls_to("sendPhoto")
    assert sorted(int(str(p.params["chat_id"])) for p in photos) == [SOCIAL, BUSINESS]


async def test_one_users_quick_taps_are_handled_in_order(
    harness: Harness, settings: Settings
) -> None:
    """Quick taps of one user arriving together are processed in arrival order."""
    await create(harness)
    await past_ambitions(harness, SOCIAL)
    message_id, data = harness.message_with(SOCIAL, "a:")
    first = harness.updates.callback(SOCIAL, data.rsplit(":", 1)[0] + ":5", message_id=message_id)
    second = harness.updates.callback(SOCIAL, data.rsplit(":", 1)[0] + ":1", message_id=message_id)
    await asyncio.gather(harness.arrive(first), harness.arrive(second))
    stored = await stored_answers(settings, SOCIAL)
    assert stored["selection"] == 5
    assert statement_scores(stored) == {5}


# The full size, 1000 pairs (40,000 answers), takes about three minutes on this 2-core
# machine; `LOAD_PARTNERSHIPS=100 make test` is a quicker run while developing.
LOAD_PARTNERSHIPS = int(os.environ.get("LOAD_PARTNERSHIPS", "1000"))


async def test_many_partnerships_answer_concurrently(settings: Settings) -> None:
    """Many pairs answering at once: every answer stored once, everyone done, no errors."""
    partnerships = LOAD_PARTNERSHIPS

    def tiny_chart(*_: object, **__: object) -> bytes:
        return b"\x89PNG\r\n\x1a\n"

    harness = Harness(settings, OfflineRequest(lean=True), arrive=True, chart=tiny_chart)
    await harness.start()
    errors: list[object] = []
    harness.app.add_error_handler(lambda _u, c: _record(errors, c.error))  # type: ignore[arg-type,return-value]
    try:
        users = [(10_000 + 2 * n, 10_001 + 2 * n) for n in range(partnerships)]
        await asyncio.gather(*(_pair(harness, social, business) for social, business in users))
        repo = harness.app.bot_data.journey.repo
        for social, business in users:
            [membership] = await repo.memberships(social)
            counts = await repo.answer_counts(membership.partnership_id, 1)
            assert counts == {social: THEMES, business: THEMES}
            participant = await repo.participant(business)
            assert participant is not None
            assert participant.state == "done"
        assert errors == []
        harness.offline.assert_no_violations()
    finally:
        await harness.stop()


async def _record(errors: list[object], error: object) -> None:
    errors.append(error)


async def _pair(harness: Harness, social: int, business: int) -> None:
    token = await scenario.start(harness, social, f"Sociaal {social}")
    await scenario.join(harness, business, token, f"Bedrijf {business}")
    await asyncio.gather(
        *(scenario.answer(harness, user, THEMES, 4) for user in (social, business))
    )
