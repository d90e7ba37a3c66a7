"""One user flooding the bot neither stalls other users nor gets a reply per update."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import TypeHandler

from bot.context import CanvasContext
from bot.ordering import PerUserUpdateProcessor
from flows.messages import load_messages
from tests.bot.conftest import Harness

FLOODER, OTHER = 7001, 7002
FLOOD = 300
# Only a fallback so that a broken ordering fails the test instead of hanging it: in a
# correct run the gate opens as soon as the other user has been answered.
GATE_FALLBACK = 10.0


async def test_a_flood_from_one_user_does_not_hold_up_another(harness: Harness) -> None:
    """While the flooding user's first update is still being handled, another user's update
    is handled and answered; the flood gets exactly one slow-down reply and is not answered
    update by update."""
    gate = asyncio.Event()
    handled: list[int] = []

    async def hold_flooder(update: Update, _context: CanvasContext) -> None:
        if update.effective_user is not None and update.effective_user.id == FLOODER:
            handled.append(update.update_id)
            await gate.wait()

    harness.app.add_handler(TypeHandler(Update, hold_flooder), group=-1)
    flood = [
        asyncio.create_task(harness.arrive(harness.updates.text_message(FLOODER, f"hoi {n}")))
        for n in range(FLOOD)
    ]
    other = asyncio.create_task(harness.arrive(harness.updates.command(OTHER, "/help")))
    await asyncio.wait({other}, timeout=GATE_FALLBACK)
    answered_while_flooding = other.done()
    gate.set()
    await asyncio.gather(*flood, other)

    assert answered_while_flooding
    assert any("Zo werkt het" in t for t in harness.texts_to(OTHER))
    slow_down = str(load_messages()("slow_down", "nl"))
    to_flooder = harness.texts_to(FLOODER)
    assert to_flooder.count(slow_down) == 1
    processor = harness.app.update_processor
    assert isinstance(processor, PerUserUpdateProcessor)
    # The first update held the queue while the rest arrived: a full queue was handled, in
    # order, and the rest of the burst dropped.
    assert len(handled) == processor.backlog
    assert handled == sorted(handled)
    harness.offline.assert_no_violations()


async def test_a_new_burst_after_catching_up_gets_a_new_slow_down(harness: Harness) -> None:
    """Once the flooding user's queue has drained, the next burst is told again, once."""
    slow_down = str(load_messages()("slow_down", "en"))
    for burst in (1, 2):
        updates = [
            harness.updates.text_message(FLOODER, f"hi {n}", language_code="en") for n in range(50)
        ]
        await asyncio.gather(*(harness.arrive(u) for u in updates))
        assert harness.texts_to(FLOODER).count(slow_down) == burst
