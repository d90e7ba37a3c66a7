"""The writer: group commit of units of work, and jobs that run alone.

``Writer`` owns the writing connection. ``commit()`` queues a unit of work; the writer task
takes everything queued at that moment and writes it as **one transaction**: ``BEGIN``, each
statement of ``UNIT_OF_WORK`` over its rows, then ``COMMIT`` (the WAL write and the disk's
sync, shared by every unit in it); then it resolves every caller's future. If a batch fails,
each unit is retried alone, so a bad unit fails only its own caller. Other writes are queued
as *jobs*: a job ends the batch before it and runs alone, so writes keep the calling order.
When the writer is idle (nothing queued or being written), ``commit()`` writes the unit in
its caller's task instead, sparing the hops through the queue and the writer task; until
that unit's ``COMMIT`` has returned, the writer task leaves the connection alone.

Where the work runs: ``BEGIN`` and the statements on the event loop (tens of µs of CPU: on
the thread each statement had to win the GIL back); ``COMMIT``, which waits for the disk, and
every job on the writer's thread, in one call. On the loop the connection waits for no lock
(busy timeout 0): if ``BEGIN`` finds the database locked by another process, the unit or
batch goes whole to the thread, which waits as every connection does (``BUSY_TIMEOUT_MS``).

One exception: ``COMMIT`` runs on the loop too when the caller is **alone** (``alone()``, set
by the application: no other update is being handled, so nothing could use the loop while it
waits for the disk) and the disk's recent commits were quick (``SyncClock``). The thread
would only wrap the same wait in two hops, which on a quiet process cost more than the sync
itself (docs/capacity.md has the figures). Under load callers are rarely alone, so their
commits overlap other updates' work on the thread and share its syncs. SQLite's automatic
checkpoint (inside some COMMIT, tens of ms) is off on this connection: every
``CHECKPOINT_EVERY`` commits or rows the writer queues a passive one as a job instead.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final, Generic, TypeVar

from storage.errors import RoleConflictError, StorageError
from storage.thread import WriterThread
from storage.transactions import (
    CommitStats,
    Payload,
    SyncClock,
    begin_units,
    checkpoint,
    commit_open,
    in_transaction,
    waiting,
    write_rows,
)

logger = logging.getLogger(__name__)

MAX_BATCH: Final = 500  # units of work per group-commit transaction
# (commits, rows). SQLite's own automatic checkpoint (at 1,000 pages of WAL) came every
# 200-300 commits of one answer each (3-5 pages, a few rows); a large transaction writes
# about a page for every few rows.
CHECKPOINT_EVERY: Final = (200, 2000)

T = TypeVar("T")
Connect = Callable[[Path], sqlite3.Connection]


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


class Writer:
    """The single writer of one database: a queue, the task that empties it, and the thread
    that commits. Create with ``await Writer.open(path, connect)``."""

    def __init__(self, thread: WriterThread, conn: sqlite3.Connection) -> None:
        self.conn = conn  # used by one writer at a time: the writer task, a caller, the thread
        self.stats = CommitStats()
        self._thread = thread
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue()
        # A unit written in its caller's task (the writer was idle): done when its COMMIT
        # has returned on the thread; until then the writer task leaves the connection alone.
        self._direct: asyncio.Future[None] | None = None
        self._taken = False  # the writer task holds items taken from the queue
        # The caller is the only work in progress (module docstring): the application says.
        self.alone: Callable[[], bool] = lambda: False
        self.sync = SyncClock()
        self._uncheckpointed = (0, 0)  # commits and rows since a checkpoint was queued
        self._task = asyncio.create_task(self._loop(), name="sqlite-writer")

    @classmethod
    async def open(cls, path: Path, connect: Connect) -> Writer:
        """Start the thread and open the writing connection on it."""
        thread = WriterThread()
        try:
            conn = await thread.run(partial(connect, path))
            conn.execute("PRAGMA busy_timeout=0")  # the loop never waits for a lock (above)
            conn.execute("PRAGMA wal_autocheckpoint=0")  # the writer checkpoints (above)
        except BaseException:
            await thread.stop()
            raise
        return cls(thread, conn)

    async def commit(self, payload: Payload) -> None:
        """Write one unit of work and return once it is committed (or raise).

        When the writer is idle (nothing queued, nothing being written) the unit is written
        right here, in the caller's task (and committed here too for a caller alone, while
        the disk is quick); else it is queued for the writer task's next batch.
        """
        self._check()
        unit = Unit(payload, asyncio.get_running_loop().create_future())
        if self._direct is not None or self._taken or not self._queue.empty():
            self._queue.put_nowait(unit)
            await unit.future
            return
        landed = self._write_now(unit, here=self.alone() and self.sync.quick())
        try:
            await unit.future
        except asyncio.CancelledError:  # the unit is being written: the caller learns after
            if landed is not None and not landed.done():
                await asyncio.shield(landed)
            raise

    def _write_now(self, unit: Unit, *, here: bool) -> asyncio.Future[None] | None:
        """Write ``unit``'s rows now, and COMMIT them ``here`` on the loop or hand the
        COMMIT to the thread, whose report settles the unit. Returns what is done when that
        COMMIT has returned (None: the unit is settled already)."""
        started, on_loop = time.perf_counter(), False
        try:
            commit = self._begin([unit.payload])
            if commit is not None and here:
                commit()
                on_loop = True
        except Exception as exc:
            _fail(unit, exc)
            return None
        if on_loop:
            self._landed(unit, started, on_loop=True)
            return None
        self._direct = asyncio.get_running_loop().create_future()
        call = commit or self._waiting([unit.payload])
        self._thread.call(call, partial(self._written_now, unit, started))
        return self._direct

    def _written_now(
        self, unit: Unit, started: float, _: object, error: BaseException | None
    ) -> None:
        direct, self._direct = self._direct, None
        if direct is not None and not direct.done():
            direct.set_result(None)
        if error is None:
            self._landed(unit, started, on_loop=False)
        elif isinstance(error, Exception):
            _fail(unit, error)
        elif not unit.future.done():
            unit.future.set_exception(error)

    def _landed(self, unit: Unit, started: float, *, on_loop: bool) -> None:
        """A unit written alone committed: count it, settle it, checkpoint when due."""
        self._count(started, 1)
        self.stats.on_loop += on_loop
        _succeed(unit)
        self._checkpoint_when_due(unit.rows)

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
                item = await self._next()
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
                self._taken = False
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

    async def _next(self) -> _Item | None:
        """The next item queued, once no unit written in its caller's task holds the
        connection (its COMMIT is on the thread)."""
        item = await self._queue.get()
        self._taken = True
        if self._direct is not None:
            try:
                await asyncio.shield(self._direct)
            except BaseException:  # cancelled: the item is failed with the rest (_loop)
                self._queue.put_nowait(item)
                raise
        return item

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
        payloads = [unit.payload for unit in batch]
        await self._thread.run(self._begin(payloads) or self._waiting(payloads))
        self._count(started, len(batch))
        rows = sum(unit.rows for unit in batch)
        logger.debug("Committed %d units, %d rows", len(batch), rows)
        self._checkpoint_when_due(rows)

    def _begin(self, payloads: list[Payload]) -> Callable[[], None] | None:
        """Begin the transaction of ``payloads`` here and write their rows; what must then
        run is ``self._commit``. None if another process holds the lock (nothing was done):
        then ``_waiting`` does it all on the thread, which may wait for the lock."""
        return self._commit if begin_units(self.conn, payloads) else None

    def _waiting(self, payloads: list[Payload]) -> Callable[[], None]:
        logger.info("The database is locked by another connection; waiting for it")
        write = partial(in_transaction, run=partial(write_rows, payloads=payloads))
        return partial(waiting, self.conn, write)

    def _commit(self) -> None:
        """COMMIT the open transaction, timed for ``self.sync`` (on the loop or the thread)."""
        started = time.perf_counter()
        commit_open(self.conn)
        self.sync.observe(time.perf_counter() - started)

    def _checkpoint_when_due(self, rows: int) -> None:
        """After a commit of ``rows``: every ``CHECKPOINT_EVERY`` commits or rows, queue a
        passive checkpoint (it waits for nobody, and nobody awaits it; a failure is logged)."""
        commits, written = self._uncheckpointed[0] + 1, self._uncheckpointed[1] + rows
        most_commits, most_rows = CHECKPOINT_EVERY
        if commits < most_commits and written < most_rows:
            self._uncheckpointed = (commits, written)
            return
        self._uncheckpointed = (0, 0)
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_checkpointed)
        self._queue.put_nowait(Job("checkpoint", checkpoint, future, transaction=False))

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


def _checkpointed(future: asyncio.Future[object]) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.warning("A periodic WAL checkpoint failed: %s", type(future.exception()).__name__)


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
