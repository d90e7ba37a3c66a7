"""The writer's transactions on its sqlite3 connection (storage/writer.py says where each runs).

A unit of work's rows are written by ``begin_units`` (on the event loop: it never waits for a
lock) and committed by ``commit_open`` (on the writer's thread: the WAL write and the sync);
``in_transaction`` runs a whole job, ``waiting`` with the busy timeout every connection has.
``CommitStats`` counts what the transactions cost.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from storage.files import BUSY_TIMEOUT_MS
from storage.statements import UNIT_OF_WORK

logger = logging.getLogger(__name__)

T = TypeVar("T")
Payload = dict[str, list[tuple[object, ...]]]


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
    on_loop: int = 0  # of the commits, those whose COMMIT ran on the event loop

    @property
    def per_commit(self) -> float:
        return self.seconds / self.commits if self.commits else 0.0


@dataclass(slots=True)
class SyncClock:
    """How long the writer's recent COMMITs took (mostly the disk's sync).

    ``quick()`` says whether a COMMIT may run on the event loop (storage/writer.py): while
    their moving average is within ``limit`` and none was slower than ``peak_limit`` lately
    (``peak`` decays with each COMMIT), so that the loop waits only for a disk that has been
    fast for a while. One slow sync sends the COMMITs to the thread at once; on a busy host
    slow syncs come in runs, and the next, maybe far slower, then stalls only the thread.
    """

    # Seconds. A local SSD syncs in 0.1-0.5 ms; this machine's shared disk in 0.2-0.45 ms when
    # the host is quiet and 0.4-1.1 ms when it is busy, when the thread is the better place.
    limit: float = 0.001
    weight: float = 0.2  # of the newest COMMIT in the average
    peak_limit: float = 0.005
    decay: float = 0.98  # of the peak per COMMIT: a 20 ms sync keeps the loop out for ~70
    average: float = 0.0
    peak: float = 0.0

    def observe(self, seconds: float) -> None:
        self.average += self.weight * (seconds - self.average)
        self.peak = max(seconds, self.peak * self.decay)

    def quick(self) -> bool:
        return self.average <= self.limit and self.peak <= self.peak_limit


def begin_units(conn: sqlite3.Connection, payloads: Sequence[Payload]) -> bool:
    """Begin a transaction and write ``payloads`` in it, leaving it open for ``commit_open``;
    False if the database is locked (nothing was done). Raises, rolled back, if a row fails.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode == sqlite3.SQLITE_BUSY:
            return False
        raise
    try:
        write_rows(conn, payloads)
    except BaseException:
        roll_back(conn)
        raise
    return True


def write_rows(conn: sqlite3.Connection, payloads: Sequence[Payload]) -> None:
    """Every statement of ``UNIT_OF_WORK`` over its rows, in the open transaction."""
    for key, sql in UNIT_OF_WORK:
        if rows := [row for payload in payloads for row in payload.get(key, ())]:
            conn.executemany(sql, rows)


def commit_open(conn: sqlite3.Connection) -> None:
    """Commit the open transaction; on an error roll it back."""
    try:
        conn.execute("COMMIT")
    except BaseException:
        roll_back(conn)
        raise


def checkpoint(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """A passive checkpoint: (busy, frames in the WAL, frames copied to the database)."""
    busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return busy, frames, copied


def waiting(conn: sqlite3.Connection, run: Callable[[sqlite3.Connection], T]) -> T:
    """``run`` with the busy timeout every connection has: on the thread, waiting is fine."""
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    try:
        return run(conn)
    finally:
        conn.execute("PRAGMA busy_timeout=0")


def in_transaction(conn: sqlite3.Connection, run: Callable[[sqlite3.Connection], T]) -> T:
    conn.execute("BEGIN IMMEDIATE")  # if this fails, no transaction is open
    try:
        result = run(conn)
        conn.execute("COMMIT")
    except BaseException:
        roll_back(conn)
        raise
    return result


def roll_back(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error:
        logger.exception("ROLLBACK failed")
