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

    def __init__(self, settings: Settings, offline: OfflineRequest, **options: Any) -> None:
        self.settings = settings
        self.offline = offline
        options.setdefault("rate_limiter", False)
        self.app: CanvasApp = build_application(
            settings, request=offline, get_updates_request=OfflineRequest(), **options
        )
        self.updates = UpdateFactory(self.app.bot)
        self._indexed = 0
        self._by_chat: dict[str, list[Call]] = {}

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

    async def arrive(self, update: Update) -> None:
        """As from polling: through the update processor (per-user order, concurrency)."""
        await self.app.update_processor.process_update(update, self.app.process_update(update))

    async def command(self, user_id: int, text: str, args: str = "", **kw: Any) -> None:
        await self.process(self.updates.command(user_id, text, args, **kw))

    async def text(self, user_id: int, text: str, **kw: Any) -> None:
        await self.process(self.updates.text_message(user_id, text, **kw))

    def _calls_to_chat(self, user_id: int) -> list[Call]:
        """Calls addressed to one chat, indexed as they come (scanning all would be O(n^2))."""
        calls = self.offline.calls
        if self._indexed > len(calls):  # the offline layer was cleared
            self._indexed, self._by_chat = 0, {}
        for call in calls[self._indexed :]:
            chat = call.params.get("chat_id")
            if chat is not None:
                self._by_chat.setdefault(str(chat), []).append(call)
        self._indexed = len(calls)
        return self._by_chat.get(str(user_id), [])

    def message_with(self, user_id: int, prefix: str) -> tuple[Call, str]:
        """The newest message to ``user_id`` showing a button whose data starts with prefix."""
        for call in reversed(self._calls_to_chat(user_id)):
            if call.method.lower() not in ("sendmessage", "editmessagetext"):
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
        return [
            str(c.params["text"])
            for c in self._calls_to_chat(user_id)
            if c.method.lower() == "sendmessage" and c.error is None
        ]


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
