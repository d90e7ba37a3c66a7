"""The writer task: group commit of units of work, and jobs that run alone.

``Writer`` owns the writing connection. ``commit()`` queues a unit of work; the task takes
everything queued at that moment, writes it as **one statement** (the unit-of-work trigger
of storage/statements.py: in autocommit mode one statement is one transaction, all or
nothing) and then resolves every caller's future. If that batched write fails, each unit is
retried alone, so a bad unit fails only its own caller. Other writes are queued as *jobs* on
the same queue: a job ends the batch before it and runs alone in its own transaction, so
writes happen in the order of calling.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

import aiosqlite

from storage.errors import RoleConflictError, StorageError
from storage.statements import WRITE_UNIT_OF_WORK

logger = logging.getLogger(__name__)

MAX_BATCH: Final = 500  # units of work per group-commit transaction

T = TypeVar("T")
Payload = dict[str, list[tuple[object, ...]]]


@dataclass(slots=True)
class CommitStats:
    """What the writer's transactions cost: their number and the time spent in them.

    ``seconds`` is wall time from the start of each write to its commit returning, so with
    ``synchronous=FULL`` it holds the disk's sync time; ``per_commit`` is the mean.
    """

    commits: int = 0
    units: int = 0
    seconds: float = 0.0

    @property
    def per_commit(self) -> float:
        return self.seconds / self.commits if self.commits else 0.0


@dataclass(slots=True)
class Unit:
    """One caller's unit of work as rows of values, by key of the unit-of-work payload."""

    payload: Payload
    future: asyncio.Future[None]
    rows: int = field(init=False)

    def __post_init__(self) -> None:
        self.rows = sum(len(p) for p in self.payload.values())


@dataclass(slots=True)
class Job(Generic[T]):
    """A write other than a unit of work: ``run`` executes it inside a transaction of its own.

    The writer task runs it between two group-commit batches, so it never interleaves with
    a batch and sees every unit queued before it committed.
    """

    name: str  # for logs and errors: no personal data
    run: Callable[[aiosqlite.Connection], Awaitable[T]]
    future: asyncio.Future[T]
    transaction: bool = True  # False: run outside a transaction (a checkpoint)


_Item = Unit | Job[Any]
_STOP: Final = None  # queued by stop(): the writer task finishes what is queued, then ends


class Writer:
    """The single writer of one database: a queue and the task that empties it."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self.stats = CommitStats()
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue()
        # Whoever holds the connection's transaction: the writer task per batch or job.
        self._lock = asyncio.Lock()
        self._task = asyncio.create_task(self._loop(), name="sqlite-writer")

    async def commit(self, payload: Payload) -> None:
        """Queue one unit of work and return once it is committed (or raise)."""
        self._check()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(Unit(payload, future))
        await future

    async def submit(
        self,
        name: str,
        run: Callable[[aiosqlite.Connection], Awaitable[T]],
        *,
        transaction: bool = True,
    ) -> T:
        """Queue ``run`` behind every unit queued so far; await its result.

        ``run`` runs in a transaction of its own, or with ``transaction=False`` outside any
        (for statements SQLite refuses inside one, such as a checkpoint).
        """
        self._check()
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(Job(name, run, future, transaction))
        return await future

    async def stop(self) -> None:
        """Write everything queued, then end the task."""
        self._queue.put_nowait(_STOP)
        await self._task

    def _check(self) -> None:
        if self._task.done():
            raise StorageError("the writer task has stopped")

    async def _loop(self) -> None:
        """Take what is queued, write it as one transaction, repeat.

        Units of work queued back to back are grouped into one transaction; a job ends the
        group and runs alone, after it, so the order of calling is the order of writing.
        """
        stopping = False
        batch: list[Unit] = []
        job: Job[Any] | None = None
        try:
            while not stopping:
                item = await self._queue.get()
                batch = []
                job = None
                while True:
                    if item is _STOP:
                        stopping = True
                    elif isinstance(item, Job):
                        job = item
                        break
                    elif not item.future.cancelled():
                        batch.append(item)
                    if len(batch) >= MAX_BATCH or self._queue.empty():
                        break
                    item = self._queue.get_nowait()
                if batch:
                    await self._write_batch(batch)
                batch = []
                if job is not None and not job.future.cancelled():
                    await self._run_job(job)
                job = None
        except BaseException:
            # Cancelled (the loop is shutting down without stop()): no caller may hang.
            error = StorageError("the writer stopped before this unit was committed")
            pending: list[_Item] = [*batch, *([job] if job is not None else [])]
            while not self._queue.empty():
                queued = self._queue.get_nowait()
                if queued is not _STOP:
                    pending.append(queued)
            for unqueued in pending:
                _fail(unqueued, error)
            raise

    async def _write_batch(self, batch: list[Unit]) -> None:
        try:
            await self.transaction(batch)
        except Exception as exc:
            if len(batch) == 1:
                _fail(batch[0], exc)
                return
            logger.warning(
                "Group commit of %d units failed (%s); retrying each alone",
                len(batch),
                type(exc).__name__,
            )
            for unit in batch:
                try:
                    await self.transaction([unit])
                except Exception as unit_exc:  # reported to its caller
                    _fail(unit, unit_exc)
                else:
                    _succeed(unit)
        else:
            for unit in batch:
                _succeed(unit)

    async def transaction(self, batch: list[Unit]) -> None:
        """Write ``batch`` as one statement, hence one transaction, in one hop."""
        payload: Payload = {}
        for unit in batch:
            for key, rows in unit.payload.items():
                if rows:
                    payload.setdefault(key, []).extend(rows)
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        async with self._lock:
            started = time.perf_counter()
            await self.conn.execute(WRITE_UNIT_OF_WORK, (text,))
            self._count(started, len(batch))
        logger.debug("Committed %d units, %d rows", len(batch), sum(unit.rows for unit in batch))

    async def _run_job(self, job: Job[Any]) -> None:
        """Run one job in a transaction of its own and resolve its caller's future."""
        try:
            if job.transaction:
                async with self._transaction() as conn:
                    result = await job.run(conn)
            else:
                async with self._lock:
                    result = await job.run(self.conn)
        except Exception as exc:  # reported to its caller
            _fail(job, exc)
        else:
            if not job.future.done():
                job.future.set_result(result)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE, then COMMIT, or ROLLBACK on error."""
        async with self._lock:
            conn = self.conn
            started = time.perf_counter()
            await conn.execute("BEGIN IMMEDIATE")  # if this fails, no transaction is open
            try:
                yield conn
                await conn.execute("COMMIT")
                self._count(started, 0)
            except BaseException:
                try:
                    await conn.execute("ROLLBACK")
                except sqlite3.Error:
                    logger.exception("ROLLBACK failed")
                raise

    def _count(self, started: float, units: int) -> None:
        self.stats.commits += 1
        self.stats.units += units
        self.stats.seconds += time.perf_counter() - started


def _succeed(unit: Unit) -> None:
    if not unit.future.done():
        unit.future.set_result(None)


def _fail(item: _Item, exc: Exception) -> None:
    if isinstance(item, Job):
        what = item.name
        logger.info("Write %s failed: %s", item.name, type(exc).__name__)
    else:
        what = "commit"
        logger.info("Unit of work of %d rows failed: %s", item.rows, type(exc).__name__)
    if item.future.done():
        return
    if isinstance(exc, StorageError):
        item.future.set_exception(exc)
        return
    # SQLite's messages name the constraint and columns, never the values.
    detail = (
        f"{type(exc).__name__}: {exc}" if isinstance(exc, sqlite3.Error) else type(exc).__name__
    )
    taken = isinstance(exc, sqlite3.IntegrityError) and "members.role" in str(exc)
    error = (RoleConflictError if taken else StorageError)(f"{what} failed: {detail}")
    error.__cause__ = exc
    item.future.set_exception(error)
