"""Build real ``telegram.Update`` objects, bound to a bot, as Telegram would deliver them.

``UpdateFactory(app.bot)`` hands out increasing update, message and callback ids; a private
chat's id equals the user's id. Bind it to the bot whose request is an ``OfflineRequest`` so that
``update.message.reply_text(...)`` lands there.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from telegram import Bot, Update

from tests.support.telegram import bot_user, chat_json, user_json

JSON = dict[str, Any]


class UpdateFactory:
    """Factories for the updates the bot handles; each call returns a fresh ``Update``."""

    def __init__(self, bot: Bot, *, first_update_id: int = 1, first_message_id: int = 1):
        self.bot = bot
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(first_message_id)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)

    # -- messages -------------------------------------------------------------------------------

    def text_message(
        self, user_id: int, text: str, *, entities: list[JSON] | None = None, **kwargs: Any
    ) -> Update:
        """A text message from ``user_id`` (in a group when ``chat_id`` and ``chat_type`` say;
        see :meth:`message` for the other options)."""
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return self.message(user_id, content, **kwargs)

    def command(self, user_id: int, command: str, args: str = "", **kwargs: Any) -> Update:
        """``/start args``-style message with the bot_command entity Telegram adds."""
        command = command if command.startswith("/") else f"/{command}"
        entity = {"type": "bot_command", "offset": 0, "length": len(command)}
        text = f"{command} {args}" if args else command
        return self.text_message(user_id, text, entities=[entity], **kwargs)

    def sticker(self, user_id: int, emoji: str = "👍", **kwargs: Any) -> Update:
        sticker = {
            **self._file(),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self.message(user_id, {"sticker": sticker}, **kwargs)

    def photo(self, user_id: int, caption: str | None = None, **kwargs: Any) -> Update:
        sizes = [{**self._file(), "width": w, "height": w * 3 // 4} for w in (90, 320, 1280)]
        return self.message(user_id, _with_caption({"photo": sizes}, caption), **kwargs)

    def voice(self, user_id: int, duration: int = 3, **kwargs: Any) -> Update:
        voice = {**self._file(), "duration": duration, "mime_type": "audio/ogg"}
        return self.message(user_id, {"voice": voice}, **kwargs)

    def location(
        self, user_id: int, latitude: float = 52.09, longitude: float = 5.12, **kwargs: Any
    ) -> Update:
        location = {"latitude": latitude, "longitude": longitude}
        return self.message(user_id, {"location": location}, **kwargs)

    def contact(self, user_id: int, phone_number: str = "+31600000000", **kwargs: Any) -> Update:
        contact = {"phone_number": phone_number, "first_name": "Contact", "user_id": user_id}
        return self.message(user_id, {"contact": contact}, **kwargs)

    def document(
        self,
        user_id: int,
        file_name: str = "notes.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        **kwargs: Any,
    ) -> Update:
        document = {**self._file(), "file_name": file_name, "mime_type": mime_type}
        return self.message(user_id, _with_caption({"document": document}, caption), **kwargs)

    def edited_message(self, user_id: int, text: str, *, message_id: int, **kwargs: Any) -> Update:
        """The user edited their earlier message ``message_id`` to read ``text``."""
        data = self._message_json(user_id, {"text": text, "message_id": message_id}, **kwargs)
        data["edit_date"] = data["date"]
        return self._update({"edited_message": data})

    def message(self, user_id: int, content: JSON, **kwargs: Any) -> Update:
        """A message from ``user_id`` with arbitrary ``content`` fields (text, photo, ...)."""
        return self._update({"message": self._message_json(user_id, content, **kwargs)})

    # -- callback queries -----------------------------------------------------------------------

    def callback(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int,
        message_text: str = "...",
        language_code: str = "nl",
        first_name: str = "Test",
    ) -> Update:
        """The user pressed an inline button with ``data`` under the bot's message."""
        user = user_json(user_id, language_code, first_name)
        message = {
            "message_id": message_id,
            "from": bot_user(),
            "chat": chat_json(user_id, "private", first_name),
            "date": int(time.time()),
            "text": message_text,
        }
        query = {
            "id": str(next(self._query_ids)),
            "from": user,
            "chat_instance": f"ci-{user_id}",
            "data": data,
            "message": message,
        }
        return self._update({"callback_query": query})

    # -- plumbing -------------------------------------------------------------------------------

    def _message_json(
        self,
        user_id: int,
        content: JSON,
        *,
        language_code: str = "nl",
        chat_type: str = "private",
        first_name: str = "Test",
        chat_id: int | None = None,
    ) -> JSON:
        return {
            "message_id": next(self._message_ids),
            "from": user_json(user_id, language_code, first_name),
            "chat": chat_json(chat_id or user_id, chat_type, first_name),
            "date": int(time.time()),
            **content,
        }

    def _update(self, payload: JSON) -> Update:
        update = Update.de_json({"update_id": next(self._update_ids), **payload}, self.bot)
        assert update is not None
        return update

    def _file(self) -> JSON:
        n = next(self._file_ids)
        return {"file_id": f"file-{n}", "file_unique_id": f"unique-{n}", "file_size": 1024}


def _with_caption(content: JSON, caption: str | None) -> JSON:
    return {**content, "caption": caption} if caption is not None else content
