"""The writer's thread: calls on the writing connection, one at a time, in order.

Each call's outcome is reported back on the event loop (``call_soon_threadsafe``); ``run``
awaits one call. storage/writer.py says what runs here and what on the loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from functools import partial
from queue import SimpleQueue
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

Report = Callable[[Any, BaseException | None], None]  # (result, error), run on the loop


class WriterThread:
    """The writer's thread: runs calls on the writing connection, one at a time, in order."""

    def __init__(self) -> None:
        self._calls: SimpleQueue[tuple[Callable[[], Any], Report] | None] = SimpleQueue()
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._serve, name="sqlite-writer", daemon=True)
        self._thread.start()

    def call(self, call: Callable[[], Any], report: Report) -> None:
        """Run ``call`` on the thread, then ``report`` its outcome on the event loop."""
        self._calls.put_nowait((call, report))

    async def run(self, call: Callable[[], T]) -> T:
        future: asyncio.Future[T] = self._loop.create_future()
        self.call(call, partial(_settle, future))
        return await future

    async def stop(self) -> None:
        self._calls.put_nowait(None)
        await asyncio.to_thread(self._thread.join)

    def _serve(self) -> None:
        while (item := self._calls.get()) is not None:
            call, report = item
            try:
                result = call()
            except BaseException as exc:  # handed to the caller, whatever it is
                self._report(partial(report, None, exc))
            else:
                self._report(partial(report, result, None))

    def _report(self, settle: Callable[[], None]) -> None:
        try:
            self._loop.call_soon_threadsafe(settle)
        except RuntimeError:  # the event loop has closed: nobody waits any more
            logger.debug("writer result dropped: the event loop is closed")


def _settle(future: asyncio.Future[Any], result: object, error: BaseException | None) -> None:
    if future.done():  # the caller was cancelled meanwhile
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)
