"""The repository under test: SQLite on a real file under tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flows.repository import Repository
from storage.sqlite import SqliteRepository


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "canvas.sqlite3"  # the folder does not exist yet


@pytest.fixture(params=["thread", "loop"])
async def repo(db_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Repository]:
    """Each contract test twice: COMMIT on the writer's thread, and on the event loop (a
    caller alone, as a bot handling one update; storage/writer.py)."""
    sqlite = await SqliteRepository.open(db_path)
    if request.param == "loop":
        sqlite.alone = lambda: True
    try:
        yield sqlite
    finally:
        await sqlite.close()


@pytest.fixture
async def sqlite_repo(db_path: Path) -> AsyncIterator[SqliteRepository]:
    sqlite = await SqliteRepository.open(db_path)
    try:
        yield sqlite
    finally:
        await sqlite.close()
