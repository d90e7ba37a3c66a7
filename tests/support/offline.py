"""A PTB request backend that never touches the network and checks every call against the spec.

``OfflineRequest`` plugs into ``ApplicationBuilder().request(...)`` (and ``get_updates_request``).
Each Bot API call is decoded, validated with :class:`~tests.support.botapi.Spec`, recorded as a
:class:`Call` and answered with a plausible Telegram response. A call Telegram would reject
raises :class:`OfflineViolation` (an ``AssertionError``) and is kept in ``violations``, because
PTB's ``Application`` hands handler exceptions to error handlers instead of the test.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from tests.support.botapi import BotApiViolation, Spec, UploadedFile, load_spec, parse_html

BOT_USER: Final[Mapping[str, Any]] = {
    "id": 999,
    "is_bot": True,
    "first_name": "Canvas",
    "username": "canvas_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
    "can_connect_to_business": False,
    "has_main_web_app": False,
}


class OfflineViolation(BotApiViolation, TelegramError):  # noqa: N818 - pairs BotApiViolation
    """A spec violation that PTB lets through unchanged (it re-raises ``TelegramError`` as is;
    any other exception from a request backend becomes a ``NetworkError``)."""

    def __init__(self, method: str, params: Mapping[str, object], violations: Sequence[str]):
        BotApiViolation.__init__(self, method, params, violations)
        self.message = str(self.args[0])


class UnexpectedCall(OfflineViolation):
    """A Bot API method this fake has no response for: the code under test did something new."""

    def __init__(self, method: str, params: Mapping[str, object]):
        super().__init__(method, params, [f"unexpected network call {method!r}: no response"])


@dataclass
class Call:
    """One request the bot made; ``error`` says how an injected failure answered it."""

    method: str
    params: dict[str, object]
    files: dict[str, bytes] = field(default_factory=dict)
    filenames: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    result: object = None  # what the fake Bot API answered, e.g. the sent Message


Responder = Callable[["OfflineRequest", Call], object]
_Answer = Callable[[Call], tuple[int, bytes]]  # an injected failure


class OfflineRequest(BaseRequest):
    """In-memory Bot API: validates, records and answers calls; can inject failures."""

    def __init__(self, spec: Spec | None = None, *, poll_delay: float = 0.05, lean: bool = False):
        self.spec = spec or load_spec()
        # lean: for load tests only. No spec check, and answers carry no echoed text or
        # buttons, so the cost measured is the bot's, not this fake's or PTB's parsing.
        self.lean = lean
        self.poll_delay = poll_delay  # getUpdates "long-polls" this long, so polling won't spin
        self.calls: list[Call] = []
        self.violations: list[OfflineViolation] = []
        self.responses: dict[str, Responder | object] = {}
        self._failures: defaultdict[str, deque[_Answer]] = defaultdict(deque)
        self._message_ids = itertools.count(1001)

    # -- BaseRequest ----------------------------------------------------------------------------

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        call = _decode(api_method, request_data)
        if method != "POST":  # Bot.get_file().download_*: a GET of a file URL
            raise self._remember(UnexpectedCall(f"{method} {url}", call.params))
        # Yield like a real round trip would; everything below runs without awaiting, so
        # concurrent calls never interleave inside the bookkeeping.
        key = api_method.lower()
        await asyncio.sleep(self.poll_delay if key == "getupdates" else 0)
        if not self.lean and (problems := self.spec.check(api_method, call.params)):
            raise self._remember(OfflineViolation(api_method, call.params, problems))
        if failures := self._failures.get(key):
            self.calls.append(call)
            return failures.popleft()(call)
        responder = self.responses.get(key, _RESPONSES.get(key))
        if responder is None:
            raise self._remember(UnexpectedCall(api_method, call.params))
        self.calls.append(call)
        result = responder(self, call) if callable(responder) else responder
        call.result = result
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def next_message_id(self) -> int:
        return next(self._message_ids)

    def _remember(self, violation: OfflineViolation) -> OfflineViolation:
        self.violations.append(violation)
        return violation

    # -- test controls --------------------------------------------------------------------------

    def respond(self, method: str, result: Responder | object) -> None:
        """Answer ``method`` with ``result`` (a JSON value, or ``f(request, call)`` giving one)."""
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
        """Answer the next ``times`` calls of ``method`` with a Telegram error response.

        400 makes PTB raise ``BadRequest``, 403 ``Forbidden``, 429 ``RetryAfter`` (its
        ``retry_after`` defaults to 1 second; set ``PTB_TIMEDELTA=1`` or PTB 22 warns on it).
        """
        if error_code == 429 and retry_after is None:
            retry_after = 1
        body: dict[str, object] = {
            "ok": False,
            "error_code": error_code,
            "description": description,
        }
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        payload = json.dumps(body).encode()

        def answer(call: Call) -> tuple[int, bytes]:
            call.error = f"{error_code} {description}"
            return error_code, payload

        self._failures[method.lower()].extend([answer] * times)

    def raise_network_error_next(
        self, method: str, *, timed_out: bool = False, times: int = 1
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``NetworkError``/``TimedOut``."""

        def answer(call: Call) -> tuple[int, bytes]:
            error = TimedOut() if timed_out else NetworkError("offline: injected network error")
            call.error = type(error).__name__
            raise error

        self._failures[method.lower()].extend([answer] * times)

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of ``method`` (case-insensitive), oldest first."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        """Texts of the successful sendMessage calls, optionally to one chat only."""
        return [
            str(call.params["text"])
            for call in self.calls_to("sendMessage")
            if call.error is None
            and (chat_id is None or str(call.params["chat_id"]) == str(chat_id))
        ]

    def clear(self) -> None:
        """Forget calls, violations and pending failures (message ids keep increasing)."""
        self.calls.clear()
        self.violations.clear()
        self._failures.clear()

    def assert_no_violations(self) -> None:
        """Fail with the first violation, if any call broke the spec or was unexpected."""
        if self.violations:
            raise self.violations[0]


def _decode(method: str, request_data: RequestData | None) -> Call:
    """The call as Telegram would see it: native values, uploads as :class:`UploadedFile`."""
    if request_data is None:
        return Call(method, {})
    # Round-trip through JSON like the wire does: enums become str, tuples lists.
    params: dict[str, object] = json.loads(json.dumps(request_data.parameters))
    call = Call(method, params)
    for part, (filename, content, mimetype) in request_data.multipart_data.items():
        data = content if isinstance(content, bytes) else content.read()
        call.files[part], call.filenames[part] = data, filename
        # A top-level upload has no value in `parameters`; attach:// parts are referenced
        # from inside a value (InputMedia...) and are not parameters of their own.
        if part not in params:
            params[part] = UploadedFile(filename, data, mimetype)
    return call


# -- canned responses ---------------------------------------------------------------------------


def _chat(chat_id: object) -> dict[str, object]:
    if isinstance(chat_id, str) and chat_id.startswith("@"):
        return {"id": -1001000000001, "type": "channel", "username": chat_id[1:]}
    numeric = int(str(chat_id))
    return {"id": numeric, "type": "private" if numeric > 0 else "supergroup"}


def _visible(call: Call, key: str) -> str | None:
    """``params[key]`` as the recipient sees it: tags stripped when parse_mode is HTML."""
    value = call.params.get(key)
    if not isinstance(value, str):
        return None
    mode = call.params.get("parse_mode")
    return parse_html(value)[0] if isinstance(mode, str) and mode.lower() == "html" else value


def _message(request: OfflineRequest, call: Call, message_id: object = None) -> dict[str, object]:
    message: dict[str, object] = {
        "message_id": message_id or request.next_message_id(),
        "from": dict(BOT_USER),
        "chat": _chat(call.params.get("chat_id", 1)),
        "date": int(time.time()),
    }
    if request.lean:
        return message
    for key in ("text", "caption"):
        if (value := _visible(call, key)) is not None:
            message[key] = value
    markup = call.params.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        message["reply_markup"] = markup
    return message


def _sent_file(kind: str) -> Responder:
    def respond(request: OfflineRequest, call: Call) -> object:
        message = _message(request, call)
        n = message["message_id"]
        file: dict[str, object] = {"file_id": f"{kind}-{n}", "file_unique_id": f"u{kind}{n}"}
        if kind == "photo":
            message["photo"] = [{**file, "width": 800, "height": 600}]
        else:
            message[kind] = {**file, "file_name": call.filenames.get(kind, f"{kind}-{n}")}
        return message

    return respond


def _edited(request: OfflineRequest, call: Call) -> object:
    if "inline_message_id" in call.params:
        return True  # Telegram answers True for edits of inline messages
    return {**_message(request, call, call.params["message_id"]), "edit_date": int(time.time())}


_RESPONSES: Final[dict[str, Responder | object]] = {
    "getme": dict(BOT_USER),
    "getupdates": [],
    "sendmessage": _message,
    "sendphoto": _sent_file("photo"),
    "senddocument": _sent_file("document"),
    "editmessagetext": _edited,
    "editmessagereplymarkup": _edited,
    **dict.fromkeys(
        (
            "answercallbackquery",
            "setmycommands",
            "deletewebhook",
            "setwebhook",
            "setchatmenubutton",
            "deletemessage",
        ),
        True,
    ),
}
