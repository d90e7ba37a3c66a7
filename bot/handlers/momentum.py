"""The periodic scan for briefings and reminders, on PTB's job queue.

The scan reads what is due from the database, so nothing needs re-scheduling after a
restart: the first scan after start-up finds whatever became due meanwhile.
"""

from __future__ import annotations

import logging

from bot.context import CanvasApp, CanvasContext

logger = logging.getLogger(__name__)

SCAN_INTERVAL_SECONDS = 60.0
RETENTION_INTERVAL = 24 * 3600.0


async def scan(context: CanvasContext) -> None:
    journey = context.journey
    count = await journey.momentum.due(journey.clock())
    if count:  # stored in the outbox with their marks; the sender delivers them
        logger.info("%d scheduled messages stored for sending", count)


async def retention(context: CanvasContext) -> None:
    """Daily: delete partnerships without activity for the retention period (AVG)."""
    journey = context.journey
    await journey.purge_inactive(journey.clock())


def register(app: CanvasApp, interval: float = SCAN_INTERVAL_SECONDS) -> None:
    if app.job_queue is None:
        raise RuntimeError("the job queue is missing: install python-telegram-bot[job-queue]")
    app.job_queue.run_repeating(scan, interval=interval, first=interval / 4, name="momentum")
    app.job_queue.run_repeating(retention, interval=RETENTION_INTERVAL, first=60, name="retention")
