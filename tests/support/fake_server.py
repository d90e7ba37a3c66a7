"""The shared fake Telegram served over HTTP on 127.0.0.1, for end-to-end tests of the bot process.

``FakeBotApi`` is a :class:`~tests.support.telegram.FakeTelegram` with a ``ThreadingHTTPServer``
in a background thread. It answers ``POST /bot<token>/<method>`` with JSON, form-urlencoded or
multipart bodies the way Telegram does, checks the token, reads each value with the type the spec
gives it, long-polls ``getUpdates`` and keeps the webhook the bot sets; everything else (spec
check, chats, messages, callback queries, refusals) is the model's.

A test plays users with ``push_text`` / ``push_command`` / ``push_callback`` (or ``tap``), waits
for the bot with ``wait_for``, and finally calls ``assert_clean()``: a call that broke the spec
(answered 400 like Telegram would), an unknown method or token (404/401), a refusal Telegram
would have given (editing a missing message, answering a query twice, ...) or a crash inside
this fake all fail the test with the request shown.
"""

from __future__ import annotations

import json
import re
import secrets
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from tests.support.botapi import Spec, UploadedFile
from tests.support.telegram import (
    BOT_ID,
    JSON,
    Call,
    FakeTelegram,
    Rejected,
    Unexpected,
)

__all__ = ["Call", "FakeBotApi"]

_SCALARS: Final = frozenset({"String", "Integer", "Float", "Boolean", "InputFile"})
_INTEGER: Final = re.compile(r"-?\d+")
_DISPOSITION_PARAM: Final = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_CONFLICT: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


@dataclass
class _Webhook:
    url: str = ""
    secret_token: str | None = None


class FakeBotApi(FakeTelegram):
    """The fake Telegram behind an HTTP Bot API; start it with ``with`` or ``start()``."""

    def __init__(
        self,
        token: str | None = None,
        *,
        spec: Spec | None = None,
        max_poll_wait: float = 5.0,
    ) -> None:
        self.token = token or f"{BOT_ID}:AAE2E-{secrets.token_urlsafe(24)}"
        super().__init__(spec, bot_id=int(self.token.split(":")[0]))
        self.max_poll_wait = max_poll_wait  # getUpdates never blocks longer than this
        self.webhook = _Webhook()
        self._stopping = False
        self._responders.update(
            setwebhook=self._set_webhook,
            deletewebhook=self._delete_webhook,
            getwebhookinfo=self._webhook_info,
        )
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
        with self.cond:
            self._stopping = True
            self.cond.notify_all()
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

    def post_to_webhook(self, update: JSON, secret_token: str | None = "") -> int:
        """POST ``update`` to the webhook the bot set, as Telegram would; the HTTP status.

        ``secret_token`` defaults to the one the bot registered; None sends no header.
        """
        with self.cond:
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

    # -- serving (request threads) --------------------------------------------------------------

    def handle(self, path: str, content_type: str, body: bytes) -> tuple[int, JSON]:
        """Answer one HTTP request; runs on a request thread."""
        route = urllib.parse.urlsplit(path)
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", route.path)
        if match is None:
            return self._unexpected(Call(f"? {route.path.split('/bot')[0] or '/'}", {}))
        token, method = match.groups()
        try:
            wire = _parse_body(content_type, body)
        except (ValueError, UnicodeDecodeError) as exc:
            call = Call(method, {}, content_type=content_type, problems=[f"bad body: {exc}"])
            return self._unexpected(call, Rejected(400, f"Bad Request: {call.problems[0]}"))
        wire = {**dict(urllib.parse.parse_qsl(route.query)), **wire}
        call = Call(method, self._decoded(method, wire), wire, content_type)
        if not secrets.compare_digest(token.encode(), self.token.encode()):
            call.params, call.wire = {}, {}  # keep nothing that came with a wrong token
            return self._unexpected(call, Rejected(401, "Unauthorized"))
        if method.lower() == "getupdates" and not self.spec.check(method, wire):
            return self._get_updates(call)
        try:
            return 200, {"ok": True, "result": self.answer(call)}
        except Rejected as rejected:  # Unexpected and Violation are kept by the model
            return _error(rejected)

    def record_crash(self) -> None:
        with self.cond:
            self.internal_errors.append(traceback.format_exc())
            self.cond.notify_all()

    def _unexpected(self, call: Call, rejected: Rejected | None = None) -> tuple[int, JSON]:
        rejected = rejected or Unexpected()
        with self.cond:
            self._refuse(call, rejected, self.unexpected)
        return _error(rejected)

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
        offset, limit = params.get("offset"), params.get("limit")
        timeout, allowed = params.get("timeout"), params.get("allowed_updates")
        limit = limit if isinstance(limit, int) and 1 <= limit <= 100 else 100
        wait = min(float(timeout), self.max_poll_wait) if isinstance(timeout, int) else 0.0
        deadline = time.monotonic() + wait
        with self.cond:
            if self.webhook.url:
                call.status, call.error = 409, f"409 {_CONFLICT}"
                self.remember(call)
                return _error(Rejected(409, _CONFLICT))
            self.confirm(offset)
            self.remember(call)
            while not self.pending(allowed) and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.cond.wait(remaining)
                self.confirm(offset)
            call.result = self.pending(allowed)[:limit]
            return 200, {"ok": True, "result": call.result}

    def _set_webhook(self, call: Call) -> bool:
        secret = call.params.get("secret_token")
        self.webhook = _Webhook(
            str(call.params.get("url", "")), secret if isinstance(secret, str) else None
        )
        return True

    def _delete_webhook(self, call: Call) -> bool:
        if call.params.get("drop_pending_updates") is True:
            self.updates.clear()
        self.webhook = _Webhook()
        return True

    def _webhook_info(self, _: Call) -> JSON:
        return {
            "url": self.webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
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
    return rejected.error_code, rejected.body()


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
