"""The Repository on one SQLite file, through aiosqlite, with group commit.

Two connections, each with its own aiosqlite thread:

* the *writer* is used only by one writer task. ``commit()`` queues its unit of work; the
  writer task takes everything queued at that moment, writes it as **one statement** and
  then resolves every caller's future. The statement inserts the rows, as one JSON text,
  into a connection-local view whose ``INSTEAD OF`` trigger upserts them table by table;
  in autocommit mode one statement is one transaction, all or nothing. Every statement
  through aiosqlite is a hop to its thread (and, under load, a wait for the GIL and for
  the event loop to come back to it), so a unit of work costs one hop instead of one per
  table plus BEGIN and COMMIT. If that batched write fails, each unit is retried alone,
  so a bad unit fails only its own caller. Other writes (``forget_user``,
  ``delete_partnerships``) are queued as *jobs* on the same queue: a job ends the batch
  before it and runs alone in its own transaction, so writes happen in the order of calling.
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
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Generic, TypeVar

import aiosqlite

from flows.model import (
    ERASED,
    Answer,
    Changes,
    Invite,
    Member,
    Participant,
    Partnership,
    Role,
    Snapshot,
)
from storage.errors import StorageError
from storage.export import distinct_ids, sort_export
from storage.schema import migrate

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS: Final = 5000
MAX_BATCH: Final = 500  # units of work per group-commit transaction

Row = Sequence[Any]
Params = tuple[object, ...] | dict[str, object]
T = TypeVar("T")

# ------------------------------------------------------------------------------- statements

_PARTICIPANT_COLUMNS = "user_id, state, language, active_partnership, context, updated_at"
_PARTNERSHIP_COLUMNS = (
    "id, created_by, created_at, canvas_version, round, meeting_at, last_activity_at, "
    "briefed_at, summary_round"
)
_MEMBER_COLUMNS = (
    "partnership_id, user_id, role, organisation, joined_at, finished_at, "
    "reminders_sent, reminded_at, reminders_off, unreachable"
)
_INVITE_COLUMNS = (
    "token, partnership_id, role, created_by, created_at, expires_at, used_by, used_at, revoked"
)
_ANSWER_COLUMNS = (
    "partnership_id, round, user_id, theme_id, canvas_version, score, note, answered_at, not_yet"
)


# (table, columns, key) in writing order: members, invites and answers refer to partnerships.
_TABLES: Final = (
    ("partnerships", _PARTNERSHIP_COLUMNS, "id"),
    ("participants", _PARTICIPANT_COLUMNS, "user_id"),
    ("members", _MEMBER_COLUMNS, "partnership_id, user_id"),
    ("invites", _INVITE_COLUMNS, "token"),
    ("answers", _ANSWER_COLUMNS, "partnership_id, round, user_id, theme_id"),
)


def _unit_of_work_sql() -> tuple[str, str]:
    """The connection-local view and trigger that write a whole unit of work in one statement.

    The payload is ``{"<table>": [[column values in order], ...], ...}``, plus the targeted
    ``"reminded"`` and ``"briefed"`` lists; a missing key is no rows. Each table row becomes
    an upsert that makes the stored row equal to it. The TEMP objects live on the writer
    connection only and are made from this code's column lists on every open, so the stored
    schema (and its migrations) never depends on them.
    """
    upserts = []
    for table, columns, key in _TABLES:
        names = [c.strip() for c in columns.split(",")]
        keys = {k.strip() for k in key.split(",")}
        values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(names)))
        updates = ", ".join(f"{c} = excluded.{c}" for c in names if c not in keys)
        # "WHERE true" tells the parser the ON CONFLICT belongs to the INSERT, not the join.
        upserts.append(
            f"    INSERT INTO {table} ({columns})\n"  # noqa: S608 - constants only
            f"    SELECT {values} FROM json_each(NEW.payload, '$.{table}') WHERE true\n"
            f"    ON CONFLICT ({key}) DO UPDATE SET {updates};"
        )
    # The targeted updates, after the upserts: [partnership_id, user_id, at, 0 or 1] and
    # [id, at]. UPDATE ... FROM json_each: each named row that exists is updated once.
    upserts.append(
        "    UPDATE members SET reminded_at = json_extract(r.value, '$[2]'),\n"
        "        reminders_sent = reminders_sent + json_extract(r.value, '$[3]')\n"
        "    FROM json_each(NEW.payload, '$.reminded') AS r\n"
        "    WHERE members.partnership_id = json_extract(r.value, '$[0]')\n"
        "      AND members.user_id = json_extract(r.value, '$[1]');"
    )
    upserts.append(
        "    UPDATE partnerships SET briefed_at = json_extract(b.value, '$[1]')\n"
        "    FROM json_each(NEW.payload, '$.briefed') AS b\n"
        "    WHERE partnerships.id = json_extract(b.value, '$[0]');"
    )
    view = "CREATE TEMP VIEW unit_of_work (payload) AS SELECT NULL"
    trigger = (
        "CREATE TEMP TRIGGER unit_of_work_apply INSTEAD OF INSERT ON unit_of_work\nBEGIN\n"
        + "\n".join(upserts)
        + "\nEND"
    )
    return view, trigger


WRITE_UNIT_OF_WORK: Final = "INSERT INTO unit_of_work (payload) VALUES (?)"

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


def _json_rows(columns: str) -> str:
    return "json_group_array(json_array(" + columns + "))"


# One statement for everything an update needs: a single hop to the reader's thread.
SELECT_SNAPSHOT: Final = f"""
WITH me AS (SELECT {_PARTICIPANT_COLUMNS} FROM participants WHERE user_id = :user),
chosen AS (SELECT coalesce(:partnership, (SELECT active_partnership FROM me)) AS id),
pact AS (SELECT {_PARTNERSHIP_COLUMNS} FROM partnerships WHERE id = (SELECT id FROM chosen))
SELECT
  (SELECT json_array({_PARTICIPANT_COLUMNS}) FROM me),
  (SELECT {_json_rows(_MEMBER_COLUMNS)} FROM (
     SELECT {_MEMBER_COLUMNS} FROM members WHERE user_id = :user
     ORDER BY joined_at, partnership_id)),
  (SELECT json_array({_PARTNERSHIP_COLUMNS}) FROM pact),
  (SELECT {_json_rows(_MEMBER_COLUMNS)} FROM (
     SELECT {_MEMBER_COLUMNS} FROM members WHERE partnership_id = (SELECT id FROM pact)
     ORDER BY joined_at, user_id)),
  (SELECT {_json_rows(_ANSWER_COLUMNS)} FROM (
     SELECT {_ANSWER_COLUMNS} FROM answers
     WHERE partnership_id = (SELECT id FROM pact) AND round = (SELECT round FROM pact)
       AND user_id = :user
     ORDER BY answered_at, user_id, theme_id))
"""  # noqa: S608 (column lists are constants)

SELECT_ANSWER_COUNTS: Final = (
    "SELECT user_id, count(*) FROM answers WHERE partnership_id = ? AND round = ? GROUP BY user_id"
)
SELECT_INVITE: Final = f"SELECT {_INVITE_COLUMNS} FROM invites WHERE token = ?"  # noqa: S608
SELECT_INVITES: Final = (
    f"SELECT {_INVITE_COLUMNS} FROM invites WHERE partnership_id = ? "  # noqa: S608
    "ORDER BY created_at, token"
)
# Served by the partial index partnerships_by_meeting (meeting_at, id).
SELECT_MEETINGS: Final = (
    f"SELECT {_PARTNERSHIP_COLUMNS} FROM partnerships "  # noqa: S608
    "WHERE meeting_at >= ? AND meeting_at < ? ORDER BY meeting_at, id"
)
# Served by members_awaiting (finished_at, reminders_off, unreachable, partnership_id,
# joined_at, user_id): the flag literals must stay literals for the index to match.
SELECT_IDLE_MEMBERS: Final = (
    "SELECT "  # noqa: S608
    + ", ".join(f"m.{c.strip()}" for c in _MEMBER_COLUMNS.split(","))
    + " FROM members AS m LEFT JOIN participants AS p ON p.user_id = m.user_id "
    "WHERE m.finished_at IS NULL AND m.reminders_off = 0 AND m.unreachable = 0 "
    "AND m.role IN ('social', 'business') "
    "AND (p.updated_at IS NULL OR p.updated_at < ?) "
    "ORDER BY m.partnership_id, m.joined_at, m.user_id"
)
# The expression is that of the index partnerships_by_activity, character for character.
SELECT_INACTIVE: Final = (
    "SELECT id FROM partnerships WHERE coalesce(last_activity_at, created_at) < ? "
    "ORDER BY coalesce(last_activity_at, created_at), id"
)
# One statement, hence one consistent snapshot of everything about ?1, as one JSON text.
# json() around each scalar subquery marks its text as JSON again: whether the JSON
# subtype survives a subquery has varied between SQLite versions.
# The lists' order is set by sort_export(): SQLite < 3.44 cannot order an aggregate.
SELECT_EXPORT: Final = """
SELECT json_object(
    'participant', json((
        SELECT json_object(
            'state', state, 'language', language, 'active_partnership', active_partnership,
            'context', json(context), 'updated_at', updated_at)
        FROM participants WHERE user_id = ?1)),
    'memberships', json((
        SELECT json_group_array(json_object(
            'partnership_id', partnership_id, 'role', role, 'organisation', organisation,
            'joined_at', joined_at, 'finished_at', finished_at,
            'reminders_sent', reminders_sent, 'reminded_at', reminded_at,
            'reminders_off', reminders_off, 'unreachable', unreachable))
        FROM members WHERE user_id = ?1)),
    'answers', json((
        SELECT json_group_array(json_object(
            'partnership_id', partnership_id, 'round', round, 'theme_id', theme_id,
            'canvas_version', canvas_version, 'score', score, 'note', note,
            'answered_at', answered_at, 'not_yet', not_yet))
        FROM answers WHERE user_id = ?1)),
    'invites', json((
        SELECT json_group_array(json_object(
            'partnership_id', partnership_id, 'role', role,
            'created_at', created_at, 'expires_at', expires_at,
            'used', used_by IS NOT NULL, 'used_at', used_at, 'revoked', revoked))
        FROM invites WHERE created_by = ?1))
)
"""
# Run by the writer, inside forget_user's transaction.
SELECT_MEMBER_PARTNERSHIPS: Final = (
    "SELECT partnership_id FROM members WHERE user_id = ? ORDER BY joined_at, partnership_id"
)

# --------------------------------------------------------------------- other writes

# forget_user: in this order, in one transaction, each with forget_params(). Rows that stay
# (partnerships they created, invites they made or used) keep ERASED instead of the id.
FORGET_USER: Final = (
    "DELETE FROM answers WHERE user_id = :user",
    "DELETE FROM members WHERE user_id = :user",
    "DELETE FROM invites WHERE created_by = :user AND used_by IS NULL",
    "DELETE FROM participants WHERE user_id = :user",
    "UPDATE invites SET created_by = :erased WHERE created_by = :user",
    "UPDATE invites SET used_by = :erased WHERE used_by = :user",
    "UPDATE partnerships SET created_by = :erased WHERE created_by = :user",
)


def forget_params(user_id: int) -> dict[str, object]:
    """The named parameters of every FORGET_USER statement."""
    return {"user": user_id, "erased": ERASED}


# delete_partnerships: each takes one partnership id; members, invites, answers cascade.
CLEAR_ACTIVE_PARTNERSHIP: Final = (
    "UPDATE participants SET active_partnership = NULL WHERE active_partnership = ?"
)
DELETE_PARTNERSHIP: Final = "DELETE FROM partnerships WHERE id = ?"

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
        _time_or_none(p.briefed_at),
        p.summary_round,
    )


def member_params(m: Member) -> Params:
    return (
        m.partnership_id,
        m.user_id,
        Role(m.role).value,
        m.organisation,
        _time(m.joined_at),
        _time_or_none(m.finished_at),
        m.reminders_sent,
        _time_or_none(m.reminded_at),
        1 if m.reminders_off else 0,
        1 if m.unreachable else 0,
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
        1 if a.not_yet else 0,
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
        briefed_at=_parse_or_none(r[7]),
        summary_round=r[8],
    )


def _member(r: Row) -> Member:
    return Member(
        partnership_id=r[0],
        user_id=r[1],
        role=Role(r[2]),
        organisation=r[3],
        joined_at=_parse(r[4]),
        finished_at=_parse_or_none(r[5]),
        reminders_sent=r[6],
        reminded_at=_parse_or_none(r[7]),
        reminders_off=bool(r[8]),
        unreachable=bool(r[9]),
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
        not_yet=bool(r[8]),
    )


def _export(user_id: int, text: str) -> dict[str, object]:
    """export_user's result from the JSON text of ``SELECT_EXPORT`` (0/1 flags as bools)."""
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise StorageError("export is not a JSON object")
    for membership in raw["memberships"]:
        for flag in ("reminders_off", "unreachable"):
            membership[flag] = bool(membership[flag])
    for answer in raw["answers"]:
        answer["not_yet"] = bool(answer["not_yet"])
    for invite in raw["invites"]:
        for flag in ("used", "revoked"):
            invite[flag] = bool(invite[flag])
    return sort_export({"user_id": user_id, **raw})


# --------------------------------------------------------------------------- group commit


@dataclass(slots=True)
class _Unit:
    """One caller's ``Changes`` as rows of values, by key of the unit-of-work payload."""

    params: dict[str, list[Params]]
    future: asyncio.Future[None]
    rows: int = field(init=False)

    def __post_init__(self) -> None:
        self.rows = sum(len(p) for p in self.params.values())

    @classmethod
    def of(cls, changes: Changes, future: asyncio.Future[None]) -> _Unit:
        return cls(
            {
                "partnerships": [partnership_params(p) for p in changes.partnerships],
                "participants": [participant_params(p) for p in changes.participants],
                "members": [member_params(m) for m in changes.members],
                "invites": [invite_params(i) for i in changes.invites],
                "answers": [answer_params(a) for a in changes.answers],
                "reminded": [
                    (r.partnership_id, r.user_id, _time(r.at), 1 if r.counts else 0)
                    for r in changes.reminded
                ],
                "briefed": [(pid, _time(at)) for pid, at in changes.briefed],
            },
            future,
        )


@dataclass(slots=True)
class _Job(Generic[T]):
    """A write other than ``Changes``: ``run`` executes it inside a transaction of its own.

    The writer task runs it between two group-commit batches, so it never interleaves with
    a batch and sees every unit queued before it committed.
    """

    name: str  # for logs and errors: no personal data
    run: Callable[[aiosqlite.Connection], Awaitable[T]]
    future: asyncio.Future[T]


_Item = _Unit | _Job[Any]
_STOP: Final = None  # queued by close(): the writer task finishes what is queued, then ends


class SqliteRepository:
    """The Repository on SQLite. Create with ``await SqliteRepository.open(path)``."""

    def __init__(
        self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection
    ) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue()
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
            for statement in _unit_of_work_sql():
                await writer.execute(statement)
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

    async def snapshot(self, user_id: int, partnership_id: str | None = None) -> Snapshot:
        """Everything one update needs, in one statement (one hop to the reader thread)."""
        [row] = await self._read(SELECT_SNAPSHOT, {"user": user_id, "partnership": partnership_id})
        me, memberships, pact, members, answers = (
            None if cell is None else json.loads(cell) for cell in row
        )
        return Snapshot(
            participant=None if me is None else _participant(me),
            memberships=[_member(r) for r in memberships or ()],
            partnership=None if pact is None else _partnership(pact),
            members=[_member(r) for r in members or ()],
            answers=[_answer(r) for r in answers or ()],
        )

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

    async def meetings_between(self, start: datetime, end: datetime) -> list[Partnership]:
        """Partnerships whose meeting_at is in [start, end), by meeting_at (then id)."""
        rows = await self._read(SELECT_MEETINGS, (_time(start), _time(end)))
        return [_partnership(r) for r in rows]

    async def idle_members(self, idle_since: datetime) -> list[Member]:
        """Members who still owe answers and have been quiet since ``idle_since``.

        Role social or business, not finished, reminders not off, not unreachable, and the
        user's participant row last updated before ``idle_since`` (no row, or no updated_at,
        counts as idle). Ordered by partnership_id, joined_at (then user_id).
        """
        return [_member(r) for r in await self._read(SELECT_IDLE_MEMBERS, (_time(idle_since),))]

    async def inactive_partnerships(self, before: datetime) -> list[str]:
        """Ids of partnerships whose last activity (else creation) is before ``before``."""
        return [str(r[0]) for r in await self._read(SELECT_INACTIVE, (_time(before),))]

    async def export_user(self, user_id: int) -> dict[str, object]:
        """Everything stored about one person, as JSON-ready data (datetimes as ISO text).

        One statement on the reader: a consistent snapshot, as one JSON text.
        """
        rows = await self._read(SELECT_EXPORT, (user_id,))
        return _export(user_id, rows[0][0])

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
        self._check_writer()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        try:
            unit = _Unit.of(changes, future)
        except (ValueError, TypeError) as exc:  # a bad value: not a Role, context not JSON
            raise StorageError(f"cannot store this unit of work: {type(exc).__name__}") from exc
        self._queue.put_nowait(unit)
        await future

    async def forget_user(self, user_id: int) -> list[str]:
        """Erase one person in one transaction; return the partnerships they were in.

        Deletes their answers (every partnership and round), member rows, participant row
        and the unused invites they created. The partnerships stay, with the partner's data;
        where a row that stays named them (``created_by`` of a partnership or invite, an
        invite's ``used_by``), it names ``ERASED`` instead, so no trace of their id is left.
        The returned ids are in order of joining.
        """

        async def run(conn: aiosqlite.Connection) -> list[str]:
            rows = await conn.execute_fetchall(SELECT_MEMBER_PARTNERSHIPS, (user_id,))
            ids = [str(r[0]) for r in rows]
            counts = []
            for sql in FORGET_USER:
                async with conn.execute(sql, forget_params(user_id)) as cursor:
                    counts.append(cursor.rowcount)
            answers, members, invites, *_ = counts
            logger.info(
                "Forgot a user: %d memberships, %d answers, %d invites", members, answers, invites
            )
            return ids

        return await self._submit("forget_user", run)

    async def delete_partnerships(self, ids: Sequence[str]) -> int:
        """Delete partnerships with their members, invites and answers, in one transaction.

        Clears ``active_partnership`` of participants pointing at them. Returns how many of
        ``ids`` existed (and are now deleted).
        """
        params = [(pid,) for pid in distinct_ids(ids)]
        if not params:
            self._check_open()
            return 0

        async def run(conn: aiosqlite.Connection) -> int:
            async with conn.executemany(CLEAR_ACTIVE_PARTNERSHIP, params) as cursor:
                cleared = cursor.rowcount
            # executemany sums rowcount over its parameters; cascaded rows are not counted.
            async with conn.executemany(DELETE_PARTNERSHIP, params) as cursor:
                deleted = cursor.rowcount
            logger.info("Deleted %d partnerships; cleared %d active pointers", deleted, cleared)
            return deleted

        return await self._submit("delete_partnerships", run)

    async def _submit(self, name: str, run: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Queue ``run`` for the writer task, behind every unit queued so far; await it."""
        self._check_open()
        self._check_writer()
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(name, run, future))
        return await future

    async def _write_loop(self) -> None:
        """The writer task: take what is queued, write it as one transaction, repeat.

        Units of work queued back to back are grouped into one transaction; a job ends the
        group and runs alone, after it, so the order of calling is the order of writing.
        """
        stopping = False
        batch: list[_Unit] = []
        job: _Job[Any] | None = None
        try:
            while not stopping:
                item = await self._queue.get()
                batch = []
                job = None
                while True:
                    if item is _STOP:
                        stopping = True
                    elif isinstance(item, _Job):
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
            # Cancelled (the loop is shutting down without close()): no caller may hang.
            error = StorageError("the writer stopped before this unit was committed")
            pending: list[_Item] = [*batch, *([job] if job is not None else [])]
            while not self._queue.empty():
                queued = self._queue.get_nowait()
                if queued is not _STOP:
                    pending.append(queued)
            for unqueued in pending:
                _fail(unqueued, error)
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
        """Write ``batch`` as one statement, hence one transaction, in one hop."""
        payload: dict[str, list[Params]] = {}
        for unit in batch:
            for key, rows in unit.params.items():
                if rows:
                    payload.setdefault(key, []).extend(rows)
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        async with self._write_lock:
            await self._writer.execute(WRITE_UNIT_OF_WORK, (text,))
        logger.debug("Committed %d units, %d rows", len(batch), sum(unit.rows for unit in batch))

    async def _run_job(self, job: _Job[Any]) -> None:
        """Run one job in a transaction of its own and resolve its caller's future."""
        try:
            async with self._writing() as conn:
                result = await job.run(conn)
        except Exception as exc:  # reported to its caller
            _fail(job, exc)
        else:
            if not job.future.done():
                job.future.set_result(result)

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[aiosqlite.Connection]:
        """A transaction on the writer: BEGIN IMMEDIATE, then COMMIT, or ROLLBACK on error."""
        async with self._write_lock:
            conn = self._writer
            await conn.execute("BEGIN IMMEDIATE")  # if this fails, no transaction is open
            try:
                yield conn
                await conn.execute("COMMIT")
            except BaseException:
                try:
                    await conn.execute("ROLLBACK")
                except sqlite3.Error:
                    logger.exception("ROLLBACK failed")
                raise

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("the repository is closed")

    def _check_writer(self) -> None:
        if self._writer_task.done():
            raise StorageError("the writer task has stopped")


def _succeed(unit: _Unit) -> None:
    if not unit.future.done():
        unit.future.set_result(None)


def _fail(item: _Item, exc: Exception) -> None:
    if isinstance(item, _Job):
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
    error = StorageError(f"{what} failed: {detail}")
    error.__cause__ = exc
    item.future.set_exception(error)


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
