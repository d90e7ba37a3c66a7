"""The writer's direct path: a unit written in its caller's task while the writer is idle."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

import storage.writer
from flows.model import Changes
from storage.sqlite import SqliteRepository
from storage.transactions import commit_open
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
