"""The outbox: every message that matters is delivered per chat, retried, and sent once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.render import ChatPacer
from bot.settings import Settings
from flows.actions import Send
from flows.model import Changes, Outgoing
from storage.sqlite import SqliteRepository
from tests.bot.conftest import Harness
from tests.bot.test_journey_bot import BUSINESS, SOCIAL, THEMES, create, invite_token, join
from tests.bot.test_live_card import PacerClock
from tests.support import scenario

FACILITATOR = 5003
QUICK = (0.05,)  # the back-off of these tests: a retry comes 50 ms after a failure


def repo_of(harness: Harness) -> SqliteRepository:
    repo = harness.app.bot_data.journey.repo
    assert isinstance(repo, SqliteRepository)
    return repo


async def waiting(harness: Harness) -> list[Outgoing]:
    """The rows not sent yet, due or not."""
    return await repo_of(harness).outbox.due(datetime.now(UTC) + timedelta(days=2), 1000)


async def settle_retries(harness: Harness, rounds: int = 40) -> None:
    """Let the retries come, until nothing waits in the outbox."""
    for _ in range(rounds):
        await harness.settle()
        if not await waiting(harness):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not empty")


def photo_chats(harness: Harness) -> list[int | None]:
    """The chats that got a picture, in order of delivery (successful calls only)."""
    return [c.chat_id for c in harness.offline.calls_to("sendPhoto") if c.ok]


async def three_finish(harness: Harness) -> None:
    """Both partners and a facilitator; the business's last answer is left to the test."""
    token = await create(harness)
    await scenario.join(
        harness, FACILITATOR, invite_token(harness, SOCIAL, "facilitator"), "Coach"
    )
    await join(harness, token)
    await scenario.answer(harness, SOCIAL, THEMES, 4)
    await scenario.answer(harness, BUSINESS, THEMES - 1, 2, language="en")


async def test_a_failing_photo_holds_up_no_one_and_is_retried(settings: Settings) -> None:
    """The first summary picture failing does not stop the others' summaries, and is retried."""
    harness = Harness(settings, outbox_backoff=(0.3,))
    async with harness:
        await three_finish(harness)
        harness.offline.raise_network_error_next("sendPhoto")
        await scenario.answer(harness, BUSINESS, 1, 2, language="en")
        [failed] = [c for c in harness.offline.calls_to("sendPhoto") if not c.ok]
        assert sorted([*photo_chats(harness), failed.chat_id]) == [SOCIAL, BUSINESS, FACILITATOR]
        assert failed.chat_id in {r.chat_id for r in await waiting(harness)}  # kept
        await settle_retries(harness)
        assert sorted(photo_chats(harness)) == [SOCIAL, BUSINESS, FACILITATOR]
        assert photo_chats(harness)[-1] == failed.chat_id  # the others did not wait for it
        assert len(harness.offline.calls_to("sendDocument", FACILITATOR)) == 1


async def test_a_network_failure_in_the_reminder_scan_loses_no_reminder(
    settings: Settings,
) -> None:
    """Reminders that fail to send stay in the outbox and all arrive once the network is back."""
    harness = Harness(settings, outbox_backoff=(0.3,))
    async with harness:
        users = [(6000 + 2 * n, 6001 + 2 * n) for n in range(3)]
        for social, business in users:
            token = await scenario.start(harness, social, f"Sociaal {social}")
            await scenario.join(harness, business, token, f"Bedrijf {business}")
        mark = harness.telegram.mark()
        harness.offline.raise_network_error_next("sendMessage", times=3)
        journey = harness.app.bot_data.journey
        journey.clock = lambda: datetime.now(UTC) + timedelta(days=3, hours=1)
        [job] = harness.app.job_queue.get_jobs_by_name("momentum")  # type: ignore[union-attr]
        await job.run(harness.app)
        await harness.settle()
        assert len(await waiting(harness)) == 3  # failed, kept for the next attempt
        await settle_retries(harness)
        reminded = [c.chat_id for c in harness.telegram.calls[mark:] if c.ok]
        everyone = [u for pair in users for u in pair]
        assert sorted(reminded) == sorted(everyone)  # each once, none lost


async def test_messages_committed_before_a_restart_are_sent_after_it(settings: Settings) -> None:
    """A notice committed while no sender ran is delivered by the next start: rows survive."""
    first = Harness(settings)
    async with first:
        token = await create(first)
        await first.app.bot_data.outbox.stop()  # the process dies between commit and send
        await join(first, token)
        assert not any("Jansen BV" in t for t in first.texts_to(SOCIAL))
    second = Harness(settings)
    async with second:
        await second.settle()
        assert sum("Jansen BV" in t for t in second.texts_to(SOCIAL)) == 1


async def test_one_chats_pacing_does_not_delay_another(settings: Settings) -> None:
    """Chat A's second message waits for A's pacing; chat B's message does not wait behind it."""
    harness = Harness(settings)
    async with harness:
        harness.app.bot_data.renderer_.pacer = ChatPacer(burst=1, per_second=5.0)  # type: ignore[union-attr]
        now = datetime.now(UTC)
        rows = [Send(SOCIAL, "A1"), Send(SOCIAL, "A2"), Send(BUSINESS, "B1")]
        await repo_of(harness).commit(Changes(outbox=[Outgoing(a, now) for a in rows]))
        await harness.settle()
        order = [c.params["text"] for c in harness.offline.calls_to("sendMessage")]
        assert order == ["A1", "B1", "A2"]


async def test_a_delivered_message_is_never_sent_again(settings: Settings) -> None:
    """Once Telegram accepted a message, further scans and a restart do not send it again."""
    first = Harness(settings)
    async with first:
        token = await create(first)
        await join(first, token)
        for _ in range(3):
            await first.settle()
        assert sum("Jansen BV" in t for t in first.texts_to(SOCIAL)) == 1
        assert await waiting(first) == []
        assert await repo_of(first).outbox.sent_count(SOCIAL) == 1
    second = Harness(settings)
    async with second:
        await second.settle()
        assert not any("Jansen BV" in t for t in second.texts_to(SOCIAL))


async def test_the_summary_reaches_everyone_within_a_second_of_the_last_answer(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With pacing as in production, when the business gives the last answer after reading
    the statement for 4 seconds, the summary (and the facilitator's report) reaches all three
    chats within one second of that tap: one chat's pacing holds up no other chat. The time
    is the pacer's, on a clock the test moves (tests.bot.test_live_card.PacerClock)."""
    clock = PacerClock()
    monkeypatch.setattr("bot.render.AsyncLimiter", clock.limiter())
    harness = Harness(settings, rate_limiter=True)
    async with harness:
        await three_finish(harness)
        clock.now += 4.0  # reading the last statement
        tapped_at = clock.now
        before = len(harness.offline.calls)
        await scenario.answer(harness, BUSINESS, 1, 2, language="en")
        await harness.settle()
        delivered = {c.chat_id for c in harness.offline.calls[before:] if c.ok}
        photos = {c.chat_id for c in harness.offline.calls[before:] if c.method == "sendPhoto"}
        waited = clock.now - tapped_at
    assert photos == {SOCIAL, BUSINESS, FACILITATOR}
    assert delivered >= photos
    assert waited <= 1.0, f"the summary waited {waited:.2f} s for the per-chat pacing"
