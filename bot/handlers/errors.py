"""The one error handler: log with the traceback first, then tell the user in their language."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.context import CanvasApp, CanvasContext

logger = logging.getLogger(__name__)


async def on_error(update: object, context: CanvasContext) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("error while handling update %s", update_id, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    language = "en" if user and (user.language_code or "").startswith("en") else "nl"
    if user is not None:
        stored = await context.journey.repo.participant(user.id)
        if stored is not None and stored.language in ("nl", "en"):
            language = stored.language
    text = context.services.messages("error", "en" if language == "en" else "nl")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await context.bot.send_message(update.effective_chat.id, text, parse_mode=ParseMode.HTML)
    except TelegramError:
        logger.warning("could not tell chat about the error", exc_info=True)


def register(app: CanvasApp) -> None:
    app.add_error_handler(on_error)
