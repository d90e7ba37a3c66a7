"""Where an answer's time goes: wall time per phase, from wrapping the known entry points.

The benchmark wraps, for the duration of one measured pass and only there, the boundaries
between the layers — ``Journey.handle`` (the flow), the repository's reads and writes, the
``Renderer``, PTB's Bot methods and the offline layer's answer — on the running objects (the
Bot methods on their class, which has ``__slots__``); product code is not touched. Time is
charged to the innermost phase open at that moment (a stack, read with
``time.perf_counter_ns``), so the phases add up to the update's whole processing time. That
holds only when one update is in flight at a time, as in the benchmark's sequential part (f):
whatever the event loop runs while an update awaits (the writer task, aiosqlite's threads)
is charged to the phase that awaits it. Python's garbage collections are charged to a phase
of their own (``gc.callbacks``), wherever they ran.
"""

from __future__ import annotations

import functools
import gc
import json
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, Final, ParamSpec, TypeVar

from telegram import Update
from telegram.ext import Application

P = ParamSpec("P")
R = TypeVar("R")

# Phases in the order of the printout: (key, label).
PHASES: Final = (
    ("parse", "parsing the update (JSON text -> Update, as polling does)"),
    ("ptb", "PTB: dispatch to the handler, context, our handler glue"),
    ("flow", "flow: journey dispatch and state machine (Journey.handle)"),
    ("read", "storage: read (snapshot and other reads)"),
    ("commit", "storage: commit (queue, writer, statement, sync)"),
    ("render", "rendering: actions -> PTB calls, keyboards (Renderer)"),
    ("botapi", "Bot API calls: PTB's side (request built, reply parsed)"),
    ("fake", "Bot API calls: the offline layer (fake Telegram)"),
    ("gc", "Python's garbage collector (also while the next update is built)"),
)
# The repository's reads and writes (flows/repository.py's protocol), by the phase they go to.
READS: Final = (
    "participant",
    "snapshot",
    "partnership",
    "members",
    "memberships",
    "answers",
    "answer_counts",
    "invite",
    "invites",
    "meetings_between",
    "idle_members",
    "inactive_partnerships",
    "export_user",
)
WRITES: Final = ("commit", "forget_user", "delete_partnerships", "purge_participants")
BOT_METHODS: Final = (
    "answer_callback_query",
    "edit_message_text",
    "edit_message_reply_markup",
    "send_message",
    "send_photo",
    "send_document",
    "delete_message",
)


@dataclass
class Phases:
    """Nanoseconds per phase; the phase on top of the stack is the one being charged."""

    ns: dict[str, int] = field(default_factory=dict)
    updates: int = 0
    processing_ns: int = 0  # in process_update, all phases but parsing
    _stack: list[str] = field(default_factory=list)
    _mark: int = 0

    def enter(self, phase: str) -> None:
        now = time.perf_counter_ns()
        if self._stack:
            top = self._stack[-1]
            self.ns[top] = self.ns.get(top, 0) + now - self._mark
        self._stack.append(phase)
        self._mark = now

    def leave(self) -> None:
        now = time.perf_counter_ns()
        top = self._stack.pop()
        self.ns[top] = self.ns.get(top, 0) + now - self._mark
        self._mark = now

    def add(self, phase: str, ns: int) -> None:
        self.ns[phase] = self.ns.get(phase, 0) + ns

    def us_per_update(self) -> dict[str, float]:
        count = max(self.updates, 1)
        return {key: self.ns.get(key, 0) / count / 1000 for key, _ in PHASES}

    def wrap_async(
        self, phase: str, fn: Callable[P, Awaitable[R]]
    ) -> Callable[P, Coroutine[Any, Any, R]]:
        @functools.wraps(fn)
        async def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            self.enter(phase)
            try:
                return await fn(*args, **kwargs)
            finally:
                self.leave()

        return timed

    def wrap_sync(self, phase: str, fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            self.enter(phase)
            try:
                return fn(*args, **kwargs)
            finally:
                self.leave()

        return timed

    async def process(
        self, app: Application[Any, Any, Any, Any, Any, Any], update: Update
    ) -> None:
        """Process one update with its time charged to the phases (PTB's own by default);
        and parse it once more from its JSON text, as polling would, for the parsing phase."""
        text = json.dumps(update.to_dict())
        start = time.perf_counter_ns()
        Update.de_json(json.loads(text), app.bot)
        self.add("parse", time.perf_counter_ns() - start)
        start = time.perf_counter_ns()
        self.enter("ptb")
        try:
            await app.process_update(update)
        finally:
            self.leave()
            self.processing_ns += time.perf_counter_ns() - start
        self.updates += 1

    def collecting(self, phase: str, info: dict[str, int]) -> None:
        """A ``gc.callbacks`` entry: every collection is charged to "gc", also one that the
        driver's building of the next update set off (most are: it allocates the most)."""
        del info
        if phase == "start":
            self.enter("gc")
        elif self._stack and self._stack[-1] == "gc":
            self.leave()


@contextmanager
def _patched(target: object, name: str, value: object) -> Iterator[None]:
    """``target.name = value`` for the block; an instance attribute is removed afterwards,
    a class attribute put back."""
    owned = name in vars(target) if isinstance(target, type) else False
    before = vars(target).get(name) if owned else None
    setattr(target, name, value)
    try:
        yield
    finally:
        if isinstance(target, type) and owned:
            setattr(target, name, before)
        else:
            delattr(target, name)


@contextmanager
def instrumented(
    phases: Phases,
    app: Application[Any, Any, Any, Any, Any, Any],
    request: object,
    *,
    journey: object | None = None,
    repository: object | None = None,
    renderer: object | None = None,
) -> Iterator[Phases]:
    """Wrap the boundaries of ``app`` (and of our layers, when given) for the block."""
    with ExitStack() as stack:
        gc.callbacks.append(phases.collecting)
        stack.callback(gc.callbacks.remove, phases.collecting)
        bot_class = type(app.bot)
        for name in BOT_METHODS:
            original = getattr(bot_class, name)
            stack.enter_context(_patched(bot_class, name, phases.wrap_async("botapi", original)))
        answer = getattr(request, "answer")  # noqa: B009 - the bound method, to wrap
        stack.enter_context(_patched(request, "answer", phases.wrap_sync("fake", answer)))
        if journey is not None:
            handle = getattr(journey, "handle")  # noqa: B009
            stack.enter_context(_patched(journey, "handle", phases.wrap_async("flow", handle)))
        if repository is not None:
            for phase, names in (("read", READS), ("commit", WRITES)):
                for name in names:
                    method = getattr(repository, name, None)
                    if method is None:  # not this repository's: nothing to wrap
                        continue
                    stack.enter_context(
                        _patched(repository, name, phases.wrap_async(phase, method))
                    )
        if renderer is not None:
            render = getattr(renderer, "render")  # noqa: B009
            stack.enter_context(_patched(renderer, "render", phases.wrap_async("render", render)))
        yield phases
