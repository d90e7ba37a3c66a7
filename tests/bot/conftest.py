"""A real PTB Application on a temporary SQLite file, talking to the offline Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.support.harness import Harness

__all__ = ["Harness"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # a developer's .env must not change the tests
        telegram_bot_token="123456:TEST-TOKEN",  # type: ignore[arg-type]
        database_path=tmp_path / "db" / "canvas.sqlite3",
    )


@pytest.fixture
async def harness(settings: Settings) -> AsyncIterator[Harness]:
    running = Harness(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
