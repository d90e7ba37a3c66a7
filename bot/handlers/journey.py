"""The canvas journey: commands, text and button taps, each turned into one flow event."""

from __future__ import annotations

from typing import Literal

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.callback import unpack
from bot.context import CanvasApp, CanvasContext
from flows.events import ButtonTapped, Command, CommandSent, Event, OtherSent, TextSent, User

OtherKind = Literal["media", "edited", "unknown_command", "group"]

PRIVATE = filters.ChatType.PRIVATE
NEW = filters.UpdateType.MESSAGE  # not edits: an edited message never counts as an answer


def _user(update: Update) -> User | None:
    user = update.effective_user
    if user is None or user.is_bot:
        return None
    return User(user.id, user.language_code)


async def _run(update: Update, context: CanvasContext, event: Event) -> None:
    services = context.services
    services.handling += 1
    try:
        # The person's own replies go first; what the update put in the outbox for them
        # follows.
        with services.outbox.hold(event.user.id):
            actions = await services.journey.handle(event)
            await services.send(actions, update.callback_query)
    finally:
        services.handling -= 1


async def on_command(update: Update, context: CanvasContext) -> None:
    user, message = _user(update), update.effective_message
    if user is None or message is None or not message.text:
        return
    name = message.text.split()[0].lstrip("/").split("@")[0].lower()
    argument = " ".join(context.args or [])
    await _run(update, context, CommandSent(user, Command(name), argument))


async def on_text(update: Update, context: CanvasContext) -> None:
    user, message = _user(update), update.effective_message
    if user is None or message is None or message.text is None:
        return
    await _run(update, context, TextSent(user, message.text))


async def on_button(update: Update, context: CanvasContext) -> None:
    user, query = _user(update), update.callback_query
    if user is None or query is None:
        return
    message_id = query.message.message_id if query.message is not None else None
    await _run(update, context, ButtonTapped(user, unpack(query.data or ""), message_id))


async def on_other(update: Update, context: CanvasContext) -> None:
    """Anything else: media, edits, unknown commands, groups get a clear reply, never silence."""
    user, message = _user(update), update.effective_message
    if user is None or message is None:
        return
    kind: OtherKind
    if update.effective_chat is not None and update.effective_chat.type != "private":
        kind = "group"
    elif update.edited_message is not None:
        kind = "edited"
    elif message.text is not None and message.text.startswith("/"):
        kind = "unknown_command"
    else:
        kind = "media"
    chat_id = update.effective_chat.id if update.effective_chat else None
    await _run(update, context, OtherSent(user, kind, chat_id))


def register(app: CanvasApp) -> None:
    # Button taps first: they are most updates, and no other handler here takes a tap.
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(CommandHandler([c.value for c in Command], on_command, filters=PRIVATE & NEW))
    app.add_handler(MessageHandler(PRIVATE & NEW & filters.TEXT & ~filters.COMMAND, on_text))
    # Groups: only when addressed (a command or a reply), so the bot never chats over people.
    addressed = filters.COMMAND | filters.REPLY
    app.add_handler(MessageHandler(~PRIVATE & addressed & NEW, on_other))
    app.add_handler(MessageHandler(PRIVATE, on_other))
