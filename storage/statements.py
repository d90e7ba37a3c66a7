"""The SQL text of the repository: reads, the unit of work's statements, erasure and deletion.

Column lists come from the codecs, hence from the records' fields; the rule of who answers
comes from ``Role.answers``. Every statement is built once, at import.
"""

from __future__ import annotations

from typing import Final

from flows.model import ERASED, Role
from storage.codecs import ANSWERS, INVITES, MEMBERS, PARTICIPANTS, PARTNERSHIPS
from storage.outbox import UNIT_STATEMENTS as OUTBOX_STATEMENTS

_PARTICIPANT_COLUMNS: Final = PARTICIPANTS.column_list
_PARTNERSHIP_COLUMNS: Final = PARTNERSHIPS.column_list
_MEMBER_COLUMNS: Final = MEMBERS.column_list
_INVITE_COLUMNS: Final = INVITES.column_list
_ANSWER_COLUMNS: Final = ANSWERS.column_list

# The roles that answer the canvas, as an SQL list: "'social', 'business'".
ANSWERING_ROLES: Final = ", ".join(f"'{role.value}'" for role in Role if role.answers)

# (table, columns, key, columns written only with a new row) in writing order: members,
# invites and answers refer to partnerships. Who created a row, and when, never changes
# through an upsert: a partnership or invite written back whole (a new round, a meeting, an
# invite marked used) must not undo erasure, which puts ERASED in ``created_by``.
_TABLES: Final[tuple[tuple[str, str, str, frozenset[str]], ...]] = (
    ("partnerships", _PARTNERSHIP_COLUMNS, "id", frozenset({"created_by", "created_at"})),
    ("participants", _PARTICIPANT_COLUMNS, "user_id", frozenset()),
    ("members", _MEMBER_COLUMNS, "partnership_id, user_id", frozenset()),
    ("invites", _INVITE_COLUMNS, "token", frozenset({"created_by", "created_at"})),
    ("answers", _ANSWER_COLUMNS, "partnership_id, round, user_id, theme_id", frozenset()),
)


def _upsert(table: str, columns: str, key: str, first_only: frozenset[str]) -> str:
    """One row of ``table`` (its columns' values in order) made the stored row, by ``key``;
    ``first_only`` columns keep the values the row was first written with."""
    names = [c.strip() for c in columns.split(",")]
    kept = {k.strip() for k in key.split(",")} | first_only
    updates = ", ".join(f"{c} = excluded.{c}" for c in names if c not in kept)
    marks = ", ".join("?" * len(names))
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({marks}) "  # noqa: S608 - constants only
        f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


# A unit of work is written by the writer (storage/writer.py) as these statements, in this
# order, each run once per row of the payload's list under its key (``executemany``): the
# upserts, then the targeted updates of a few columns of existing rows, then the outbox's.
UNIT_OF_WORK: Final[tuple[tuple[str, str], ...]] = (
    *((table, _upsert(table, columns, key, first)) for table, columns, key, first in _TABLES),
    # [partnership_id, user_id, at, 0 or 1]: only a counting reminder adds one.
    (
        "reminded",
        "UPDATE members SET reminded_at = ?3, reminders_sent = reminders_sent + ?4 "
        "WHERE partnership_id = ?1 AND user_id = ?2",
    ),
    ("briefed", "UPDATE partnerships SET briefed_at = ?2 WHERE id = ?1"),
    (
        "unreachable",
        "UPDATE members SET unreachable = ?3 WHERE partnership_id = ?1 AND user_id = ?2",
    ),
    ("reopened", "UPDATE members SET finished_at = NULL WHERE partnership_id = ?1"),
    *OUTBOX_STATEMENTS,
)


def _select(columns: str, table: str, where: str, order: str = "") -> str:
    """``SELECT columns FROM table WHERE where [ORDER BY order]``, from constants only."""
    sql = f"SELECT {columns} FROM {table} WHERE {where}"  # noqa: S608
    return f"{sql} ORDER BY {order}" if order else sql


SELECT_PARTICIPANT: Final = _select(_PARTICIPANT_COLUMNS, "participants", "user_id = ?")
SELECT_PARTNERSHIP: Final = _select(_PARTNERSHIP_COLUMNS, "partnerships", "id = ?")
SELECT_MEMBERS: Final = _select(
    _MEMBER_COLUMNS, "members", "partnership_id = ?", "joined_at, user_id"
)
SELECT_MEMBERSHIPS: Final = _select(
    _MEMBER_COLUMNS, "members", "user_id = ?", "joined_at, partnership_id"
)
SELECT_ANSWERS: Final = _select(
    _ANSWER_COLUMNS,
    "answers",
    "partnership_id = ? AND round = ?",
    "answered_at, user_id, theme_id",
)
SELECT_USER_ANSWERS: Final = _select(
    _ANSWER_COLUMNS,
    "answers",
    "partnership_id = ? AND round = ? AND user_id = ?",
    "answered_at, user_id, theme_id",
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
     ORDER BY answered_at, user_id, theme_id)),
  (SELECT json_group_object(m.user_id, p.language)
     FROM members AS m JOIN participants AS p ON p.user_id = m.user_id
     WHERE m.partnership_id = (SELECT id FROM pact))
"""  # noqa: S608 (column lists are constants)

SELECT_ANSWER_COUNTS: Final = (
    "SELECT user_id, count(*) FROM answers WHERE partnership_id = ? AND round = ? GROUP BY user_id"
)
SELECT_INVITE: Final = _select(_INVITE_COLUMNS, "invites", "token = ?")
SELECT_INVITES: Final = _select(
    _INVITE_COLUMNS, "invites", "partnership_id = ?", "created_at, token"
)
# Served by the partial index partnerships_by_meeting (meeting_at, id).
SELECT_MEETINGS: Final = _select(
    _PARTNERSHIP_COLUMNS, "partnerships", "meeting_at >= ? AND meeting_at < ?", "meeting_at, id"
)
# Served by members_awaiting (finished_at, reminders_off, unreachable, partnership_id,
# joined_at, user_id): the flag literals must stay literals for the index to match.
SELECT_IDLE_MEMBERS: Final = (
    "SELECT "  # noqa: S608
    + ", ".join(f"m.{c.strip()}" for c in _MEMBER_COLUMNS.split(","))
    + " FROM members AS m LEFT JOIN participants AS p ON p.user_id = m.user_id "
    "WHERE m.finished_at IS NULL AND m.reminders_off = 0 AND m.unreachable = 0 "
    f"AND m.role IN ({ANSWERING_ROLES}) "
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
    "DELETE FROM outbox WHERE chat_id = :user",
    "UPDATE invites SET created_by = :erased WHERE created_by = :user",
    "UPDATE invites SET used_by = :erased WHERE used_by = :user",
    "UPDATE partnerships SET created_by = :erased WHERE created_by = :user",
)


def forget_params(user_id: int) -> dict[str, object]:
    """The named parameters of every FORGET_USER statement."""
    return {"user": user_id, "erased": ERASED}


# purge_participants: people in no partnership, quiet since before ?1 (no time counts as
# quiet: '' sorts before every time). The expression is that of the index
# participants_by_activity, character for character; members_by_user serves the NOT EXISTS.
PURGE_PARTICIPANTS: Final = (
    "DELETE FROM participants WHERE coalesce(updated_at, '') < ?1 "
    "AND NOT EXISTS (SELECT 1 FROM members WHERE members.user_id = participants.user_id)"
)

# After an erasure: the WAL's old page versions go, the file keeps the zeroed pages.
CHECKPOINT: Final = "PRAGMA wal_checkpoint(TRUNCATE)"

# delete_partnerships: each takes one partnership id; members, invites, answers cascade.
CLEAR_ACTIVE_PARTNERSHIP: Final = (
    "UPDATE participants SET active_partnership = NULL WHERE active_partnership = ?"
)
DELETE_PARTNERSHIP: Final = "DELETE FROM partnerships WHERE id = ?"
