"""Turn the actions flows/ returns into Bot API calls, resilient to Telegram's faults.

- Every call is retried with back-off on time-outs and network errors (never on a refusal).
- An edit Telegram refuses because the message is gone or too old becomes a new message;
  "message is not modified" (a double tap) is not an error.
- A question card sent as a new message is reported back (its message id), so flows know
  which card is live; an older card whose buttons cannot be taken away is left as it is.
- A user who blocked the bot is reported back so flows can mark them unreachable.
- Telegram's formats live here: button taps as callback_data (bot.callback), keyboards as the
  Bot API's JSON, links to the bot (PTB's deep-link helper), and the length limits
  (bot.split). HTML is the parse mode of every message by the Application's defaults.
- Messages to one chat are paced (a burst, then about one a second), so a long summary
  stays within Telegram's per-chat limit; AIORateLimiter keeps the global limit.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from typing import Any, TypeVar

from aiolimiter import AsyncLimiter
from telegram import CallbackQuery, InputFile, Message
from telegram.constants import CallbackQueryLimit
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import ExtBot
from telegram.helpers import create_deep_linked_url

from bot.callback import pack
from bot.split import MESSAGE_LIMIT, fit_caption, split_html, telegram_length
from flows.actions import (
    Action,
    Button,
    ClearButtons,
    Edit,
    Keyboard,
    Notice,
    Send,
    SendDocument,
    SendLinked,
    SendLong,
    SendPhoto,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
JSONDict = dict[str, object]

RETRY_DELAYS = (0.5, 1.0, 2.0)
# A tag in a message template (user text in it is escaped, so "<" there is always a tag).
_TAG = re.compile(r"<[^<>]*>")
_GONE = ("message to edit not found", "message can't be edited", "message is too old")


def markup(keyboard: Keyboard) -> JSONDict | None:
    """The keyboard as the Bot API's InlineKeyboardMarkup object, ready for JSON.

    Not PTB's objects: building an InlineKeyboardButton (some twenty attributes set through
    TelegramObject's guarded ``__setattr__``) and turning it back into this for the request
    were most of the cost of rendering an answer, for the same bytes on the wire.
    """
    if not keyboard:
        return None
    return {"inline_keyboard": [list(map(_button, row)) for row in keyboard]}


def _button(button: Button) -> JSONDict:
    tap, url = button.tap, button.url
    if url is None and tap is not None:  # a tap's button, most of all: in one go
        return {"text": button.label, "callback_data": pack(tap)}
    json: JSONDict = {"text": button.label}
    if tap is not None:
        json["callback_data"] = pack(tap)
    if url is not None:
        json["url"] = url
    return json


def _markup_kwargs(keyboard: Keyboard) -> JSONDict | None:
    """The keyboard as PTB's ``api_kwargs``: passed through to Telegram as it is."""
    json = markup(keyboard)
    return None if json is None else {"reply_markup": json}


@lru_cache(maxsize=64)  # a toast is one of a few texts per language
def plain_notice(text: str) -> str:
    """A toast is plain text of at most 200 characters: the message's tags go, its escaped
    values are shown as typed ("A&B", not "A&amp;B"), and a long one is cut, not refused."""
    text = html.unescape(_TAG.sub("", text))
    limit = CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH
    if _utf16(text) <= limit:
        return text
    while _utf16(text) > limit - 1:  # Telegram counts UTF-16 units: an emoji is two
        text = text[:-1]
    return text + "…"


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True, slots=True)
class DeepLinks:
    """Links to the bot: ``t.me/<username>?start=<payload>``, made by PTB."""

    username: str

    def start(self, payload: str) -> str:
        return create_deep_linked_url(self.username, payload)


class ChatPacer:
    """Per-chat pacing: ``burst`` messages at once, then ``per_second`` a second."""

    def __init__(self, burst: int = 5, per_second: float = 1.0, keep: int = 2048) -> None:
        self.burst = burst
        self.period = burst / per_second
        self.keep = keep
        self._limiters: dict[int, AsyncLimiter] = {}

    async def wait(self, chat_id: int) -> None:
        limiter = self._limiters.get(chat_id)
        if limiter is None:
            if len(self._limiters) >= self.keep:
                self._forget_idle()
            limiter = self._limiters[chat_id] = AsyncLimiter(self.burst, self.period)
        await limiter.acquire()

    def _forget_idle(self) -> None:
        for chat_id, limiter in list(self._limiters.items()):
            if limiter.has_capacity(self.burst):
                del self._limiters[chat_id]


async def with_retries(call: Callable[[], Awaitable[T]]) -> T:
    """Retry a Bot API call on time-outs and network errors, with back-off."""
    for delay in RETRY_DELAYS:
        try:
            return await call()
        except BadRequest:
            raise
        except NetworkError as exc:
            logger.warning("network error (%s), retrying in %.1f s", type(exc).__name__, delay)
            await asyncio.sleep(delay)
    return await call()


@dataclass(slots=True)
class Rendered:
    """What came of rendering: the chats that turned out to have blocked the bot, and the
    question cards that went out as new messages, as (chat id, message id)."""

    blocked: set[int] = field(default_factory=set)
    cards: list[tuple[int, int]] = field(default_factory=list)


class Renderer:
    """Sends actions in order; reports blocked chats and the question cards it sent."""

    def __init__(self, bot: ExtBot[Any], pacer: ChatPacer | None = None) -> None:
        self.bot = bot
        self.pacer = pacer

    async def render(
        self, actions: Sequence[Action], query: CallbackQuery | None = None
    ) -> Rendered:
        if query is not None:
            notice = next((plain_notice(a.text) for a in actions if isinstance(a, Notice)), None)
            await _quietly(with_retries(lambda: query.answer(notice)))
        done = Rendered()
        for action in (one for given in actions for one in self.messages(given)):
            if isinstance(action, Notice):
                continue
            chat_id = _chat_of(action, query)
            if chat_id is None or chat_id in done.blocked:
                continue
            if self.pacer is not None:
                await self.pacer.wait(chat_id)
            try:
                card = await with_retries(partial(self._one, action, query))
            except Forbidden:
                logger.info("chat %s has blocked the bot", chat_id)
                done.blocked.add(chat_id)
            else:
                if card is not None:
                    done.cards.append((chat_id, card))
        return done

    async def deliver(self, message: Action) -> None:
        """Send one message of ``messages()`` (paced per chat); no retries, errors raised.

        The outbox sends this way: it retries on its own schedule, and holds what it sends.
        """
        chat_id = _chat_of(message, None)
        if chat_id is None:
            return
        if self.pacer is not None:
            await self.pacer.wait(chat_id)
        await self._one(message, None)

    @property
    def links(self) -> DeepLinks:
        return DeepLinks(self.bot.username)

    async def _one(self, action: Action, query: CallbackQuery | None) -> int | None:
        """Make the call(s) for one action; the message id of a question card sent anew."""
        if isinstance(action, Send):
            sent = await self._send(action.chat_id, action.text, action.keyboard)
            return sent.message_id if action.card else None
        if isinstance(action, Edit):
            anew = None if query is None else await self._edit(query, action)
            return anew.message_id if anew is not None and action.card else None
        if isinstance(action, ClearButtons):
            await self._clear(action)
        elif isinstance(action, SendPhoto):
            await self.bot.send_photo(
                action.chat_id, action.png, caption=fit_caption(action.caption)
            )
        elif isinstance(action, SendDocument):
            await self.bot.send_document(
                action.chat_id,
                InputFile(action.content, filename=action.filename),
                caption=fit_caption(action.caption),
            )
        return None

    async def _send(self, chat_id: int, text: str, keyboard: Keyboard) -> Message:
        return await self.bot.send_message(chat_id, text, api_kwargs=_markup_kwargs(keyboard))

    async def _clear(self, action: ClearButtons) -> None:
        """An older card loses its buttons (editMessageReplyMarkup without a markup). Gone,
        too old or without buttons already: logged and left, never holding up the rest."""

        async def clear() -> object:
            # PTB's Defaults would add the parse mode, which this method does not take.
            return await self.bot.edit_message_reply_markup(
                action.chat_id, action.message_id, api_kwargs={"parse_mode": None}
            )

        try:
            await with_retries(clear)
        except NetworkError as exc:  # BadRequest included: Telegram refused
            logger.info("an older card keeps its buttons: %s", exc.message)

    def messages(self, action: Action) -> list[Action]:
        """Long texts as messages within Telegram's limit, links to the bot filled in."""
        if isinstance(action, SendLinked):
            action = Send(action.chat_id, action.text(self.links))
        if isinstance(action, SendLong):
            return [Send(action.chat_id, part) for part in split_html(action.blocks)]
        if not isinstance(action, Send) or telegram_length(action.text) <= MESSAGE_LIMIT:
            return [action]
        parts = split_html([action.text])
        last = replace(action, text=parts[-1])  # the buttons (and a card's flag) go last
        return [*(Send(action.chat_id, part) for part in parts[:-1]), last]

    async def _edit(self, query: CallbackQuery, action: Edit) -> Message | None:
        """Edit the tapped message; the message sent instead if it could not be edited."""
        try:
            await query.edit_message_text(action.text, api_kwargs=_markup_kwargs(action.keyboard))
        except BadRequest as exc:
            reason = exc.message.lower()
            if "not modified" in reason:  # a double tap edits to the same content
                return None
            if not any(gone in reason for gone in _GONE) or query.message is None:
                raise
            logger.info("message could not be edited; sending it anew")
            return await self._send(query.message.chat.id, action.text, action.keyboard)
        return None


def _chat_of(action: Action, query: CallbackQuery | None) -> int | None:
    if isinstance(action, Edit):
        if query is None or query.message is None:
            return None
        return query.message.chat.id
    if isinstance(action, Notice):
        return None
    return action.chat_id


async def _quietly(call: Awaitable[object]) -> None:
    """Answering a callback query is courtesy: an old query may no longer be answerable."""
    try:
        await call
    except BadRequest as exc:
        logger.info("callback query not answered: %s", exc.message)
