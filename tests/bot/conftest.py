"""A real PTB Application on a temporary SQLite file, talking to the offline Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.app import build_application
from bot.context import CanvasApp
from bot.settings import Settings
from tests.support.offline import Call, OfflineRequest
from tests.support.updates import UpdateFactory


class Harness:
    """Starts and stops the bot as run_polling would, and plays users against it."""

    def __init__(self, settings: Settings, offline: OfflineRequest) -> None:
        self.settings = settings
        self.offline = offline
        self.app: CanvasApp = build_application(
            settings, request=offline, get_updates_request=OfflineRequest(), rate_limiter=False
        )
        self.updates = UpdateFactory(self.app.bot)

    async def start(self) -> None:
        await self.app.initialize()
        if self.app.post_init is not None:
            await self.app.post_init(self.app)

    async def stop(self) -> None:
        if self.app.post_shutdown is not None:
            await self.app.post_shutdown(self.app)
        await self.app.shutdown()

    async def process(self, update: Update) -> None:
        await self.app.process_update(update)
        self.offline.assert_no_violations()

    async def command(self, user_id: int, text: str, args: str = "", **kw: Any) -> None:
        await self.process(self.updates.command(user_id, text, args, **kw))

    async def text(self, user_id: int, text: str, **kw: Any) -> None:
        await self.process(self.updates.text_message(user_id, text, **kw))

    def message_with(self, user_id: int, prefix: str) -> tuple[Call, str]:
        """The newest message to ``user_id`` showing a button whose data starts with prefix."""
        for call in reversed(self.offline.calls):
            if call.method.lower() not in ("sendmessage", "editmessagetext"):
                continue
            if (
                str(call.params.get("chat_id")) != str(user_id)
                and call.method != "editMessageText"
            ):
                continue
            markup = call.params.get("reply_markup")
            rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
            for row in rows:
                for button in row:
                    data = button.get("callback_data", "")
                    if data.startswith(prefix):
                        return call, data
        raise AssertionError(f"no button {prefix!r} was shown to {user_id}")

    async def tap(self, user_id: int, prefix: str, replace_last: str | None = None) -> str:
        """Tap the newest button starting with ``prefix``; optionally change its last field."""
        call, data = self.message_with(user_id, prefix)
        if replace_last is not None:
            data = data.rsplit(":", 1)[0] + ":" + replace_last
        result = call.result if isinstance(call.result, dict) else {}
        message_id = int(result.get("message_id", 1))
        text = str(call.params.get("text", "..."))
        await self.process(
            self.updates.callback(user_id, data, message_id=message_id, message_text=text)
        )
        return data

    def texts_to(self, user_id: int) -> list[str]:
        return self.offline.sent_texts(user_id)


HarnessFactory = Callable[[], Harness]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # a developer's .env must not change the tests
        telegram_bot_token="123456:TEST-TOKEN",  # type: ignore[arg-type]
        database_path=tmp_path / "db" / "canvas.sqlite3",
    )


@pytest.fixture
async def harness(settings: Settings) -> AsyncIterator[Harness]:
    running = Harness(settings, OfflineRequest())
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
