"""The snapshot cache (storage/cache.py): hits after a commit, never an old state.

Every test of the suite also checks the cache (tests/conftest.py: each hit is compared with
a fresh read); these tests pin what that check cannot see: that hits happen at all, that a
read racing a commit does not put back the old state, and that the bound holds.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from flows.model import Changes, Participant, Role, Snapshot
from storage.cache import SnapshotCache
from storage.sqlite import SqliteRepository
from tests.storage.test_contract import PID, T0, a_member, a_partnership, an_answer


def a_participant(user_id: int, *, language: str = "nl", pid: str | None = PID) -> Participant:
    return Participant(user_id, "answering", language, pid, {"last": "trust"}, T0)


async def two_partners(repo: SqliteRepository) -> None:
    await repo.commit(
        Changes(
            partnerships=[a_partnership()],
            participants=[a_participant(1), a_participant(2)],
            members=[a_member(1), a_member(2, Role.BUSINESS, minutes=1)],
        )
    )


async def a_read_under_way(repo: SqliteRepository) -> tuple[int, Snapshot]:
    """Partner 1's snapshot as read from the database, and the tick its read began at."""
    await two_partners(repo)
    read_at = repo.cache.tick
    return read_at, await fresh(repo, 1)


async def partner_finishes(repo: SqliteRepository) -> None:
    finished = replace(a_member(2, Role.BUSINESS, minutes=1), finished_at=T0)
    await repo.commit(Changes(members=[finished]))


async def fresh(repo: SqliteRepository, user_id: int) -> Snapshot:
    """The snapshot as the database holds it, past the cache."""
    return await repo._read_snapshot(user_id, None)


async def test_an_answering_person_is_read_once(sqlite_repo: SqliteRepository) -> None:
    repo = sqlite_repo
    await two_partners(repo)
    await repo.snapshot(1)
    misses = repo.cache.misses
    for n, theme in enumerate(("trust", "roles", "goals")):
        snap = await repo.snapshot(1)
        participant = replace(a_participant(1), context={"last": theme})
        await repo.commit(
            Changes(participants=[participant], answers=[an_answer(theme, 1, seconds=n)])
        )
    assert repo.cache.misses == misses  # every snapshot after the first came from memory
    snap = await repo.snapshot(1)
    assert snap == await fresh(repo, 1)
    assert [a.theme_id for a in snap.answers] == ["trust", "roles", "goals"]


async def test_the_partners_answer_moves_the_shown_activity(
    sqlite_repo: SqliteRepository,
) -> None:
    repo = sqlite_repo
    await two_partners(repo)
    await repo.snapshot(1)
    await repo.commit(Changes(answers=[an_answer("trust", 2, seconds=30)]))
    shown = await repo.snapshot(1)
    assert shown.partnership is not None
    assert shown.partnership.last_activity_at == T0 + timedelta(seconds=30)
    assert shown == await fresh(repo, 1)


async def test_a_finished_partner_is_read_again(sqlite_repo: SqliteRepository) -> None:
    repo = sqlite_repo
    await two_partners(repo)
    await repo.snapshot(1)
    await partner_finishes(repo)
    assert len(repo.cache) == 0  # what showed the partner's member row is gone
    assert (await repo.snapshot(1)).members[1].finished_at == T0


async def test_a_read_that_began_before_a_partners_change_is_not_kept(
    sqlite_repo: SqliteRepository,
) -> None:
    """The partner finishes while a read of their unfinished member row is under way."""
    repo = sqlite_repo
    read_at, old = await a_read_under_way(repo)
    await partner_finishes(repo)
    repo.cache.fill(1, old, read_at)
    assert len(repo.cache) == 0
    assert (await repo.snapshot(1)).members[1].finished_at == T0


async def test_a_read_under_way_catches_up_with_the_partners_answer_and_language(
    sqlite_repo: SqliteRepository,
) -> None:
    """Partners answer at the same time: a read racing the other's answer is kept, set right."""
    repo = sqlite_repo
    read_at, old = await a_read_under_way(repo)
    await repo.commit(
        Changes(
            participants=[a_participant(2, language="en")],
            answers=[an_answer("trust", 2, seconds=30)],
        )
    )
    repo.cache.fill(1, old, read_at)
    assert len(repo.cache) == 1
    kept = await repo.snapshot(1)
    assert kept == await fresh(repo, 1)
    assert kept.languages[2] == "en"


async def test_a_cancelled_commit_forgets_what_it_touched(
    sqlite_repo: SqliteRepository,
) -> None:
    repo = sqlite_repo
    await two_partners(repo)
    await repo.snapshot(1)
    task = asyncio.create_task(repo.commit(Changes(answers=[an_answer("trust", 1)])))
    await asyncio.sleep(0)  # queued for the writer, not yet committed
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert len(repo.cache) == 0
    assert await repo.snapshot(1) == await fresh(repo, 1)


async def test_erasure_clears_the_cache(sqlite_repo: SqliteRepository) -> None:
    repo = sqlite_repo
    await two_partners(repo)
    await repo.snapshot(1)
    await repo.snapshot(2)
    await repo.forget_user(2)
    assert len(repo.cache) == 0
    assert [m.user_id for m in (await repo.snapshot(1)).members] == [1]


async def test_the_least_recently_used_go_first(sqlite_repo: SqliteRepository) -> None:
    repo = sqlite_repo
    repo.cache = SnapshotCache(capacity=2)
    await two_partners(repo)
    await repo.commit(Changes(participants=[a_participant(3, pid=None)]))
    for user_id in (1, 2, 1, 3):
        await repo.snapshot(user_id)
    assert len(repo.cache) == 2
    misses = repo.cache.misses
    await repo.snapshot(1)  # kept: used more recently than 2
    await repo.snapshot(2)
    assert repo.cache.misses == misses + 1


def test_partners_showing_different_rows_keep_their_own_when_an_answer_moves_them() -> None:
    """An answer moves the last activity of every cached snapshot of its partnership; each
    keeps the rest of the row it shows (partners showing equal rows may share the moved one)."""
    cache = SnapshotCache()
    meeting = T0 + timedelta(days=3)
    first = a_partnership()
    shown = {1: first, 2: replace(first, meeting_at=meeting), 3: first, 4: a_partnership()}
    members = [a_member(u, Role.SOCIAL, minutes=u) for u in shown]
    for user_id, pact in shown.items():
        snap = Snapshot(a_participant(user_id), members[:1], pact, members, [], {})
        cache.fill(user_id, snap, cache.tick)
    at = T0 + timedelta(seconds=30)
    with cache.following(Changes(answers=[an_answer("trust", 1, seconds=30)])):
        pass
    for user_id, pact in shown.items():
        hit = cache.get(user_id)
        assert hit is not None
        assert hit.partnership == replace(pact, last_activity_at=at)


def test_a_cached_snapshots_context_is_its_own_copy() -> None:
    cache = SnapshotCache()
    participant = a_participant(1)
    cache.fill(1, Snapshot(participant, [], None, [], [], {}), cache.tick)
    hit = cache.get(1)
    assert hit is not None
    assert hit.participant is not None
    assert hit.participant == participant
    hit.participant.context["last"] = "changed"
    again = cache.get(1)
    assert again is not None
    assert again.participant == a_participant(1)
