"""Migration 2 and the upkeep API, run against the SQLite repository.

Briefings, summaries and reminders (the new fields), the reads of the periodic jobs
(meetings_between, idle_members, inactive_partnerships), erasure and export (forget_user,
delete_partnerships, export_user). The last section holds what only SQLite has.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from flows.model import (
    ERASED,
    Answer,
    Changes,
    Invite,
    Member,
    Participant,
    Partnership,
    Role,
)
from flows.repository import Repository
from storage import schema
from storage import sqlite as sqlite_module
from storage.errors import StorageError
from storage.sqlite import SqliteRepository
from tests.storage.test_contract import (
    AMSTERDAM,
    PID,
    T0,
    TRICKY,
    a_member,
    a_partnership,
    an_answer,
    an_invite,
    stored,
    with_partnership,
)

US = 1  # the person whose data is forgotten or exported
PARTNER = 2
FACILITATOR = 3
PARTNER_ORG = "Partner BV"
PARTNER_NOTE = "partner's private note"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def meeting(pid: str, when: datetime | None) -> Partnership:
    return Partnership(pid, 1, T0, "v1", meeting_at=when)


def noted(user_id: int, note: str, *, pid: str = PID, round_: int = 1) -> Answer:
    return Answer(pid, round_, user_id, "trust", "v1", 3, note, at(user_id + round_))


def invite_by(
    token: str, created_by: int, *, pid: str = PID, used_by: int | None = None
) -> Invite:
    return Invite(
        token,
        pid,
        Role.BUSINESS,
        created_by,
        T0,
        T0 + timedelta(days=7),
        used_by=used_by,
        used_at=None if used_by is None else at(5),
    )


async def a_shared_partnership(repo: Repository) -> None:
    """US (social) and PARTNER (business) with a facilitator in PID; US also in p-2."""
    await repo.commit(
        Changes(
            participants=[
                Participant(US, "answering", "nl", PID, {"note": "half-typed note"}, at(1)),
                Participant(PARTNER, "answering", "en", PID, {}, at(2)),
            ],
            partnerships=[a_partnership(PID), a_partnership("p-2")],
            members=[
                Member(PID, US, Role.SOCIAL, TRICKY, at(0), reminders_sent=1),
                Member(PID, PARTNER, Role.BUSINESS, PARTNER_ORG, at(3)),
                Member(PID, FACILITATOR, Role.FACILITATOR, "Facilitators", at(4)),
                Member("p-2", US, Role.BUSINESS, "Our other hat", at(10)),
            ],
            invites=[
                invite_by("ours-used", US, used_by=PARTNER),
                invite_by("ours-unused", US),
                invite_by("ours-p2", US, pid="p-2"),
                invite_by("theirs", PARTNER),
            ],
            answers=[
                noted(US, "our note, round 1"),
                noted(US, "our note, round 2", round_=2),
                noted(US, "our note elsewhere", pid="p-2"),
                noted(PARTNER, PARTNER_NOTE),
            ],
        )
    )


# ---------------------------------------------------------------------- new fields


async def test_partnership_briefing_and_summary_round_trip(repo: Repository) -> None:
    """A partnership's briefed_at (normalised to UTC) and summary_round come back equal."""
    stored = Partnership(
        PID,
        1,
        T0,
        "v1",
        round=2,
        meeting_at=at(60),
        briefed_at=datetime(2025, 3, 1, 10, 0, 0, 7, tzinfo=AMSTERDAM),
        summary_round=1,
    )
    await repo.commit(Changes(partnerships=[stored]))

    loaded = await repo.partnership(PID)

    assert loaded == stored
    assert loaded is not None
    assert loaded.briefed_at is not None
    assert loaded.briefed_at.utcoffset() == timedelta(0)


async def test_member_reminder_fields_round_trip(repo: Repository) -> None:
    """A member's reminder count, time and both flags come back equal, the flags as bools."""
    stored = Member(
        PID,
        1,
        Role.SOCIAL,
        "Org",
        T0,
        reminders_sent=3,
        reminded_at=at(90),
        reminders_off=True,
        unreachable=True,
    )
    await repo.commit(Changes(partnerships=[a_partnership()], members=[stored]))

    (loaded,) = await repo.members(PID)

    assert loaded == stored
    assert loaded.reminders_off is True
    assert loaded.unreachable is True


async def test_new_fields_default_and_upsert_resets_them(repo: Repository) -> None:
    """Rows built without the new fields store their defaults; an upsert replaces them too."""
    briefed = Partnership(PID, 1, T0, "v1", meeting_at=at(60), briefed_at=at(1), summary_round=1)
    reminded = Member(PID, 1, Role.SOCIAL, "Org", T0, None, 2, at(2), True, True)
    await repo.commit(Changes(partnerships=[briefed], members=[reminded]))

    await repo.commit(Changes(partnerships=[a_partnership()], members=[a_member()]))

    partnership = await repo.partnership(PID)
    assert partnership == a_partnership()
    assert partnership is not None
    assert (partnership.briefed_at, partnership.summary_round) == (None, 0)
    (member,) = await repo.members(PID)
    assert member == a_member()
    assert (member.reminders_sent, member.reminded_at) == (0, None)
    assert (member.reminders_off, member.unreachable) == (False, False)


@pytest.mark.parametrize(
    "bad",
    [
        Changes(partnerships=[Partnership(PID, 1, T0, "v1", summary_round=-1)]),
        Changes(
            partnerships=[a_partnership()],
            members=[Member(PID, 1, Role.SOCIAL, "Org", T0, reminders_sent=-1)],
        ),
    ],
    ids=["summary_round", "reminders_sent"],
)
async def test_negative_counters_are_rejected(repo: Repository, bad: Changes) -> None:
    """A negative summary_round or reminders_sent fails the whole unit."""
    with pytest.raises(StorageError):
        await repo.commit(bad)

    assert await repo.partnership(PID) is None


# ------------------------------------------------------------------ migrations 2, 3


async def test_later_migrations_upgrade_a_version_1_database(db_path: Path) -> None:
    """A database at version 1 with rows opens at the latest version, rows kept, defaults set."""
    db_path.parent.mkdir(parents=True)
    with closing(sqlite3.connect(db_path)) as conn:
        conn.executescript(schema.MIGRATIONS[0])
        conn.execute(schema._CREATE_VERSION_TABLE)
        with conn:
            conn.execute("INSERT INTO schema_version VALUES (1, ?)", (T0.isoformat(),))
            conn.execute(
                "INSERT INTO partnerships VALUES (?, 1, ?, 'v1', 2, ?, ?)",
                (PID, T0.isoformat(timespec="microseconds"), at(60).isoformat(), None),
            )
            conn.execute(
                "INSERT INTO members VALUES (?, 1, 'social', ?, ?, NULL)",
                (PID, TRICKY, T0.isoformat(timespec="microseconds")),
            )
            conn.execute(
                "INSERT INTO participants VALUES (1, 'idle', 'nl', ?, '{}', NULL)", (PID,)
            )

    repo = await SqliteRepository.open(db_path)
    try:
        assert await repo.partnership(PID) == Partnership(
            PID, 1, T0, "v1", round=2, meeting_at=at(60), briefed_at=None, summary_round=0
        )
        assert await repo.members(PID) == [
            Member(PID, 1, Role.SOCIAL, TRICKY, T0, None, 0, None, False, False)
        ]
        assert await repo.participant(1) == Participant(1, "idle", "nl", PID)
        assert await repo.meetings_between(T0, at(61)) == [await repo.partnership(PID)]
        reminded = Member(PID, 1, Role.SOCIAL, TRICKY, T0, reminders_sent=1, reminded_at=at(9))
        await repo.commit(Changes(members=[reminded]))
        assert await repo.members(PID) == [reminded]
        # Migration 3: an answer now moves the partnership's last activity.
        await repo.commit(Changes(answers=[Answer(PID, 2, 1, "t", "v1", 4, None, at(30))]))
        touched = await repo.partnership(PID)
        assert touched is not None
        assert touched.last_activity_at == at(30)
    finally:
        await repo.close()

    with closing(sqlite3.connect(db_path)) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY 1")]
    # Every migration after the first ran once, in order: exactly the versions this code has.
    assert versions == list(range(1, len(schema.MIGRATIONS) + 1))


# ------------------------------------------------------------------- meetings_between


async def test_meetings_between_is_half_open_and_ordered(repo: Repository) -> None:
    """meetings_between() includes a meeting exactly at start, excludes one exactly at end."""
    start, end = at(60), at(120)
    await repo.commit(
        Changes(
            partnerships=[
                meeting("at-end", end),
                meeting("late", end - timedelta(microseconds=1)),
                meeting("b-middle", at(90)),
                meeting("a-middle", at(90)),
                meeting("at-start", start),
                meeting("before", start - timedelta(microseconds=1)),
                meeting("none", None),
            ]
        )
    )

    found = await repo.meetings_between(start, end)

    assert [p.id for p in found] == ["at-start", "a-middle", "b-middle", "late"]
    assert found[0] == meeting("at-start", start)
    # The same instants given in another timezone select the same partnerships.
    again = await repo.meetings_between(start.astimezone(AMSTERDAM), end.astimezone(AMSTERDAM))
    assert again == found
    assert await repo.meetings_between(end, start) == []


async def test_time_arguments_must_be_aware(repo: Repository) -> None:
    """The new reads refuse a datetime without a timezone, as commits do."""
    naive = datetime(2025, 1, 1)  # noqa: DTZ001

    with pytest.raises(StorageError):
        await repo.meetings_between(naive, naive)
    with pytest.raises(StorageError):
        await repo.idle_members(naive)
    with pytest.raises(StorageError):
        await repo.inactive_partnerships(naive)


# ----------------------------------------------------------------------- idle_members


async def test_idle_members_filters_and_orders(repo: Repository) -> None:
    """idle_members() returns quiet, unfinished, reachable answerers by partnership and join."""
    since = at(100)
    members = [
        # p-b: joined first but listed after p-a.
        Member("p-b", 10, Role.SOCIAL, "Org", at(1)),  # no participant row: idle
        # p-a, in reverse order of joining.
        Member("p-a", 12, Role.BUSINESS, "Org", at(30)),  # updated_at None: idle
        Member("p-a", 11, Role.SOCIAL, "Org", at(20)),  # updated just before: idle
        Member("p-a", 13, Role.FACILITATOR, "Org", at(5)),  # never answers
        # Not idle or not to be reminded.
        Member("p-b", 14, Role.BUSINESS, "Org", at(2)),  # updated exactly at since
        Member("p-c", 15, Role.SOCIAL, "Org", at(3), finished_at=at(50)),
        Member("p-c", 16, Role.BUSINESS, "Org", at(4), reminders_off=True),
        Member("p-d", 17, Role.SOCIAL, "Org", at(5), unreachable=True),
        Member("p-d", 18, Role.BUSINESS, "Org", at(6)),  # updated after since
    ]
    participants = [
        Participant(11, "answering", "nl", updated_at=since - timedelta(microseconds=1)),
        Participant(12, "answering", "nl", updated_at=None),
        Participant(13, "idle", "nl", updated_at=at(0)),
        Participant(14, "answering", "nl", updated_at=since),
        Participant(15, "done", "nl", updated_at=at(0)),
        Participant(16, "answering", "nl", updated_at=at(0)),
        Participant(17, "answering", "nl", updated_at=at(0)),
        Participant(18, "answering", "nl", updated_at=since + timedelta(minutes=1)),
    ]
    await repo.commit(
        Changes(
            participants=participants,
            partnerships=[a_partnership(pid) for pid in ("p-a", "p-b", "p-c", "p-d")],
            members=members,
        )
    )

    idle = await repo.idle_members(since)

    assert [(m.partnership_id, m.user_id) for m in idle] == [
        ("p-a", 11),
        ("p-a", 12),
        ("p-b", 10),
    ]
    assert idle[0] == members[2]


async def test_idle_members_is_per_membership(repo: Repository) -> None:
    """A quiet user is listed once per unfinished membership, not for finished ones."""
    await with_partnership(repo, "p-a", "p-b", "p-c")
    await repo.commit(
        Changes(
            members=[
                a_member(1, Role.SOCIAL, "p-a"),
                a_member(1, Role.BUSINESS, "p-b"),
                Member("p-c", 1, Role.SOCIAL, "Org", T0, finished_at=at(1)),
            ]
        )
    )

    assert [m.partnership_id for m in await repo.idle_members(at(1))] == ["p-a", "p-b"]


# ------------------------------------------------------------- inactive_partnerships


async def test_inactive_partnerships(repo: Repository) -> None:
    """inactive_partnerships() uses last_activity_at, else created_at; strictly before."""
    before = at(100)
    await repo.commit(
        Changes(
            partnerships=[
                Partnership("quiet", 1, at(0), "v1", last_activity_at=at(50)),
                Partnership("never-used", 1, at(10), "v1"),
                Partnership("revived", 1, at(0), "v1", last_activity_at=at(150)),
                Partnership("just-now", 1, at(0), "v1", last_activity_at=before),
                Partnership("new", 1, before, "v1"),
                Partnership("oldest", 1, at(20), "v1", last_activity_at=at(5)),
            ]
        )
    )

    assert await repo.inactive_partnerships(before) == ["oldest", "never-used", "quiet"]
    assert await repo.inactive_partnerships(at(0)) == []


# ------------------------------------------------------------------------ forget_user


async def test_forget_user_removes_exactly_that_person(repo: Repository) -> None:
    """forget_user() deletes one person's rows everywhere and leaves the partner's intact."""
    await a_shared_partnership(repo)
    partner_before = await repo.participant(PARTNER)
    partnerships_before = [await repo.partnership(pid) for pid in (PID, "p-2")]

    left = await repo.forget_user(US)

    assert left == [PID, "p-2"]  # in order of joining
    assert await repo.participant(US) is None
    assert await repo.memberships(US) == []
    for pid, round_ in ((PID, 1), (PID, 2), ("p-2", 1)):
        assert await repo.answers(pid, round_, US) == []
    # The partnerships, the partner and the facilitator stay; the partnerships they
    # created no longer name them.
    assert [await repo.partnership(pid) for pid in (PID, "p-2")] == [
        replace(p, created_by=ERASED) for p in partnerships_before if p is not None
    ]
    assert all(p is not None and p.created_by == US for p in partnerships_before)
    assert await repo.participant(PARTNER) == partner_before
    assert [m.user_id for m in await repo.members(PID)] == [PARTNER, FACILITATOR]
    assert await repo.answers(PID, 1) == [noted(PARTNER, PARTNER_NOTE)]
    # Unused invites they created go; the one the partner joined with stays (still used),
    # as do theirs; none names them any more.
    invites = await repo.invites(PID)
    assert sorted((i.token, i.created_by, i.used_by) for i in invites) == sorted(
        [(digest("ours-used"), ERASED, PARTNER), (digest("theirs"), PARTNER, None)]
    )
    assert await repo.invites("p-2") == []
    export = await repo.export_user(US)
    assert export == {
        "user_id": US,
        "participant": None,
        "memberships": [],
        "answers": [],
        "invites": [],
    }
    if isinstance(repo, SqliteRepository):
        assert _cells_holding(repo.path, US) == []
    # The partner who joined by their invite is forgotten too: the invite stays used.
    await repo.forget_user(PARTNER)
    [used] = await repo.invites(PID)  # theirs, never used, went with them
    assert (used.token, used.created_by, used.used_by) == (digest("ours-used"), ERASED, ERASED)


def _cells_holding(path: Path, user_id: int) -> list[tuple[str, str]]:
    """(table, column) of every user-id column, in any table, that holds ``user_id``."""
    found = []
    with closing(sqlite3.connect(path)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'")]
        for table in tables:
            for column in [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]:
                if not column.endswith(("user_id", "_by")):
                    continue
                sql = f"SELECT count(*) FROM {table} WHERE {column} = ?"  # noqa: S608
                if conn.execute(sql, (user_id,)).fetchone()[0]:
                    found.append((table, column))
    return found


async def test_a_row_written_back_after_erasure_does_not_name_the_erased_again(
    repo: Repository,
) -> None:
    """A partnership or invite read before /forget and written back whole after it (a new
    round, a meeting, an invite marked used) keeps ERASED as its creator."""
    await a_shared_partnership(repo)
    partnership = await repo.partnership(PID)
    [invite] = [i for i in await repo.invites(PID) if i.token == digest("ours-used")]
    assert partnership is not None
    assert (partnership.created_by, invite.created_by) == (US, US)

    await repo.forget_user(US)
    await repo.commit(
        Changes(partnerships=[replace(partnership, round=2)], invites=[replace(invite)])
    )

    again = await repo.partnership(PID)
    assert again is not None
    assert (again.round, again.created_by) == (2, ERASED)
    [kept] = [i for i in await repo.invites(PID) if i.token == digest("ours-used")]
    assert kept.created_by == ERASED
    if isinstance(repo, SqliteRepository):
        assert _cells_holding(repo.path, US) == []


async def test_forget_unknown_user_changes_nothing(repo: Repository) -> None:
    """forget_user() of someone never seen returns [] and deletes nothing."""
    await a_shared_partnership(repo)
    before = await repo.export_user(PARTNER)

    assert await repo.forget_user(404) == []

    assert await repo.export_user(PARTNER) == before
    assert len(await repo.members(PID)) == 3


# ---------------------------------------------------------------- delete_partnerships


async def test_delete_partnerships_cascades_and_clears_pointers(repo: Repository) -> None:
    """delete_partnerships() removes rows of those partnerships only and unsets pointers."""
    await repo.commit(
        Changes(
            participants=[
                Participant(1, "answering", "nl", "gone-1", {"theme": "trust"}, T0),
                Participant(2, "idle", "en", "gone-2"),
                Participant(3, "idle", "nl", "kept"),
            ],
            partnerships=[a_partnership(pid) for pid in ("gone-1", "gone-2", "kept")],
            members=[
                a_member(1, pid="gone-1"),
                a_member(2, pid="gone-2"),
                a_member(3, pid="kept"),
            ],
            invites=[an_invite("t-1", "gone-1"), an_invite("t-2", "kept")],
            answers=[an_answer(pid="gone-1"), an_answer(pid="gone-2"), an_answer(pid="kept")],
        )
    )

    deleted = await repo.delete_partnerships(["gone-1", "missing", "gone-2", "gone-1"])

    assert deleted == 2
    for pid in ("gone-1", "gone-2"):
        assert await repo.partnership(pid) is None
        assert await repo.members(pid) == []
        assert await repo.invites(pid) == []
        assert await repo.answers(pid, 1) == []
    assert await repo.invite("t-1") is None
    assert await repo.participant(1) == Participant(
        1, "answering", "nl", None, {"theme": "trust"}, T0
    )
    assert await repo.participant(2) == Participant(2, "idle", "en", None)
    assert await repo.participant(3) == Participant(3, "idle", "nl", "kept")
    assert await repo.members("kept") == [a_member(3, pid="kept")]
    assert await repo.invites("kept") == [stored(an_invite("t-2", "kept"))]
    assert await repo.answers("kept", 1) == [an_answer(pid="kept")]
    assert await repo.memberships(1) == []


async def test_delete_partnerships_edge_cases(repo: Repository) -> None:
    """Nothing or only unknown ids delete nothing; a bare string id is refused."""
    await with_partnership(repo)

    assert await repo.delete_partnerships([]) == 0
    assert await repo.delete_partnerships(("nope",)) == 0
    with pytest.raises(TypeError):
        await repo.delete_partnerships(PID)
    assert await repo.partnership(PID) == a_partnership()


# ----------------------------------------------------------------- purge_participants


async def test_purge_participants_deletes_quiet_people_in_no_partnership(
    repo: Repository,
) -> None:
    """purge_participants() deletes exactly the participants in no partnership whose last
    update (or none) is before the moment; members and recent people stay."""
    await with_partnership(repo)
    await repo.commit(
        Changes(
            participants=[
                Participant(10, "org_name", "nl", None, {"organisation": TRICKY}, at(1)),
                Participant(11, "new", "en"),  # never updated
                Participant(12, "org_name", "nl", None, {}, at(10)),  # exactly the moment
                Participant(13, "answering", "nl", PID, {}, at(1)),  # still a member
            ],
            members=[a_member(13)],
        )
    )

    assert await repo.purge_participants(at(10)) == 2

    assert [await repo.participant(u) is None for u in (10, 11, 12, 13)] == [
        True,
        True,
        False,
        False,
    ]
    assert await repo.purge_participants(at(10)) == 0


# ------------------------------------------------------------------------ export_user


async def test_export_user_holds_their_data_and_nothing_of_the_partner(
    repo: Repository,
) -> None:
    """export_user() lists one person's rows as plain JSON data, without the partner's."""
    await a_shared_partnership(repo)

    export = await repo.export_user(US)

    assert export == {
        "user_id": US,
        "participant": {
            "state": "answering",
            "language": "nl",
            "active_partnership": PID,
            "context": {"note": "half-typed note"},
            "updated_at": "2025-03-01T09:31:15.123456+00:00",
        },
        "memberships": [
            {
                "partnership_id": PID,
                "role": "social",
                "organisation": TRICKY,
                "joined_at": "2025-03-01T09:30:15.123456+00:00",
                "finished_at": None,
                "reminders_sent": 1,
                "reminded_at": None,
                "reminders_off": False,
                "unreachable": False,
            },
            {
                "partnership_id": "p-2",
                "role": "business",
                "organisation": "Our other hat",
                "joined_at": "2025-03-01T09:40:15.123456+00:00",
                "finished_at": None,
                "reminders_sent": 0,
                "reminded_at": None,
                "reminders_off": False,
                "unreachable": False,
            },
        ],
        "answers": [
            {
                "partnership_id": PID,
                "round": 1,
                "theme_id": "trust",
                "canvas_version": "v1",
                "score": 3,
                "note": "our note, round 1",
                "answered_at": "2025-03-01T09:32:15.123456+00:00",
                "not_yet": False,
            },
            {
                "partnership_id": "p-2",
                "round": 1,
                "theme_id": "trust",
                "canvas_version": "v1",
                "score": 3,
                "note": "our note elsewhere",
                "answered_at": "2025-03-01T09:32:15.123456+00:00",
                "not_yet": False,
            },
            {
                "partnership_id": PID,
                "round": 2,
                "theme_id": "trust",
                "canvas_version": "v1",
                "score": 3,
                "note": "our note, round 2",
                "answered_at": "2025-03-01T09:33:15.123456+00:00",
                "not_yet": False,
            },
        ],
        "invites": [
            {
                "partnership_id": PID,
                "role": "business",
                "created_at": "2025-03-01T09:30:15.123456+00:00",
                "expires_at": "2025-03-08T09:30:15.123456+00:00",
                "used": False,
                "used_at": None,
                "revoked": False,
            },
            {
                "partnership_id": PID,
                "role": "business",
                "created_at": "2025-03-01T09:30:15.123456+00:00",
                "expires_at": "2025-03-08T09:30:15.123456+00:00",
                "used": True,
                "used_at": "2025-03-01T09:35:15.123456+00:00",
                "revoked": False,
            },
            {
                "partnership_id": "p-2",
                "role": "business",
                "created_at": "2025-03-01T09:30:15.123456+00:00",
                "expires_at": "2025-03-08T09:30:15.123456+00:00",
                "used": False,
                "used_at": None,
                "revoked": False,
            },
        ],
    }
    text = json.dumps(export, ensure_ascii=False)
    assert json.loads(text) == export
    for theirs in (PARTNER_NOTE, PARTNER_ORG, "Facilitators", "ours-used", "theirs"):
        assert theirs not in text


async def test_export_unknown_user(repo: Repository) -> None:
    """export_user() of someone never seen is empty, not an error."""
    assert await repo.export_user(404) == {
        "user_id": 404,
        "participant": None,
        "memberships": [],
        "answers": [],
        "invites": [],
    }


# ------------------------------------------------------------------------ SQLite only


async def test_writes_keep_the_order_of_calling(sqlite_repo: SqliteRepository) -> None:
    """forget_user and delete_partnerships run after the commits queued before them."""
    await with_partnership(sqlite_repo, PID, "p-2")
    before = [sqlite_repo.commit(Changes(answers=[an_answer(f"t{i}", US)])) for i in range(50)]
    after = sqlite_repo.commit(Changes(answers=[an_answer("after", US)]))
    elsewhere = sqlite_repo.commit(Changes(answers=[an_answer("x", US, pid="p-2")]))

    results = await asyncio.gather(
        *before,
        sqlite_repo.forget_user(US),
        after,
        elsewhere,
        sqlite_repo.delete_partnerships(["p-2"]),
    )

    assert results[50:] == [[], None, None, 1]
    assert [a.theme_id for a in await sqlite_repo.answers(PID, 1)] == ["after"]
    assert await sqlite_repo.answers("p-2", 1) == []


async def test_a_write_after_a_deletion_fails_alone(sqlite_repo: SqliteRepository) -> None:
    """A commit queued behind delete_partnerships for that partnership fails; others land."""
    await with_partnership(sqlite_repo, PID, "p-2")

    results = await asyncio.gather(
        sqlite_repo.delete_partnerships([PID]),
        sqlite_repo.commit(Changes(answers=[an_answer(pid=PID)])),
        sqlite_repo.commit(Changes(answers=[an_answer(pid="p-2")])),
        return_exceptions=True,
    )

    assert results[0] == 1
    assert isinstance(results[1], StorageError)
    assert results[2] is None
    assert await sqlite_repo.answers("p-2", 1) == [an_answer(pid="p-2")]


async def test_failed_erasure_rolls_back(
    sqlite_repo: SqliteRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An erasure failing midway deletes nothing, raises StorageError, and writes go on."""
    await a_shared_partnership(sqlite_repo)
    before = await sqlite_repo.export_user(US)
    broken = (*sqlite_module.FORGET_USER, "DELETE FROM no_such_table WHERE user_id = ?")
    monkeypatch.setattr(sqlite_module, "FORGET_USER", broken)

    with pytest.raises(StorageError, match="forget_user failed"):
        await sqlite_repo.forget_user(US)

    assert await sqlite_repo.export_user(US) == before
    await sqlite_repo.commit(Changes(answers=[an_answer("later", US)]))
    assert len(await sqlite_repo.answers(PID, 1, US)) == 2


async def test_every_upkeep_write_uses_an_index(sqlite_repo: SqliteRepository) -> None:
    """The erasure and deletion statements find their rows through an index."""
    statements = [
        *sqlite_module.FORGET_USER,
        sqlite_module.CLEAR_ACTIVE_PARTNERSHIP,
        sqlite_module.DELETE_PARTNERSHIP,
        sqlite_module.PURGE_PARTICIPANTS,
    ]
    for sql in statements:
        params = sqlite_module.forget_params(1) if ":user" in sql else (1,)
        plan = await sqlite_repo._reader.execute_fetchall(f"EXPLAIN QUERY PLAN {sql}", params)
        details = [row[3] for row in plan]
        assert details, sql
        # A correlated subquery (the purge's NOT EXISTS) is a line of its own; its rows
        # are found by the SEARCH that follows it.
        assert all(d.startswith(("SEARCH", "CORRELATED SCALAR SUBQUERY")) for d in details), sql
