"""The one error handler: log with the traceback first, then apologise in the user's language.

The apology must reach the user when storage is what failed, so it never reads storage: the
language is Telegram's hint on the update (``language_code``), else the default language.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.context import CanvasApp, CanvasContext
from flows.canvas import LANGUAGES, Language

logger = logging.getLogger(__name__)

ErrorHandler = Callable[[object, CanvasContext], Coroutine[Any, Any, None]]


def language_of(update: Update, default: Language) -> Language:
    """The user's language as Telegram hints it (``en-GB`` is ``en``), else ``default``."""
    user = update.effective_user
    code = ((user.language_code if user else None) or "").split("-")[0].lower()
    return next((language for language in LANGUAGES if language == code), default)


def error_handler(default_language: Language) -> ErrorHandler:
    async def on_error(update: object, context: CanvasContext) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        logger.error("error while handling update %s", update_id, exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        text = context.services.messages("error", language_of(update, default_language))
        try:
            if update.callback_query is not None:
                await update.callback_query.answer()
            await context.bot.send_message(
                update.effective_chat.id, text, parse_mode=ParseMode.HTML
            )
        except TelegramError:
            logger.warning("could not tell chat about the error", exc_info=True)

    return on_error


def register(app: CanvasApp, default_language: Language) -> None:
    app.add_error_handler(error_handler(default_language))
