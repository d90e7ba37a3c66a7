"""The command line: backup of a live database, and a clear refusal of bad arguments."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.__main__ import main
from flows.model import Changes, Participant
from storage.sqlite import SqliteRepository


def test_backup_copies_the_live_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m bot backup PATH` writes a consistent copy that opens with the data."""
    live = tmp_path / "live.sqlite3"

    async def seed() -> None:
        repo = await SqliteRepository.open(live)
        await repo.commit(Changes(participants=[Participant(7, "idle", "nl")]))
        await repo.close()

    asyncio.run(seed())
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setenv("DATABASE_PATH", str(live))
    target = tmp_path / "copy.sqlite3"
    assert main(["backup", str(target)]) == 0
    with closing(sqlite3.connect(target)) as copy:
        assert copy.execute("SELECT user_id FROM participants").fetchall() == [(7,)]


def test_unknown_arguments_print_usage(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown subcommand exits 2 with the usage, not a traceback."""
    assert main(["nonsense"]) == 2
    assert "python -m bot console" in capsys.readouterr().err
