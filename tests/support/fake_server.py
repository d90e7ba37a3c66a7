"""A Bot API over HTTP on 127.0.0.1, for end-to-end tests of the real bot process.

``FakeBotApi`` is a ``ThreadingHTTPServer`` in a background thread. It answers
``POST /bot<token>/<method>`` with JSON, form-urlencoded or multipart bodies the way Telegram
does, checks the token, validates every call with :class:`~tests.support.botapi.Spec` and keeps
a small world: chats, the bot's messages (text and buttons as they currently are), callback
queries waiting for an answer, and an update queue served by long-polling ``getUpdates``.

A test plays users with ``push_text`` / ``push_command`` / ``push_callback`` (or ``tap``), waits
for the bot with ``wait_for``, and finally calls ``assert_clean()``: a call that broke the spec
(answered 400 like Telegram would), an unknown method or token (404/401), a refusal Telegram
would have given (editing a missing message, answering a query twice, ...) or a crash inside
this fake all fail the test with the request shown. Everything is guarded by one lock, so the
test thread and the request threads may use the server at the same time.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import sys
import threading
import time
import traceback
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from tests.support.botapi import Spec, UploadedFile, load_spec, parse_html

JSON = dict[str, Any]

BOT_ID: Final = 999
BOT_USERNAME: Final = "canvas_test_bot"
_SCALARS: Final = frozenset({"String", "Integer", "Float", "Boolean", "InputFile"})
_INTEGER: Final = re.compile(r"-?\d+")
_DISPOSITION_PARAM: Final = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class Rejected(Exception):  # noqa: N818 - a Telegram answer, not a failure of the fake
    """Telegram's refusal of a call: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, error_code: int, description: str, **parameters: object) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters


@dataclass
class Call:
    """One request the bot made, and how this server answered it.

    ``params`` are the values as Telegram understands them (JSON-encoded objects decoded,
    numeric ids as ``int``, uploads as :class:`UploadedFile`); ``wire`` is what arrived.
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
        return value if isinstance(value, int) else None

    @property
    def text(self) -> str:
        """The text or caption as the user sees it (HTML tags removed)."""
        for key in ("text", "caption"):
            value = self.params.get(key)
            if isinstance(value, str):
                mode = self.params.get("parse_mode")
                html = isinstance(mode, str) and mode.lower() == "html"
                return parse_html(value)[0] if html else value
        return ""

    @property
    def files(self) -> dict[str, UploadedFile]:
        return {k: v for k, v in self.params.items() if isinstance(v, UploadedFile)}

    def buttons(self) -> list[str]:
        """The callback_data of every inline button this call shows."""
        return _button_data(self.params.get("reply_markup"))

    def __str__(self) -> str:
        shown = {k: _shorten(v) for k, v in self.params.items()}
        outcome = self.error or "ok"
        lines = [f"{self.method}({shown}) -> {outcome}"]
        lines.extend(f"    - {problem}" for problem in self.problems)
        return "\n".join(lines)


@dataclass
class _Message:
    """A message in a chat as Telegram keeps it; only the bot's messages are kept."""

    chat: JSON
    message_id: int
    date: int
    text: str | None = None
    caption: str | None = None
    reply_markup: JSON | None = None
    edit_date: int | None = None
    media: JSON = field(default_factory=dict)
    uploads: dict[str, UploadedFile] = field(default_factory=dict)

    def as_json(self) -> JSON:
        message: JSON = {
            "message_id": self.message_id,
            "from": _bot_user(),
            "chat": dict(self.chat),
            "date": self.date,
            **self.media,
        }
        if self.text is not None:
            message["text"] = self.text
        if self.caption is not None:
            message["caption"] = self.caption
        if self.reply_markup is not None:
            message["reply_markup"] = self.reply_markup
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        return message


@dataclass
class _Webhook:
    url: str = ""
    secret_token: str | None = None


class FakeBotApi:
    """A thread-safe fake of the Telegram Bot API server; start it with ``with`` or ``start()``."""

    def __init__(
        self,
        token: str | None = None,
        *,
        spec: Spec | None = None,
        max_poll_wait: float = 5.0,
    ) -> None:
        self.token = token or f"{BOT_ID}:AAE2E-{secrets.token_urlsafe(24)}"
        self.spec = spec or load_spec()
        self.max_poll_wait = max_poll_wait  # getUpdates never blocks longer than this
        self.calls: list[Call] = []
        self.violations: list[Call] = []  # calls that broke the spec (answered 400)
        self.unexpected: list[Call] = []  # unknown methods, wrong tokens, other paths
        self.internal_errors: list[str] = []  # bugs in this fake, with their traceback
        self.webhook = _Webhook()
        self._cond = threading.Condition(threading.RLock())
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._chats: dict[int, JSON] = {}
        self._messages: dict[tuple[int, int], _Message] = {}
        self._open_queries: set[str] = set()
        self._failures: dict[str, list[Rejected]] = {}
        self._stopping = False
        self._responders: dict[str, Callable[[Call], object]] = {
            "getme": self._get_me,
            "getupdates": lambda _: [],  # answered by _get_updates, which may block
            "sendmessage": self._send,
            "sendphoto": lambda call: self._send(call, "photo"),
            "senddocument": lambda call: self._send(call, "document"),
            "editmessagetext": lambda call: self._edit(call, text=True),
            "editmessagereplymarkup": lambda call: self._edit(call, text=False),
            "answercallbackquery": self._answer_query,
            "deletemessage": self._delete,
            "setmycommands": lambda _: True,
            "setchatmenubutton": lambda _: True,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._webhook_info,
        }
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeBotApi:
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.api = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-bot-api"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake every long poll, stop serving and wait for the request threads."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()  # joins the request threads (block_on_close)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The root URL to pass as TELEGRAM_BASE_URL."""
        if self._httpd is None:
            raise RuntimeError("the fake Bot API is not running")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # -- playing users --------------------------------------------------------------------------

    def push_text(
        self,
        user_id: int,
        text: str,
        language_code: str = "nl",
        *,
        entities: list[JSON] | None = None,
        first_name: str = "Test",
    ) -> int:
        """Queue a private text message from ``user_id``; returns the update_id."""
        return self._queue(self.text_update(user_id, text, language_code, entities, first_name))

    def push_command(
        self, user_id: int, command: str, args: str = "", language_code: str = "nl"
    ) -> int:
        """Queue ``/command args`` with the bot_command entity Telegram adds."""
        return self._queue(self.command_update(user_id, command, args, language_code))

    def push_callback(
        self,
        user_id: int,
        data: str,
        message_id: int,
        language_code: str = "nl",
        *,
        strict: bool = True,
    ) -> int:
        """Queue a tap on the button ``data`` under the bot's message ``message_id``.

        The message must be one the bot sent to this user's chat; it travels with its current
        text and buttons. With ``strict`` the button must be shown right now, as for a user.
        """
        with self._cond:
            message = self._messages.get((user_id, message_id))
            if message is None:
                raise AssertionError(f"the bot sent no message {message_id} to chat {user_id}")
            shown = _button_data(message.reply_markup)
            if strict and data not in shown:
                raise AssertionError(f"message {message_id} shows no button {data!r}: {shown}")
            query_id = f"{user_id}{next(self._query_ids):06d}"
            self._open_queries.add(query_id)
            query = {
                "id": query_id,
                "from": _user(user_id, language_code),
                "message": message.as_json(),
                "chat_instance": f"ci-{user_id}",
                "data": data,
            }
            return self._queue({"callback_query": query})

    def tap(
        self, user_id: int, prefix: str, suffix: str = "", language_code: str = "nl"
    ) -> tuple[int, str]:
        """Tap the newest button to ``user_id`` whose data starts with ``prefix`` (and ends
        with ``suffix``); returns the message_id and the data."""
        message_id, data = self.find_button(user_id, prefix, suffix)
        self.push_callback(user_id, data, message_id, language_code)
        return message_id, data

    def find_button(self, chat_id: int, prefix: str, suffix: str = "") -> tuple[int, str]:
        """The newest bot message in ``chat_id`` that currently shows a button whose
        callback_data starts with ``prefix`` (and ends with ``suffix``): message_id, data."""
        with self._cond:
            messages = sorted(
                (m for (chat, _), m in self._messages.items() if chat == chat_id),
                key=lambda m: m.message_id,
                reverse=True,
            )
            for message in messages:
                for data in _button_data(message.reply_markup):
                    if data.startswith(prefix) and data.endswith(suffix):
                        return message.message_id, data
        raise AssertionError(f"no button {prefix!r}…{suffix!r} is shown in chat {chat_id}")

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """The bot's message as it is now (after edits), or None if absent or deleted."""
        with self._cond:
            message = self._messages.get((chat_id, message_id))
            return None if message is None else message.as_json()

    def text_update(
        self,
        user_id: int,
        text: str,
        language_code: str = "nl",
        entities: list[JSON] | None = None,
        first_name: str = "Test",
    ) -> JSON:
        """An update with a text message from ``user_id``, not queued (e.g. for a webhook)."""
        with self._cond:
            chat = self._chat(user_id, first_name)
            message: JSON = {
                "message_id": self._next_message_id(user_id),
                "from": _user(user_id, language_code, first_name),
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
        command = command if command.startswith("/") else f"/{command}"
        entity = {"type": "bot_command", "offset": 0, "length": len(command)}
        text = f"{command} {args}" if args else command
        return self.text_update(user_id, text, language_code, [entity])

    def post_to_webhook(self, update: JSON, secret_token: str | None = "") -> int:
        """POST ``update`` to the webhook the bot set, as Telegram would; the HTTP status.

        ``secret_token`` defaults to the one the bot registered; None sends no header.
        """
        with self._cond:
            url = self.webhook.url
            secret = self.webhook.secret_token if secret_token == "" else secret_token
        if not url:
            raise AssertionError("the bot has not set a webhook")
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        request = urllib.request.Request(  # noqa: S310 - the URL the bot set, on loopback
            url, data=json.dumps(update).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as error:
            with error:
                return int(error.code)

    # -- test controls --------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str,
        *,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``times`` valid calls of ``method`` with a Telegram error."""
        parameters = {} if retry_after is None else {"retry_after": retry_after}
        with self._cond:
            queue = self._failures.setdefault(method.lower(), [])
            queue.extend(Rejected(error_code, description, **parameters) for _ in range(times))

    def mark(self) -> int:
        """The number of calls so far: pass it as ``since`` to look only at later calls."""
        with self._cond:
            return len(self.calls)

    def wait_for(
        self,
        predicate: Callable[[Call], bool],
        timeout: float = 10.0,
        *,
        since: int = 0,
        check: Callable[[], None] | None = None,
    ) -> Call:
        """Wait until a recorded call (from index ``since`` on) matches; return it.

        Fails at once when a violation or an unexpected call is recorded, or when ``check``
        raises (e.g. because the bot process died), and after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
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
                self._cond.wait(min(remaining, 0.1))

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

    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        """Recorded calls of ``method`` (any case), optionally to one chat, oldest first."""
        with self._cond:
            return [
                c
                for c in self.calls
                if c.method.lower() == method.lower() and (chat_id is None or c.chat_id == chat_id)
            ]

    def sent_texts(self, chat_id: int) -> list[str]:
        """Visible texts of the successful sendMessage calls to ``chat_id``."""
        return [c.text for c in self.calls_to("sendMessage", chat_id) if c.ok]

    @property
    def rejected(self) -> list[Call]:
        """Calls Telegram would have refused for the bot's own doing (not injected failures)."""
        with self._cond:
            reported = {id(c) for c in self.violations + self.unexpected}
            return [
                c
                for c in self.calls
                if c.error is not None and not c.injected and id(c) not in reported
            ]

    def report(self) -> str:
        """Everything that went wrong, each with the request that caused it."""
        with self._cond:
            parts = [f"spec violation: {c}" for c in self.violations]
            parts += [f"unexpected call: {c}" for c in self.unexpected]
            parts += [f"refused by Telegram: {c}" for c in self.rejected]
            parts += [f"fake Bot API crashed:\n{t}" for t in self.internal_errors]
        return "\n".join(parts)

    def assert_clean(self) -> None:
        """Fail with every violation, unexpected call, refusal and internal error, if any."""
        if problems := self.report():
            raise AssertionError(f"the bot misused the Bot API:\n{problems}")

    # -- serving (request threads) --------------------------------------------------------------

    def handle(self, path: str, content_type: str, body: bytes) -> tuple[int, JSON]:
        """Answer one HTTP request; runs on a request thread."""
        route = urllib.parse.urlsplit(path)
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", route.path)
        if match is None:
            self._record_unexpected(Call(f"? {route.path.split('/bot')[0] or '/'}", {}))
            return _error(Rejected(404, "Not Found"))
        token, method = match.groups()
        try:
            wire = _parse_body(content_type, body)
        except (ValueError, UnicodeDecodeError) as exc:
            call = Call(method, {}, content_type=content_type, problems=[f"bad body: {exc}"])
            return self._answer_violation(call)
        wire = {**dict(urllib.parse.parse_qsl(route.query)), **wire}
        call = Call(method, self._decoded(method, wire), wire, content_type)
        if not secrets.compare_digest(token.encode(), self.token.encode()):
            call.params, call.wire = {}, {}  # keep nothing that came with a wrong token
            self._record_unexpected(call, Rejected(401, "Unauthorized"))
            return _error(Rejected(401, "Unauthorized"))
        key = method.lower()
        if self.spec.method(method) is None or key not in self._responders:
            call.problems = self.spec.check(method, wire)
            self._record_unexpected(call, Rejected(404, "Not Found"))
            return _error(Rejected(404, "Not Found"))
        if problems := self.spec.check(method, wire):
            call.problems = problems
            return self._answer_violation(call)
        if key == "getupdates":
            return self._get_updates(call)
        with self._cond:
            try:
                if failures := self._failures.get(key):
                    call.injected = True
                    raise failures.pop(0)
                call.result = self._responders[key](call)
            except Rejected as rejected:
                call.status = rejected.error_code
                call.error = f"{rejected.error_code} {rejected.description}"
                self._record(call)
                return _error(rejected)
            self._record(call)
            return 200, {"ok": True, "result": call.result}

    def record_crash(self) -> None:
        with self._cond:
            self.internal_errors.append(traceback.format_exc())
            self._cond.notify_all()

    def _answer_violation(self, call: Call) -> tuple[int, JSON]:
        rejected = Rejected(400, f"Bad Request: {call.problems[0]}")
        call.status, call.error = 400, f"400 {rejected.description}"
        with self._cond:
            self.violations.append(call)
            self._record(call)
        return _error(rejected)

    def _record_unexpected(self, call: Call, rejected: Rejected | None = None) -> None:
        rejected = rejected or Rejected(404, "Not Found")
        call.status, call.error = (
            rejected.error_code,
            f"{rejected.error_code} {rejected.description}",
        )
        with self._cond:
            self.unexpected.append(call)
            self._record(call)

    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def _decoded(self, method: str, wire: Mapping[str, object]) -> dict[str, object]:
        """The values as Telegram reads them, using the spec's field types."""
        definition = self.spec.method(method)
        fields = definition.fields if definition else {}
        out: dict[str, object] = {}
        for name, value in wire.items():
            types = set(fields[name].types) if name in fields else set()
            out[name] = _typed(value, types) if isinstance(value, str) else value
        return out

    def _get_updates(self, call: Call) -> tuple[int, JSON]:
        params = call.params
        offset = params.get("offset")
        limit = params.get("limit")
        timeout = params.get("timeout")
        allowed = params.get("allowed_updates")
        limit = limit if isinstance(limit, int) and 1 <= limit <= 100 else 100
        wait = min(float(timeout), self.max_poll_wait) if isinstance(timeout, int) else 0.0
        deadline = time.monotonic() + wait
        with self._cond:
            if self.webhook.url:
                call.status, call.error = 409, "409 Conflict: webhook is active"
                self._record(call)
                return _error(
                    Rejected(
                        409,
                        "Conflict: can't use getUpdates method while webhook is active; "
                        "use deleteWebhook to delete the webhook first",
                    )
                )
            self._confirm(offset)
            self._record(call)
            while not self._pending(allowed) and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
                self._confirm(offset)
            call.result = self._pending(allowed)[:limit]
            return 200, {"ok": True, "result": call.result}

    def _confirm(self, offset: object) -> None:
        """Forget updates below ``offset`` (or all but the last ``-offset``)."""
        if not isinstance(offset, int) or offset == 0:
            return
        if offset < 0:
            del self._updates[:offset]
        else:
            self._updates[:] = [u for u in self._updates if u["update_id"] >= offset]

    def _pending(self, allowed: object) -> list[JSON]:
        if not isinstance(allowed, list) or not allowed:
            return list(self._updates)
        return [u for u in self._updates if set(u) & set(allowed)]

    def _queue(self, update: JSON) -> int:
        with self._cond:
            if "update_id" not in update:
                update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
            self._cond.notify_all()
            return int(update["update_id"])

    # -- the world ------------------------------------------------------------------------------

    def _chat(self, chat_id: int, first_name: str = "Test") -> JSON:
        if chat_id not in self._chats:
            self._chats[chat_id] = {"id": chat_id, "type": "private", "first_name": first_name}
        return self._chats[chat_id]

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _get_me(self, _: Call) -> JSON:
        return {
            **_bot_user(),
            "id": int(self.token.split(":")[0]),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _target_chat(self, call: Call) -> JSON:
        chat_id = call.params.get("chat_id")
        if not isinstance(chat_id, int):
            raise Rejected(400, "Bad Request: chat not found")
        chat = self._chats.get(chat_id)
        if chat is None:
            # A user who never wrote to the bot cannot be messaged.
            raise Rejected(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _existing(self, call: Call, verb: str, *, text_only: bool = False) -> _Message:
        if "inline_message_id" in call.params:
            raise Rejected(400, "Bad Request: inline messages are not used by this bot")
        chat = self._target_chat(call)
        message_id = call.params.get("message_id")
        message = (
            self._messages.get((chat["id"], message_id)) if isinstance(message_id, int) else None
        )
        if message is None:
            raise Rejected(400, f"Bad Request: message to {verb} not found")
        if verb == "edit" and text_only and message.text is None:
            raise Rejected(400, "Bad Request: there is no text in the message to edit")
        return message

    def _send(self, call: Call, media_key: str | None = None) -> JSON:
        chat = self._target_chat(call)
        message = _Message(chat, self._next_message_id(chat["id"]), int(time.time()))
        visible = call.text or None
        if media_key is None:
            message.text = visible
        else:
            message.caption = visible
            message.media = _media(media_key, call, message.message_id)
            message.uploads = call.files
        markup = call.params.get("reply_markup")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            message.reply_markup = markup
        self._messages[chat["id"], message.message_id] = message
        return message.as_json()

    def _edit(self, call: Call, *, text: bool) -> JSON:
        message = self._existing(call, "edit", text_only=text)
        new_text = call.text if text else message.text
        markup = call.params.get("reply_markup")
        new_markup = markup if isinstance(markup, dict) and markup.get("inline_keyboard") else None
        if new_text == message.text and new_markup == message.reply_markup:
            raise Rejected(400, _NOT_MODIFIED)
        message.text, message.reply_markup = new_text, new_markup
        message.edit_date = int(time.time())
        return message.as_json()

    def _answer_query(self, call: Call) -> bool:
        query_id = str(call.params.get("callback_query_id"))
        if query_id not in self._open_queries:
            raise Rejected(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is "
                "invalid",
            )
        self._open_queries.discard(query_id)
        return True

    def _delete(self, call: Call) -> bool:
        message = self._existing(call, "delete")
        del self._messages[message.chat["id"], message.message_id]
        return True

    def _set_webhook(self, call: Call) -> bool:
        secret = call.params.get("secret_token")
        self.webhook = _Webhook(
            str(call.params.get("url", "")), secret if isinstance(secret, str) else None
        )
        return True

    def _delete_webhook(self, call: Call) -> bool:
        if call.params.get("drop_pending_updates") is True:
            self._updates.clear()
        self.webhook = _Webhook()
        return True

    def _webhook_info(self, _: Call) -> JSON:
        return {
            "url": self.webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }


# -- HTTP plumbing ------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for the request threads
    api: FakeBotApi

    def handle_error(self, request: object, client_address: object) -> None:
        del request, client_address
        # A client that went away (e.g. a killed bot) is not a failure of the fake.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            self.api.record_crash()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10  # a connection that sends nothing does not hold a thread forever

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        self._reply(*self.server.api.handle(self.path, content_type, body))

    def do_GET(self) -> None:
        self._reply(*self.server.api.handle(self.path, "", b""))

    def _reply(self, status: int, payload: JSON) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request line holds the token."""


def _error(rejected: Rejected) -> tuple[int, JSON]:
    body: JSON = {
        "ok": False,
        "error_code": rejected.error_code,
        "description": rejected.description,
    }
    if rejected.parameters:
        body["parameters"] = rejected.parameters
    return rejected.error_code, body


def _parse_body(content_type: str, body: bytes) -> dict[str, object]:
    kind = content_type.split(";", maxsplit=1)[0].strip().lower()
    if not body:
        return {}
    if kind == "application/json":
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("a JSON body must be an object")
        return data
    if kind == "application/x-www-form-urlencoded":
        return dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
    if kind == "multipart/form-data":
        return _parse_multipart(content_type, body)
    raise ValueError(f"unsupported content type {content_type!r}")


def _parse_multipart(content_type: str, body: bytes) -> dict[str, object]:
    """Fields as strings, file parts as :class:`UploadedFile` (bytes and filename kept)."""
    boundary = re.search(r'boundary="?([^";]+)"?', content_type)
    if boundary is None:
        raise ValueError("multipart body without a boundary")
    out: dict[str, object] = {}
    for chunk in body.split(b"--" + boundary.group(1).encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, sep, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("multipart part without headers")
        data = data.removesuffix(b"\r\n")
        headers = {}
        for line in head.decode().split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        params = dict(_DISPOSITION_PARAM.findall(headers.get("content-disposition", "")))
        if "name" not in params:
            raise ValueError("multipart part without a name")
        if "filename" in params:
            mimetype = headers.get("content-type", "application/octet-stream")
            out[params["name"]] = UploadedFile(params["filename"], data, mimetype)
        else:
            out[params["name"]] = data.decode()
    return out


def _typed(value: str, types: set[str]) -> object:
    """A form-posted string as the value Telegram reads from it."""
    if types and not types & _SCALARS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if "Integer" in types and _INTEGER.fullmatch(value):
        return int(value)
    if types == {"Boolean"} and value in ("true", "false"):
        return value == "true"
    return value


def _bot_user() -> JSON:
    return {"id": BOT_ID, "is_bot": True, "first_name": "Canvas", "username": BOT_USERNAME}


def _user(user_id: int, language_code: str, first_name: str = "Test") -> JSON:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": language_code,
    }


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


def _button_data(markup: object) -> list[str]:
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return [
        str(button["callback_data"])
        for row in rows
        for button in row
        if isinstance(button, dict) and "callback_data" in button
    ]


def _shorten(value: object) -> object:
    if isinstance(value, str) and len(value) > 80:
        return f"{value[:70]}...(+{len(value) - 70} chars)"
    if isinstance(value, UploadedFile):
        return f"<file {value.filename}, {len(value.data)} bytes>"
    return value
