"""When storage fails, the user still gets an apology in their language."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from bot.settings import Settings
from flows.messages import load_messages
from flows.repository import Repository
from storage.errors import StorageError
from tests.bot.conftest import Harness
from tests.support.offline import OfflineRequest

USER = 4242


class BrokenRepository:
    """Every read and write fails, as when the database file cannot be read."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> object:
        async def fail(*_: object, **__: object) -> object:
            self.calls.append(name)
            raise StorageError("database disk image is malformed")

        return fail


async def _open_broken(_settings: Settings) -> Repository:
    return cast(Repository, BrokenRepository())


async def _close(_repo: Repository) -> None:
    """Nothing to close."""


def settings_with(tmp_path: Path, default_language: str) -> Settings:
    return Settings(
        _env_file=None,
        telegram_bot_token="123456:TEST-TOKEN",  # type: ignore[arg-type]
        database_path=tmp_path / "unused.sqlite3",
        default_language=default_language,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("language_code", "default", "expected"),
    [("en-GB", "nl", "en"), ("nl", "en", "nl"), ("de", "en", "en"), ("de", "nl", "nl")],
)
async def test_an_unreadable_database_still_gets_an_apology(
    tmp_path: Path, language_code: str, default: str, expected: str
) -> None:
    """With every repository call failing, the user gets the apology in the language Telegram
    hints, else the default language."""
    settings = settings_with(tmp_path, default)
    harness = Harness(
        settings, OfflineRequest(), open_repository=_open_broken, close_repository=_close
    )
    await harness.start()
    try:
        repo = cast(BrokenRepository, harness.app.bot_data.journey.repo)
        await harness.text(USER, "hallo", language_code=language_code)
        assert repo.calls, "the handler did not reach storage"
        apology = str(load_messages()("error", expected))  # type: ignore[arg-type]
        assert harness.texts_to(USER) == [apology]
    finally:
        await harness.stop()
