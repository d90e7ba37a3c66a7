"""The scheduled briefing through the job queue reaches the facilitator once, across a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.handlers.momentum import scan
from bot.settings import Settings
from tests.bot.conftest import Harness
from tests.bot.test_journey_bot import BUSINESS, SOCIAL, create, invite_token, join
from tests.support import scenario

FACILITATOR = 5003


def later(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


async def run_scan(harness: Harness, now: datetime) -> None:
    journey = harness.app.bot_data.journey
    journey.clock = lambda: now
    [job] = harness.app.job_queue.get_jobs_by_name("momentum")  # type: ignore[union-attr]
    assert job.callback is scan
    await job.run(harness.app)
    await harness.settle()
    harness.offline.assert_no_violations()


async def test_briefing_is_sent_once_even_across_a_restart(settings: Settings) -> None:
    """The facilitator's briefing goes out when due, once, and not again after a restart."""
    first = Harness(settings)
    await first.start()
    try:
        token = await create(first)
        facilitator_token = invite_token(first, SOCIAL, "facilitator")
        await scenario.join(first, FACILITATOR, facilitator_token, "Coach & Co")
        await join(first, token)
        meeting = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
        await first.command(FACILITATOR, "/meeting", meeting)  # the facilitator sets it
        assert "Gesprek gepland" in first.texts_to(FACILITATOR)[-1]
        sent_before = len(first.offline.calls_to("sendMessage"))
        await run_scan(first, later(1.5))
        assert len(first.offline.calls_to("sendMessage")) == sent_before  # not due yet
        await run_scan(first, later(2.5))
        sent = first.offline.calls_to("sendMessage")[sent_before:]
        [briefing] = [c for c in sent if c.chat_id == FACILITATOR]
        assert "Voorbereiding" in briefing.text
        assert first.offline.calls_to("sendDocument") == []  # no report before both are done
        partners = {c.chat_id for c in sent if c.chat_id != FACILITATOR}
        assert partners == {SOCIAL, BUSINESS}  # neither has finished: both are reminded
    finally:
        await first.stop()

    second = Harness(settings)
    await second.start()
    try:
        await run_scan(second, later(2.6))
        assert second.offline.calls_to("sendDocument") == []
        assert second.offline.calls_to("sendMessage") == []
    finally:
        await second.stop()
