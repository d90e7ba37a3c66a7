"""Updates are handled concurrently across users, and strictly in arrival order per user.

Two partners answering at the same moment do not wait for each other; one user tapping
quickly never has a later tap overtake an earlier one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # updates queued or running per user

    async def do_process_update(self, update: object, coroutine: Awaitable[object]) -> None:
        key = _key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())  # FIFO: arrival order holds
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None
