"""The database's files and connections: private on creation, with the shared pragmas."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Final

import aiosqlite

from storage.errors import StorageError

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS: Final = 5000


def prepare_file(path: Path, create: bool) -> None:
    """Make ``path`` an empty private file (0600) in private new folders (0700), unless it
    exists; without ``create``, only check that it is a file."""
    if not create:
        if not path.is_file():
            raise StorageError(f"no database at {path}")
        return
    missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)  # mkdir's mode is narrowed by the umask, chmod's is not
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)
    path.chmod(0o600)


def probe(path: Path) -> None:
    """Read ``path`` once as SQLite, here in the calling thread: a folder, or a file that is
    no database, fails now, before aiosqlite starts a worker thread for it (a thread whose
    connection fails may report to an event loop that has closed meanwhile)."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()


# Every connection's settings.
PRAGMAS: Final = (
    "PRAGMA foreign_keys=ON",
    # Each commit is synced to disk: a confirmed answer survives a power cut, not only a
    # process kill (NORMAL, with WAL, may lose the last commits to an OS crash). Group
    # commit shares one sync among every unit waiting at that moment.
    "PRAGMA synchronous=FULL",
    "PRAGMA secure_delete=ON",  # deleted content is overwritten with zeros
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)


async def connect(path: Path, opened: list[aiosqlite.Connection]) -> aiosqlite.Connection:
    """A connection in autocommit mode (transactions are explicit) with the shared pragmas."""
    conn = await aiosqlite.connect(path, isolation_level=None)
    opened.append(conn)
    for pragma in PRAGMAS:
        await conn.execute(pragma)
    return conn


def connect_writer(path: Path) -> sqlite3.Connection:
    """The writing connection: autocommit mode (transactions are explicit), the shared
    pragmas. The writer uses it from the event loop and from its own thread, never from
    both at once (storage/writer.py), so SQLite's same-thread check is off."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        for pragma in PRAGMAS:
            conn.execute(pragma)
    except BaseException:
        conn.close()
        raise
    return conn


async def backup(reader: aiosqlite.Connection, path: Path, target: Path) -> None:
    """Copy the database at ``path`` consistently to ``target`` (replaced atomically).

    Runs SQLite's online backup in one step from ``reader``, i.e. inside one read
    transaction: a consistent snapshot, while the writer keeps committing.
    """
    if await asyncio.to_thread(_same_place, path, target):
        raise StorageError("backup target is the live database")
    partial = target.with_name(target.name + ".partial")
    try:
        await asyncio.to_thread(partial.unlink, missing_ok=True)
        await asyncio.to_thread(prepare_file, partial, True)  # private, as the database
        copy = await aiosqlite.connect(partial)
        try:
            await reader.backup(copy, pages=-1)
        finally:
            await copy.close()
        await asyncio.to_thread(os.replace, partial, target)
    except (sqlite3.Error, OSError) as exc:
        await asyncio.to_thread(partial.unlink, missing_ok=True)
        raise StorageError("backup failed") from exc
    logger.info("Backed up the database to %s", target)


def _same_place(path: Path, other: Path) -> bool:
    return path.resolve() == other.resolve()
