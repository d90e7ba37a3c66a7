"""Updates are handled concurrently across users, and strictly in arrival order per user.

Two partners answering at the same moment do not wait for each other; one user tapping
quickly never has a later tap overtake an earlier one; and one user flooding the bot never
holds up anyone else:

- An update waits for its user's earlier updates *before* it takes one of the shared slots,
  so a user's queue only ever occupies one slot at a time.
- A user's queue holds at most ``backlog`` updates; what arrives beyond that is dropped, and
  the first drop of a burst gets the user one "slow down" reply (``on_flood``), not one each.
  The burst is over when the user's queue has drained.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import BaseUpdateProcessor

logger = logging.getLogger(__name__)

FloodReply = Callable[[Update], Awaitable[None]]

# PTB's process_update (final) takes the base class's semaphore before do_process_update runs,
# i.e. before we know that the update has to wait for its user; a flood from one user would
# fill every slot with updates waiting for that user's lock. So the base class gets a bound
# that never binds, and the real bound is taken once an update's turn has come.
_NEVER_BINDS = 2**31


@dataclass
class _UserQueue:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # FIFO: arrival order holds
    waiting: int = 0  # updates queued or running
    told: bool = False  # this burst's "slow down" was sent


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self,
        max_concurrent_updates: int = 256,
        *,
        backlog: int = 10,
        on_flood: FloodReply | None = None,
    ) -> None:
        if max_concurrent_updates < 1 or backlog < 1:
            raise ValueError("max_concurrent_updates and backlog must be positive")
        super().__init__(_NEVER_BINDS)
        self.slots = max_concurrent_updates
        self.backlog = backlog
        self.on_flood = on_flood
        self._running = asyncio.Semaphore(max_concurrent_updates)
        self._users: dict[int, _UserQueue] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[object]) -> None:
        key = _key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        queue = self._users.setdefault(key, _UserQueue())
        if queue.waiting >= self.backlog:
            _discard(coroutine)
            if not queue.told and isinstance(update, Update):
                queue.told = True
                logger.info("user %s floods the bot; dropping updates until caught up", key)
                await self._tell(update)
            return
        queue.waiting += 1
        try:
            async with queue.lock, self._running:
                await coroutine
        finally:
            queue.waiting -= 1
            if not queue.waiting:
                del self._users[key]

    async def _tell(self, update: Update) -> None:
        if self.on_flood is None:
            return
        async with self._running:
            try:
                await self.on_flood(update)
            except Exception:  # a courtesy: never let it break the handling of updates
                logger.warning("could not send the slow-down reply", exc_info=True)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _discard(coroutine: Awaitable[object]) -> None:
    """A dropped update's handling never starts; close it so it is not reported unawaited."""
    if inspect.iscoroutine(coroutine):
        coroutine.close()


def _key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None
