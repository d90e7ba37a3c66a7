"""`python -m bot backup` refuses to run when there is no database to copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main


def test_backup_without_a_database_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a database file the backup exits non-zero with one line, creating nothing."""
    live = tmp_path / "missing.sqlite3"
    target = tmp_path / "copy.sqlite3"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setenv("DATABASE_PATH", str(live))

    assert main(["backup", str(target)]) == 1

    assert capsys.readouterr().err == f"backup failed: no database at {live}\n"
    assert not live.exists()
    assert not target.exists()
