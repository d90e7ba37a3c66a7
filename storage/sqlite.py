"""The Repository on one SQLite file, through aiosqlite, with group commit.

Two connections, each with its own aiosqlite thread:

* the *writer* is used only by one writer task. ``commit()`` queues its unit of work; the
  writer task takes everything queued at that moment, writes it in one transaction
  (``BEGIN IMMEDIATE``, one ``executemany`` per table, ``COMMIT``) and then resolves every
  caller's future. If that batched transaction fails, each unit is retried in a transaction
  of its own, so a bad unit fails only its own caller.
* the *reader* serves every read with one ``execute_fetchall`` hop. In WAL mode it sees only
  committed data, never the half-written batch of the writer (which one shared connection
  would show), and it reads while the writer writes.

Every write is an upsert (``INSERT ... ON CONFLICT DO UPDATE``), never ``INSERT OR REPLACE``:
a replace deletes the old row first, which would cascade to a partnership's members.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import aiosqlite

from storage.errors import StorageError
from storage.records import Answer, Changes, Invite, Member, Participant, Partnership, Role
from storage.schema import migrate

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS: Final = 5000
MAX_BATCH: Final = 500  # units of work per group-commit transaction

Row = Sequence[Any]
Params = tuple[object, ...]

# ------------------------------------------------------------------------------- statements

_PARTICIPANT_COLUMNS = "user_id, state, language, active_partnership, context, updated_at"
_PARTNERSHIP_COLUMNS = (
    "id, created_by, created_at, canvas_version, round, meeting_at, last_activity_at"
)
_MEMBER_COLUMNS = "partnership_id, user_id, role, organisation, joined_at, finished_at"
_INVITE_COLUMNS = (
    "token, partnership_id, role, created_by, created_at, expires_at, used_by, used_at, revoked"
)
_ANSWER_COLUMNS = (
    "partnership_id, round, user_id, theme_id, canvas_version, score, note, answered_at"
)


def _upsert(table: str, columns: str, key: str) -> str:
    """An upsert that makes the stored row equal to the given one."""
    names = [c.strip() for c in columns.split(",")]
    keys = {k.strip() for k in key.split(",")}
    updates = ", ".join(f"{c} = excluded.{c}" for c in names if c not in keys)
    marks = ", ".join("?" for _ in names)
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({marks}) "  # noqa: S608 - constants only
        f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


# The order matters: members, invites and answers refer to partnerships.
UPSERT_PARTNERSHIPS: Final = _upsert("partnerships", _PARTNERSHIP_COLUMNS, "id")
UPSERT_PARTICIPANTS: Final = _upsert("participants", _PARTICIPANT_COLUMNS, "user_id")
UPSERT_MEMBERS: Final = _upsert("members", _MEMBER_COLUMNS, "partnership_id, user_id")
UPSERT_INVITES: Final = _upsert("invites", _INVITE_COLUMNS, "token")
UPSERT_ANSWERS: Final = _upsert(
    "answers", _ANSWER_COLUMNS, "partnership_id, round, user_id, theme_id"
)
_UPSERTS: Final = (
    UPSERT_PARTNERSHIPS,
    UPSERT_PARTICIPANTS,
    UPSERT_MEMBERS,
    UPSERT_INVITES,
    UPSERT_ANSWERS,
)

SELECT_PARTICIPANT: Final = f"SELECT {_PARTICIPANT_COLUMNS} FROM participants WHERE user_id = ?"  # noqa: S608
SELECT_PARTNERSHIP: Final = f"SELECT {_PARTNERSHIP_COLUMNS} FROM partnerships WHERE id = ?"  # noqa: S608
SELECT_MEMBERS: Final = (
    f"SELECT {_MEMBER_COLUMNS} FROM members WHERE partnership_id = ? "  # noqa: S608
    "ORDER BY joined_at, user_id"
)
SELECT_MEMBERSHIPS: Final = (
    f"SELECT {_MEMBER_COLUMNS} FROM members WHERE user_id = ? "  # noqa: S608
    "ORDER BY joined_at, partnership_id"
)
SELECT_ANSWERS: Final = (
    f"SELECT {_ANSWER_COLUMNS} FROM answers WHERE partnership_id = ? AND round = ? "  # noqa: S608
    "ORDER BY answered_at, user_id, theme_id"
)
SELECT_USER_ANSWERS: Final = (
    f"SELECT {_ANSWER_COLUMNS} FROM answers "  # noqa: S608
    "WHERE partnership_id = ? AND round = ? AND user_id = ? "
    "ORDER BY answered_at, user_id, theme_id"
)
SELECT_ANSWER_COUNTS: Final = (
    "SELECT user_id, count(*) FROM answers WHERE partnership_id = ? AND round = ? GROUP BY user_id"
)
SELECT_INVITE: Final = f"SELECT {_INVITE_COLUMNS} FROM invites WHERE token = ?"  # noqa: S608
SELECT_INVITES: Final = (
    f"SELECT {_INVITE_COLUMNS} FROM invites WHERE partnership_id = ? "  # noqa: S608
    "ORDER BY created_at, token"
)

# ---------------------------------------------------------------------------- conversions


def _time(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise StorageError("naive datetime: storage keeps timezone-aware UTC times only")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _time_or_none(value: datetime | None) -> str | None:
    return None if value is None else _time(value)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _parse_or_none(text: str | None) -> datetime | None:
    return None if text is None else _parse(text)


def _context(text: str) -> dict[str, str]:
    loaded = json.loads(text)
    if not isinstance(loaded, dict):
        raise StorageError("participant context is not a JSON object")
    return {str(k): str(v) for k, v in loaded.items()}


def participant_params(p: Participant) -> Params:
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in p.context.items()):
        raise StorageError("participant context holds keys and values of type str only")
    context = json.dumps(p.context, ensure_ascii=False, sort_keys=True)
    return (
        p.user_id,
        p.state,
        p.language,
        p.active_partnership,
        context,
        _time_or_none(p.updated_at),
    )


def partnership_params(p: Partnership) -> Params:
    return (
        p.id,
        p.created_by,
        _time(p.created_at),
        p.canvas_version,
        p.round,
        _time_or_none(p.meeting_at),
        _time_or_none(p.last_activity_at),
    )


def member_params(m: Member) -> Params:
    return (
        m.partnership_id,
        m.user_id,
        Role(m.role).value,
        m.organisation,
        _time(m.joined_at),
        _time_or_none(m.finished_at),
    )


def invite_params(i: Invite) -> Params:
    return (
        i.token,
        i.partnership_id,
        Role(i.role).value,
        i.created_by,
        _time(i.created_at),
        _time(i.expires_at),
        i.used_by,
        _time_or_none(i.used_at),
        1 if i.revoked else 0,
    )


def answer_params(a: Answer) -> Params:
    return (
        a.partnership_id,
        a.round,
        a.user_id,
        a.theme_id,
        a.canvas_version,
        a.score,
        a.note,
        _time(a.answered_at),
    )


def _participant(r: Row) -> Participant:
    return Participant(
        user_id=r[0],
        state=r[1],
        language=r[2],
        active_partnership=r[3],
        context=_context(r[4]),
        updated_at=_parse_or_none(r[5]),
    )


def _partnership(r: Row) -> Partnership:
    return Partnership(
        id=r[0],
        created_by=r[1],
        created_at=_parse(r[2]),
        canvas_version=r[3],
        round=r[4],
        meeting_at=_parse_or_none(r[5]),
        last_activity_at=_parse_or_none(r[6]),
    )


def _member(r: Row) -> Member:
    return Member(
        partnership_id=r[0],
        user_id=r[1],
        role=Role(r[2]),
        organisation=r[3],
        joined_at=_parse(r[4]),
        finished_at=_parse_or_none(r[5]),
    )


def _invite(r: Row) -> Invite:
    return Invite(
        token=r[0],
        partnership_id=r[1],
        role=Role(r[2]),
        created_by=r[3],
        created_at=_parse(r[4]),
        expires_at=_parse(r[5]),
        used_by=r[6],
        used_at=_parse_or_none(r[7]),
        revoked=bool(r[8]),
    )


def _answer(r: Row) -> Answer:
    return Answer(
        partnership_id=r[0],
        round=r[1],
        user_id=r[2],
        theme_id=r[3],
        canvas_version=r[4],
        score=r[5],
        note=r[6],
        answered_at=_parse(r[7]),
    )


# --------------------------------------------------------------------------- group commit


@dataclass(slots=True)
class _Unit:
    """One caller's ``Changes`` as statement parameters, in ``_UPSERTS`` order."""

    params: tuple[list[Params], ...]
    future: asyncio.Future[None]
    rows: int = field(init=False)

    def __post_init__(self) -> None:
        self.rows = sum(len(p) for p in self.params)

    @classmethod
    def of(cls, changes: Changes, future: asyncio.Future[None]) -> _Unit:
        return cls(
            (
                [partnership_params(p) for p in changes.partnerships],
                [participant_params(p) for p in changes.participants],
                [member_params(m) for m in changes.members],
                [invite_params(i) for i in changes.invites],
                [answer_params(a) for a in changes.answers],
            ),
            future,
        )


_STOP: Final = None  # queued by close(): the writer task finishes what is queued, then ends


class SqliteRepository:
    """The Repository on SQLite. Create with ``await SqliteRepository.open(path)``."""

    def __init__(
        self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection
    ) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._queue: asyncio.Queue[_Unit | None] = asyncio.Queue()
        # Whoever holds the writer connection's transaction: the writer task per batch.
        self._write_lock = asyncio.Lock()
        self._closed = False
        self._writer_task = asyncio.create_task(self._write_loop(), name="sqlite-writer")

    # -------------------------------------------------------------------- life cycle

    @classmethod
    async def open(cls, path: str | Path) -> SqliteRepository:
        """Open (creating if needed) the database file, migrate it and start the writer."""
        path = Path(path)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        opened: list[aiosqlite.Connection] = []
        try:
            writer = await _connect(path, opened)
            (mode,) = next(iter(await writer.execute_fetchall("PRAGMA journal_mode=WAL")))
            if str(mode).lower() != "wal":
                logger.warning("SQLite journal_mode is %s, not WAL", mode)
            await migrate(writer)
            reader = await _connect(path, opened)
            await reader.execute("PRAGMA query_only=ON")
        except BaseException as exc:
            for conn in opened:
                await conn.close()
            if isinstance(exc, sqlite3.Error):
                raise StorageError(f"cannot open the database at {path}") from exc
            raise
        logger.info("Opened SQLite database at %s", path)
        return cls(path, writer, reader)

    async def close(self) -> None:
        """Finish every queued write, stop the writer task and close both connections."""
        if self._closed:
            return
        self._closed = True
        self._queue.put_nowait(_STOP)
        try:
            await self._writer_task
        finally:
            await self._reader.close()
            await self._writer.close()
        logger.info("Closed SQLite database at %s", self.path)

    async def backup(self, target: str | Path) -> None:
        """Copy the committed database consistently to ``target`` (replaced atomically).

        Runs SQLite's online backup in one step from the reader connection, i.e. inside one
        read transaction: a consistent snapshot, while the writer keeps committing.
        """
        self._check_open()
        target = Path(target)
        if target.resolve() == self.path.resolve():
            raise StorageError("backup target is the live database")
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        try:
            await asyncio.to_thread(partial.unlink, missing_ok=True)
            copy = await aiosqlite.connect(partial)
            try:
                await self._reader.backup(copy, pages=-1)
            finally:
                await copy.close()
            await asyncio.to_thread(os.replace, partial, target)
        except (sqlite3.Error, OSError) as exc:
            await asyncio.to_thread(partial.unlink, missing_ok=True)
            raise StorageError("backup failed") from exc
        logger.info("Backed up the database to %s", target)

    # ------------------------------------------------------------------------- reads

    async def participant(self, user_id: int) -> Participant | None:
        rows = await self._read(SELECT_PARTICIPANT, (user_id,))
        return _participant(rows[0]) if rows else None

    async def partnership(self, partnership_id: str) -> Partnership | None:
        rows = await self._read(SELECT_PARTNERSHIP, (partnership_id,))
        return _partnership(rows[0]) if rows else None

    async def members(self, partnership_id: str) -> list[Member]:
        """Members of one partnership, in order of joining."""
        return [_member(r) for r in await self._read(SELECT_MEMBERS, (partnership_id,))]

    async def memberships(self, user_id: int) -> list[Member]:
        """Every partnership membership of one user, in order of joining."""
        return [_member(r) for r in await self._read(SELECT_MEMBERSHIPS, (user_id,))]

    async def answers(
        self, partnership_id: str, round_: int, user_id: int | None = None
    ) -> list[Answer]:
        """Answers of one round, of one user or of all members, in order of answering."""
        if user_id is None:
            rows = await self._read(SELECT_ANSWERS, (partnership_id, round_))
        else:
            rows = await self._read(SELECT_USER_ANSWERS, (partnership_id, round_, user_id))
        return [_answer(r) for r in rows]

    async def answer_counts(self, partnership_id: str, round_: int) -> dict[int, int]:
        """user_id -> number of themes answered or skipped in that round."""
        rows = await self._read(SELECT_ANSWER_COUNTS, (partnership_id, round_))
        return {int(r[0]): int(r[1]) for r in rows}

    async def invite(self, token: str) -> Invite | None:
        rows = await self._read(SELECT_INVITE, (token,))
        return _invite(rows[0]) if rows else None

    async def invites(self, partnership_id: str) -> list[Invite]:
        """Invites of one partnership, oldest first."""
        return [_invite(r) for r in await self._read(SELECT_INVITES, (partnership_id,))]

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
        if self._writer_task.done():
            raise StorageError("the writer task has stopped")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        try:
            unit = _Unit.of(changes, future)
        except (ValueError, TypeError) as exc:  # a bad value: not a Role, context not JSON
            raise StorageError(f"cannot store this unit of work: {type(exc).__name__}") from exc
        self._queue.put_nowait(unit)
        await future

    async def _write_loop(self) -> None:
        """The writer task: take what is queued, write it as one transaction, repeat."""
        stopping = False
        batch: list[_Unit] = []
        try:
            while not stopping:
                item = await self._queue.get()
                batch = []
                while True:
                    if item is _STOP:
                        stopping = True
                    elif not item.future.cancelled():
                        batch.append(item)
                    if len(batch) >= MAX_BATCH or self._queue.empty():
                        break
                    item = self._queue.get_nowait()
                if batch:
                    await self._write_batch(batch)
        except BaseException:
            # Cancelled (the loop is shutting down without close()): no caller may hang.
            error = StorageError("the writer stopped before this unit was committed")
            pending = [*batch]
            while not self._queue.empty():
                queued = self._queue.get_nowait()
                if queued is not _STOP:
                    pending.append(queued)
            for unit in pending:
                _fail(unit, error)
            raise

    async def _write_batch(self, batch: list[_Unit]) -> None:
        try:
            await self._transaction(batch)
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
                    await self._transaction([unit])
                except Exception as unit_exc:  # reported to its caller
                    _fail(unit, unit_exc)
                else:
                    _succeed(unit)
        else:
            for unit in batch:
                _succeed(unit)

    async def _transaction(self, batch: list[_Unit]) -> None:
        """Write ``batch`` in one transaction: BEGIN, one executemany per table, COMMIT."""
        async with self._write_lock:
            conn = self._writer
            await conn.execute("BEGIN IMMEDIATE")  # if this fails, no transaction is open
            try:
                for index, sql in enumerate(_UPSERTS):
                    params = [p for unit in batch for p in unit.params[index]]
                    if params:
                        await conn.executemany(sql, params)
                await conn.execute("COMMIT")
            except BaseException:
                try:
                    await conn.execute("ROLLBACK")
                except sqlite3.Error:
                    logger.exception("ROLLBACK failed")
                raise
        logger.debug("Committed %d units, %d rows", len(batch), sum(unit.rows for unit in batch))

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("the repository is closed")


def _succeed(unit: _Unit) -> None:
    if not unit.future.done():
        unit.future.set_result(None)


def _fail(unit: _Unit, exc: Exception) -> None:
    logger.info("Unit of work of %d rows failed: %s", unit.rows, type(exc).__name__)
    if unit.future.done():
        return
    if isinstance(exc, StorageError):
        unit.future.set_exception(exc)
        return
    # SQLite's messages name the constraint and columns, never the values.
    detail = (
        f"{type(exc).__name__}: {exc}" if isinstance(exc, sqlite3.Error) else type(exc).__name__
    )
    error = StorageError(f"commit failed: {detail}")
    error.__cause__ = exc
    unit.future.set_exception(error)


async def _connect(path: Path, opened: list[aiosqlite.Connection]) -> aiosqlite.Connection:
    """A connection in autocommit mode (transactions are explicit) with the shared pragmas."""
    conn = await aiosqlite.connect(path, isolation_level=None)
    opened.append(conn)
    for pragma in (
        "PRAGMA foreign_keys=ON",
        "PRAGMA synchronous=NORMAL",  # with WAL: durable against process crashes
        f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    ):
        await conn.execute(pragma)
    return conn
