"""The one reply to a user whose burst of updates the bot is dropping (see bot/ordering.py)."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode

from bot.handlers.errors import language_of
from bot.ordering import FloodReply
from flows.canvas import Language
from flows.messages import Messages


def slow_down(messages: Messages, default_language: Language) -> FloodReply:
    """Reply in the language Telegram hints; it must not wait for storage or the user's queue."""

    async def reply(update: Update) -> None:
        if update.effective_chat is None:
            return
        text = messages("slow_down", language_of(update, default_language))
        chat_id = update.effective_chat.id
        await update.get_bot().send_message(chat_id, text, parse_mode=ParseMode.HTML)

    return reply
