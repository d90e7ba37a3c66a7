"""``python -m benchmarks.run``: how fast, how lean and how big the bot is, against its targets.

Everything goes through a real PTB Application built by ``bot.app.build_application`` on a
real SQLite file in a temporary folder, with :class:`benchmarks.offline.TimedRequest` (the tests'
fake Telegram, lean) in place of Telegram, and is played by the tests' scenario driver. Updates
are built as Telegram would send them (``Update.de_json``) and handed to
``Application.process_update``: one task per user (each user's updates in order), concurrent
across users, bounded by a semaphore (``--concurrency``).

In the order they run:

(f) cost per answer update, one after the other, against the framework floor: a bare
    Application (the bot's Bot API defaults, the same offline layer) whose callback makes the
    Bot API calls the bot made for that very answer, with the same content (in the steady
    state answerCallbackQuery and editMessageText: the live card). Measured in alternating
    slices; the disk's sync per commit (the writer's time per commit, from commit_stats,
    minus the same in a slice run with synchronous=OFF) is shown on its own line and left
    out of the ratio. One more slice, with the layers' boundaries wrapped
    (benchmarks/phases.py), prints where an answer's time goes: parsing, PTB, flow, storage
    read and commit, rendering, Bot API calls.
(d) then those partnerships finish the canvas: database size per finished partnership.
(e) time to build one of their summaries: text, picture, report (median of a few runs).
(a) ``--partnerships`` partnerships are created and joined through the bot; then every partner
    answers up to ``--throughput-questions`` questions as fast as possible (at most
    ``--throughput-seconds``): answers per second, each committed before its reply.
(b) an open-loop generator starts ``--rate`` answers per second for ``--duration`` seconds, as
    from polling (through the update processor); latency from the scheduled arrival to the
    update's last Bot API call: p50, p95, p99.
(c) peak RSS of this run; then, in a fresh process, RSS with ``--memory-partnerships``
    partnerships half answered (cloned from one played through the bot, after which every
    partner taps one more answer through the bot).

The chart is a stub except in (e): with thousands of partnerships finishing within seconds,
matplotlib would dominate, which never happens in use. ``--real-chart`` uses it everywhere.
``--profile`` prints cProfile's top functions of our side of (f). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import gc
import io
import itertools
import json
import logging
import pstats
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    Defaults,
)

from benchmarks.machine import quietness, sample
from benchmarks.offline import CURRENT, TimedRequest, Tracker
from benchmarks.phases import PHASES, Phases, instrumented
from bot.logs import quiet_libraries
from bot.runtime import settle_after_start
from bot.settings import Settings
from flows.canvas import load_canvas
from flows.chart import render_chart
from flows.chat_summary import first_message, render_detail
from flows.compare import compare
from flows.model import Changes
from flows.reading import Reading
from flows.report import render_report_html
from storage.sqlite import SqliteRepository
from storage.transactions import CommitStats
from storage.writer import Writer
from tests.support import scenario
from tests.support.harness import Harness
from tests.support.telegram import Call
from tests.support.updates import UpdateFactory

INF: Final = float("inf")
SLICES: Final = 10  # (f) alternates ours and the floor this many times
TOKEN: Final = "123456:BENCHMARK"  # noqa: S105 - the offline layer takes any
FIRST_USER: Final = 1_000_000
THEMES: Final = len(load_canvas().questions)  # the ambitions and the statements
ROOT: Final = Path(__file__).resolve().parents[1]
# A valid 1x1 PNG: what the stub chart renderer returns.
TINY_PNG: Final = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)

# ------------------------------------------------------------------------------- plumbing


def stub_chart(reading: Reading) -> bytes:
    del reading
    return TINY_PNG


def settings_for(database: Path) -> Settings:
    return Settings(
        _env_file=None,  # a developer's .env must not change the benchmark
        telegram_bot_token=TOKEN,
        database_path=database,
    )


class LogCounter(logging.Handler):
    """Counts log records per level (without formatting them); keeps the first error."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.counts: dict[str, int] = {}
        self.first_error: str | None = None
        self.sources: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[record.levelname] = self.counts.get(record.levelname, 0) + 1
        self.sources[record.name] = self.sources.get(record.name, 0) + 1
        if record.levelno >= logging.ERROR and self.first_error is None:
            self.first_error = f"{record.name}: {record.getMessage()}"
            if record.exc_info and record.exc_info[1] is not None:
                self.first_error += f" ({record.exc_info[1]!r})"


def rss_mb() -> float:
    """The resident set size now (Linux), in MB."""
    return _status_mb("VmRSS")


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_rss_mb() -> float:
    """The peak resident set size of this process so far (Linux), in MB.

    VmHWM, not ru_maxrss: a child started by fork and exec inherits its parent's ru_maxrss.
    """
    return _status_mb("VmHWM")


def percentile(sorted_samples: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of sorted samples."""
    if not sorted_samples:
        return float("nan")
    rank = max(1, round(share * len(sorted_samples)))
    return sorted_samples[min(rank, len(sorted_samples)) - 1]


def database_bytes(path: Path) -> int:
    """The database with its WAL and shared-memory files."""
    suffixes = ("", "-wal", "-shm")
    return sum(p.stat().st_size for s in suffixes if (p := Path(f"{path}{s}")).exists())


def count_rows(path: Path, table: str) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        (count,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
        return int(count)


class BenchHarness(Harness):
    """The bot on a lean fake Telegram; at most ``concurrency`` updates in flight at once."""

    def __init__(
        self, database: Path, *, real_chart: bool, concurrency: int = 256, history: int = 4
    ) -> None:
        super().__init__(
            settings_for(database),
            TimedRequest(history),
            chart=render_chart if real_chart else stub_chart,
        )
        self.limit = asyncio.Semaphore(concurrency)

    async def start(self) -> None:
        """Start the bot, then settle the collector as ``python -m bot`` does before serving."""
        await super().start()
        settle_after_start()

    async def process(self, update: Update) -> None:
        async with self.limit:
            await self.app.process_update(update)


def pair(k: int) -> tuple[int, int]:
    """The user ids of partnership number ``k``: the social enterprise, the business."""
    return FIRST_USER + 2 * k, FIRST_USER + 2 * k + 1


def commits_since(repo: SqliteRepository, before: CommitStats) -> tuple[int, int]:
    """The writer's transactions since ``before``, and of them those committed on the loop."""
    now = repo.commit_stats
    return now.commits - before.commits, now.on_loop - before.on_loop


def repo_of(harness: Harness) -> SqliteRepository:
    repo = harness.app.bot_data.journey.repo
    if not isinstance(repo, SqliteRepository):
        raise TypeError("the benchmark expects the SQLite repository")
    return repo


# ------------------------------------------------------------------------------- the driver


@dataclass
class Driver:
    """Plays partnerships against one running canvas Application."""

    harness: BenchHarness
    seed: int = 1
    random: random.Random = field(init=False)
    answered: dict[int, int] = field(default_factory=dict)
    partnership_of: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)

    async def process(
        self, build: Callable[[], Update], *, arrive: bool = False, deadline: float = INF
    ) -> bool:
        """Build the update and process it, at most ``concurrency`` at a time.

        False, and nothing done, if the deadline has passed by the time it may start.
        """
        async with self.harness.limit:
            if time.perf_counter() >= deadline:
                return False
            if arrive:
                await self.harness.arrive(build())
            else:
                await self.harness.app.process_update(build())
        return True

    async def create(self, k: int) -> tuple[int, int]:
        """One partnership, created by its social enterprise and joined by its business."""
        social, business = pair(k)
        token = await scenario.start(self.harness, social, f"Sociale onderneming {k}")
        await scenario.join(self.harness, business, token, f"Bedrijf {k}")
        return social, business

    async def create_many(self, ks: Iterable[int]) -> list[int]:
        pairs = await asyncio.gather(*(self.create(k) for k in ks))
        return [user for p in pairs for user in p]

    def next_answer(self, user_id: int, question: str | None = None) -> Callable[[], Update]:
        """The tap on a score under the newest question shown to the user (built when called),
        or under ``question`` (the answer data without its score) on a message never seen."""

        def build() -> Update:
            score = "s" if self.random.random() < 0.05 else str(self.random.randint(1, 5))
            if question is None:
                update = self.harness.tap_update(user_id, "a:", score)
            else:
                update = self.harness.updates.callback(
                    user_id, f"{question}:{score}", message_id=1
                )
            data = update.callback_query.data if update.callback_query else None
            self.partnership_of.setdefault(user_id, str(data).split(":")[1])
            self.answered[user_id] = self.answered.get(user_id, 0) + 1
            return update

        return build

    async def answer(self, user_id: int, count: int, deadline: float = INF) -> None:
        for _ in range(count):
            if not await self.process(self.next_answer(user_id), deadline=deadline):
                return

    async def finish(self, user_id: int) -> None:
        """Answer the rest of the canvas; skipped statements are then left open (the choice
        the bot offers when any were skipped), so the partner is done."""
        await self.answer(user_id, THEMES - self.answered.get(user_id, 0))
        try:
            update = self.harness.tap_update(user_id, "v:", "n")
        except AssertionError:  # nothing skipped: done already
            return
        await self.process(lambda: update)

    async def finish_all(self, users: Iterable[int]) -> int:
        """Every user finishes the canvas; the number of answers that took."""
        before = sum(self.answered.values())
        await asyncio.gather(*(self.finish(user) for user in users))
        return sum(self.answered.values()) - before

    async def answer_all(self, counts: dict[int, int], deadline: float = INF) -> int:
        """Each user answers ``counts[user]`` questions, or fewer when the deadline passes."""
        before = sum(self.answered.get(user, 0) for user in counts)
        await asyncio.gather(*(self.answer(user, n, deadline) for user, n in counts.items()))
        return sum(self.answered.get(user, 0) for user in counts) - before


async def timed(work: Awaitable[Any]) -> float:
    start = time.perf_counter()
    await work
    return time.perf_counter() - start


# ------------------------------------------------------------------------------- (b) latency


@dataclass
class Latency:
    offered: int
    seconds: float
    samples_ms: list[float]
    late_start_ms: float  # how far behind schedule the generator itself got, at most
    commits: tuple[int, int] = (0, 0)  # the writer's transactions meanwhile, of them on the loop


async def open_loop(driver: Driver, users: list[int], rate: float, duration: float) -> Latency:
    """Start one answer every 1/rate seconds, whatever is still running; per user in order."""
    total = int(rate * duration)
    queue = itertools.cycle(users)
    previous: dict[int, asyncio.Task[None]] = {}
    samples: list[float] = []
    late = 0.0

    async def one(user: int, arrival: float, before: asyncio.Task[None] | None) -> None:
        if before is not None:
            await before  # the tap is on the question the previous answer brought up
        tracker = Tracker(arrival)
        CURRENT.set(tracker)
        await driver.harness.arrive(driver.next_answer(user)())
        end = tracker.last if tracker.calls else time.perf_counter()
        samples.append((end - arrival) * 1000)

    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    for n in range(total):
        arrival = start + n / rate
        delay = arrival - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            late = max(late, -delay)
        user = next(queue)
        task = asyncio.create_task(one(user, arrival, previous.get(user)))
        previous[user] = task
        tasks.append(task)
    await asyncio.gather(*tasks)
    return Latency(total, time.perf_counter() - start, sorted(samples), late * 1000)


# ------------------------------------------------------------------------------- (e) summary


@dataclass
class SummaryTimes:
    text_ms: float
    chart_cold_ms: float
    chart_ms: float
    report_ms: float
    messages: int
    png_bytes: int
    html_bytes: int


async def summary_times(harness: Harness, partnership_id: str, runs: int) -> SummaryTimes:
    app = harness.app
    journey = app.bot_data.journey
    partnership = await journey.repo.partnership(partnership_id)
    if partnership is None:
        raise RuntimeError(f"partnership {partnership_id} is gone")
    combined = await journey.summaries.combine(partnership)
    shown = journey.summaries.reading(combined, "nl")

    def text() -> list[str]:
        """The first summary message and its detail, as delivered in the chat."""
        return [first_message(shown), render_detail(shown)]

    def chart() -> bytes:
        return render_chart(shown)

    png = b""

    def report() -> bytes:
        return render_report_html(
            shown,
            facilitator=True,
            chart_png=png,
            generated_at=datetime.now().astimezone(),
            meeting_at=None,
            incomplete=False,
        )

    cold_start = time.perf_counter()
    png = chart()
    chart_cold = time.perf_counter() - cold_start
    return SummaryTimes(
        text_ms=median_ms(text, runs),
        chart_cold_ms=chart_cold * 1000,
        chart_ms=median_ms(chart, runs),
        report_ms=median_ms(report, runs),
        messages=len(text()),
        png_bytes=len(png),
        html_bytes=len(report()),
    )


def median_ms(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(max(1, runs)):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


# ------------------------------------------------------------------------------- (f) floor

# What the floor may replay, with the parameters each call may carry (anything else the bot
# sends stops the run: the floor must make exactly the bot's calls).
REPLAYABLE: Final = {
    "answercallbackquery": {"callback_query_id", "text"},
    "editmessagetext": {"chat_id", "message_id", "text", "parse_mode", "reply_markup"},
    "sendmessage": {"chat_id", "text", "parse_mode", "reply_markup"},
}


@dataclass(frozen=True, slots=True)
class Replay:
    """The Bot API calls one of the bot's answers made, ready for the floor to make again:
    (``answer`` | ``edit`` | ``send``, keyword arguments as the bot passed them)."""

    user_id: int
    message_id: int
    calls: tuple[tuple[str, dict[str, Any]], ...]


def replay_of(update: Update, calls: Sequence[Call]) -> Replay:
    """What ``update`` made the bot send, as PTB objects built beforehand (the floor does not
    pay for building the keyboard; the bot does, in its rendering)."""
    query = update.callback_query
    if query is None or query.message is None:
        raise RuntimeError("the floor replays answers: callback queries on a message")
    steps: list[tuple[str, dict[str, Any]]] = []
    for call in calls:
        method, params = call.method.lower(), call.params
        extra = set(params) - REPLAYABLE.get(method, set())
        if method not in REPLAYABLE or extra:
            raise RuntimeError(f"the floor cannot replay {call.method} {sorted(extra)}")
        if params.get("parse_mode", ParseMode.HTML) != ParseMode.HTML:
            raise RuntimeError("the floor replays HTML messages only (the bot's default)")
        markup = params.get("reply_markup")
        keyboard = (
            InlineKeyboardMarkup.de_json(markup, None)
            if isinstance(markup, dict) and markup.get("inline_keyboard")
            else None
        )
        if method == "answercallbackquery":
            steps.append(("answer", {"text": params.get("text")}))
        elif method == "editmessagetext":
            steps.append(("edit", {"text": params["text"], "reply_markup": keyboard}))
        else:
            kwargs = {"chat_id": params["chat_id"], "text": params["text"]}
            steps.append(("send", {**kwargs, "reply_markup": keyboard}))
    return Replay(query.from_user.id, query.message.message_id, tuple(steps))


def bare_application(plans: deque[Replay]) -> Application[Any, Any, Any, Any, Any, Any]:
    """The floor: a bare Application (the bot's Bot API defaults, the same offline layer)
    whose one handler makes the calls of the bot's answer it stands for, nothing else."""
    bare = (
        ApplicationBuilder()
        .token(TOKEN)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .request(TimedRequest())
        .get_updates_request(TimedRequest())
        .build()
    )

    async def floor_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        for method, kwargs in plans.popleft().calls:
            if method == "answer":
                await query.answer(**kwargs)
            elif method == "edit":
                await query.edit_message_text(**kwargs)
            else:
                await context.bot.send_message(**kwargs)

    bare.add_handler(CallbackQueryHandler(floor_answer))
    return bare


AnyApp = Application[Any, Any, Any, Any, Any, Any]
Done = Callable[[Update, list[Call]], None]


async def sequential_us(
    app: AnyApp,
    request: TimedRequest,
    builds: Iterable[Callable[[], Update]],
    done: Done | None = None,
    phases: Phases | None = None,
) -> tuple[float, float, int]:
    """Mean microseconds to process, and to build, one update; one after the other.

    ``done`` sees each update with the calls it made; with ``phases`` each update's time is
    charged to its phases (the boundaries must be wrapped: see benchmarks.phases).
    """
    processing = building = 0.0
    count = 0
    for build in builds:
        calls: list[Call] = []
        request.recording = calls
        start = time.perf_counter()
        update = build()
        built = time.perf_counter()
        if phases is None:
            await app.process_update(update)
        else:
            await phases.process(app, update)
        processing += time.perf_counter() - built
        building += built - start
        count += 1
        if done is not None:
            done(update, calls)
    request.recording = None
    count = max(count, 1)
    return processing / count * 1e6, building / count * 1e6, count


@dataclass
class Breakdown:
    """Microseconds per phase per answer (benchmarks.phases.PHASES), with the boundaries
    wrapped, for ours and for the floor; ``*_total_us``: process_update so measured."""

    ours: dict[str, float]
    floor: dict[str, float]
    ours_total_us: float
    floor_total_us: float
    updates: int


@dataclass
class Floor:
    ours_us: float  # median over the slices, the disk's sync included
    ours_unsynced_us: float  # the same, the disk's sync left out
    floor_us: float
    ratio: float  # median of the slices' ratios, the disk's sync left out of ours
    ratio_range: tuple[float, float]
    ratio_with_sync: float  # the same, sync included
    parse_us: float  # building an Update in the driver (incl. de_json), not counted
    writer_us: float  # the writer's time per commit (commit_stats): statement and sync
    writer_unsynced_us: float  # the same in a slice with synchronous=OFF: the statement
    commits_per_answer: float  # in ours' slices, from the writer's stats
    sync_measured: bool  # False: the writing connection was not found; sync counted as 0
    calls_per_answer: dict[str, float]  # Bot API method -> calls per answer, ours
    transport_us: tuple[float, float]  # ours' calls again, alone, by ours' and the floor's Bot
    breakdown: Breakdown
    updates: int
    partnerships: int
    summaries: int
    stored_answers: int
    database_bytes: int
    summary: SummaryTimes
    profile: str = ""

    @property
    def sync_us(self) -> float:
        """The disk's sync per commit: the writer's time with FULL minus with OFF."""
        return max(0.0, self.writer_us - self.writer_unsynced_us)


@dataclass
class Sides:
    """Ours (the bot on its harness) and the floor, each on its own offline layer; the floor
    makes the calls ours made, update for update (``plans``)."""

    harness: BenchHarness
    seed: int
    plans: deque[Replay] = field(default_factory=deque)
    calls: dict[str, int] = field(default_factory=dict)  # Bot API method -> calls, ours
    answered: int = 0
    replays: list[Replay] = field(default_factory=list)  # ours' calls in this slice

    def __post_init__(self) -> None:
        request = self.harness.offline
        if not isinstance(request, TimedRequest):
            raise TypeError("the benchmark's harness runs on TimedRequest")
        self.request = request
        self.bare = bare_application(self.plans)
        bare_request = self.bare.bot.request
        if not isinstance(bare_request, TimedRequest):
            raise TypeError("the floor runs on TimedRequest")
        self.bare_request = bare_request
        self.fixed = UpdateFactory(self.bare.bot)
        self.driver = Driver(self.harness, seed=self.seed)

    @property
    def repo(self) -> SqliteRepository:
        return repo_of(self.harness)

    def record(self, update: Update, made: list[Call]) -> None:
        replay = replay_of(update, made)
        self.plans.append(replay)
        self.replays.append(replay)
        self.answered += 1
        for call in made:
            self.calls[call.method] = self.calls.get(call.method, 0) + 1

    async def ours(
        self, builds: Iterable[Callable[[], Update]], phases: Phases | None = None
    ) -> tuple[float, float, int]:
        """Ours one by one; every update's calls become the floor's plan."""
        return await sequential_us(self.harness.app, self.request, builds, self.record, phases)

    async def floor(self, phases: Phases | None = None) -> float:
        """The floor, one update per plan left by ours (the same user and message)."""

        def build(replay: Replay) -> Update:
            return self.fixed.callback(
                replay.user_id, "a:floor:1:x:4", message_id=replay.message_id
            )

        builds = [functools.partial(build, plan) for plan in self.plans]
        us, _, _ = await sequential_us(self.bare, self.bare_request, builds, None, phases)
        return us

    async def timed_slice(self, builds: Sequence[Callable[[], Update]]) -> SliceTimes:
        """Ours, then the floor making the same calls; the writer's time per commit."""
        self.plans.clear()
        self.replays.clear()
        before = replace(self.repo.commit_stats)
        ours, parse, done = await self.ours(builds)
        after = self.repo.commit_stats
        commits = after.commits - before.commits
        writer = (after.seconds - before.seconds) / max(commits, 1) * 1e6
        return SliceTimes(ours, await self.floor(), parse, commits / done, writer)

    async def unsynced(self, builds: Sequence[Callable[[], Update]]) -> SliceTimes | None:
        """A slice with the bot's database not waiting for the disk (synchronous=OFF on its
        writing connection, set from here, then back): the writer's time without sync.

        None when the repository's writer is not where this looks for it (``_write``, a
        private name: the benchmark then says the sync was not measured).
        """
        writer = getattr(self.repo, "_write", None)
        if not isinstance(writer, Writer):
            return None
        [(mode,)] = await writer.execute("PRAGMA synchronous")
        await writer.execute("PRAGMA synchronous=OFF")
        try:
            return await self.timed_slice(builds)
        finally:
            await writer.execute(f"PRAGMA synchronous={int(mode)}")

    async def transport_us(self) -> tuple[float, float]:
        """Ours' last slice of calls made once more, one by one, through ours' Bot and offline
        layer and through the floor's (PTB's side and the fake, without the rest of an
        update around them): microseconds per call on each. The same work on both sides."""
        times = []
        for bot in (self.harness.app.bot, self.bare.bot):
            start = time.perf_counter()
            for replay in self.replays:
                for method, kwargs in replay.calls:
                    if method == "answer":
                        await bot.answer_callback_query("1", **kwargs)
                    elif method == "edit":
                        await bot.edit_message_text(
                            chat_id=replay.user_id, message_id=replay.message_id, **kwargs
                        )
                    else:
                        await bot.send_message(**kwargs)
            calls = sum(len(replay.calls) for replay in self.replays)
            times.append((time.perf_counter() - start) / max(calls, 1) * 1e6)
        return times[0], times[1]

    async def breakdown(self, builds: list[Callable[[], Update]]) -> Breakdown:
        """One more slice of ours and of the floor, with the boundaries wrapped."""
        app = self.harness.app
        services = app.bot_data
        ours, floor = Phases(), Phases()
        wrapped = instrumented(
            ours,
            app,
            self.request,
            journey=services.journey,
            repository=services.journey.repo,
            renderer=services.renderer_,
        )
        with wrapped:
            await self.ours(builds, ours)
        with instrumented(floor, self.bare, self.bare_request):
            await self.floor(floor)
        return Breakdown(
            ours.us_per_update(),
            floor.us_per_update(),
            ours.processing_ns / max(ours.updates, 1) / 1000,
            floor.processing_ns / max(floor.updates, 1) / 1000,
            len(builds),
        )


@dataclass(frozen=True, slots=True)
class SliceTimes:
    """One slice: µs per answer of ours and of the floor, of building the updates; commits per
    answer and µs per commit in the writer (commit_stats)."""

    ours: float
    floor: float
    parse: float
    commits: float
    writer: float


async def floor_comparison(
    folder: Path, updates: int, *, seed: int, real_chart: bool, profile: bool, summary_runs: int
) -> Floor:
    """(f) in alternating slices of ours and the floor; then (d) and (e) on ours, finished.

    Each slice runs ours, recording its Bot API calls, then the floor making those same calls
    for as many updates. Alternating slices keep a change in the machine's load (other
    processes) from favouring either side; the ratio is the median of the slices' ratios.
    Two more slices: one with the database not waiting for the disk (the sync's share of a
    commit), one with the layers' boundaries wrapped (where the time goes).
    """
    per_user = THEMES - 1  # never the last answer: a finished canvas builds the summary
    size = -(-updates // SLICES)
    partnerships = -(-(updates + 2 * size) // (2 * per_user)) + 1  # one more, to warm up
    database = folder / "floor.sqlite3"
    harness = BenchHarness(database, real_chart=real_chart, concurrency=64)
    sides = Sides(harness, seed)
    async with harness, sides.bare:
        driver = sides.driver
        users = await driver.create_many(range(partnerships))
        warm, measured = users[:2], users[2:]
        await sides.timed_slice([driver.next_answer(u) for u in warm for _ in range(per_user)])
        sides.calls.clear()
        sides.answered = 0
        builds = [driver.next_answer(u) for u in measured for _ in range(per_user)]
        builds, extra = builds[:updates], builds[updates:]
        profiler = cProfile.Profile() if profile else None
        slices: list[SliceTimes] = []
        gc.collect()
        for start in range(0, len(builds), size):
            if profiler is not None:
                profiler.enable()
            slices.append(await sides.timed_slice(builds[start : start + size]))
            if profiler is not None:
                profiler.disable()
        calls = {m: n / sides.answered for m, n in sides.calls.items()}
        transport = await sides.transport_us()
        unsynced = await sides.unsynced(extra[:size])
        writer = statistics.median(s.writer for s in slices)
        writer_unsynced = writer if unsynced is None else unsynced.writer
        gc.collect()
        breakdown = await sides.breakdown(extra[size : 2 * size])
        await driver.finish_all(users)
        await harness.settle()  # the summaries go out through the outbox
        summaries = harness.telegram.counts.get("sendphoto", 0)
        stored = count_rows(database, "answers")
        summary = await summary_times(harness, driver.partnership_of[users[-1]], summary_runs)

    def ours(s: SliceTimes) -> float:
        """Ours less its commits' writer time beyond the unsynced slice's (the writer's time
        is measured in the same slice, so a busy moment mostly cancels out)."""
        return s.ours - s.commits * max(0.0, s.writer - writer_unsynced)

    def ratio(s: SliceTimes, *, with_sync: bool = False) -> float:
        return (s.ours if with_sync else ours(s)) / s.floor

    return Floor(
        ours_us=statistics.median(s.ours for s in slices),
        ours_unsynced_us=statistics.median(ours(s) for s in slices),
        floor_us=statistics.median(s.floor for s in slices),
        ratio=statistics.median(ratio(s) for s in slices),
        ratio_range=(min(ratio(s) for s in slices), max(ratio(s) for s in slices)),
        ratio_with_sync=statistics.median(ratio(s, with_sync=True) for s in slices),
        parse_us=statistics.median(s.parse for s in slices),
        writer_us=writer,
        writer_unsynced_us=writer_unsynced,
        sync_measured=unsynced is not None,
        commits_per_answer=statistics.median(s.commits for s in slices),
        calls_per_answer=calls,
        transport_us=transport,
        breakdown=breakdown,
        updates=len(builds),
        partnerships=partnerships,
        summaries=summaries,
        stored_answers=stored,
        database_bytes=database_bytes(database),
        summary=summary,
        profile=profile_text(profiler) if profiler is not None else "",
    )


def profile_text(profiler: cProfile.Profile, top: int = 25) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs()
    out.write("--- by own time (tottime)\n")
    stats.sort_stats("tottime").print_stats(top)
    out.write("--- by cumulative time\n")
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# ------------------------------------------------------------------------------- (c) memory


async def memory_child(partnerships: int, concurrency: int, seed: int, trace: bool) -> None:
    """Partnerships mid-journey; prints one JSON line with the memory and size figures.

    One partnership is played through the bot to half way; the others are cloned from its
    stored rows (every id and token fresh) in large units of work; then every partner taps
    one more answer through the bot, so all of them have touched the running process.
    """
    if trace:
        tracemalloc.start()
    with tempfile.TemporaryDirectory(prefix="canvas-bench-memory-") as folder:
        database = Path(folder) / "memory.sqlite3"
        harness = BenchHarness(database, real_chart=False, concurrency=concurrency)
        app, telegram = harness.app, harness.telegram
        async with harness:
            driver = Driver(harness, seed=seed)
            # The first summary loads matplotlib for good: count it in the baseline.
            canvas = app.bot_data.canvas
            empty = compare(canvas, [], [])
            await asyncio.to_thread(
                render_chart, Reading(empty, canvas, app.bot_data.messages, "nl", "A", "B")
            )
            gc.collect()
            baseline = rss_mb()
            half = THEMES // 2
            social, business = await driver.create(0)
            await driver.answer_all({social: half - 1, business: half - 1})
            repo = app.bot_data.journey.repo
            if not isinstance(repo, SqliteRepository):
                raise TypeError("the benchmark expects the SQLite repository")
            template = await _template(repo, driver.partnership_of[social], (social, business))
            for start in range(1, partnerships, 100):
                ks = range(start, min(start + 100, partnerships))
                await repo.commit(_clones(template, ks))
            theme = load_canvas().next_open(frozenset(template.themes))
            if theme is None:
                raise RuntimeError("the template partnership has no open question")
            questions: dict[int, str | None] = {
                u: harness.message_with(u, "a:")[1].rsplit(":", 1)[0] for u in pair(0)
            }
            # The fake keeps no chat from here on: what it holds must not count as the bot's.
            telegram.history = 0
            telegram.forget_messages()
            for k in range(1, partnerships):
                questions.update(dict.fromkeys(pair(k), f"a:{_clone_id(k)}:1:{theme.id}"))

            def shown_so_far() -> int:  # the next question: the card edited, or a message
                return telegram.counts.get("sendmessage", 0) + telegram.counts.get(
                    "editmessagetext", 0
                )

            sent_before = shown_so_far()
            touches = (
                driver.process(driver.next_answer(u, question), arrive=True)
                for u, question in questions.items()
            )
            seconds = await timed(asyncio.gather(*touches))
            shown = shown_so_far() - sent_before
            users = list(questions)
            gc.collect()
            figures: dict[str, object] = {
                "partnerships": partnerships,
                "baseline_rss_mb": baseline,
                "rss_mb": rss_mb(),
                "peak_rss_mb": peak_rss_mb(),
                "touch_updates_per_s": len(users) / seconds,
                "next_question_shown": shown,
                "users": len(users),
                "answers": count_rows(database, "answers"),
            }
            if trace:
                current, peak = tracemalloc.get_traced_memory()
                figures["traced_mb"] = current / 2**20
                figures["traced_peak_mb"] = peak / 2**20
        figures["database_bytes"] = database_bytes(database)
    print(json.dumps(figures))


@dataclass
class _Template:
    rows: Changes
    themes: list[str]  # in the order they were answered


async def _template(
    repo: SqliteRepository, partnership_id: str, users: Sequence[int]
) -> _Template:
    partnership = await repo.partnership(partnership_id)
    if partnership is None:
        raise RuntimeError("the template partnership is missing")
    participants = [p for u in users if (p := await repo.participant(u)) is not None]
    answers = await repo.answers(partnership_id, partnership.round)
    rows = Changes(
        participants=participants,
        partnerships=[partnership],
        members=await repo.members(partnership_id),
        invites=await repo.invites(partnership_id),
        answers=answers,
    )
    themes = list(dict.fromkeys(a.theme_id for a in answers))
    return _Template(rows, themes)


def _clones(template: _Template, ks: Iterable[int]) -> Changes:
    rows = template.rows
    (social, business) = pair(0)
    changes = Changes()
    for k in ks:
        pid = _clone_id(k)
        users = dict(zip((social, business), pair(k), strict=True))
        changes.partnerships.extend(
            replace(p, id=pid, created_by=users[social]) for p in rows.partnerships
        )
        changes.participants.extend(
            replace(p, user_id=users[p.user_id], active_partnership=pid) for p in rows.participants
        )
        changes.members.extend(
            replace(m, partnership_id=pid, user_id=users[m.user_id]) for m in rows.members
        )
        changes.invites.extend(
            replace(
                i,
                token=f"{i.token[:8]}{k:07d}",
                partnership_id=pid,
                created_by=users.get(i.created_by, i.created_by),
                used_by=users.get(i.used_by, i.used_by) if i.used_by is not None else None,
            )
            for i in rows.invites
        )
        changes.answers.extend(
            replace(a, partnership_id=pid, user_id=users[a.user_id]) for a in rows.answers
        )
    return changes


def _clone_id(k: int) -> str:
    return f"bench{k:07d}"


def run_memory_child(options: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--memory-child",
        "--memory-partnerships",
        str(options.memory_partnerships),
        "--concurrency",
        str(options.concurrency),
        "--seed",
        str(options.seed),
    ]
    if options.tracemalloc:
        command.append("--tracemalloc")
    done = subprocess.run(  # noqa: S603 - this same script, with our own arguments
        command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=900
    )
    if done.returncode != 0:
        raise RuntimeError(f"the memory run failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# ------------------------------------------------------------------------------- main run


@dataclass
class Results:
    partnerships: int = 0
    setup_s: float = 0.0
    setup_updates: int = 0
    answers: int = 0
    answers_s: float = 0.0
    answers_commits: tuple[int, int] = (0, 0)  # during (a): transactions, of them on the loop
    latency: Latency | None = None
    drain_answers: int = 0
    drain_s: float = 0.0
    summaries: int = 0
    stored_answers: int = 0  # after (a)
    processed_answers: int = 0  # by the end of the main run
    final_answers: int = 0  # stored by then
    database_bytes: int = 0
    summary: SummaryTimes | None = None
    floor: Floor | None = None
    memory: dict[str, Any] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    log: dict[str, int] = field(default_factory=dict)
    first_error: str | None = None
    log_sources: dict[str, int] = field(default_factory=dict)
    machine: str = ""


async def main_run(options: argparse.Namespace, folder: Path, log: LogCounter) -> Results:
    results = Results(partnerships=options.partnerships)
    say(f"(f) {options.sequential_updates} answers one by one, ours and the floor; (d), (e) …")
    results.floor = await floor_comparison(
        folder,
        options.sequential_updates,
        seed=options.seed,
        real_chart=options.real_chart,
        profile=options.profile,
        summary_runs=options.summary_runs,
    )
    results.summary = results.floor.summary
    database = options.database or folder / "canvas.sqlite3"
    n = options.partnerships
    harness = BenchHarness(
        database, real_chart=options.real_chart, concurrency=options.concurrency
    )
    async with harness:
        driver = Driver(harness, seed=options.seed)
        say(f"setting up {n} partnerships through the bot (7 updates each) …")
        start = time.perf_counter()
        users = await driver.create_many(range(n))
        results.setup_s = time.perf_counter() - start
        results.setup_updates = 7 * n

        first = min(options.throughput_questions, THEMES - 2)
        say(
            f"(a) {len(users)} partners answer {first} questions each, all at once "
            f"(at most {options.throughput_seconds:g} s) …"
        )
        repo = repo_of(harness)
        before = replace(repo.commit_stats)
        start = time.perf_counter()
        deadline = start + options.throughput_seconds
        results.answers = await driver.answer_all(dict.fromkeys(users, first), deadline)
        results.answers_s = time.perf_counter() - start
        results.answers_commits = commits_since(repo, before)
        results.stored_answers = count_rows(database, "answers")

        open_answers = sum(THEMES - 1 - driver.answered.get(u, 0) for u in users)
        duration = min(options.duration, open_answers / options.rate)
        say(f"(b) {options.rate:g} answers/s for {duration:.3g} s, open loop …")
        order = users.copy()
        driver.random.shuffle(order)
        before = replace(repo.commit_stats)
        results.latency = await open_loop(driver, order, options.rate, duration)
        results.latency.commits = commits_since(repo, before)

        if options.finish:
            say("    every partner finishes the canvas …")
            start = time.perf_counter()
            results.drain_answers = await driver.finish_all(users)
            results.drain_s = time.perf_counter() - start
            await harness.settle()  # the summaries go out through the outbox
            results.summaries = harness.telegram.counts.get("sendphoto", 0)
        results.processed_answers = sum(driver.answered.values())
        results.final_answers = count_rows(database, "answers")
    results.database_bytes = database_bytes(database)

    results.peak_rss_mb = peak_rss_mb()
    results.log = dict(log.counts)
    results.first_error = log.first_error
    results.log_sources = dict(log.sources)
    if options.memory_partnerships > 0:
        say(f"(c) {options.memory_partnerships} partnerships mid-journey, in a fresh process …")
        results.memory = run_memory_child(options)
    return results


def say(text: str) -> None:
    print(text, flush=True)


# ------------------------------------------------------------------------------- report


Row = tuple[str, str, str, bool | None]  # figure, measured, target, met (None: no target)


def report(results: Results, options: argparse.Namespace, seconds: float) -> None:
    rows: list[Row] = []
    rate = results.answers / results.answers_s if results.answers_s else 0.0
    rows.append(
        ("(a) answers/s, each committed and synced", f"{rate:,.0f}", "≥ 1500", rate >= 1500)
    )
    rows.append(on_loop_row(results.answers_commits))
    floor = results.floor
    if floor is not None:
        ceiling = 1e6 / (floor.floor_us + floor.breakdown.floor["parse"])
        rows.append(("    framework ceiling: 1 / (floor + parsing)", f"{ceiling:,.0f}", "", None))
    if (latency := results.latency) is not None:
        rows.extend(_latency_rows(latency, options.rate))
    if floor is not None:
        rows.extend(_floor_rows(floor))
    memory = results.memory
    if memory:
        rows.append(
            (
                f"(c) RSS, {memory['partnerships']:,} partnerships mid-journey: now (peak)",
                f"{memory['rss_mb']:.0f} MB ({memory['peak_rss_mb']:.0f} MB)",
                "≤ 200 MB",
                memory["peak_rss_mb"] <= 200,
            )
        )
        rows.append(
            (
                "    RSS of that process before them",
                f"{memory['baseline_rss_mb']:.0f} MB",
                "",
                None,
            )
        )
    rows.append(("(c) peak RSS of this run", f"{results.peak_rss_mb:.0f} MB", "", None))
    if floor is not None:
        per = floor.database_bytes / max(floor.partnerships, 1)
        rows.append(("(d) database per finished partnership", f"{per / 1024:.1f} KiB", "", None))
    if memory:
        mid = memory["database_bytes"] / max(memory["partnerships"], 1)
        rows.append(
            ("(d) database per partnership, half answered", f"{mid / 1024:.1f} KiB", "", None)
        )
    if (summary := results.summary) is not None:
        rows.extend(_summary_rows(summary))
    _table(rows)
    _notes(results, floor, memory, seconds)


def _floor_rows(floor: Floor) -> list[Row]:
    unsynced = floor.ours_unsynced_us
    calls = ", ".join(f"{m} {n:.2f}" for m, n in sorted(floor.calls_per_answer.items()))
    ours_call, floor_call = floor.transport_us
    return [
        (
            f"(f) cost per answer without the disk's sync / floor ({floor.updates} one by one)",
            f"{unsynced:,.0f} / {floor.floor_us:,.0f} µs = {floor.ratio:.2f}x",
            "≤ 2x",
            floor.ratio <= 2,
        ),
        (
            "    with the disk's sync: ours / floor",
            f"{floor.ours_us:,.0f} / {floor.floor_us:,.0f} µs = {floor.ratio_with_sync:.2f}x",
            "",
            None,
        ),
        (
            f"    the disk's sync per commit ({floor.commits_per_answer:.2f} commits/answer)",
            f"{floor.sync_us:,.0f} µs" if floor.sync_measured else "not measured: no _write",
            "",
            None,
        ),
        (
            "    the writer per commit (commit_stats): synced / synchronous=OFF",
            f"{floor.writer_us:,.0f} / {floor.writer_unsynced_us:,.0f} µs",
            "",
            None,
        ),
        ("    Bot API calls per answer, ours (the floor the same)", calls, "", None),
        (
            "    the same calls alone, through ours' / the floor's Bot and offline layer",
            f"{ours_call:,.1f} / {floor_call:,.1f} µs a call",
            "",
            None,
        ),
        (
            "    building one update in the driver, not counted",
            f"{floor.parse_us:,.0f} µs",
            "",
            None,
        ),
    ]


def _breakdown_lines(breakdown: Breakdown, ours_us: float, floor_us: float) -> None:
    """Where an answer's time goes, ours beside the floor."""
    width = max(len(label) for _, label in PHASES)
    print(
        f"where an answer's time goes (µs per answer, {breakdown.updates} one by one, "
        "the layers' boundaries wrapped):"
    )
    print(f"  {'phase':<{width}}  {'ours':>7}  {'floor':>7}")
    for key, label in PHASES:
        print(f"  {label:<{width}}  {breakdown.ours[key]:>7,.0f}  {breakdown.floor[key]:>7,.0f}")
    ours = sum(v for k, v in breakdown.ours.items() if k not in {"parse", "gc"})
    floor = sum(v for k, v in breakdown.floor.items() if k not in {"parse", "gc"})
    print(f"  {'processing (all but parsing and gc)':<{width}}  {ours:>7,.0f}  {floor:>7,.0f}")
    print(
        f"  (the same, timed around process_update: {breakdown.ours_total_us:,.0f} / "
        f"{breakdown.floor_total_us:,.0f} µs; not wrapped, the median slice of (f): "
        f"{ours_us:,.0f} / {floor_us:,.0f} µs)"
    )


def _latency_rows(latency: Latency, rate: float) -> list[Row]:
    s = latency.samples_ms
    p50, p95, p99 = (percentile(s, q) for q in (0.50, 0.95, 0.99))
    achieved = len(s) / latency.seconds if latency.seconds else 0.0
    return [
        (
            f"(b) latency at {rate:g}/s (done {achieved:,.0f}/s): p50 / p95 / p99",
            f"{p50:.1f} / {p95:.1f} / {p99:.1f} ms",
            "p99 ≤ 20 ms",
            p99 <= 20,
        ),
        on_loop_row(latency.commits),
    ]


def on_loop_row(commits: tuple[int, int]) -> Row:
    total, on_loop = commits
    return (
        "    commits meanwhile, and of them on the event loop (a lone update's)",
        f"{total:,} ({on_loop / max(total, 1):.0%})",
        "",
        None,
    )


def _summary_rows(summary: SummaryTimes) -> list[Row]:
    return [
        (
            f"(e) summary text ({summary.messages} messages)",
            f"{summary.text_ms:.1f} ms",
            "< 50 ms",
            summary.text_ms < 50,
        ),
        (
            f"(e) picture ({summary.png_bytes // 1024} KiB PNG; "
            f"first in the process {summary.chart_cold_ms:.0f} ms)",
            f"{summary.chart_ms:.0f} ms",
            "< 500 ms",
            summary.chart_ms < 500,
        ),
        (
            f"(e) report ({summary.html_bytes // 1024} KiB HTML)",
            f"{summary.report_ms:.1f} ms",
            "",
            None,
        ),
    ]


def _table(rows: list[Row]) -> None:
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print()
    print(f"{'figure':<{width}}  {'measured':<{value_width}}  {'target':<12}  met")
    for name, value, target, ok in rows:
        mark = "" if ok is None else ("yes" if ok else "NO")
        print(f"{name:<{width}}  {value:<{value_width}}  {target:<12}  {mark}")
    print()


def _notes(results: Results, floor: Floor | None, memory: dict[str, Any], seconds: float) -> None:
    setup_rate = results.setup_updates / results.setup_s if results.setup_s else 0.0
    print(
        f"setup: {results.partnerships} partnerships at {setup_rate:,.0f} updates/s; "
        f"(a) {results.answers} answers in {results.answers_s:.1f} s, "
        f"{results.stored_answers} stored; by the end {results.processed_answers} processed, "
        f"{results.final_answers} stored"
    )
    if results.drain_s:
        print(
            f"finishing: {results.drain_answers / results.drain_s:,.0f} answers/s, "
            f"{results.summaries} summaries (expected {2 * results.partnerships})"
        )
    if results.latency is not None:
        print(
            f"(b) {results.latency.offered} updates offered; the generator fell at most "
            f"{results.latency.late_start_ms:.1f} ms behind its schedule"
        )
    if floor is not None:
        low, high = floor.ratio_range
        print(
            f"(f) ratio per slice of {floor.updates // SLICES} updates: {low:.2f}x to {high:.2f}x"
        )
        _breakdown_lines(floor.breakdown, floor.ours_us, floor.floor_us)
        print(
            f"(d) {floor.partnerships} partnerships finished: {floor.summaries} summaries "
            f"(expected {2 * floor.partnerships}), {floor.stored_answers} answers stored "
            f"(expected {2 * THEMES * floor.partnerships})"
        )
    if memory:
        traced = (
            f", traced Python memory {memory['traced_mb']:.0f} MB "
            f"(peak {memory['traced_peak_mb']:.0f} MB)"
            if "traced_mb" in memory
            else ""
        )
        print(
            f"(c) {memory['users']} partners touched the bot at "
            f"{memory['touch_updates_per_s']:,.0f} updates/s, "
            f"{memory['next_question_shown']} were shown their next question; "
            f"{memory['answers']} answers stored{traced}"
        )
    levels = ", ".join(f"{k} {v}" for k, v in sorted(results.log.items())) or "none"
    sources = sorted(results.log_sources.items(), key=lambda item: -item[1])[:3]
    if sources:
        levels += " (" + ", ".join(f"{name}: {n}" for name, n in sources) + ")"
    error = f"; first error: {results.first_error}" if results.first_error else ""
    print(f"log records: {levels}{error}")
    print(f"total {seconds:.0f} s")
    if results.machine:
        print(results.machine)
    if floor is not None and floor.profile:
        print()
        print(floor.profile)


# ------------------------------------------------------------------------------- entry


NUMBERS: Final[tuple[tuple[str, type[int] | type[float], float, str], ...]] = (
    ("--partnerships", int, 2000, "partnerships in (a) and (b)"),
    ("--concurrency", int, 256, "updates in flight at most"),
    ("--throughput-questions", int, 12, "questions each partner answers in (a)"),
    ("--throughput-seconds", float, 10, "(a) starts no answer after this long"),
    ("--rate", float, 300, "updates/s in (b)"),
    ("--duration", float, 20, "seconds of (b)"),
    ("--sequential-updates", int, 5000, "updates in (f)"),
    ("--memory-partnerships", int, 10000, "partnerships mid-journey in (c); 0 skips it"),
    ("--summary-runs", int, 5, "runs in (e)"),
    ("--seed", int, 1, "for the scores"),
)


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0] if __doc__ else ""
    )
    for flag, kind, default, what in NUMBERS:
        parser.add_argument(
            flag, type=kind, default=default, help=f"{what} (default: {default:g})"
        )
    parser.add_argument(
        "--database", type=Path, default=None, help="a new SQLite file (default: in a temp dir)"
    )
    parser.add_argument(
        "--finish",
        action="store_true",
        help="after (b), every partner of the main run finishes the canvas",
    )
    parser.add_argument(
        "--real-chart", action="store_true", help="render the real chart in every phase"
    )
    parser.add_argument(
        "--tracemalloc", action="store_true", help="trace Python allocations in (c)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile our side of (f) and print the top"
    )
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.database is not None and options.database.exists():
        parser.error(f"{options.database} exists; the benchmark needs a new database file")
    return options


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_arguments(sys.argv[1:] if argv is None else argv)
    log = LogCounter()
    logging.basicConfig(handlers=[log], level=logging.INFO, force=True)
    quiet_libraries()  # the levels the bot runs with
    if options.memory_child:
        asyncio.run(
            memory_child(
                options.memory_partnerships, options.concurrency, options.seed, options.tracemalloc
            )
        )
        return 0
    start = time.perf_counter()
    machine = sample()
    with tempfile.TemporaryDirectory(prefix="canvas-bench-") as folder:
        results = asyncio.run(main_run(options, Path(folder), log))
    results.machine = quietness(machine, sample())
    report(results, options, time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
