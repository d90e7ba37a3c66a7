"""The scheduled briefing through the job queue, across a restart, sent exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.handlers.momentum import scan
from bot.settings import Settings
from tests.bot.conftest import Harness
from tests.bot.test_journey_bot import BUSINESS, SOCIAL, create, join
from tests.support.offline import OfflineRequest


def later(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


async def run_scan(harness: Harness, now: datetime) -> None:
    journey = harness.app.bot_data.journey
    journey.clock = lambda: now
    [job] = harness.app.job_queue.get_jobs_by_name("momentum")  # type: ignore[union-attr]
    assert job.callback is scan
    await job.run(harness.app)
    harness.offline.assert_no_violations()


async def test_briefing_is_sent_once_even_across_a_restart(settings: Settings) -> None:
    """The facilitator's briefing goes out when due, once, and not again after a restart."""
    first = Harness(settings, OfflineRequest())
    await first.start()
    token = await create(first)
    await join(first, token)
    meeting = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    await first.command(SOCIAL, "/meeting", meeting)
    assert "Gesprek gepland" in first.texts_to(SOCIAL)[-1]
    await run_scan(first, later(2.5))
    documents = first.offline.calls_to("sendDocument")
    assert documents == []  # no facilitator joined: partners get reminders, no report
    reminded = {c.params["chat_id"] for c in first.offline.calls_to("sendMessage")[-2:]}
    assert reminded == {SOCIAL, BUSINESS}
    await first.stop()

    second = Harness(settings, OfflineRequest())
    await second.start()
    try:
        await run_scan(second, later(2.6))
        assert second.offline.calls_to("sendMessage") == []
    finally:
        await second.stop()
