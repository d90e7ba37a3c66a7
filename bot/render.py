"""Turn the actions flows/ returns into Bot API calls."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ExtBot

from flows.actions import Action, Edit, Keyboard, Notice, Send, SendDocument, SendPhoto

logger = logging.getLogger(__name__)


def markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data, url=b.url) for b in row]
            for row in keyboard
        ]
    )


async def render(
    bot: ExtBot[None], actions: Sequence[Action], query: CallbackQuery | None = None
) -> None:
    """Send the replies in order. A tapped button's query is answered once, first."""
    if query is not None:
        notice = next((a.text for a in actions if isinstance(a, Notice)), None)
        await query.answer(notice)
    for action in actions:
        if isinstance(action, Send):
            await bot.send_message(
                action.chat_id,
                action.text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(action.keyboard),
                link_preview_options=None,
            )
        elif isinstance(action, Edit):
            if query is not None:
                await _edit(query, action)
        elif isinstance(action, SendPhoto):
            await bot.send_photo(
                action.chat_id, action.png, caption=action.caption, parse_mode=ParseMode.HTML
            )
        elif isinstance(action, SendDocument):
            await bot.send_document(
                action.chat_id,
                InputFile(action.content, filename=action.filename),
                caption=action.caption,
                parse_mode=ParseMode.HTML,
            )


async def _edit(query: CallbackQuery, action: Edit) -> None:
    try:
        await query.edit_message_text(
            action.text, parse_mode=ParseMode.HTML, reply_markup=markup(action.keyboard)
        )
    except BadRequest as exc:
        # A double tap edits to the same content; Telegram refuses that, and that is fine.
        if "not modified" not in exc.message.lower():
            raise
        logger.debug("edit skipped: message not modified")
