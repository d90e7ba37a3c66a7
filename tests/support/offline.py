"""A PTB request backend that never touches the network: PTB's calls go to :class:`FakeTelegram`.

``OfflineRequest`` plugs into ``ApplicationBuilder().request(...)`` (and ``get_updates_request``).
Each Bot API call is decoded as Telegram would read it and answered by the shared model in
``tests/support/telegram.py`` (spec check, messages, refusals). A call Telegram would reject for
breaking the spec, or one the model has no answer for, raises :class:`OfflineViolation` (an
``AssertionError``) and is kept in ``violations``, because PTB's ``Application`` hands handler
exceptions to error handlers instead of the test.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence

from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from tests.support.botapi import BotApiViolation, Spec, UploadedFile
from tests.support.telegram import Call, FakeTelegram, Rejected, Unexpected, Violation


class OfflineViolation(BotApiViolation, TelegramError):  # noqa: N818 - pairs BotApiViolation
    """A spec violation that PTB lets through unchanged (it re-raises ``TelegramError`` as is;
    any other exception from a request backend becomes a ``NetworkError``)."""

    def __init__(self, method: str, params: Mapping[str, object], violations: Sequence[str]):
        BotApiViolation.__init__(self, method, params, violations)
        self.message = str(self.args[0])


class OfflineRequest(BaseRequest):
    """PTB's transport to an in-process :class:`FakeTelegram` that accepts chats, messages and
    callback queries it has not seen (the tests build updates beside it)."""

    def __init__(
        self,
        spec: Spec | None = None,
        *,
        poll_delay: float = 0.05,
        round_trip: bool = True,
        lean: bool = False,
        telegram: FakeTelegram | None = None,
    ):
        # lean: for load tests only. No spec check, and answers carry no echoed text or
        # buttons, so the cost measured is the bot's, not this fake's or PTB's parsing.
        self.telegram = telegram or FakeTelegram(
            spec, strict=False, lean=lean, first_message_id=1001
        )
        self.poll_delay = poll_delay  # getUpdates "long-polls" this long, so polling won't spin
        self.round_trip = round_trip  # yield to the event loop on every call, as the network does
        self.violations: list[OfflineViolation] = []

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
        call = decode(url.rsplit("/", 1)[-1], request_data, lean=self.telegram.lean)
        if method != "POST":  # Bot.get_file().download_*: a GET of a file URL
            raise self._violation(f"{method} {url}", call.params, ["unexpected network call"])
        # Yield like a real round trip would; the model answers without awaiting, so
        # concurrent calls never interleave inside its bookkeeping.
        if call.method.lower() == "getupdates":
            await asyncio.sleep(self.poll_delay)
        elif self.round_trip:
            await asyncio.sleep(0)
        return self.answer(call)

    def answer(self, call: Call) -> tuple[int, bytes]:
        """The model's answer to ``call`` as the HTTP status and body PTB reads."""
        try:
            result = self.telegram.answer(call)
        except (Unexpected, Violation) as refused:
            raise self._violation(call.method, call.params, call.problems) from refused
        except Rejected as rejected:
            return rejected.error_code, json.dumps(rejected.body()).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _violation(
        self, method: str, params: Mapping[str, object], problems: Sequence[str]
    ) -> OfflineViolation:
        violation = OfflineViolation(method, params, problems)
        self.violations.append(violation)
        return violation

    # -- test controls --------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        return self.telegram.calls

    def raise_network_error_next(
        self, method: str, *, timed_out: bool = False, times: int = 1
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``NetworkError``/``TimedOut``."""

        def failure(_: Call) -> Exception:
            return TimedOut() if timed_out else NetworkError("offline: injected network error")

        self.telegram.raise_next(method, failure, times)

    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        """Recorded calls of ``method`` (case-insensitive), oldest first."""
        return self.telegram.calls_to(method, chat_id)

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        """Visible texts of the successful sendMessage calls, optionally to one chat only."""
        return self.telegram.sent_texts(chat_id)

    def clear(self) -> None:
        """Forget calls, violations and pending failures (message ids keep increasing)."""
        self.telegram.clear()
        self.violations.clear()

    def assert_no_violations(self) -> None:
        """Fail with the first violation, if any call broke the spec or was unexpected."""
        if self.violations:
            raise self.violations[0]


def decode(method: str, request_data: RequestData | None, *, lean: bool = False) -> Call:
    """The call as Telegram would see it: native values, uploads as :class:`UploadedFile`.

    ``lean`` skips the JSON round trip (PTB's parameters are JSON-ready already).
    """
    if request_data is None:
        return Call(method, {})
    # Round-trip through JSON like the wire does: enums become str, tuples lists.
    parameters = request_data.parameters
    params: dict[str, object] = dict(parameters) if lean else json.loads(json.dumps(parameters))
    for part, (filename, content, mimetype) in request_data.multipart_data.items():
        # A top-level upload has no value in `parameters`; attach:// parts are referenced
        # from inside a value (InputMedia...) and are not parameters of their own.
        if part not in params:
            data = content if isinstance(content, bytes) else content.read()
            params[part] = UploadedFile(filename, data, mimetype)
    return Call(method, params)
