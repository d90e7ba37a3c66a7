"""What the database files give away: no erased text, no invite token; no write resurrects."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from flows.model import Answer, Changes, Member, Participant, Role
from storage import schema
from storage.sqlite import SqliteRepository
from tests.storage.test_contract import PID, T0, a_partnership, an_invite

US = 1
PARTNER = 2
# Unique strings that can only be in the files if erased text survived.
SECRET_NOTE = "zq-secret-note-7f3a9c"
SECRET_ORG = "zq-secret-organisation-41be"
SECRET_DRAFT = "zq-secret-draft-0d92"


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def file_bytes(db_path: Path) -> bytes:
    """The database file and its WAL, as they are on disk."""
    wal = db_path.with_name(db_path.name + "-wal")
    return db_path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def plant(repo: SqliteRepository) -> None:
    """US, with a note, an organisation and a half-typed draft, beside PARTNER in PID."""
    await repo.commit(
        Changes(
            partnerships=[a_partnership()],
            participants=[Participant(US, "note", "nl", PID, {"draft": SECRET_DRAFT}, at(1))],
            members=[
                Member(PID, US, Role.SOCIAL, SECRET_ORG, at(0)),
                Member(PID, PARTNER, Role.BUSINESS, "Partner BV", at(1)),
            ],
            answers=[Answer(PID, 1, US, "trust", "v1", 3, SECRET_NOTE, at(2))],
        )
    )


async def test_forgotten_text_is_in_neither_file(
    sqlite_repo: SqliteRepository, db_path: Path
) -> None:
    """After forget_user the erased note, organisation and draft are in neither the database
    file nor its -wal, whether they had reached the main file or were still in the WAL."""
    await plant(sqlite_repo)
    await sqlite_repo._write.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # into the main file
    # A second version of each row, only in the WAL.
    await sqlite_repo.commit(
        Changes(answers=[Answer(PID, 1, US, "trust", "v1", 4, SECRET_NOTE + "!", at(3))])
    )
    for secret in (SECRET_NOTE, SECRET_ORG, SECRET_DRAFT):
        assert secret.encode() in file_bytes(db_path)  # the scan can find them

    await sqlite_repo.forget_user(US)

    stored = file_bytes(db_path)
    for secret in (SECRET_NOTE, SECRET_ORG, SECRET_DRAFT):
        assert secret.encode() not in stored
    assert await sqlite_repo.members(PID) != []  # the partner's data stays


async def test_both_connections_delete_securely(sqlite_repo: SqliteRepository) -> None:
    """Both connections overwrite deleted content with zeros, whatever the SQLite build."""
    assert await sqlite_repo._write.execute("PRAGMA secure_delete") == [(1,)]
    assert list(await sqlite_repo._reader.execute_fetchall("PRAGMA secure_delete")) == [(1,)]


async def test_marking_unreachable_never_brings_an_erased_member_back(
    sqlite_repo: SqliteRepository,
) -> None:
    """A targeted 'unreachable' update of a member erased meanwhile writes nothing; of a
    member still there, it sets the flag and keeps what they did since (finishing)."""
    await plant(sqlite_repo)
    finished = Member(PID, PARTNER, Role.BUSINESS, "Partner BV", at(1), finished_at=at(9))
    await sqlite_repo.commit(Changes(members=[finished]))
    await sqlite_repo.forget_user(US)

    await sqlite_repo.commit(Changes(unreachable=[(PID, US, True), (PID, PARTNER, True)]))

    assert await sqlite_repo.memberships(US) == []
    assert await sqlite_repo.members(PID) == [
        Member(
            PID, PARTNER, Role.BUSINESS, "Partner BV", at(1), finished_at=at(9), unreachable=True
        )
    ]
    await sqlite_repo.commit(Changes(unreachable=[(PID, PARTNER, False)]))
    [back] = await sqlite_repo.members(PID)
    assert back.unreachable is False


async def test_reopening_clears_finished_without_bringing_anyone_back(
    sqlite_repo: SqliteRepository,
) -> None:
    """A new round's targeted reset clears finished_at of the members still there only."""
    await plant(sqlite_repo)
    members = await sqlite_repo.members(PID)
    await sqlite_repo.commit(Changes(members=[replace(m, finished_at=at(5)) for m in members]))
    await sqlite_repo.forget_user(US)

    await sqlite_repo.commit(Changes(reopened=[PID]))

    [partner] = await sqlite_repo.members(PID)
    assert (partner.user_id, partner.finished_at) == (PARTNER, None)
    assert await sqlite_repo.memberships(US) == []


async def test_invite_tokens_are_stored_as_digests_only(
    sqlite_repo: SqliteRepository, db_path: Path
) -> None:
    """The files never hold an invite's token; the stored value cannot be used to look
    the invite up, the token itself can."""
    token = "zq-raw-invite-token-5c1e"
    await sqlite_repo.commit(Changes(partnerships=[a_partnership()], invites=[an_invite(token)]))

    assert token.encode() not in file_bytes(db_path)
    found = await sqlite_repo.invite(token)
    assert found is not None
    assert found.token == hashlib.sha256(token.encode()).hexdigest()
    assert await sqlite_repo.invite(found.token) is None


async def test_an_invite_read_back_and_revoked_updates_its_own_row(
    sqlite_repo: SqliteRepository,
) -> None:
    """Writing back an invite as read (revoked, or used) changes that invite, not a new one."""
    await sqlite_repo.commit(Changes(partnerships=[a_partnership()], invites=[an_invite("t-1")]))
    [read] = await sqlite_repo.invites(PID)
    await sqlite_repo.commit(Changes(invites=[replace(read, revoked=True)]))
    looked_up = await sqlite_repo.invite("t-1")
    assert looked_up is not None
    await sqlite_repo.commit(Changes(invites=[replace(looked_up, used_by=9, used_at=at(5))]))

    assert await sqlite_repo.invites(PID) == [
        replace(read, revoked=True, used_by=9, used_at=at(5))
    ]


async def test_migration_hashes_the_tokens_already_stored(db_path: Path) -> None:
    """A database from before hashing keeps its invites working: each token is replaced by
    its digest and found by the token."""
    db_path.parent.mkdir(parents=True)
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute(schema._CREATE_VERSION_TABLE)
        for version, script in enumerate(schema.MIGRATIONS[:6], start=1):
            conn.executescript(script)
            conn.execute("INSERT INTO schema_version VALUES (?, ?)", (version, T0.isoformat()))
        conn.execute(
            "INSERT INTO partnerships (id, created_by, created_at, canvas_version) "
            "VALUES (?, 1, ?, 'v1')",
            (PID, T0.isoformat()),
        )
        conn.execute(
            "INSERT INTO invites (token, partnership_id, role, created_by, created_at, "
            "expires_at) VALUES ('old-token', ?, 'business', 1, ?, ?)",
            (PID, T0.isoformat(), at(60).isoformat()),
        )
        conn.commit()

    repo = await SqliteRepository.open(db_path)
    try:
        found = await repo.invite("old-token")
    finally:
        await repo.close()

    assert found is not None
    assert found.token == hashlib.sha256(b"old-token").hexdigest()
