"""The sender of the outbox: every message that matters, delivered per chat, at least once.

flows/ writes a message to the outbox in the same transaction as the change it tells of (the
summary claim, a briefing, a reminder, a join). This task delivers them:

- Each chat has its own worker, so one chat's pacing or failure never delays another chat;
  within a chat the messages go in the order they were written.
- A row is marked sent only after Telegram accepted it. A failure moves its next attempt back
  (``BACKOFF``: 2 s, 10 s, 1 min, 10 min, then hourly) and holds that chat's later rows behind
  it; after ``GIVE_UP`` the row is dropped and logged (never its content). The rows are in the
  database, so a restart carries on where the last run stopped.
- A chat that blocked the bot (403) loses its waiting rows, and its member is marked
  unreachable through the journey (the partners are told, through the outbox again).
- A refusal (400) is not retried: the same request would be refused again.
- A time-out is ambiguous: Telegram may have delivered the message. The Bot API has no
  idempotency key and no way to read a chat back, so a timed-out send is retried and may
  arrive twice (at least once). Every other failure happens before Telegram accepted the
  message, and a text split into several messages resumes after the parts that went.

The sender is woken right after a commit that added rows; it also looks every ``POLL``
seconds, for retries and for what an earlier run left.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Final, Protocol

from telegram.error import BadRequest, Forbidden, RetryAfter

from flows.actions import Action
from flows.model import Outgoing

logger = logging.getLogger(__name__)

BACKOFF: Final = (2.0, 10.0, 60.0, 600.0, 3600.0)  # seconds; the last repeats
GIVE_UP: Final = timedelta(days=1)
POLL: Final = 5.0
KEEP_SENT: Final = timedelta(days=1)  # sent rows (their content already cleared) then go
BATCH: Final = 200


class OutboxStore(Protocol):
    async def due(self, now: datetime, limit: int = BATCH) -> list[Outgoing]: ...
    async def sent(self, row: Outgoing, at: datetime, parts_sent: int = 0) -> None: ...
    async def retry(self, row: Outgoing, attempts: int, at: datetime, parts_sent: int) -> None: ...
    async def drop(self, row: Outgoing) -> None: ...
    async def drop_chat(self, chat_id: int) -> None: ...
    async def clean(self, before: datetime) -> None: ...


class Transport(Protocol):
    def messages(self, action: Action) -> list[Action]:
        """The Bot API messages of one action (a long text in several parts)."""
        ...

    async def deliver(self, message: Action) -> None:
        """Send one message (paced per chat); raise what Telegram raised."""
        ...


Blocked = Callable[[int], Awaitable[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Sender:
    """Delivers the outbox; ``start`` in post_init, ``stop`` in post_shutdown."""

    def __init__(
        self,
        store: OutboxStore,
        transport: Transport,
        on_blocked: Blocked,
        *,
        backoff: Sequence[float] = BACKOFF,
        poll: float = POLL,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.transport = transport
        self.on_blocked = on_blocked
        self.backoff = tuple(backoff)
        self.poll = poll
        self.clock = clock
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._queues: dict[int, deque[Outgoing]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._taken: set[int] = set()  # row ids queued or being sent
        self._finished: set[int] = set()  # marked since the last scan began (see _scan)
        self._paused: dict[int, datetime] = {}  # chat -> no sends before this moment
        self._held: dict[int, int] = {}
        self._released: dict[int, asyncio.Event] = {}
        self._scans = asyncio.Condition()
        self._started = self._completed = 0
        self._cleaned: datetime | None = None
        self._stopping = False

    # ------------------------------------------------------------------ life cycle

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="outbox-sender")

    async def stop(self) -> None:
        """Stop looking; let the sends under way finish (briefly), cancel the rest."""
        self._stopping = True
        self.wake()
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        workers = list(self._workers.values())
        if workers:
            _, pending = await asyncio.wait(workers, timeout=2.0)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def wake(self) -> None:
        """Rows were committed: look now."""
        self._wakeup.set()

    @contextmanager
    def hold(self, chat_id: int) -> Iterator[None]:
        """While held, nothing from the outbox goes to ``chat_id``: a person's own replies to
        their update go first, then what the update put in the outbox for them."""
        self._held[chat_id] = self._held.get(chat_id, 0) + 1
        try:
            yield
        finally:
            self._held[chat_id] -= 1
            if not self._held[chat_id]:
                del self._held[chat_id]
                if (released := self._released.pop(chat_id, None)) is not None:
                    released.set()

    async def settle(self) -> None:
        """Return once everything due now is sent (or waits for a later attempt): for tests."""
        while self._task is not None:
            async with self._scans:
                target = self._started + 1
                self.wake()
                await self._scans.wait_for(partial(self._scanned, target))
            workers = list(self._workers.values())
            if not workers:
                return
            await asyncio.gather(*workers, return_exceptions=True)

    def _scanned(self, target: int) -> bool:
        return self._completed >= target

    # ------------------------------------------------------------------ scanning

    async def _loop(self) -> None:
        while not self._stopping:
            self._wakeup.clear()
            async with self._scans:
                self._started += 1
            full = False
            try:
                full = await self._scan()
                await self._clean()
            except Exception:
                logger.exception("outbox scan failed")
            async with self._scans:
                self._completed += 1
                self._scans.notify_all()
            if full:
                continue
            with suppress(TimeoutError):
                async with asyncio.timeout(self.poll):
                    await self._wakeup.wait()

    async def _scan(self) -> bool:
        """Queue the due rows to their chats' workers; whether there may be more."""
        now = self.clock()
        # Rows marked before this read began are not returned unsent by it; those marked
        # while it runs may be, so they stay in _finished for this scan to skip.
        marked = set(self._finished)
        rows = await self.store.due(now, BATCH)
        self._paused = {c: t for c, t in self._paused.items() if t > now}
        for row in rows:
            chat = row.chat_id
            if row.id in self._taken or row.id in self._finished or chat in self._paused:
                continue
            self._taken.add(row.id)
            self._queues.setdefault(chat, deque()).append(row)
            if chat not in self._workers:
                self._workers[chat] = asyncio.create_task(self._work(chat), name="outbox-chat")
        self._finished -= marked
        return len(rows) >= BATCH

    async def _clean(self) -> None:
        now = self.clock()
        if self._cleaned is None or now - self._cleaned > timedelta(hours=1):
            self._cleaned = now
            await self.store.clean(now - KEEP_SENT)

    # ------------------------------------------------------------------ sending

    async def _work(self, chat: int) -> None:
        queue = self._queues[chat]
        try:
            while queue:
                while self._held.get(chat):
                    await self._released.setdefault(chat, asyncio.Event()).wait()
                row = queue[0]
                going_on = await self._send(row)
                queue.popleft()
                self._taken.discard(row.id)
                self._finished.add(row.id)
                if not going_on:  # this chat waits (or is gone): its later rows wait too
                    for later in queue:
                        self._taken.discard(later.id)
                    queue.clear()
        finally:
            del self._workers[chat]
            if not queue:
                self._queues.pop(chat, None)

    async def _send(self, row: Outgoing) -> bool:
        """Deliver one row; whether this chat's next row may go now."""
        messages = self.transport.messages(row.action)
        done = row.parts_sent
        try:
            for message in messages[done:]:
                await self.transport.deliver(message)
                done += 1
        except Forbidden:
            logger.info(
                "chat %s has blocked the bot; its waiting messages are dropped", row.chat_id
            )
            await self._guarded(self.store.drop_chat(row.chat_id))
            await self._guarded(self.on_blocked(row.chat_id))
            return False
        except BadRequest as exc:
            logger.warning("outbox message %d refused by Telegram (%s): dropped", row.id, exc)
            await self._guarded(self.store.drop(row))
            return True
        except RetryAfter as exc:
            return await self._later(row, done, _seconds(exc.retry_after), type(exc).__name__)
        except Exception as exc:  # network failure, time-out, Telegram's 5xx
            return await self._later(row, done, 0.0, type(exc).__name__)
        if await self._guarded(self.store.sent(row, self.clock(), done)):
            return True
        self._paused[row.chat_id] = self.clock() + timedelta(seconds=self.poll)
        return False

    async def _later(self, row: Outgoing, done: int, at_least: float, why: str) -> bool:
        now = self.clock()
        attempts = row.attempts + 1
        if now - row.created_at >= GIVE_UP:
            logger.warning(
                "outbox message %d to chat %s given up after %d attempts (%s)",
                row.id,
                row.chat_id,
                attempts,
                why,
            )
            await self._guarded(self.store.drop(row))
            return True
        delay = max(at_least, self.backoff[min(attempts, len(self.backoff)) - 1])
        at = now + timedelta(seconds=delay)
        logger.info("outbox message %d failed (%s); next attempt in %.0f s", row.id, why, delay)
        await self._guarded(self.store.retry(row, attempts, at, done))
        self._paused[row.chat_id] = at
        asyncio.get_running_loop().call_later(delay, self.wake)
        return False

    @staticmethod
    async def _guarded(call: Awaitable[None]) -> bool:
        """A write about a row; if storage fails, the row stays unsent and is tried again."""
        try:
            await call
        except Exception:
            logger.exception("outbox bookkeeping failed")
            return False
        return True


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class NoOutbox:
    """The store of a repository that keeps no outbox (a test double): nothing is ever due."""

    async def due(self, now: datetime, limit: int = BATCH) -> list[Outgoing]:
        return []

    async def sent(self, row: Outgoing, at: datetime, parts_sent: int = 0) -> None:
        """Nothing to mark."""

    async def retry(self, row: Outgoing, attempts: int, at: datetime, parts_sent: int) -> None:
        """Nothing to move."""

    async def drop(self, row: Outgoing) -> None:
        """Nothing to drop."""

    async def drop_chat(self, chat_id: int) -> None:
        """Nothing to drop."""

    async def clean(self, before: datetime) -> None:
        """Nothing to clean."""


async def drain(store: OutboxStore) -> list[Action]:
    """Take everything due now, marked sent: for a transport that cannot fail (the console)."""
    now = utc_now()
    rows = await store.due(now, 10_000)
    for row in rows:
        await store.sent(row, now)
    return [row.action for row in rows]
