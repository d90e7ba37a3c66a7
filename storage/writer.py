"""The writer: group commit of units of work, and jobs that run alone.

``Writer`` owns the writing connection. ``commit()`` queues a unit of work; the writer task
takes everything queued at that moment and writes it as **one transaction**: ``BEGIN``, each
statement of storage/statements.py's ``UNIT_OF_WORK`` over its rows (``executemany``), then
``COMMIT`` (the WAL write and the disk's sync, shared by every unit in it); then it resolves
every caller's future. If that batched write fails, each unit is retried alone, so a bad
unit fails only its own caller. Other writes are queued as *jobs* on the same queue: a job
ends the batch before it and runs alone in its own transaction, so writes happen in the
order of calling.

Where the work runs: ``BEGIN`` and the statements run right on the event loop (a few tens
of µs of CPU: handing them to a thread cost more, in hops and in waits for the GIL, than
running them); ``COMMIT``, which waits for the disk, and every job run on the writer's
thread, in one call. The writing connection waits for no lock on the loop (its busy timeout
is 0 there): if ``BEGIN`` finds the database locked by another process, the whole batch goes
to the thread, which waits as long as every connection does (``BUSY_TIMEOUT_MS``).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from queue import SimpleQueue
from typing import Any, Final, Generic, TypeVar

from storage.errors import RoleConflictError, StorageError
from storage.transactions import (
    Payload,
    begin_units,
    commit_open,
    in_transaction,
    waiting,
    write_rows,
)

logger = logging.getLogger(__name__)

MAX_BATCH: Final = 500  # units of work per group-commit transaction

T = TypeVar("T")
Connect = Callable[[Path], sqlite3.Connection]


@dataclass(slots=True)
class CommitStats:
    """What the writer's transactions cost: their number and the time spent in them.

    ``seconds`` is wall time from each transaction's ``BEGIN`` to its commit returning on
    the thread, so with ``synchronous=FULL`` it holds the disk's sync time; ``per_commit`` is
    the mean.
    """

    commits: int = 0
    units: int = 0
    seconds: float = 0.0

    @property
    def per_commit(self) -> float:
        return self.seconds / self.commits if self.commits else 0.0


@dataclass(slots=True)
class Unit:
    """One caller's unit of work as rows of values, by key of ``UNIT_OF_WORK``."""

    payload: Payload
    future: asyncio.Future[None]
    rows: int = field(init=False)

    def __post_init__(self) -> None:
        self.rows = sum(len(p) for p in self.payload.values())


@dataclass(slots=True)
class Job(Generic[T]):
    """A write other than a unit of work: ``run`` executes it on the writing connection, on
    the writer's thread, inside a transaction of its own.

    The writer task runs it between two group-commit batches, so it never interleaves with
    a batch and sees every unit queued before it committed.
    """

    name: str  # for logs and errors: no personal data
    run: Callable[[sqlite3.Connection], T]
    future: asyncio.Future[T]
    transaction: bool = True  # False: run outside a transaction (a checkpoint, a pragma)


_Item = Unit | Job[Any]
_STOP: Final = None  # queued by stop(): the writer task finishes what is queued, then ends


class _Thread:
    """The writer's thread: runs calls on the writing connection, one at a time, in order."""

    def __init__(self) -> None:
        self._calls: SimpleQueue[tuple[Callable[[], Any], asyncio.Future[Any]] | None]
        self._calls = SimpleQueue()
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._serve, name="sqlite-writer", daemon=True)
        self._thread.start()

    async def run(self, call: Callable[[], T]) -> T:
        future: asyncio.Future[T] = self._loop.create_future()
        self._calls.put_nowait((call, future))
        return await future

    async def stop(self) -> None:
        self._calls.put_nowait(None)
        await asyncio.to_thread(self._thread.join)

    def _serve(self) -> None:
        while (item := self._calls.get()) is not None:
            call, future = item
            try:
                result = call()
            except BaseException as exc:  # handed to the caller, whatever it is
                self._report(partial(_reject, future, exc))
            else:
                self._report(partial(_resolve, future, result))

    def _report(self, settle: Callable[[], None]) -> None:
        try:
            self._loop.call_soon_threadsafe(settle)
        except RuntimeError:  # the event loop has closed: nobody waits any more
            logger.debug("writer result dropped: the event loop is closed")


def _resolve(future: asyncio.Future[T], result: T) -> None:
    if not future.done():  # else the caller was cancelled meanwhile
        future.set_result(result)


def _reject(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


class Writer:
    """The single writer of one database: a queue, the task that empties it, and the thread
    that commits. Create with ``await Writer.open(path, connect)``."""

    def __init__(self, thread: _Thread, conn: sqlite3.Connection) -> None:
        self.conn = conn  # used by the writer task, here or on the thread, one at a time
        self.stats = CommitStats()
        self._thread = thread
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._loop(), name="sqlite-writer")

    @classmethod
    async def open(cls, path: Path, connect: Connect) -> Writer:
        """Start the thread and open the writing connection on it."""
        thread = _Thread()
        try:
            conn = await thread.run(partial(connect, path))
            conn.execute("PRAGMA busy_timeout=0")  # the loop never waits for a lock (above)
        except BaseException:
            await thread.stop()
            raise
        return cls(thread, conn)

    async def commit(self, payload: Payload) -> None:
        """Queue one unit of work and return once it is committed (or raise)."""
        self._check()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(Unit(payload, future))
        await future

    async def submit(
        self,
        name: str,
        run: Callable[[sqlite3.Connection], T],
        *,
        transaction: bool = True,
    ) -> T:
        """Queue ``run`` behind every unit queued so far; await its result.

        ``run`` runs on the writer's thread, in a transaction of its own, or with
        ``transaction=False`` outside any (for statements SQLite refuses inside one, such as
        a checkpoint).
        """
        self._check()
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(Job(name, run, future, transaction))
        return await future

    async def execute(self, sql: str) -> list[tuple[Any, ...]]:
        """One statement alone on the writing connection (a pragma), behind what is queued."""
        return await self.submit(sql, lambda conn: conn.execute(sql).fetchall(), transaction=False)

    async def stop(self) -> None:
        """Write everything queued, end the task, close the connection and the thread."""
        self._queue.put_nowait(_STOP)
        try:
            await self._task
        finally:
            try:
                await self._thread.run(self.conn.close)
            finally:
                await self._thread.stop()

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
        """Write ``batch`` as one transaction: the rows here, the commit on the thread (or
        everything there, waiting, if another process holds the lock)."""
        started = time.perf_counter()
        payloads = [u.payload for u in batch]
        if begin_units(self.conn, payloads):
            await self._thread.run(partial(commit_open, self.conn))
        else:
            logger.info("The database is locked by another connection; waiting for it")
            write = partial(in_transaction, run=partial(write_rows, payloads=payloads))
            await self._thread.run(partial(waiting, self.conn, write))
        self._count(started, len(batch))
        logger.debug("Committed %d units, %d rows", len(batch), sum(unit.rows for unit in batch))

    async def _run_job(self, job: Job[Any]) -> None:
        """Run one job (in a transaction of its own) and resolve its caller's future."""
        started = time.perf_counter()
        run = partial(in_transaction, run=job.run) if job.transaction else job.run
        call = partial(waiting, self.conn, run)
        try:
            result = await self._thread.run(call)
        except Exception as exc:  # reported to its caller
            _fail(job, exc)
        else:
            if job.transaction:
                self._count(started, 0)
            if not job.future.done():
                job.future.set_result(result)

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
