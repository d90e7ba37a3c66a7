"""The writer's direct path: a unit written in its caller's task while the writer is idle,
its COMMIT on the thread, or on the event loop for a caller alone while the disk is quick."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable

import pytest

import storage.writer
from flows.model import Changes
from storage.sqlite import SqliteRepository
from storage.transactions import SyncClock, commit_open
from tests.storage.test_contract import PID, an_answer, with_partnership


def slow_commit(conn: sqlite3.Connection) -> None:
    """COMMIT after 0.2 s on the thread: the transaction stays open meanwhile."""
    time.sleep(0.2)
    commit_open(conn)


async def test_a_queued_unit_waits_for_the_direct_commit_on_the_thread(
    sqlite_repo: SqliteRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the first unit's COMMIT is on the thread (its caller even cancelled), a second
    unit goes through the queue and the writer task waits for that COMMIT before it begins
    its own transaction on the same connection: both land, neither fails."""
    await with_partnership(sqlite_repo)
    monkeypatch.setattr(storage.writer, "commit_open", slow_commit)
    before = sqlite_repo.commit_stats.commits
    first = asyncio.create_task(sqlite_repo.commit(Changes(answers=[an_answer("t1")])))
    await asyncio.sleep(0.05)  # the first unit's rows are written, its COMMIT sleeps
    second = asyncio.create_task(sqlite_repo.commit(Changes(answers=[an_answer("t2")])))
    first.cancel()
    await second  # raises if it began a transaction inside the first's
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await sqlite_repo.answer_counts(PID, 1) == {1: 2}  # the cancelled one was written
    assert sqlite_repo.commit_stats.commits - before == 2


async def test_an_idle_writer_commits_in_the_callers_task(
    sqlite_repo: SqliteRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One commit alone is not handed to the writer task (no batch is written for it)."""
    await with_partnership(sqlite_repo)
    batches: list[int] = []
    write = sqlite_repo._write.transaction

    async def counting(batch: list[storage.writer.Unit]) -> None:
        batches.append(len(batch))
        await write(batch)

    monkeypatch.setattr(sqlite_repo._write, "transaction", counting)
    await sqlite_repo.commit(Changes(answers=[an_answer("t1")]))
    assert batches == []
    assert await sqlite_repo.answer_counts(PID, 1) == {1: 1}


async def test_a_caller_cancelled_mid_commit_returns_once_the_unit_has_landed(
    sqlite_repo: SqliteRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled while its unit's COMMIT is on the thread, the caller gets its cancellation
    only after that COMMIT returned: the snapshot cache, which forgets the unit's people on
    the way out, then cannot keep a read taken before the unit landed."""
    await with_partnership(sqlite_repo)
    monkeypatch.setattr(storage.writer, "commit_open", slow_commit)
    task = asyncio.create_task(sqlite_repo.commit(Changes(answers=[an_answer("t1")])))
    await asyncio.sleep(0.05)  # its rows are written, its COMMIT sleeps on the thread
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert await sqlite_repo.answer_counts(PID, 1) == {1: 1}


def committed_on(threads: list[int]) -> Callable[[sqlite3.Connection], None]:
    """COMMIT, noting the thread it ran on."""

    def commit(conn: sqlite3.Connection) -> None:
        threads.append(threading.get_ident())
        commit_open(conn)

    return commit


@pytest.mark.parametrize("alone", [False, True])
async def test_a_caller_alone_commits_on_the_event_loop(
    sqlite_repo: SqliteRepository, monkeypatch: pytest.MonkeyPatch, alone: bool
) -> None:
    """A caller alone (and a quick disk) has its COMMIT run right on the loop, and returns
    with the unit landed; any other caller's COMMIT runs on the writer's thread."""
    await with_partnership(sqlite_repo)
    threads: list[int] = []
    monkeypatch.setattr(storage.writer, "commit_open", committed_on(threads))
    sqlite_repo.alone = lambda: alone
    sqlite_repo._write.sync.limit = float("inf")  # whatever this machine's disk does
    on_loop = sqlite_repo.commit_stats.on_loop

    await sqlite_repo.commit(Changes(answers=[an_answer("t1")]))

    assert (threads == [threading.get_ident()]) is alone
    assert len(threads) == 1
    assert sqlite_repo.commit_stats.on_loop - on_loop == int(alone)
    assert await sqlite_repo.answer_counts(PID, 1) == {1: 1}


async def test_after_slow_syncs_a_caller_alone_commits_on_the_thread(
    sqlite_repo: SqliteRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the recent COMMITs were slow, the loop does not wait for the disk even for a
    caller alone: the COMMIT goes to the thread, and its time still counts."""
    await with_partnership(sqlite_repo)
    threads: list[int] = []
    monkeypatch.setattr(storage.writer, "commit_open", committed_on(threads))
    sqlite_repo.alone = lambda: True
    clock = sqlite_repo._write.sync
    clock.average = 1.0  # seconds: a disk in trouble

    await sqlite_repo.commit(Changes(answers=[an_answer("t1")]))

    assert len(threads) == 1
    assert threads[0] != threading.get_ident()
    assert clock.average < 1.0  # the thread's COMMIT was timed
    assert await sqlite_repo.answer_counts(PID, 1) == {1: 1}


def test_the_sync_clock_turns_slow_at_once_and_quick_again_gradually() -> None:
    """One slow COMMIT is enough to stop committing on the loop; many quick ones bring it
    back, not a few: a slow average at once, a slow peak for longer."""
    clock = SyncClock()
    for _ in range(5):
        clock.observe(0.0003)
    assert clock.quick()
    clock.observe(0.02)  # one slow sync: 20 ms
    assert not clock.quick()
    for _ in range(20):
        clock.observe(0.0003)
    assert clock.average <= clock.limit  # the average is back, the peak is not
    assert not clock.quick()
    for _ in range(60):
        clock.observe(0.0003)
    assert clock.quick()


def test_the_sync_clock_stays_quick_for_a_disk_that_is_steadily_quick() -> None:
    clock = SyncClock()
    for _ in range(1000):
        clock.observe(0.0009)
    assert clock.quick()


@pytest.mark.parametrize("alone", [False, True])
async def test_the_writer_checkpoints_on_its_thread_every_so_many_commits_or_rows(
    sqlite_repo: SqliteRepository, monkeypatch: pytest.MonkeyPatch, alone: bool
) -> None:
    """SQLite's automatic checkpoint is off on the writing connection (it would run inside a
    COMMIT, on the loop for a caller alone); the writer queues a passive one on its thread
    every CHECKPOINT_EVERY commits or rows instead, and a failing one fails no commit."""
    await with_partnership(sqlite_repo)
    monkeypatch.setattr(storage.writer, "CHECKPOINT_EVERY", (3, 5))
    sqlite_repo.alone = lambda: alone
    sqlite_repo._write.sync.limit = float("inf")
    checkpoints: list[int] = []
    passive = storage.writer.checkpoint

    def checkpoint(conn: sqlite3.Connection) -> tuple[int, int, int]:
        checkpoints.append(threading.get_ident())
        if len(checkpoints) == 1:
            raise sqlite3.OperationalError("disk I/O error")
        return passive(conn)

    [(autocheckpoint,)] = await sqlite_repo._write.execute("PRAGMA wal_autocheckpoint")
    monkeypatch.setattr(storage.writer, "checkpoint", checkpoint)
    sqlite_repo._write._uncheckpointed = (0, 0)
    for i in range(7):  # one row each: a checkpoint after the 3rd and the 6th
        await sqlite_repo.commit(Changes(answers=[an_answer(f"t{i}")]))
    await sqlite_repo._write.execute("SELECT 1")  # behind the queued checkpoints
    assert len(checkpoints) == 2
    # Five rows in one commit: one more checkpoint, whatever the count of commits.
    await sqlite_repo.commit(Changes(answers=[an_answer(f"u{i}") for i in range(5)]))
    await sqlite_repo._write.execute("SELECT 1")

    assert autocheckpoint == 0
    assert len(checkpoints) == 3
    assert threading.get_ident() not in checkpoints
    assert await sqlite_repo.answer_counts(PID, 1) == {1: 12}
