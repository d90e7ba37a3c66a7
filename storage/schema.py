"""The SQLite schema as ordered migrations, and the code that applies them.

Conventions of the stored values:
datetimes are ISO-8601 text in UTC with microseconds (``2025-01-31T09:00:00.000000+00:00``),
so text order is time order; ``Participant.context`` is JSON text; a ``Role`` is its string
value; a bool is 0/1.

Migrations are append-only: never edit a released script, add a new one. Version ``n`` of the
database is the state after the first ``n`` scripts of ``MIGRATIONS``.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime

import aiosqlite

from storage.codecs import sha256_hex
from storage.errors import MigrationError

logger = logging.getLogger(__name__)

_ROLE_CHECK = "CHECK (role IN ('social', 'business', 'facilitator'))"

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    f"""
    CREATE TABLE participants (
        user_id            INTEGER PRIMARY KEY,
        state              TEXT    NOT NULL,
        language           TEXT    NOT NULL,
        active_partnership TEXT,             -- no foreign key: a stale id reads as "none"
        context            TEXT    NOT NULL DEFAULT '{{}}',
        updated_at         TEXT
    );

    CREATE TABLE partnerships (
        id               TEXT    PRIMARY KEY,
        created_by       INTEGER NOT NULL,
        created_at       TEXT    NOT NULL,
        canvas_version   TEXT    NOT NULL,
        round            INTEGER NOT NULL DEFAULT 1 CHECK (round >= 1),
        meeting_at       TEXT,
        last_activity_at TEXT
    );

    CREATE TABLE members (
        partnership_id TEXT    NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
        user_id        INTEGER NOT NULL,
        role           TEXT    NOT NULL {_ROLE_CHECK},
        organisation   TEXT    NOT NULL,
        joined_at      TEXT    NOT NULL,
        finished_at    TEXT,
        PRIMARY KEY (partnership_id, user_id),
        UNIQUE (partnership_id, role)
    );
    -- memberships(user_id); members(partnership_id) is served by the primary key.
    CREATE INDEX members_by_user ON members (user_id, joined_at);

    CREATE TABLE invites (
        token          TEXT    PRIMARY KEY,
        partnership_id TEXT    NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
        role           TEXT    NOT NULL {_ROLE_CHECK},
        created_by     INTEGER NOT NULL,
        created_at     TEXT    NOT NULL,
        expires_at     TEXT    NOT NULL,
        used_by        INTEGER,
        used_at        TEXT,
        revoked        INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
    );
    CREATE INDEX invites_by_partnership ON invites (partnership_id, created_at);

    -- answers(partnership_id, round[, user_id]) and answer_counts are served by the
    -- primary key, whose leading columns are exactly (partnership_id, round, user_id).
    CREATE TABLE answers (
        partnership_id TEXT    NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
        round          INTEGER NOT NULL CHECK (round >= 1),
        user_id        INTEGER NOT NULL,
        theme_id       TEXT    NOT NULL,
        canvas_version TEXT    NOT NULL,
        score          INTEGER CHECK (score IS NULL OR score BETWEEN 1 AND 5),
        note           TEXT,
        answered_at    TEXT    NOT NULL,
        PRIMARY KEY (partnership_id, round, user_id, theme_id)
    );
    """,
    # 2: meeting briefings, idempotent summaries, reminders; the indexes of the periodic jobs
    # (meetings_between, idle_members, inactive_partnerships) and of erasure and export.
    """
    ALTER TABLE partnerships ADD COLUMN briefed_at TEXT;
    ALTER TABLE partnerships ADD COLUMN
        summary_round INTEGER NOT NULL DEFAULT 0 CHECK (summary_round >= 0);

    ALTER TABLE members ADD COLUMN
        reminders_sent INTEGER NOT NULL DEFAULT 0 CHECK (reminders_sent >= 0);
    ALTER TABLE members ADD COLUMN reminded_at TEXT;
    ALTER TABLE members ADD COLUMN
        reminders_off INTEGER NOT NULL DEFAULT 0 CHECK (reminders_off IN (0, 1));
    ALTER TABLE members ADD COLUMN
        unreachable INTEGER NOT NULL DEFAULT 0 CHECK (unreachable IN (0, 1));

    -- meetings_between: a range on meeting_at, in index order; most rows have no meeting.
    CREATE INDEX partnerships_by_meeting ON partnerships (meeting_at, id)
        WHERE meeting_at IS NOT NULL;
    -- inactive_partnerships: the query repeats this expression exactly, so SQLite uses it.
    CREATE INDEX partnerships_by_activity
        ON partnerships (coalesce(last_activity_at, created_at), id);
    -- idle_members: equality on the three flags (IS NULL counts), then the result order.
    CREATE INDEX members_awaiting
        ON members (finished_at, reminders_off, unreachable, partnership_id, joined_at, user_id);
    -- forget_user and export_user.
    CREATE INDEX answers_by_user ON answers (user_id);
    CREATE INDEX invites_by_creator ON invites (created_by, created_at);
    -- delete_partnerships clears the pointers to the deleted partnerships.
    CREATE INDEX participants_by_active ON participants (active_partnership)
        WHERE active_partnership IS NOT NULL;
    """,
    # 3: a partnership's last activity is its newest answer, kept by the database itself
    # (no extra statement per answer; forward only, so an older answer never moves it back).
    """
    CREATE TRIGGER answers_touch_partnership_on_insert AFTER INSERT ON answers BEGIN
        UPDATE partnerships SET last_activity_at = NEW.answered_at
        WHERE id = NEW.partnership_id
          AND (last_activity_at IS NULL OR last_activity_at < NEW.answered_at);
    END;
    CREATE TRIGGER answers_touch_partnership_on_update AFTER UPDATE OF answered_at ON answers
    BEGIN
        UPDATE partnerships SET last_activity_at = NEW.answered_at
        WHERE id = NEW.partnership_id
          AND (last_activity_at IS NULL OR last_activity_at < NEW.answered_at);
    END;
    """,
    # 4: forget_user replaces the person's id where rows stay; these find those rows.
    """
    CREATE INDEX partnerships_by_creator ON partnerships (created_by);
    CREATE INDEX invites_by_user ON invites (used_by) WHERE used_by IS NOT NULL;
    """,
    # 5: "not yet relevant" is an answer of its own, apart from a skip (score stays NULL).
    """
    ALTER TABLE answers ADD COLUMN not_yet INTEGER NOT NULL DEFAULT 0 CHECK (not_yet IN (0, 1));
    """,
    # 6: the retention purge finds participants quiet since before a moment.
    """
    CREATE INDEX participants_by_activity ON participants (coalesce(updated_at, ''));
    """,
    # 7: invite tokens are stored as their SHA-256 digest (sha256_hex: registered by migrate).
    """
    UPDATE invites SET token = sha256_hex(token);
    """,
    # 8: the outbox: messages stored with the change that causes them, sent per chat in id
    # order, marked sent only after Telegram accepted them. ``action`` is JSON text
    # (storage/outbox.py); it is cleared once sent, and a sent row is deleted a day later.
    """
    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id         INTEGER NOT NULL,
        action          TEXT,
        created_at      TEXT    NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at TEXT,             -- NULL: at once
        parts_sent      INTEGER NOT NULL DEFAULT 0 CHECK (parts_sent >= 0),
        sent_at         TEXT,
        CHECK ((action IS NULL) = (sent_at IS NOT NULL))
    );
    -- The sender's scan: unsent rows by due time; a chat's rows in order (and erasure).
    CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE sent_at IS NULL;
    CREATE INDEX outbox_by_chat ON outbox (chat_id, id);
    -- The clean-up of rows sent a while ago.
    CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)

_CREATE_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    applied_at TEXT    NOT NULL
)
"""


async def current_version(conn: aiosqlite.Connection) -> int:
    """The highest applied migration (0 for an empty database)."""
    rows = list(
        await conn.execute_fetchall("SELECT coalesce(max(version), 0) FROM schema_version")
    )
    return int(rows[0][0])


async def migrate(conn: aiosqlite.Connection) -> int:
    """Apply every missing migration, each in its own transaction; return the schema version.

    ``conn`` must not be inside a transaction; transactions here are explicit (``BEGIN
    IMMEDIATE`` ... ``COMMIT``), so any isolation level works. Raises ``MigrationError``
    when the database is newer than this code or a migration fails (that migration is
    rolled back; earlier ones stay applied).
    """
    try:
        await conn.create_function("sha256_hex", 1, sha256_hex, deterministic=True)
        await conn.execute(_CREATE_VERSION_TABLE)
        version = await current_version(conn)
    except sqlite3.Error as exc:
        raise MigrationError("cannot read the schema version") from exc
    if version > SCHEMA_VERSION:
        raise MigrationError(
            f"database schema version {version} is newer than this code ({SCHEMA_VERSION})"
        )
    while version < SCHEMA_VERSION:
        version = await _apply(conn, version + 1)
    return version


async def _apply(conn: aiosqlite.Connection, target: int) -> int:
    """Apply migration ``target`` unless another process already did; return the new version."""
    try:
        # IMMEDIATE takes the write lock now, so a second process migrating the same file
        # waits here and then sees the version this one wrote.
        await conn.execute("BEGIN IMMEDIATE")
        try:
            version = await current_version(conn)
            if version < target:
                # executescript() would COMMIT first; statements one by one stay in this
                # transaction (SQLite DDL is transactional).
                for statement in _statements(MIGRATIONS[target - 1]):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                    (target, datetime.now(UTC).isoformat(timespec="microseconds")),
                )
                version = target
            await conn.execute("COMMIT")
        except BaseException:
            await _rollback(conn)
            raise
    except sqlite3.Error as exc:
        raise MigrationError(f"migration {target} failed") from exc
    if version == target:
        logger.info("Applied schema migration %d", target)
    return version


async def _rollback(conn: aiosqlite.Connection) -> None:
    try:
        await conn.execute("ROLLBACK")
    except sqlite3.Error:
        logger.debug("ROLLBACK failed: no transaction was open")


def _statements(script: str) -> list[str]:
    """Split a script into complete SQL statements (semicolons in literals are kept)."""
    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if _has_sql(pending):
                statements.append(pending.strip())
            pending = ""
    if _has_sql(pending.rstrip(";")):
        raise ValueError("incomplete SQL statement at the end of a migration")
    return statements


def _has_sql(text: str) -> bool:
    """Whether ``text`` holds anything besides whitespace, ``--`` comments and semicolons."""
    for line in text.splitlines():
        code = line.split("--", 1)[0].strip().strip(";").strip()
        if code:
            return True
    return False
