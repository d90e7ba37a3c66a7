"""The database, its folders, its -wal and its backups are private to the bot's user."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.model import Changes, Participant
from storage.errors import StorageError
from storage.sqlite import SqliteRepository


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask, so only the code's own modes can keep files private."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("open_umask")
async def test_a_new_database_and_its_backup_are_private(tmp_path: Path) -> None:
    """A new database file and its -wal are 0600, its new folders 0700, and so are a backup
    and the folders made for it."""
    existing = tmp_path / "srv"
    existing.mkdir()
    existing.chmod(0o755)
    path = existing / "data" / "bot" / "canvas.sqlite3"
    repo = await SqliteRepository.open(path)
    try:
        await repo.commit(Changes(participants=[Participant(1, "idle", "nl")]))
        backup = tmp_path / "backups" / "today" / "copy.sqlite3"
        await repo.backup(backup)
        assert [mode(p) for p in (path, path.with_name(path.name + "-wal"), backup)] == [0o600] * 3
    finally:
        await repo.close()
    folders = (path.parent, path.parent.parent, backup.parent, backup.parent.parent)
    assert [mode(folder) for folder in folders] == [0o700] * 4
    assert mode(existing) == 0o755  # a folder that existed is left as it was


async def test_opening_without_create_refuses_a_missing_file(tmp_path: Path) -> None:
    """open(create=False) on a missing file raises StorageError and creates nothing."""
    path = tmp_path / "data" / "canvas.sqlite3"

    with pytest.raises(StorageError, match="no database at"):
        await SqliteRepository.open(path, create=False)

    assert not path.parent.exists()
