"""The Repository contract, run against the SQLite repository on a temporary file.

The last section holds what only SQLite has: a file, migrations, group commit, backups.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import threading
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import aiosqlite
import pytest

from flows.model import (
    Answer,
    Changes,
    Invite,
    Member,
    Participant,
    Partnership,
    Reminded,
    Role,
    Snapshot,
)
from flows.repository import Repository
from storage import schema
from storage import statements as statements_module
from storage.errors import MigrationError, StorageError
from storage.sqlite import SqliteRepository

# The class satisfies the Protocol (checked by mypy where this module is type-checked).
_IMPLEMENTATIONS: tuple[type[Repository], ...] = (SqliteRepository,)

T0 = datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
AMSTERDAM = timezone(timedelta(hours=1))
PID = "p-1"
TOKEN = "tok-1"
# Emoji (with a ZWJ sequence), right-to-left text and an override mark, Telegram markup
# characters, HTML, quotes, SQL-ish text and line breaks: all must come back unchanged.
TRICKY = (
    "Café ☕ & Zoon 👩\u200d👩\u200d👧 <b>*bold*</b> _x_ [l](http://e.nl) `c` "
    "'quote' \"dq\" ; DROP TABLE answers; -- \u202e\u05e9\u05dc\u05d5\u05dd مرحبا\n\tnext line"
)


def a_partnership(pid: str = PID, *, round_: int = 1) -> Partnership:
    return Partnership(id=pid, created_by=1, created_at=T0, canvas_version="v1", round=round_)


def a_member(
    user_id: int = 1, role: Role = Role.SOCIAL, pid: str = PID, *, minutes: int = 0
) -> Member:
    return Member(pid, user_id, role, f"Org {user_id}", T0 + timedelta(minutes=minutes))


def an_invite(token: str = TOKEN, pid: str = PID, *, minutes: int = 0) -> Invite:
    created = T0 + timedelta(minutes=minutes)
    return Invite(token, pid, Role.BUSINESS, 1, created, created + timedelta(days=7))


def stored(invite: Invite) -> Invite:
    """``invite`` as read back: storage keeps the SHA-256 hex digest of its token only."""
    return replace(invite, token=hashlib.sha256(invite.token.encode()).hexdigest())


def an_answer(
    theme_id: str = "trust",
    user_id: int = 1,
    score: int | None = 4,
    *,
    pid: str = PID,
    round_: int = 1,
    seconds: int = 0,
) -> Answer:
    return Answer(
        partnership_id=pid,
        round=round_,
        user_id=user_id,
        theme_id=theme_id,
        canvas_version="v1",
        score=score,
        note=None,
        answered_at=T0 + timedelta(seconds=seconds),
    )


async def with_partnership(repo: Repository, *pids: str) -> None:
    await repo.commit(Changes(partnerships=[a_partnership(pid) for pid in pids or (PID,)]))


# ------------------------------------------------------------------------ round trips


async def test_participant_round_trip(repo: Repository) -> None:
    """A participant comes back equal, its context dict and aware datetime included."""
    stored = Participant(
        user_id=42,
        state="answering",
        language="en",
        active_partnership=PID,
        context={"theme": "trust", "token": "abc", "note": TRICKY},
        updated_at=datetime(2025, 3, 1, 10, 0, 0, 5, tzinfo=AMSTERDAM),
    )
    await repo.commit(Changes(participants=[stored]))

    loaded = await repo.participant(42)

    assert loaded == stored
    assert loaded is not None
    assert loaded.updated_at is not None
    assert loaded.updated_at.utcoffset() == timedelta(0)


async def test_participant_defaults_round_trip(repo: Repository) -> None:
    """A participant with no partnership, empty context and no time comes back equal."""
    stored = Participant(user_id=7, state="new", language="nl")
    await repo.commit(Changes(participants=[stored]))

    assert await repo.participant(7) == stored


async def test_partnership_round_trip(repo: Repository) -> None:
    """A partnership comes back equal, with its optional datetimes."""
    stored = Partnership(
        id="p-ü-1",
        created_by=9,
        created_at=T0,
        canvas_version="2025.1",
        round=3,
        meeting_at=datetime(2025, 4, 1, 14, 0, tzinfo=AMSTERDAM),
        last_activity_at=T0 + timedelta(microseconds=1),
    )
    await repo.commit(Changes(partnerships=[stored]))

    assert await repo.partnership("p-ü-1") == stored


async def test_member_round_trip(repo: Repository) -> None:
    """A member comes back equal, its organisation name stored character for character."""
    stored = Member(PID, 5, Role.FACILITATOR, TRICKY, T0, finished_at=T0 + timedelta(hours=2))
    await repo.commit(Changes(partnerships=[a_partnership()], members=[stored]))

    members = await repo.members(PID)

    assert members == [stored]
    assert members[0].organisation == TRICKY
    assert members[0].role is Role.FACILITATOR


async def test_invite_round_trip(repo: Repository) -> None:
    """An invite comes back equal, used and revoked fields included."""
    unused = an_invite("fresh")
    used = Invite(
        token="used",
        partnership_id=PID,
        role=Role.SOCIAL,
        created_by=1,
        created_at=T0,
        expires_at=T0 + timedelta(days=7),
        used_by=2,
        used_at=T0 + timedelta(hours=1),
        revoked=True,
    )
    await repo.commit(Changes(partnerships=[a_partnership()], invites=[unused, used]))

    assert await repo.invite("fresh") == stored(unused)
    assert await repo.invite("used") == stored(used)


async def test_answer_round_trip(repo: Repository) -> None:
    """Answers come back equal: a skipped one, a "not yet relevant" one and a note included."""
    noted = Answer(PID, 1, 1, "trust", "v1", 5, TRICKY, T0)
    skipped = Answer(PID, 1, 1, "value", "v1", None, None, T0 + timedelta(seconds=1))
    not_yet = Answer(PID, 1, 1, "system", "v1", None, None, T0 + timedelta(seconds=2), True)
    await repo.commit(Changes(partnerships=[a_partnership()], answers=[noted, skipped, not_yet]))

    assert await repo.answers(PID, 1) == [noted, skipped, not_yet]


async def test_every_score_on_the_scale_is_accepted(repo: Repository) -> None:
    """Scores 1 to 5 are all stored."""
    await with_partnership(repo)
    answers = [an_answer(f"t{s}", score=s, seconds=s) for s in range(1, 6)]
    await repo.commit(Changes(answers=answers))

    assert [a.score for a in await repo.answers(PID, 1)] == [1, 2, 3, 4, 5]


async def test_partnership_and_its_rows_in_one_unit(repo: Repository) -> None:
    """A unit may create a partnership together with the rows that refer to it."""
    await repo.commit(
        Changes(
            participants=[Participant(1, "idle", "nl", active_partnership=PID)],
            partnerships=[a_partnership()],
            members=[a_member()],
            invites=[an_invite()],
            answers=[an_answer()],
        )
    )

    # The answer is the partnership's activity.
    touched = replace(a_partnership(), last_activity_at=an_answer().answered_at)
    assert await repo.partnership(PID) == touched
    assert await repo.members(PID) == [a_member()]
    assert await repo.invites(PID) == [stored(an_invite())]
    assert await repo.answers(PID, 1) == [an_answer()]


async def test_returned_context_is_a_copy(repo: Repository) -> None:
    """Mutating a loaded participant's context changes nothing stored."""
    await repo.commit(Changes(participants=[Participant(1, "idle", "nl", context={"a": "1"})]))
    loaded = await repo.participant(1)
    assert loaded is not None

    loaded.context["a"] = "changed"

    again = await repo.participant(1)
    assert again is not None
    assert again.context == {"a": "1"}


# ---------------------------------------------------------------------------- upserts


async def test_participant_upsert_replaces_every_field(repo: Repository) -> None:
    """A second participant row with the same user_id replaces the first entirely."""
    first = Participant(1, "idle", "nl", PID, {"theme": "trust"}, T0)
    second = Participant(1, "answering", "en", None, {}, T0 + timedelta(minutes=1))
    await repo.commit(Changes(participants=[first]))
    await repo.commit(Changes(participants=[second]))

    assert await repo.participant(1) == second


async def test_partnership_upsert_replaces(repo: Repository) -> None:
    """Upserting a partnership replaces its round and times and keeps its members."""
    await repo.commit(Changes(partnerships=[a_partnership()], members=[a_member()]))
    later = Partnership(PID, 1, T0, "v2", 2, T0 + timedelta(days=3), T0 + timedelta(days=1))
    await repo.commit(Changes(partnerships=[later]))

    assert await repo.partnership(PID) == later
    assert await repo.members(PID) == [a_member()]


async def test_member_upsert_replaces(repo: Repository) -> None:
    """Upserting a member replaces its role, organisation and finished_at."""
    await with_partnership(repo)
    await repo.commit(Changes(members=[a_member(1, Role.SOCIAL)]))
    changed = Member(PID, 1, Role.BUSINESS, "New name", T0, finished_at=T0 + timedelta(days=1))
    await repo.commit(Changes(members=[changed]))

    assert await repo.members(PID) == [changed]


async def test_invite_upsert_replaces(repo: Repository) -> None:
    """Upserting an invite records its use."""
    await with_partnership(repo)
    await repo.commit(Changes(invites=[an_invite()]))
    used = Invite(
        "tok-1", PID, Role.BUSINESS, 1, T0, T0 + timedelta(days=7), 2, T0 + timedelta(hours=1)
    )
    await repo.commit(Changes(invites=[used]))

    assert await repo.invite("tok-1") == stored(used)


async def test_answer_upsert_replaces(repo: Repository) -> None:
    """Answering a theme again replaces score, note, canvas_version and answered_at."""
    await with_partnership(repo)
    await repo.commit(Changes(answers=[an_answer(score=2)]))
    again = Answer(PID, 1, 1, "trust", "v2", None, "changed my mind", T0 + timedelta(hours=1))
    await repo.commit(Changes(answers=[again]))

    assert await repo.answers(PID, 1) == [again]
    assert await repo.answer_counts(PID, 1) == {1: 1}


async def test_later_row_in_one_unit_wins(repo: Repository) -> None:
    """Within one unit, the last row with a key is the one stored."""
    await with_partnership(repo)
    await repo.commit(Changes(answers=[an_answer(score=1), an_answer(score=5)]))

    assert [a.score for a in await repo.answers(PID, 1)] == [5]


# ------------------------------------------------------------------------------ reads


async def test_answers_filtered_by_user_and_round(repo: Repository) -> None:
    """answers() returns one round, of one user when asked, in order of answering."""
    await with_partnership(repo, PID, "p-2")
    mine_late = an_answer("value", user_id=1, seconds=30)
    mine_early = an_answer("trust", user_id=1, seconds=10)
    theirs = an_answer("trust", user_id=2, seconds=20)
    other_round = an_answer("trust", user_id=1, round_=2)
    other_partnership = an_answer("trust", user_id=1, pid="p-2")
    await repo.commit(
        Changes(answers=[mine_late, mine_early, theirs, other_round, other_partnership])
    )

    assert await repo.answers(PID, 1, 1) == [mine_early, mine_late]
    assert await repo.answers(PID, 1, 2) == [theirs]
    assert await repo.answers(PID, 1) == [mine_early, theirs, mine_late]
    assert await repo.answers(PID, 2) == [other_round]
    assert await repo.answers(PID, 1, 3) == []


async def test_answer_counts(repo: Repository) -> None:
    """answer_counts() counts answered and skipped themes per user, for one round only."""
    await with_partnership(repo, PID, "p-2")
    await repo.commit(
        Changes(
            answers=[
                an_answer("a", 1),
                an_answer("b", 1, None),
                an_answer("c", 1),
                an_answer("a", 2),
                an_answer("b", 2, round_=2),
                an_answer("a", 3, pid="p-2"),
            ]
        )
    )

    assert await repo.answer_counts(PID, 1) == {1: 3, 2: 1}
    assert await repo.answer_counts(PID, 2) == {2: 1}
    assert await repo.answer_counts(PID, 3) == {}


async def test_members_in_order_of_joining(repo: Repository) -> None:
    """members() lists one partnership's members by joining time."""
    await with_partnership(repo, PID, "p-2")
    late = a_member(1, Role.SOCIAL, minutes=20)
    early = a_member(2, Role.BUSINESS, minutes=5)
    middle = a_member(3, Role.FACILITATOR, minutes=10)
    elsewhere = a_member(4, Role.SOCIAL, "p-2")
    await repo.commit(Changes(members=[late, early, middle, elsewhere]))

    assert await repo.members(PID) == [early, middle, late]


async def test_memberships_across_partnerships(repo: Repository) -> None:
    """memberships() lists every partnership of one user, in order of joining."""
    await with_partnership(repo, "p-a", "p-b", "p-c")
    second = a_member(1, Role.BUSINESS, "p-a", minutes=30)
    first = a_member(1, Role.SOCIAL, "p-b", minutes=1)
    third = a_member(1, Role.FACILITATOR, "p-c", minutes=60)
    someone_else = a_member(2, Role.SOCIAL, "p-a")
    await repo.commit(Changes(members=[second, first, third, someone_else]))

    assert await repo.memberships(1) == [first, second, third]
    assert await repo.memberships(2) == [someone_else]


async def test_invites_lookup(repo: Repository) -> None:
    """invite() finds one token; invites() lists one partnership's invites, oldest first."""
    await with_partnership(repo, PID, "p-2")
    newer = an_invite("b-newer", minutes=10)
    older = an_invite("a-older", minutes=1)
    elsewhere = an_invite("c-elsewhere", "p-2")
    await repo.commit(Changes(invites=[newer, older, elsewhere]))

    assert await repo.invite("b-newer") == stored(newer)
    assert await repo.invites(PID) == [stored(older), stored(newer)]
    assert await repo.invites("p-2") == [stored(elsewhere)]


async def test_an_invite_by_its_digest_is_for_the_bot_only(repo: Repository) -> None:
    """invite_by_digest() finds the stored digest; invite() given that digest finds nothing."""
    await with_partnership(repo)
    await repo.commit(Changes(invites=[an_invite("b-newer")]))
    digest = stored(an_invite("b-newer")).token

    assert await repo.invite_by_digest(digest) == stored(an_invite("b-newer"))
    assert await repo.invite(digest) is None
    assert await repo.invite_by_digest("b-newer") is None


async def test_missing_rows(repo: Repository) -> None:
    """Reads of rows that do not exist return None, [] or {}."""
    assert await repo.participant(404) is None
    assert await repo.partnership("nope") is None
    assert await repo.members("nope") == []
    assert await repo.memberships(404) == []
    assert await repo.answers("nope", 1) == []
    assert await repo.answers("nope", 1, 404) == []
    assert await repo.answer_counts("nope", 1) == {}
    assert await repo.invite("nope") is None
    assert await repo.invites("nope") == []


async def test_empty_unit_is_accepted(repo: Repository) -> None:
    """Committing an empty Changes does nothing and raises nothing."""
    await repo.commit(Changes())

    assert await repo.participant(1) is None


# ------------------------------------------------------------------ all or nothing


@pytest.mark.parametrize("score", [0, 6, 7, -1])
async def test_bad_score_writes_nothing(repo: Repository, score: int) -> None:
    """A unit with a score outside 1..5 fails with StorageError and stores none of its rows."""
    await with_partnership(repo)
    bad = Changes(participants=[Participant(1, "idle", "nl")], answers=[an_answer(score=score)])

    with pytest.raises(StorageError):
        await repo.commit(bad)

    assert await repo.participant(1) is None
    assert await repo.answers(PID, 1) == []


async def test_row_without_partnership_writes_nothing(repo: Repository) -> None:
    """A member, invite or answer of an unknown partnership fails the whole unit."""
    for orphan in (
        Changes(members=[a_member(pid="ghost")]),
        Changes(invites=[an_invite(pid="ghost")]),
        Changes(answers=[an_answer(pid="ghost")]),
    ):
        orphan.participants.append(Participant(1, "idle", "nl"))
        with pytest.raises(StorageError):
            await repo.commit(orphan)

    assert await repo.participant(1) is None
    assert await repo.memberships(1) == []
    assert await repo.invite("tok-1") is None


async def test_second_member_with_same_role_writes_nothing(repo: Repository) -> None:
    """A second member with a role already taken in the partnership fails the whole unit."""
    await repo.commit(Changes(partnerships=[a_partnership()], members=[a_member(1)]))
    clash = Changes(answers=[an_answer(user_id=1)], members=[a_member(2, Role.SOCIAL)])

    with pytest.raises(StorageError):
        await repo.commit(clash)

    assert await repo.members(PID) == [a_member(1)]
    assert await repo.answers(PID, 1) == []


async def test_naive_datetime_is_rejected(repo: Repository) -> None:
    """A datetime without a timezone fails the unit: storage keeps aware UTC times only."""
    naive = Participant(1, "idle", "nl", updated_at=datetime(2025, 1, 1))  # noqa: DTZ001

    with pytest.raises(StorageError):
        await repo.commit(Changes(participants=[naive]))

    assert await repo.participant(1) is None


async def test_failed_unit_leaves_earlier_data(repo: Repository) -> None:
    """A failed unit changes nothing that an earlier unit stored."""
    await repo.commit(Changes(partnerships=[a_partnership()], answers=[an_answer(score=3)]))

    with pytest.raises(StorageError):
        await repo.commit(Changes(answers=[an_answer(score=4), an_answer("x", score=9)]))

    assert [a.score for a in await repo.answers(PID, 1)] == [3]


# ------------------------------------------------------------------------ SQLite only


async def test_data_survives_close_and_reopen(db_path: Path) -> None:
    """Rows committed before close() are read back after reopening the file."""
    first = await SqliteRepository.open(db_path)
    try:
        await first.commit(
            Changes(
                participants=[Participant(1, "idle", "nl", context={"k": "v"})],
                partnerships=[a_partnership()],
                answers=[an_answer()],
            )
        )
    finally:
        await first.close()

    second = await SqliteRepository.open(db_path)
    try:
        assert await second.participant(1) == Participant(1, "idle", "nl", context={"k": "v"})
        assert await second.answers(PID, 1) == [an_answer()]
    finally:
        await second.close()


async def test_migrate_is_idempotent(db_path: Path) -> None:
    """Running migrate twice leaves the schema at the latest version, each applied once."""
    db_path.parent.mkdir(parents=True)
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        assert await schema.migrate(conn) == schema.SCHEMA_VERSION
        assert await schema.migrate(conn) == schema.SCHEMA_VERSION
        rows = list(await conn.execute_fetchall("SELECT version FROM schema_version"))

    assert [r[0] for r in rows] == list(range(1, schema.SCHEMA_VERSION + 1))


async def test_newer_schema_version_raises(db_path: Path) -> None:
    """Opening a database whose schema is newer than the code raises MigrationError."""
    await (await SqliteRepository.open(db_path)).close()
    with closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
            (schema.SCHEMA_VERSION + 1, T0.isoformat()),
        )

    with pytest.raises(MigrationError, match="newer"):
        await SqliteRepository.open(db_path)


async def test_failed_migration_is_rolled_back(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration that fails midway leaves neither its tables nor its version behind."""
    db_path.parent.mkdir(parents=True)
    broken = "CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);"
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, broken))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(schema.MIGRATIONS))

    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        with pytest.raises(MigrationError):
            await schema.migrate(conn)
        version = await schema.current_version(conn)
        tables = list(await conn.execute_fetchall("SELECT name FROM sqlite_master"))

    assert version == schema.SCHEMA_VERSION - 1
    assert ("half_done",) not in [tuple(t) for t in tables]


async def test_wal_and_foreign_keys_are_on(sqlite_repo: SqliteRepository, db_path: Path) -> None:
    """The file is in WAL mode; both connections enforce foreign keys and sync every commit."""
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    reader = sqlite_repo._reader
    for query in (sqlite_repo._write.execute, reader.execute_fetchall):
        assert list(await query("PRAGMA foreign_keys")) == [(1,)]
        assert list(await query("PRAGMA synchronous")) == [(2,)]  # FULL


async def test_concurrent_commits_are_grouped(sqlite_repo: SqliteRepository) -> None:
    """200 concurrent commits all land, written in fewer transactions than commits (the first
    alone, in its caller's task, as the writer is idle; the rest grouped behind it)."""
    await with_partnership(sqlite_repo)
    before = replace(sqlite_repo.commit_stats)

    await asyncio.gather(
        *(sqlite_repo.commit(Changes(answers=[an_answer(f"t{i}")])) for i in range(200))
    )

    assert await sqlite_repo.answer_counts(PID, 1) == {1: 200}
    stats = sqlite_repo.commit_stats
    assert stats.units - before.units == 200
    assert 2 <= stats.commits - before.commits < 200


@pytest.mark.parametrize("alone", [False, True])
async def test_a_commit_waits_for_a_lock_held_elsewhere_off_the_event_loop(
    sqlite_repo: SqliteRepository, db_path: Path, alone: bool
) -> None:
    """Another connection holds the write lock: the commit waits for it on the writer's
    thread, the event loop keeps running meanwhile, and the answer lands once it is let go;
    also for a caller alone, whose COMMIT would otherwise run on the loop.

    The lock is let go when the loop has ticked, or else after 3 s (less than the busy
    timeout of 5 s): a commit that waited on the loop would block the ticks until then.
    """
    await with_partnership(sqlite_repo)
    sqlite_repo.alone = lambda: alone
    ticked = threading.Event()
    locked = threading.Event()
    let_go: list[str] = []

    def hold_the_lock() -> None:
        with closing(sqlite3.connect(db_path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            locked.set()
            let_go.append("ticked" if ticked.wait(timeout=3) else "timeout")
            other.execute("COMMIT")

    holder = asyncio.create_task(asyncio.to_thread(hold_the_lock))
    await asyncio.to_thread(locked.wait)
    commit = asyncio.create_task(sqlite_repo.commit(Changes(answers=[an_answer("t1")])))
    for _ in range(20):  # the loop runs on while the commit waits
        await asyncio.sleep(0.01)
    assert not commit.done()
    ticked.set()
    await holder
    await commit
    assert let_go == ["ticked"]
    assert await sqlite_repo.answer_counts(PID, 1) == {1: 1}


async def test_commit_stats_count_transactions_and_their_time(
    sqlite_repo: SqliteRepository,
) -> None:
    """commit_stats counts each transaction once, the units in it, and time spent in it."""
    await with_partnership(sqlite_repo)
    before = replace(sqlite_repo.commit_stats)

    await asyncio.gather(
        *(sqlite_repo.commit(Changes(answers=[an_answer(f"t{i}")])) for i in range(50))
    )
    await sqlite_repo.delete_partnerships(["none"])  # a job: one transaction, no unit

    stats = sqlite_repo.commit_stats
    assert stats.units - before.units == 50
    assert 2 <= stats.commits - before.commits < 51
    assert stats.seconds > before.seconds
    assert stats.per_commit == stats.seconds / stats.commits


async def test_bad_unit_among_concurrent_commits_fails_alone(
    sqlite_repo: SqliteRepository,
) -> None:
    """One bad unit among 200 concurrent commits fails its caller only; the rest land."""
    await with_partnership(sqlite_repo)
    units = [
        Changes(
            participants=[Participant(i, "idle", "nl")],
            answers=[an_answer(f"t{i}", score=9 if i == 77 else 3)],
        )
        for i in range(200)
    ]

    results = await asyncio.gather(*(sqlite_repo.commit(u) for u in units), return_exceptions=True)

    failed = [i for i, r in enumerate(results) if r is not None]
    assert failed == [77]
    assert isinstance(results[77], StorageError)
    assert isinstance(results[77].__cause__, sqlite3.IntegrityError)
    assert await sqlite_repo.answer_counts(PID, 1) == {1: 199}
    assert await sqlite_repo.participant(77) is None
    assert await sqlite_repo.participant(78) == Participant(78, "idle", "nl")


async def test_close_waits_for_pending_writes(db_path: Path) -> None:
    """close() lets every commit already issued finish before the file is closed."""
    repo = await SqliteRepository.open(db_path)
    await with_partnership(repo)
    pending = [
        asyncio.create_task(repo.commit(Changes(answers=[an_answer(f"t{i}")]))) for i in range(50)
    ]
    await asyncio.sleep(0)  # the tasks queue their units

    await repo.close()

    assert all(task.done() and task.exception() is None for task in pending)
    reopened = await SqliteRepository.open(db_path)
    try:
        assert await reopened.answer_counts(PID, 1) == {1: 50}
    finally:
        await reopened.close()


async def test_use_after_close_raises(db_path: Path) -> None:
    """Reads and commits on a closed repository raise StorageError."""
    repo = await SqliteRepository.open(db_path)
    await repo.close()

    with pytest.raises(StorageError):
        await repo.participant(1)
    with pytest.raises(StorageError):
        await repo.commit(Changes(participants=[Participant(1, "idle", "nl")]))


async def test_backup_opens_with_the_data(sqlite_repo: SqliteRepository, tmp_path: Path) -> None:
    """backup() writes a complete copy that opens as a database with the same rows."""
    await sqlite_repo.commit(
        Changes(
            participants=[Participant(1, "idle", "nl")],
            partnerships=[a_partnership()],
            members=[a_member()],
            answers=[an_answer()],
        )
    )
    target = tmp_path / "backups" / "copy.sqlite3"

    await sqlite_repo.backup(target)
    await sqlite_repo.commit(Changes(answers=[an_answer("after-backup")]))

    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.sqlite3"]
    copy = await SqliteRepository.open(target)
    try:
        assert await copy.participant(1) == Participant(1, "idle", "nl")
        assert await copy.members(PID) == [a_member()]
        assert await copy.answers(PID, 1) == [an_answer()]
    finally:
        await copy.close()


async def test_backup_refuses_the_live_file(sqlite_repo: SqliteRepository, db_path: Path) -> None:
    """backup() onto the live database file raises StorageError instead of clobbering it."""
    with pytest.raises(StorageError):
        await sqlite_repo.backup(db_path)


async def test_every_read_uses_an_index(sqlite_repo: SqliteRepository) -> None:
    """No read of the repository scans a whole table."""
    statements = [v for k, v in vars(statements_module).items() if k.startswith("SELECT_")]
    assert len(statements) == 15
    for sql in statements:
        params: tuple[object, ...] | dict[str, object]
        params = (1,) if "?1" in sql else (1,) * sql.count("?")
        if ":user" in sql:
            params = {"user": 1, "partnership": None}
        plan = await sqlite_repo._reader.execute_fetchall(f"EXPLAIN QUERY PLAN {sql}", params)
        details = [row[3] for row in plan]
        # SCAN CONSTANT ROW: the one row of export_user's json_object(), whose scalar
        # subqueries each SEARCH an index.
        # The snapshot's CTEs (me, chosen, pact) and ORDER BY subqueries hold a few rows
        # already found by SEARCH; scanning those is not scanning a table.
        allowed = ("SEARCH", "USE TEMP B-TREE", "SCALAR SUBQUERY", "SCAN CONSTANT ROW")
        allowed += ("MATERIALIZE", "CO-ROUTINE", "SCAN me", "SCAN chosen", "SCAN pact")
        allowed += ("SCAN (subquery",)
        assert all(d.startswith(allowed) for d in details), details


async def test_reminded_and_briefed_update_only_their_columns(repo: Repository) -> None:
    """The scheduled jobs' targeted updates keep what participants changed since their read:
    a member who finished stays finished; a new round and a new meeting stay."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    partnership = Partnership("pact", 1, start, "v1")
    member = Member("pact", 7, Role.SOCIAL, "A", start, reminders_sent=1)
    await repo.commit(Changes(partnerships=[partnership], members=[member]))
    # Meanwhile the member finishes and a new round with a meeting starts.
    finished = replace(member, finished_at=start + timedelta(hours=1))
    moved = replace(partnership, round=2, meeting_at=start + timedelta(days=7))
    await repo.commit(Changes(partnerships=[moved], members=[finished]))

    nudged, briefed = start + timedelta(hours=2), start + timedelta(hours=3)
    await repo.commit(
        Changes(
            reminded=[
                Reminded("pact", 7, nudged, counts=True),
                Reminded("pact", 99, nudged, counts=True),  # no such member: nothing
            ],
            briefed=[("pact", briefed), ("gone", briefed)],
        )
    )
    assert await repo.members("pact") == [replace(finished, reminders_sent=2, reminded_at=nudged)]
    assert await repo.partnership("pact") == replace(moved, briefed_at=briefed)
    assert await repo.partnership("gone") is None

    later = nudged + timedelta(days=1)
    await repo.commit(Changes(reminded=[Reminded("pact", 7, later, counts=False)]))
    [stored] = await repo.members("pact")
    assert (stored.reminders_sent, stored.reminded_at) == (2, later)


async def test_an_answer_moves_last_activity_forward_only(repo: Repository) -> None:
    """Storing an answer moves its partnership's last_activity_at to answered_at, never back,
    without rewriting the rest of the row."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    partnership = Partnership("pact", 1, start, "v1", summary_round=0)
    other = Partnership("other", 1, start, "v1")
    await repo.commit(Changes(partnerships=[partnership, other]))
    await repo.commit(Changes(partnerships=[replace(partnership, summary_round=1)]))

    def answer(theme: str, days: int) -> Answer:
        return Answer("pact", 1, 7, theme, "v1", 3, None, start + timedelta(days=days))

    await repo.commit(Changes(answers=[answer("a", 2)]))
    await repo.commit(Changes(answers=[answer("b", 1)]))  # an older answer: no move back
    stored = await repo.partnership("pact")
    assert stored is not None
    assert stored.last_activity_at == start + timedelta(days=2)
    assert stored.summary_round == 1
    await repo.commit(Changes(answers=[answer("b", 3)]))  # a changed answer is activity too
    stored = await repo.partnership("pact")
    assert stored is not None
    assert stored.last_activity_at == start + timedelta(days=3)
    untouched = await repo.partnership("other")
    assert untouched is not None
    assert untouched.last_activity_at is None


async def test_snapshot_reads_what_one_update_needs(repo: Repository) -> None:
    """snapshot() returns participant, memberships, the active partnership, its members and
    only this user's answers of its current round; a named partnership overrides the active."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    one = Partnership("one", 1, start, "v1", round=2)
    two = Partnership("two", 1, start, "v1")
    await repo.commit(
        Changes(
            participants=[Participant(1, "answering", "nl", active_partnership="one")],
            partnerships=[one, two],
            members=[
                Member("one", 1, Role.SOCIAL, "A", start),
                Member("one", 2, Role.BUSINESS, "B", start + timedelta(seconds=1)),
                Member("two", 1, Role.SOCIAL, "A", start + timedelta(seconds=2)),
            ],
            answers=[
                Answer("one", 2, 1, "trust", "v1", 4, "note", start),
                Answer("one", 1, 1, "trust", "v1", 2, None, start),
                Answer("one", 2, 2, "trust", "v1", 1, None, start),
            ],
        )
    )
    snap = await repo.snapshot(1)
    assert snap.participant is not None
    assert snap.participant.active_partnership == "one"
    assert [m.partnership_id for m in snap.memberships] == ["one", "two"]
    assert snap.partnership == await repo.partnership("one")
    assert [m.user_id for m in snap.members] == [1, 2]
    assert [(a.round, a.user_id, a.score, a.note) for a in snap.answers] == [(2, 1, 4, "note")]
    other = await repo.snapshot(1, "two")
    assert other.partnership is not None
    assert other.partnership.id == "two"
    assert other.answers == []
    nobody = await repo.snapshot(99)
    assert nobody == Snapshot(None, [], None, [], [])


async def test_snapshot_carries_the_language_of_every_member(repo: Repository) -> None:
    """snapshot() names each member of the partnership's stored language; no row, no entry."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    await repo.commit(
        Changes(
            participants=[
                Participant(1, "answering", "nl", active_partnership="one"),
                Participant(2, "answering", "en"),
                Participant(4, "idle", "en"),
            ],
            partnerships=[Partnership("one", 1, start, "v1")],
            members=[
                Member("one", 1, Role.SOCIAL, "A", start),
                Member("one", 2, Role.BUSINESS, "B", start),
                Member("one", 3, Role.FACILITATOR, "C", start),
            ],
        )
    )
    assert (await repo.snapshot(1)).languages == {1: "nl", 2: "en"}
    assert (await repo.snapshot(4)).languages == {}
