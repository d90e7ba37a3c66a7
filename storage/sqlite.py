"""The Repository on one SQLite file, with group commit and a snapshot cache.

Two connections, each on a thread of its own:

* the *writer* (storage/writer.py) writes each batch of units of work as one transaction,
  in one call to its thread, and every other write as a job in its own transaction.
* the *reader*, an aiosqlite connection, serves every read with one ``execute_fetchall``
  hop. In WAL mode it sees only committed data, never the half-written batch of the writer
  (which one shared connection would show), and it reads while the writer writes. The
  snapshot an update needs usually comes from the cache (storage/cache.py) instead.

Every write is an upsert (``INSERT ... ON CONFLICT DO UPDATE``), never ``INSERT OR REPLACE``:
a replace deletes the old row first, which would cascade to a partnership's members.
SQL text lives in storage/statements.py, row conversions in storage/codecs.py.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from flows.model import (
    Answer,
    Changes,
    Invite,
    Member,
    Outgoing,
    Participant,
    Partnership,
    Snapshot,
)
from storage import cache
from storage.cache import SnapshotCache
from storage.codecs import (
    ANSWERS,
    INVITES,
    MEMBERS,
    PARTICIPANTS,
    PARTNERSHIPS,
    decode_snapshot,
    encode_time,
    sha256_hex,
)
from storage.errors import StorageError
from storage.export import distinct_ids, export_of
from storage.files import backup, connect, connect_writer, prepare_file, probe
from storage.outbox import INSERT_ROW, SqliteOutbox, row_of
from storage.payload import unit_payload
from storage.schema import migrate
from storage.statements import (
    CHECKPOINT,
    CLEAR_ACTIVE_PARTNERSHIP,
    DELETE_PARTNERSHIP,
    FORGET_USER,
    PURGE_PARTICIPANTS,
    SELECT_ANSWER_COUNTS,
    SELECT_ANSWERS,
    SELECT_EXPORT,
    SELECT_IDLE_MEMBERS,
    SELECT_INACTIVE,
    SELECT_INVITE,
    SELECT_INVITES,
    SELECT_MEETINGS,
    SELECT_MEMBER_PARTNERSHIPS,
    SELECT_MEMBERS,
    SELECT_MEMBERSHIPS,
    SELECT_PARTICIPANT,
    SELECT_PARTNERSHIP,
    SELECT_SNAPSHOT,
    SELECT_USER_ANSWERS,
    forget_params,
)
from storage.transactions import CommitStats
from storage.writer import Writer

__all__ = ["SqliteRepository", "StorageError"]

logger = logging.getLogger(__name__)

Params = tuple[object, ...] | dict[str, object]
Row = Sequence[Any]
T = TypeVar("T")


class SqliteRepository:
    """The Repository on SQLite. Create with ``await SqliteRepository.open(path)``."""

    def __init__(
        self,
        path: Path,
        writer: Writer,
        reader: aiosqlite.Connection,
        cache_size: int = cache.CAPACITY,
    ) -> None:
        self.path = path
        self._reader = reader
        self._closed = False
        self._write = writer
        self.cache = SnapshotCache(cache_size)
        self.outbox = SqliteOutbox(self._read, self._write.commit)
        # Called after each commit that added outbox rows (the sender wakes up).
        self.on_outbox: Callable[[], None] = lambda: None

    @property
    def alone(self) -> Callable[[], bool]:
        """Whether a commit's caller is the only work in progress, so that its COMMIT may
        wait for the disk on the event loop (storage/writer.py); the application sets it."""
        return self._write.alone

    @alone.setter
    def alone(self, alone: Callable[[], bool]) -> None:
        self._write.alone = alone

    @property
    def commit_stats(self) -> CommitStats:
        """How many transactions the writer committed and the time spent in them."""
        return self._write.stats

    # -------------------------------------------------------------------- life cycle

    @classmethod
    async def open(
        cls, path: str | Path, *, create: bool = True, cache_size: int = cache.CAPACITY
    ) -> SqliteRepository:
        """Open the database file, migrate it and start the writer.

        With ``create`` a missing file is made, private (0600, its missing folders 0700,
        whatever the umask; SQLite gives the -wal and -shm files the file's mode); without
        it a missing file raises ``StorageError``.
        """
        path = Path(path)
        try:
            await asyncio.to_thread(prepare_file, path, create)
        except OSError as exc:
            raise StorageError(f"cannot create the database at {path}") from exc
        opened: list[aiosqlite.Connection] = []
        try:
            await asyncio.to_thread(probe, path)
            # The reader migrates, the only connection open then; after that it only reads.
            reader = await connect(path, opened)
            (mode,) = next(iter(await reader.execute_fetchall("PRAGMA journal_mode=WAL")))
            if str(mode).lower() != "wal":
                logger.warning("SQLite journal_mode is %s, not WAL", mode)
            await migrate(reader)
            await reader.execute("PRAGMA query_only=ON")
            writer = await Writer.open(path, connect_writer)
        except BaseException as exc:
            for conn in opened:
                await conn.close()
            if isinstance(exc, sqlite3.Error):
                raise StorageError(f"cannot open the database at {path}") from exc
            raise
        logger.info("Opened SQLite database at %s", path)
        return cls(path, writer, reader, cache_size)

    async def close(self) -> None:
        """Finish every queued write, stop the writer task and close both connections."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._write.stop()
        finally:
            await self._reader.close()
        logger.info("Closed SQLite database at %s", self.path)

    async def backup(self, target: str | Path) -> None:
        """Copy the committed database consistently to ``target`` (replaced atomically)."""
        self._check_open()
        await backup(self._reader, self.path, Path(target))

    # ------------------------------------------------------------------------- reads

    async def participant(self, user_id: int) -> Participant | None:
        rows = await self._read(SELECT_PARTICIPANT, (user_id,))
        return PARTICIPANTS.decode(rows[0]) if rows else None

    async def snapshot(self, user_id: int, partnership_id: str | None = None) -> Snapshot:
        """Everything one update needs: from the cache (storage/cache.py), else in one
        statement (one hop to the reader thread)."""
        if partnership_id is not None:  # another partnership than the active one: not kept
            return await self._read_snapshot(user_id, partnership_id)
        hit = self.cache.get(user_id)
        if hit is not None and not cache.CHECK:
            return hit
        read_at, quiet = self.cache.tick, self.cache.quiet()
        snap = await self._read_snapshot(user_id, None)
        if hit is not None:
            self.cache.check(user_id, hit, snap, quiet)
        self.cache.fill(user_id, snap, read_at)
        return snap

    async def _read_snapshot(self, user_id: int, partnership_id: str | None) -> Snapshot:
        [row] = await self._read(SELECT_SNAPSHOT, {"user": user_id, "partnership": partnership_id})
        return decode_snapshot(row)

    async def partnership(self, partnership_id: str) -> Partnership | None:
        rows = await self._read(SELECT_PARTNERSHIP, (partnership_id,))
        return PARTNERSHIPS.decode(rows[0]) if rows else None

    async def members(self, partnership_id: str) -> list[Member]:
        """Members of one partnership, in order of joining."""
        return [MEMBERS.decode(r) for r in await self._read(SELECT_MEMBERS, (partnership_id,))]

    async def memberships(self, user_id: int) -> list[Member]:
        """Every partnership membership of one user, in order of joining."""
        return [MEMBERS.decode(r) for r in await self._read(SELECT_MEMBERSHIPS, (user_id,))]

    async def answers(
        self, partnership_id: str, round_: int, user_id: int | None = None
    ) -> list[Answer]:
        """Answers of one round, of one user or of all members, in order of answering."""
        if user_id is None:
            rows = await self._read(SELECT_ANSWERS, (partnership_id, round_))
        else:
            rows = await self._read(SELECT_USER_ANSWERS, (partnership_id, round_, user_id))
        return [ANSWERS.decode(r) for r in rows]

    async def answer_counts(self, partnership_id: str, round_: int) -> dict[int, int]:
        """user_id -> number of themes answered or skipped in that round."""
        rows = await self._read(SELECT_ANSWER_COUNTS, (partnership_id, round_))
        return {int(r[0]): int(r[1]) for r in rows}

    async def invite(self, token: str) -> Invite | None:
        """The invite of ``token``; its ``token`` is the stored digest (see token_digest)."""
        key = sha256_hex(token)  # a digest given is hashed again, so it finds nothing
        rows = await self._read(SELECT_INVITE, (key,))
        return INVITES.decode(rows[0]) if rows else None

    async def invite_by_digest(self, digest: str) -> Invite | None:
        rows = await self._read(SELECT_INVITE, (digest,))
        return INVITES.decode(rows[0]) if rows else None

    async def invites(self, partnership_id: str) -> list[Invite]:
        """Invites of one partnership, oldest first."""
        return [INVITES.decode(r) for r in await self._read(SELECT_INVITES, (partnership_id,))]

    async def meetings_between(self, start: datetime, end: datetime) -> list[Partnership]:
        """Partnerships whose meeting_at is in [start, end), by meeting_at (then id)."""
        rows = await self._read(SELECT_MEETINGS, (encode_time(start), encode_time(end)))
        return [PARTNERSHIPS.decode(r) for r in rows]

    async def idle_members(self, idle_since: datetime) -> list[Member]:
        """Members who still owe answers and have been quiet since ``idle_since``.

        Role social or business, not finished, reminders not off, not unreachable, and the
        user's participant row last updated before ``idle_since`` (no row, or no updated_at,
        counts as idle). Ordered by partnership_id, joined_at (then user_id).
        """
        rows = await self._read(SELECT_IDLE_MEMBERS, (encode_time(idle_since),))
        return [MEMBERS.decode(r) for r in rows]

    async def inactive_partnerships(self, before: datetime) -> list[str]:
        """Ids of partnerships whose last activity (else creation) is before ``before``."""
        return [str(r[0]) for r in await self._read(SELECT_INACTIVE, (encode_time(before),))]

    async def export_user(self, user_id: int) -> dict[str, object]:
        """Everything stored about one person, as JSON-ready data (datetimes as ISO text).

        One statement on the reader: a consistent snapshot, as one JSON text.
        """
        rows = await self._read(SELECT_EXPORT, (user_id,))
        return export_of(user_id, rows[0][0])

    async def _read(self, sql: str, params: Params) -> list[Row]:
        self._check_open()
        try:
            return list(await self._reader.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise StorageError("read failed") from exc

    # ------------------------------------------------------------------------ writes

    async def commit(self, changes: Changes) -> None:
        """Write every row of ``changes`` in one transaction; return once it is committed.

        Raises ``StorageError`` (the sqlite3 error chained) if the unit violates a constraint
        or cannot be written; then none of its rows is stored. If the caller is cancelled
        before the writer has taken the unit, the unit is dropped.
        """
        self._check_open()
        if not changes:
            return
        try:
            payload = unit_payload(changes)
        except (ValueError, TypeError) as exc:  # a bad value: not a Role, context not JSON
            raise StorageError(f"cannot store this unit of work: {type(exc).__name__}") from exc
        with self.cache.following(changes):
            await self._write.commit(payload)
        if changes.outbox:
            self.on_outbox()

    async def forget_user(self, user_id: int, outbox: Sequence[Outgoing] = ()) -> list[str]:
        """Erase one person in one transaction; return the partnerships they were in.

        Deletes their answers (every partnership and round), member rows, participant row
        and the unused invites they created. The partnerships stay, with the partner's data;
        where a row that stays named them (``created_by`` of a partnership or invite, an
        invite's ``used_by``), it names ``ERASED`` instead, so no trace of their id is left.
        Messages waiting for them go; ``outbox`` (news for the others) is written in the same
        transaction. The returned ids are in order of joining.
        """
        notices = [row_of(o) for o in outbox]

        def run(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute(SELECT_MEMBER_PARTNERSHIPS, (user_id,))
            ids = [str(r[0]) for r in rows]
            params = forget_params(user_id)
            counts = [conn.execute(sql, params).rowcount for sql in FORGET_USER]
            answers, members, invites, *_ = counts
            if notices:
                conn.executemany(INSERT_ROW, notices)
            logger.info(
                "Forgot a user: %d memberships, %d answers, %d invites", members, answers, invites
            )
            return ids

        ids = await self._submit("forget_user", run)
        await self._checkpoint()
        if notices:
            self.on_outbox()
        return ids

    async def delete_partnerships(self, ids: Sequence[str]) -> int:
        """Delete partnerships with their members, invites and answers, in one transaction.

        Clears ``active_partnership`` of participants pointing at them. Returns how many of
        ``ids`` existed (and are now deleted).
        """
        params = [(pid,) for pid in distinct_ids(ids)]
        if not params:
            self._check_open()
            return 0

        def run(conn: sqlite3.Connection) -> int:
            cleared = conn.executemany(CLEAR_ACTIVE_PARTNERSHIP, params).rowcount
            # executemany sums rowcount over its parameters; cascaded rows are not counted.
            deleted = conn.executemany(DELETE_PARTNERSHIP, params).rowcount
            logger.info("Deleted %d partnerships; cleared %d active pointers", deleted, cleared)
            return deleted

        return await self._submit("delete_partnerships", run)

    async def purge_participants(self, before: datetime) -> int:
        """Delete the participant rows of people in no partnership, quiet since ``before``.

        Quiet: ``updated_at`` before ``before``, or none. Their language, state and context
        (which may hold an organisation name typed during onboarding) go with the row.
        Returns how many were deleted.
        """
        when = encode_time(before)

        def run(conn: sqlite3.Connection) -> int:
            deleted = conn.execute(PURGE_PARTICIPANTS, (when,)).rowcount
            logger.info("Purged %d participants in no partnership", deleted)
            return deleted

        return await self._submit("purge_participants", run)

    async def _submit(self, name: str, run: Callable[[sqlite3.Connection], T]) -> T:
        """Queue ``run`` for the writer task, behind every unit queued so far; await it.

        Such a write is not a unit of work the cache can follow: it forgets everything.
        """
        self._check_open()
        try:
            return await self._write.submit(name, run)
        finally:
            self.cache.clear()

    async def _checkpoint(self) -> None:
        """Copy the WAL into the database file and truncate it to nothing.

        After an erasure the deleted rows' old versions still sit in the WAL's frames; with
        ``secure_delete`` the database file's copy of each page has them zeroed. Waits for
        readers (busy_timeout); if one holds on, the erased text stays in the WAL until the
        next checkpoint, which is logged.
        """

        busy, *_ = (await self._write.execute(CHECKPOINT))[0]
        if busy:
            logger.warning("WAL checkpoint after an erasure was blocked by a reader")

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("the repository is closed")
