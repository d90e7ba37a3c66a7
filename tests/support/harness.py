"""The bot's real PTB Application on the offline transport, started and stopped as in production.

``Harness`` builds the application with ``bot.app.build_application``, runs its ``post_init`` /
``post_shutdown`` as ``run_polling`` would, and plays users against it: commands, texts and taps
on the buttons the bot currently shows (read from the shared :class:`FakeTelegram`). The scenario
steps of ``tests/support/scenario.py`` drive it, in the bot tests and in the benchmark.
"""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.app import build_application
from bot.context import CanvasApp
from bot.settings import Settings
from tests.support.offline import OfflineRequest
from tests.support.scenario import answer_data
from tests.support.telegram import Call
from tests.support.updates import UpdateFactory


class Harness:
    """Starts and stops the bot as run_polling would, and plays users against it.

    With ``arrive`` every update goes through PTB's update processor, as from polling (per-user
    order, concurrency); otherwise straight to ``process_update`` and each is checked for calls
    that broke the spec.
    """

    def __init__(
        self,
        settings: Settings,
        offline: OfflineRequest | None = None,
        *,
        arrive: bool = False,
        **options: Any,
    ) -> None:
        self.settings = settings
        self.offline = offline or OfflineRequest()
        self.telegram = self.offline.telegram
        self.through_processor = arrive
        options.setdefault("rate_limiter", False)
        self.app: CanvasApp = build_application(
            settings, request=self.offline, get_updates_request=OfflineRequest(), **options
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

    async def __aenter__(self) -> Harness:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def process(self, update: Update) -> None:
        if self.through_processor:
            await self.arrive(update)
            return
        await self.app.process_update(update)
        await self.settle()
        self.offline.assert_no_violations()

    async def settle(self) -> None:
        """Wait until the outbox has sent everything due now (news, summaries, notices)."""
        await self.app.bot_data.outbox.settle()

    async def arrive(self, update: Update) -> None:
        """As from polling: through the update processor (per-user order, concurrency)."""
        await self.app.update_processor.process_update(update, self.app.process_update(update))

    # -- users ------------------------------------------------------------------------------

    async def command(
        self, user_id: int, text: str, args: str = "", *, language_code: str = "nl"
    ) -> None:
        await self.process(self.updates.command(user_id, text, args, language_code=language_code))

    async def text(self, user_id: int, text: str, *, language_code: str = "nl") -> None:
        await self.process(self.updates.text_message(user_id, text, language_code=language_code))

    async def tap(
        self,
        user_id: int,
        prefix: str,
        replace_last: str | None = None,
        *,
        language_code: str = "nl",
    ) -> str:
        """Tap the newest button starting with ``prefix``; optionally change its last field."""
        update = self.tap_update(user_id, prefix, replace_last, language_code=language_code)
        await self.process(update)
        query = update.callback_query
        return query.data or "" if query is not None else ""

    def tap_update(
        self,
        user_id: int,
        prefix: str,
        replace_last: str | None = None,
        *,
        language_code: str = "nl",
    ) -> Update:
        """The update of a tap on the newest button starting with ``prefix`` (not processed);
        ``replace_last`` on an answer button answers as ``scenario.answer_data`` says."""
        message_id, data = self.message_with(user_id, prefix)
        if replace_last is not None and prefix == "a:":
            data = answer_data(data, replace_last)
        elif replace_last is not None:
            data = data.rsplit(":", 1)[0] + ":" + replace_last
        message = self.telegram.message(user_id, message_id) or {}
        return self.updates.callback(
            user_id,
            data,
            message_id=message_id,
            message_text=str(message.get("text") or "..."),
            language_code=language_code,
        )

    def message_with(self, user_id: int, prefix: str) -> tuple[int, str]:
        """The newest message to ``user_id`` now showing a button whose data starts with
        ``prefix``: its message_id and the button's data."""
        try:
            return self.telegram.find_button(user_id, prefix)
        except AssertionError:
            raise AssertionError(f"no button {prefix!r} was shown to {user_id}") from None

    def shown_to(self, user_id: int) -> list[str]:
        """The texts sent to ``user_id`` and the texts its messages were edited to, in order
        (the live question card is one message, edited answer by answer)."""
        return [
            str(c.params["text"])
            for c in self._calls_to_chat(user_id)
            if c.method.lower() in ("sendmessage", "editmessagetext") and c.error is None
        ]

    def texts_to(self, user_id: int) -> list[str]:
        """The texts of the messages sent to ``user_id`` as sent (HTML included), oldest first;
        when the transport records no calls, those of the messages it keeps."""
        if not self.telegram.record:
            return self.telegram.texts_in(user_id)
        return [
            str(c.params["text"])
            for c in self._calls_to_chat(user_id)
            if c.method.lower() == "sendmessage" and c.error is None
        ]

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
