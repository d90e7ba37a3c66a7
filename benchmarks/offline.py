"""The benchmark's Bot API: the shared fake Telegram, lean, noting the calls of each update.

:class:`TimedRequest` is the offline transport of ``tests/support/offline.py`` over a lean
:class:`~tests.support.telegram.FakeTelegram`: no spec check, minimal answers, no call log (a
count per method only) and at most ``history`` messages kept per chat, so memory does not grow
with the number of calls. Per call it notes the time for the update being processed, found
through a context variable, and, while ``recording`` is a list, keeps the call in it (the
floor replays what the bot sent). The bot and the floor each get one of these, configured
alike, so both pay the same transport cost per call.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass

from tests.support.offline import OfflineRequest
from tests.support.telegram import Call, FakeTelegram


@dataclass(slots=True)
class Tracker:
    """One update in flight: when it arrived, how many calls it made, when the last went out."""

    arrived: float
    calls: int = 0
    last: float = 0.0


CURRENT: ContextVar[Tracker | None] = ContextVar("benchmark_update", default=None)


class TimedRequest(OfflineRequest):
    """Answers every call from a lean fake Telegram, without yielding to the event loop."""

    def __init__(self, history: int | None = 4) -> None:
        telegram = FakeTelegram(strict=False, lean=True, record=False, history=history)
        super().__init__(poll_delay=0, round_trip=False, telegram=telegram)
        self.recording: list[Call] | None = None

    def answer(self, call: Call) -> tuple[int, bytes]:
        tracker = CURRENT.get()
        if tracker is not None:
            tracker.calls += 1
            tracker.last = time.perf_counter()
        if self.recording is not None:
            self.recording.append(call)
        return super().answer(call)
