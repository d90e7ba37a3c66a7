"""One fake of Telegram behind every test double: its chats, messages, callback queries and files.

:class:`FakeTelegram` is the model. It answers a Bot API call (:meth:`FakeTelegram.answer`) the
way Telegram would: it checks the call against the spec (``tests/support/botapi.py``), keeps the
bot's messages as they currently are (text and buttons after edits), hands out message ids per
chat, serves callback queries and the update queue, and refuses what Telegram refuses with the
error Telegram gives (:class:`Rejected`). Users act on it with ``push_text`` / ``push_command`` /
``push_callback`` / ``tap``; tests read what happened with ``calls_to``, ``sent_texts``,
``find_button``, ``wait_for`` and ``report``.

The transports are thin: ``tests/support/offline.py`` feeds it PTB's requests in-process,
``tests/support/fake_server.py`` serves it over HTTP, ``benchmarks/offline.py`` times it.
``strict=False`` is for the in-process layer, whose updates are built beside the model
(``UpdateFactory``): it then accepts chats, messages and queries it has not seen. ``lean=True``
skips the spec check and echoes nothing in its answers, so a load test measures the bot;
``record=False`` keeps only a count per method, and ``history`` bounds the messages kept per chat.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from tests.support.botapi import Spec, UploadedFile, load_spec, parse_html

JSON = dict[str, Any]

BOT_ID: Final = 999
BOT_USERNAME: Final = "canvas_test_bot"
NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


def bot_user(bot_id: int = BOT_ID) -> JSON:
    """The bot as ``getMe`` describes it."""
    return {
        "id": bot_id,
        "is_bot": True,
        "first_name": "Canvas",
        "username": BOT_USERNAME,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def user_json(user_id: int, language_code: str = "nl", first_name: str = "Test") -> JSON:
    """A human Telegram user."""
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": language_code,
    }


def chat_json(chat_id: int, chat_type: str = "private", first_name: str = "Test") -> JSON:
    """A private chat (its id is the user's) or a group the user writes in."""
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": first_name}
    group_id = chat_id if chat_id < 0 else -1_000_000_000_000 - chat_id
    return {"id": group_id, "type": chat_type, "title": "Test group"}


def button_data(markup: object) -> list[str]:
    """The callback_data of every inline button in ``markup``, row by row."""
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return [
        str(button["callback_data"])
        for row in rows
        for button in row
        if isinstance(button, dict) and "callback_data" in button
    ]


def visible(params: Mapping[str, object], key: str) -> str | None:
    """``params[key]`` as the recipient sees it: tags stripped when parse_mode is HTML."""
    value = params.get(key)
    if not isinstance(value, str):
        return None
    mode = params.get("parse_mode")
    return parse_html(value)[0] if isinstance(mode, str) and mode.lower() == "html" else value


class Rejected(Exception):  # noqa: N818 - a Telegram answer, not a failure of the fake
    """Telegram's refusal of a call: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, error_code: int, description: str, **parameters: object) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class Unexpected(Rejected):
    """A method this fake has no answer for (Telegram: 404): the bot did something new."""

    def __init__(self) -> None:
        super().__init__(404, "Not Found")


class Violation(Rejected):
    """A call that breaks the spec (Telegram: 400); ``call.problems`` lists every problem."""


@dataclass
class Call:
    """One request the bot made, and how it was answered.

    ``params`` are the values as Telegram understands them (objects decoded, ids as ``int``,
    uploads as :class:`UploadedFile`); ``wire`` is what arrived over HTTP, if it did.
    """

    method: str
    params: dict[str, object]
    wire: dict[str, object] = field(default_factory=dict)
    content_type: str = ""
    status: int = 200
    result: object = None
    error: str | None = None  # "400 Bad Request: ..." when answered with ok: false
    injected: bool = False  # the error came from fail_next()
    problems: list[str] = field(default_factory=list)  # spec violations
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
        return value if isinstance(value, int) else None

    @property
    def text(self) -> str:
        """The text or caption as the user sees it (HTML tags removed)."""
        return visible(self.params, "text") or visible(self.params, "caption") or ""

    @property
    def files(self) -> dict[str, UploadedFile]:
        return {k: v for k, v in self.params.items() if isinstance(v, UploadedFile)}

    def buttons(self) -> list[str]:
        """The callback_data of every inline button this call shows."""
        return button_data(self.params.get("reply_markup"))

    def __str__(self) -> str:
        shown = {k: _shorten(v) for k, v in self.params.items()}
        lines = [f"{self.method}({shown}) -> {self.error or 'ok'}"]
        lines.extend(f"    - {problem}" for problem in self.problems)
        return "\n".join(lines)


@dataclass(slots=True)
class Message:
    """A message the bot sent, as Telegram keeps it now (after edits)."""

    chat: JSON
    message_id: int
    date: int
    params: dict[str, object]  # text or caption, parse_mode and reply_markup of the last write
    media: JSON = field(default_factory=dict)
    edit_date: int | None = None
    data: tuple[str, ...] | None = None  # lean: the buttons' data instead of the markup

    @classmethod
    def written(
        cls, chat: JSON, message_id: int, params: dict[str, object], *, lean: bool
    ) -> Message:
        """The message as a call writes it; lean keeps only its text and the buttons' data."""
        if not lean:
            return cls(chat, message_id, int(time.time()), params)
        kept: dict[str, object] = {
            k: params[k] for k in ("text", "caption", "parse_mode") if k in params
        }
        data = tuple(button_data(params.get("reply_markup")))
        return cls(chat, message_id, int(time.time()), kept, data=data)

    @property
    def text(self) -> str | None:
        return visible(self.params, "text")

    def buttons(self) -> list[str]:
        if self.data is not None:
            return list(self.data)
        return button_data(self.params.get("reply_markup"))

    def as_json(self, *, lean: bool = False) -> JSON:
        message: JSON = {
            "message_id": self.message_id,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Canvas"},
            "chat": self.chat,
            "date": self.date,
        }
        if lean:
            return message
        message["from"]["username"] = BOT_USERNAME
        message.update(self.media)
        for key in ("text", "caption"):
            if (value := visible(self.params, key)) is not None:
                message[key] = value
        markup = self.params.get("reply_markup")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        return message


Responder = Callable[[Call], object]
Failure = Callable[[Call], Exception]  # what the next call of a method raises


class FakeTelegram:
    """Telegram as one bot sees it; thread-safe (one lock), so HTTP threads may share it."""

    def __init__(
        self,
        spec: Spec | None = None,
        *,
        bot_id: int = BOT_ID,
        strict: bool = True,
        lean: bool = False,
        record: bool = True,
        history: int | None = None,
        first_message_id: int = 1,
    ) -> None:
        self.spec = spec or load_spec()
        self.bot_id = bot_id
        self.strict, self.lean, self.record = strict, lean, record
        self.history = history  # messages kept per chat; None: all, 0: none (and no chats)
        self.first_message_id = first_message_id
        self.calls: list[Call] = []
        self.counts: dict[str, int] = {}  # per method (lower case), kept even without record
        self.violations: list[Call] = []  # calls that broke the spec (answered 400)
        self.unexpected: list[Call] = []  # unknown methods, wrong tokens, other paths
        self.internal_errors: list[str] = []  # bugs in a transport, with their traceback
        self.cond = threading.Condition(threading.RLock())
        self.updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._message_ids: dict[int, Iterator[int]] = {}
        self._chats: dict[int, JSON] = {}
        self._messages: dict[int, dict[int, Message]] = {}  # chat -> message id -> message
        self._open_queries: set[str] = set()
        self._failures: dict[str, deque[Failure]] = {}
        self.responses: dict[str, Responder | object] = {}
        self._responders: dict[str, Responder] = {
            "getme": lambda _: bot_user(self.bot_id),
            "getupdates": lambda _: [],  # the HTTP server long-polls updates itself
            "sendmessage": self._send,
            "sendphoto": lambda call: self._send(call, "photo"),
            "senddocument": lambda call: self._send(call, "document"),
            "editmessagetext": lambda call: self._edit(call, text=True),
            "editmessagereplymarkup": lambda call: self._edit(call, text=False),
            "answercallbackquery": self._answer_query,
            "deletemessage": self._delete,
            "setmycommands": lambda _: True,
            "setchatmenubutton": lambda _: True,
        }

    # -- the bot's calls ------------------------------------------------------------------------

    def answer(self, call: Call) -> object:
        """Answer one call as Telegram would: its result, or raise :class:`Rejected`.

        Spec violations and unknown methods are kept in ``violations`` / ``unexpected``; every
        other call, refused or not, is recorded in ``calls``.
        """
        key = call.method.lower()
        with self.cond:
            responder = self.responses.get(key, self._responders.get(key))
            if responder is None or self.spec.method(call.method) is None:
                call.problems = [f"unexpected network call {call.method!r}: no response"]
                raise self._refuse(call, Unexpected(), self.unexpected)
            if not self.lean and (
                problems := self.spec.check(call.method, call.wire or call.params)
            ):
                call.problems = problems
                raise self._refuse(
                    call, Violation(400, f"Bad Request: {problems[0]}"), self.violations
                )
            try:
                call.result = self._respond(call, responder)
            except Rejected as rejected:
                call.status = rejected.error_code
                call.error = f"{rejected.error_code} {rejected.description}"
                raise
            except Exception as error:  # an injected network failure
                call.error = type(error).__name__
                raise
            finally:
                self.remember(call)
            return call.result

    def _respond(self, call: Call, responder: Responder | object) -> object:
        if failures := self._failures.get(call.method.lower()):
            call.injected = True
            raise failures.popleft()(call)
        return responder(call) if callable(responder) else responder

    def remember(self, call: Call) -> None:
        """Record ``call`` (or just count it) and wake whoever waits for calls."""
        key = call.method.lower()
        self.counts[key] = self.counts.get(key, 0) + 1
        if self.record:
            self.calls.append(call)
        self.cond.notify_all()

    def _refuse(self, call: Call, rejected: Rejected, kept: list[Call]) -> Rejected:
        call.status, call.error = (
            rejected.error_code,
            f"{rejected.error_code} {rejected.description}",
        )
        kept.append(call)
        self.cond.notify_all()
        return rejected

    # -- test controls --------------------------------------------------------------------------

    def respond(self, method: str, result: Responder | object) -> None:
        """Answer ``method`` with ``result`` (a JSON value, or ``f(call)`` giving one)."""
        with self.cond:
            self.responses[method.lower()] = result

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str,
        *,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``times`` valid calls of ``method`` with a Telegram error.

        400 makes PTB raise ``BadRequest``, 403 ``Forbidden``, 429 ``RetryAfter`` (whose
        ``retry_after`` defaults to 1 second here).
        """
        if error_code == 429 and retry_after is None:
            retry_after = 1
        parameters = {} if retry_after is None else {"retry_after": retry_after}
        self.raise_next(method, lambda _: Rejected(error_code, description, **parameters), times)

    def raise_next(self, method: str, failure: Failure, times: int = 1) -> None:
        """Make the next ``times`` valid calls of ``method`` raise ``failure(call)``."""
        with self.cond:
            self._failures.setdefault(method.lower(), deque()).extend([failure] * times)

    def clear(self) -> None:
        """Forget calls, violations and pending failures (message ids keep increasing)."""
        with self.cond:
            self.calls.clear()
            self.violations.clear()
            self.unexpected.clear()
            self._failures.clear()

    def mark(self) -> int:
        """The number of calls so far: pass it as ``since`` to look only at later calls."""
        with self.cond:
            return len(self.calls)

    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        """Recorded calls of ``method`` (any case), optionally to one chat, oldest first."""
        with self.cond:
            return [
                c
                for c in self.calls
                if c.method.lower() == method.lower() and (chat_id is None or c.chat_id == chat_id)
            ]

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        """Visible texts of the successful sendMessage calls, optionally to one chat only."""
        return [c.text for c in self.calls_to("sendMessage", chat_id) if c.ok]

    def wait_for(
        self,
        predicate: Callable[[Call], bool],
        timeout: float = 10.0,
        *,
        since: int = 0,
        check: Callable[[], None] | None = None,
    ) -> Call:
        """Wait (from another thread than the bot's) until a recorded call from index
        ``since`` on matches; fail at once on a violation, an unexpected call or when
        ``check`` raises, and after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for call in self.calls[since:]:
                    if predicate(call):
                        return call
                if self.violations or self.unexpected or self.internal_errors:
                    raise AssertionError(self.report())
                if check is not None:
                    check()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    recent = "\n".join(f"  {c}" for c in self.calls[-8:])
                    raise AssertionError(f"no matching call in {timeout}s; last calls:\n{recent}")
                self.cond.wait(min(remaining, 0.1))

    def wait_for_text(
        self,
        chat_id: int,
        fragment: str,
        timeout: float = 10.0,
        *,
        since: int = 0,
        method: str = "sendMessage",
        check: Callable[[], None] | None = None,
    ) -> Call:
        """Wait for a successful ``method`` call to ``chat_id`` whose visible text has
        ``fragment``."""
        return self.wait_for(
            lambda c: (
                c.method.lower() == method.lower()
                and c.ok
                and c.chat_id == chat_id
                and fragment in c.text
            ),
            timeout,
            since=since,
            check=check,
        )

    @property
    def rejected(self) -> list[Call]:
        """Calls Telegram refused for the bot's own doing (not injected failures)."""
        with self.cond:
            return [c for c in self.calls if c.error is not None and not c.injected]

    def report(self) -> str:
        """Everything that went wrong, each with the request that caused it."""
        with self.cond:
            parts = [f"spec violation: {c}" for c in self.violations]
            parts += [f"unexpected call: {c}" for c in self.unexpected]
            parts += [f"refused by Telegram: {c}" for c in self.rejected]
            parts += [f"fake Bot API crashed:\n{t}" for t in self.internal_errors]
        return "\n".join(parts)

    def assert_clean(self) -> None:
        """Fail with every violation, unexpected call, refusal and internal error, if any."""
        if problems := self.report():
            raise AssertionError(f"the bot misused the Bot API:\n{problems}")

    # -- users ----------------------------------------------------------------------------------

    def text_update(
        self,
        user_id: int,
        text: str,
        language_code: str = "nl",
        entities: list[JSON] | None = None,
        first_name: str = "Test",
    ) -> JSON:
        """An update with a text message from ``user_id``, not queued (e.g. for a webhook)."""
        with self.cond:
            chat = self._chat(user_id, first_name)
            message: JSON = {
                "message_id": self._next_message_id(user_id),
                "from": user_json(user_id, language_code, first_name),
                "chat": dict(chat),
                "date": int(time.time()),
                "text": text,
            }
            if entities:
                message["entities"] = entities
            return {"update_id": next(self._update_ids), "message": message}

    def command_update(
        self, user_id: int, command: str, args: str = "", language_code: str = "nl"
    ) -> JSON:
        """``/command args`` with the bot_command entity Telegram adds, not queued."""
        command = command if command.startswith("/") else f"/{command}"
        entity = {"type": "bot_command", "offset": 0, "length": len(command)}
        text = f"{command} {args}" if args else command
        return self.text_update(user_id, text, language_code, [entity])

    def callback_update(
        self, user_id: int, data: str, message_id: int, language_code: str = "nl"
    ) -> JSON:
        """A tap on the button ``data`` under the bot's message ``message_id``, not queued.

        The query travels with the message as it is now; it stays open until answered.
        """
        with self.cond:
            message = self._messages.get(user_id, {}).get(message_id)
            if message is None and self.strict:
                raise AssertionError(f"the bot sent no message {message_id} to chat {user_id}")
            shown = message.as_json() if message is not None else self._unseen(user_id, message_id)
            query_id = f"{user_id}{next(self._query_ids):06d}"
            self._open_queries.add(query_id)
            query = {
                "id": query_id,
                "from": user_json(user_id, language_code),
                "message": shown,
                "chat_instance": f"ci-{user_id}",
                "data": data,
            }
            return {"update_id": next(self._update_ids), "callback_query": query}

    def push_text(self, user_id: int, text: str, language_code: str = "nl") -> int:
        """Queue a private text message from ``user_id``; returns the update_id."""
        return self.queue(self.text_update(user_id, text, language_code))

    def push_command(
        self, user_id: int, command: str, args: str = "", language_code: str = "nl"
    ) -> int:
        """Queue ``/command args``; returns the update_id."""
        return self.queue(self.command_update(user_id, command, args, language_code))

    def push_callback(
        self,
        user_id: int,
        data: str,
        message_id: int,
        language_code: str = "nl",
        *,
        strict: bool = True,
    ) -> int:
        """Queue a tap on ``data`` under ``message_id``; with ``strict`` the button must be
        shown right now, as for a user."""
        with self.cond:
            message = self._messages.get(user_id, {}).get(message_id)
            shown = message.buttons() if message is not None else []
            if strict and message is not None and data not in shown:
                raise AssertionError(f"message {message_id} shows no button {data!r}: {shown}")
            return self.queue(self.callback_update(user_id, data, message_id, language_code))

    def tap(
        self, user_id: int, prefix: str, suffix: str = "", language_code: str = "nl"
    ) -> tuple[int, str]:
        """Queue a tap on the newest button to ``user_id`` whose data starts with ``prefix``
        (and ends with ``suffix``); returns the message_id and the data."""
        message_id, data = self.find_button(user_id, prefix, suffix)
        self.push_callback(user_id, data, message_id, language_code)
        return message_id, data

    def find_button(self, chat_id: int, prefix: str, suffix: str = "") -> tuple[int, str]:
        """The newest bot message in ``chat_id`` that currently shows a button whose
        callback_data starts with ``prefix`` (and ends with ``suffix``): message_id, data."""
        with self.cond:
            for message in reversed(self._messages.get(chat_id, {}).values()):
                for data in message.buttons():
                    if data.startswith(prefix) and data.endswith(suffix):
                        return message.message_id, data
        raise AssertionError(f"no button {prefix!r}…{suffix!r} is shown in chat {chat_id}")

    def showing(self, chat_id: int, prefix: str) -> list[int]:
        """The bot's messages in ``chat_id`` that now show a button whose callback_data starts
        with ``prefix`` (after edits and removed keyboards): their ids, oldest first."""
        with self.cond:
            return [
                m.message_id
                for m in self._messages.get(chat_id, {}).values()
                if any(data.startswith(prefix) for data in m.buttons())
            ]

    def texts_in(self, chat_id: int) -> list[str]:
        """The visible texts of the bot's messages kept in ``chat_id``, oldest first."""
        with self.cond:
            messages = self._messages.get(chat_id, {}).values()
            return [text for m in messages if (text := m.text) is not None]

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """The bot's message as it is now (after edits), or None if absent or deleted."""
        with self.cond:
            message = self._messages.get(chat_id, {}).get(message_id)
            return None if message is None else message.as_json()

    def queue(self, update: JSON) -> int:
        """Add ``update`` to the queue getUpdates serves; returns its update_id."""
        with self.cond:
            if "update_id" not in update:
                update = {"update_id": next(self._update_ids), **update}
            self.updates.append(update)
            self.cond.notify_all()
            return int(update["update_id"])

    def confirm(self, offset: object) -> None:
        """Forget updates below ``offset`` (or all but the last ``-offset``)."""
        if not isinstance(offset, int) or offset == 0:
            return
        with self.cond:
            if offset < 0:
                del self.updates[:offset]
            else:
                self.updates[:] = [u for u in self.updates if u["update_id"] >= offset]

    def pending(self, allowed: object) -> list[JSON]:
        """The queued updates of the ``allowed`` kinds (all when none are named)."""
        with self.cond:
            if not isinstance(allowed, list) or not allowed:
                return list(self.updates)
            return [u for u in self.updates if set(u) & set(allowed)]

    # -- the world ------------------------------------------------------------------------------

    def _chat(self, chat_id: int, first_name: str = "Test") -> JSON:
        if chat_id not in self._chats:
            self._chats[chat_id] = chat_json(chat_id, "private", first_name)
        return self._chats[chat_id]

    def _next_message_id(self, chat_id: int) -> int:
        if self.lean:  # one counter for all chats: no state per chat
            chat_id = 0
        ids = self._message_ids.get(chat_id)
        if ids is None:
            ids = self._message_ids[chat_id] = itertools.count(self.first_message_id)
        return next(ids)

    def _unseen(self, chat_id: int, message_id: int) -> JSON:
        """A message the model never saw (lenient mode): enough for PTB to parse a query."""
        chat = self._chat(chat_id)
        return Message(chat, message_id, int(time.time()), {"text": "..."}).as_json()

    def _target_chat(self, call: Call) -> JSON:
        chat_id = call.chat_id
        if chat_id is None:
            raise Rejected(400, "Bad Request: chat not found")
        if chat_id not in self._chats:
            if self.strict:  # a user who never wrote to the bot cannot be messaged
                raise Rejected(403, "Forbidden: bot can't initiate conversation with a user")
            chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
            if self.history == 0:
                return chat
            self._chats[chat_id] = chat
        return self._chats[chat_id]

    def _existing(self, call: Call, verb: str, *, text_only: bool = False) -> Message:
        if "inline_message_id" in call.params:
            raise Rejected(400, "Bad Request: inline messages are not used by this bot")
        chat = self._target_chat(call)
        message_id = call.params.get("message_id")
        if isinstance(message_id, str) and message_id.isdigit():
            message_id = int(message_id)
        kept = self._messages.get(chat["id"], {})
        message = kept.get(message_id) if isinstance(message_id, int) else None
        if message is None:
            if self.strict or not isinstance(message_id, int):
                raise Rejected(400, f"Bad Request: message to {verb} not found")
            message = Message(chat, message_id, int(time.time()), {"text": "..."})
            self._keep(message)
        if self.strict and verb == "edit" and text_only and message.text is None:
            raise Rejected(400, "Bad Request: there is no text in the message to edit")
        return message

    def _keep(self, message: Message) -> None:
        if self.history == 0:
            return
        kept = self._messages.setdefault(message.chat["id"], {})
        kept[message.message_id] = message
        if self.history is not None and len(kept) > self.history:
            del kept[next(iter(kept))]

    def _send(self, call: Call, media_key: str | None = None) -> JSON:
        chat = self._target_chat(call)
        message_id = self._next_message_id(chat["id"])
        message = Message.written(chat, message_id, call.params, lean=self.lean)
        if media_key is not None and not self.lean:
            message.media = _media(media_key, call, message.message_id)
        self._keep(message)
        return message.as_json(lean=self.lean)

    def _edit(self, call: Call, *, text: bool) -> JSON:
        message = self._existing(call, "edit", text_only=text)
        if text:
            params = dict(call.params)
        else:  # the text stays; the markup is what the call says (none: no buttons)
            kept = {k: v for k, v in message.params.items() if k != "reply_markup"}
            params = {**kept, **call.params}
        if (
            self.strict
            and visible(params, "text") == message.text
            and _markup(params) == _markup(message.params)
        ):
            raise Rejected(400, NOT_MODIFIED)
        written = Message.written(message.chat, message.message_id, params, lean=self.lean)
        message.params, message.data = written.params, written.data
        message.edit_date = int(time.time())
        return message.as_json(lean=self.lean)

    def _answer_query(self, call: Call) -> bool:
        query_id = str(call.params.get("callback_query_id"))
        if query_id not in self._open_queries and self.strict:
            raise Rejected(400, QUERY_TOO_OLD)
        self._open_queries.discard(query_id)
        return True

    def _delete(self, call: Call) -> bool:
        message = self._existing(call, "delete")
        self._messages.get(message.chat["id"], {}).pop(message.message_id, None)
        return True

    def forget_messages(self) -> None:
        """Drop every kept chat and message (e.g. before a memory measurement)."""
        with self.cond:
            self._chats.clear()
            self._messages.clear()


def _markup(params: Mapping[str, object]) -> object:
    """The inline keyboard ``params`` show, or None (PTB sends {} for no buttons)."""
    markup = params.get("reply_markup")
    return markup if isinstance(markup, dict) and markup.get("inline_keyboard") else None


def _media(kind: str, call: Call, message_id: int) -> JSON:
    value = call.params.get(kind)
    file: JSON = {"file_id": f"{kind}-{message_id}", "file_unique_id": f"u-{kind}-{message_id}"}
    if isinstance(value, UploadedFile):
        file["file_size"] = len(value.data)
    if kind == "photo":
        return {"photo": [{**file, "width": 800, "height": 600}]}
    if isinstance(value, UploadedFile):
        file["file_name"] = value.filename
        file["mime_type"] = value.mimetype
    return {kind: file}


def _shorten(value: object) -> object:
    if isinstance(value, str) and len(value) > 80:
        return f"{value[:70]}...(+{len(value) - 70} chars)"
    if isinstance(value, UploadedFile):
        return f"<file {value.filename}, {len(value.data)} bytes>"
    return value
