"""A lean, in-memory Bot API for benchmarks: no network, no spec checks, minimal answers.

Per call it notes the time (for the update being processed, found through a context
variable), and per chat what a driver needs to play the next step: the newest answer
button's data prefix and the newest invite token. Nothing else is kept, so memory does not
grow with the number of calls.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final

from telegram.request import BaseRequest, RequestData

BOT_USER: Final[dict[str, Any]] = {
    "id": 999,
    "is_bot": True,
    "first_name": "Canvas",
    "username": "canvas_bench_bot",
}
_TRUE: Final = b'{"ok":true,"result":true}'
_EMPTY: Final = b'{"ok":true,"result":[]}'
_ME: Final = json.dumps({"ok": True, "result": BOT_USER}).encode()
_INVITE: Final = re.compile(r"[?&]start=([A-Za-z0-9_-]+)")
_MESSAGE_METHODS: Final = frozenset(
    {"sendmessage", "editmessagetext", "sendphoto", "senddocument"}
)


@dataclass(slots=True)
class Tracker:
    """One update in flight: when it arrived, how many calls it made, when the last went out."""

    arrived: float
    calls: int = 0
    last: float = 0.0


CURRENT: ContextVar[Tracker | None] = ContextVar("benchmark_update", default=None)


class FastRequest(BaseRequest):
    """Answers every call the bot makes with the smallest response PTB accepts."""

    def __init__(self) -> None:
        self._message_ids = itertools.count(1)
        self.calls: dict[str, int] = {}
        self.answer_prefix: dict[int, str] = {}  # chat -> "a:<partnership>:<round>:<theme>"
        self.invite: dict[int, str] = {}  # chat -> the first invite token sent to it

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def do_request(  # noqa: PLR0917 - BaseRequest's signature
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        tracker = CURRENT.get()
        if tracker is not None:
            tracker.calls += 1
            tracker.last = time.perf_counter()
        name = url.rsplit("/", 1)[-1].lower()
        self.calls[name] = self.calls.get(name, 0) + 1
        if name not in _MESSAGE_METHODS:
            if name == "getme":
                return 200, _ME
            if name == "getupdates":
                return 200, _EMPTY
            return 200, _TRUE
        params = request_data.parameters if request_data is not None else {}
        chat_id = int(str(params.get("chat_id", 1)))
        if name == "sendmessage":
            self._note(chat_id, params)
        message_id = params.get("message_id") or next(self._message_ids)
        chat = f'{{"id":{chat_id},"type":"private"}}'
        body = f'{{"ok":true,"result":{{"message_id":{message_id},"date":0,"chat":{chat}}}}}'
        return 200, body.encode()

    def _note(self, chat_id: int, params: dict[str, Any]) -> None:
        markup = params.get("reply_markup")
        if isinstance(markup, dict):
            for row in markup.get("inline_keyboard", ()):
                data = row[0].get("callback_data", "") if row else ""
                if data.startswith("a:"):
                    self.answer_prefix[chat_id] = data.rsplit(":", 1)[0]
                    break
        text = params.get("text", "")
        if chat_id not in self.invite and "start=" in text and (found := _INVITE.search(text)):
            self.invite[chat_id] = found.group(1)
