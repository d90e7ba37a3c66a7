"""``python -m benchmarks.run``: how fast, how lean and how big the bot is, against its targets.

Everything goes through a real PTB Application built by ``bot.app.build_application`` on a
real SQLite file in a temporary folder, with :class:`benchmarks.offline.TimedRequest` (the tests'
fake Telegram, lean) in place of Telegram, and is played by the tests' scenario driver. Updates
are built as Telegram would send them (``Update.de_json``) and handed to
``Application.process_update``: one task per user (each user's updates in order), concurrent
across users, bounded by a semaphore (``--concurrency``).

In the order they run:

(f) cost per answer update, one after the other, against the framework floor: a bare
    Application whose callback makes the same three Bot API calls (answerCallbackQuery,
    editMessageText, sendMessage) with fixed content. Measured in alternating slices.
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
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes

from benchmarks.offline import CURRENT, TimedRequest, Tracker
from bot.logs import quiet_libraries
from bot.settings import Settings
from flows.canvas import load_canvas
from flows.chart import render_chart
from flows.chat_summary import first_message, render_detail
from flows.compare import compare
from flows.model import Changes
from flows.reading import Reading
from flows.report import render_report_html
from storage.sqlite import SqliteRepository
from tests.support import scenario
from tests.support.harness import Harness
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

    async def process(self, update: Update) -> None:
        async with self.limit:
            await self.app.process_update(update)


def pair(k: int) -> tuple[int, int]:
    """The user ids of partnership number ``k``: the social enterprise, the business."""
    return FIRST_USER + 2 * k, FIRST_USER + 2 * k + 1


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

FLOOR_NOTICE: Final = "Opgeslagen"
FLOOR_CARD: Final = (
    "✅ <b>Elkaar aanvullen</b> · Jouw antwoord: <b>4 · Eens</b>\n\n"
    "<i>🤝 Sociale onderneming 1 \N{MULTIPLICATION SIGN} Bedrijf 1</i>\n"
    "7/24 · Oriëntatie · Waardecreatie\n\n"
    "<b>Gedeelde doelen</b>\nWe hebben samen duidelijke doelen voor wat deze samenwerking "
    "moet opleveren.\n\n<i>1 = helemaal oneens … 5 = helemaal eens</i>"
)
FLOOR_SCALE: Final = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton(n, callback_data=f"a:abcdefgh:1:goals:{n}")
            for n in ("1", "2", "3", "4", "5")
        ],
        [
            InlineKeyboardButton("Nog niet aan de orde", callback_data="a:abcdefgh:1:goals:n"),
            InlineKeyboardButton("Overslaan", callback_data="a:abcdefgh:1:goals:s"),
        ],
        [
            InlineKeyboardButton(
                "📝 Toelichting bij Elkaar aanvullen", callback_data="n:abcdefgh:1:complement"
            )
        ],
    ]
)


async def floor_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The same two calls an answer makes (the notice, and the live card edited into the next
    question), with fixed content: no flow, no storage."""
    query = update.callback_query
    if query is None:
        return
    await query.answer(FLOOR_NOTICE)
    await query.edit_message_text(FLOOR_CARD, parse_mode=ParseMode.HTML, reply_markup=FLOOR_SCALE)


async def sequential_us(
    app: Application[Any, Any, Any, Any, Any, Any], builds: Iterable[Callable[[], Update]]
) -> tuple[float, float, int]:
    """Mean microseconds to process, and to build, one update; one after the other."""
    processing = building = 0.0
    count = 0
    for build in builds:
        start = time.perf_counter()
        update = build()
        built = time.perf_counter()
        await app.process_update(update)
        processing += time.perf_counter() - built
        building += built - start
        count += 1
    count = max(count, 1)
    return processing / count * 1e6, building / count * 1e6, count


@dataclass
class Floor:
    ours_us: float  # median over the slices
    floor_us: float
    ratio: float  # median of the slices' ratios
    ratio_range: tuple[float, float]
    parse_us: float  # building an Update from its JSON (de_json), as polling does
    updates: int
    partnerships: int
    summaries: int
    stored_answers: int
    database_bytes: int
    summary: SummaryTimes
    profile: str = ""


def bare_application() -> Application[Any, Any, Any, Any, Any, Any]:
    """The floor: the same Bot API calls as an answer, with fixed content, nothing else."""
    bare = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(TimedRequest())
        .get_updates_request(TimedRequest())
        .build()
    )
    bare.add_handler(CallbackQueryHandler(floor_answer))
    return bare


async def floor_comparison(
    folder: Path, updates: int, *, seed: int, real_chart: bool, profile: bool, summary_runs: int
) -> Floor:
    """(f) in alternating slices of ours and the floor; then (d) and (e) on ours, finished.

    Alternating slices keep a change in the machine's load (other processes) from favouring
    either side; the ratio is the median of the slices' ratios.
    """
    per_user = THEMES - 1  # never the last answer: a finished canvas builds the summary
    partnerships = -(-updates // (2 * per_user)) + 1  # one more, to warm up
    database = folder / "floor.sqlite3"
    harness = BenchHarness(database, real_chart=real_chart, concurrency=64)
    app = harness.app
    bare = bare_application()
    fixed = UpdateFactory(bare.bot)
    async with harness, bare:
        driver = Driver(harness, seed=seed)
        users = await driver.create_many(range(partnerships))
        warm, measured = users[:2], users[2:]
        ids = itertools.cycle(users)

        def floor_builds(n: int) -> Iterator[Callable[[], Update]]:
            data = "a:abcdefgh:1:complement:4"
            return (lambda: fixed.callback(next(ids), data, message_id=1) for _ in range(n))

        await sequential_us(app, (driver.next_answer(u) for u in warm for _ in range(per_user)))
        await sequential_us(bare, floor_builds(200))
        builds = [driver.next_answer(u) for u in measured for _ in range(per_user)][:updates]
        profiler = cProfile.Profile() if profile else None
        slices: list[tuple[float, float, float]] = []  # ours, floor, parsing
        size = -(-len(builds) // SLICES)
        gc.collect()
        for start in range(0, len(builds), size):
            part = builds[start : start + size]
            floor, _, _ = await sequential_us(bare, floor_builds(len(part)))
            if profiler is not None:
                profiler.enable()
            ours, parse, _ = await sequential_us(app, part)
            if profiler is not None:
                profiler.disable()
            slices.append((ours, floor, parse))
        await driver.answer_all({u: THEMES - driver.answered.get(u, 0) for u in users})
        summaries = harness.telegram.counts.get("sendphoto", 0)
        stored = count_rows(database, "answers")
        summary = await summary_times(harness, driver.partnership_of[users[-1]], summary_runs)
    return Floor(
        ours_us=statistics.median(s[0] for s in slices),
        floor_us=statistics.median(s[1] for s in slices),
        ratio=statistics.median(s[0] / s[1] for s in slices),
        ratio_range=(min(s[0] / s[1] for s in slices), max(s[0] / s[1] for s in slices)),
        parse_us=statistics.median(s[2] for s in slices),
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
        start = time.perf_counter()
        deadline = start + options.throughput_seconds
        results.answers = await driver.answer_all(dict.fromkeys(users, first), deadline)
        results.answers_s = time.perf_counter() - start
        results.stored_answers = count_rows(database, "answers")

        open_answers = sum(THEMES - 1 - driver.answered.get(u, 0) for u in users)
        duration = min(options.duration, open_answers / options.rate)
        say(f"(b) {options.rate:g} answers/s for {duration:.3g} s, open loop …")
        order = users.copy()
        driver.random.shuffle(order)
        results.latency = await open_loop(driver, order, options.rate, duration)

        if options.finish:
            say("    every partner finishes the canvas …")
            rest = {u: THEMES - driver.answered.get(u, 0) for u in users}
            start = time.perf_counter()
            results.drain_answers = await driver.answer_all(rest)
            results.drain_s = time.perf_counter() - start
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
    rows.append(("(a) answers/s, every one committed", f"{rate:,.0f}", "≥ 1500", rate >= 1500))
    floor = results.floor
    if floor is not None:
        ceiling = 1e6 / (floor.floor_us + floor.parse_us)
        rows.append(("    framework ceiling: 1 / (floor + parsing)", f"{ceiling:,.0f}", "", None))
    if (latency := results.latency) is not None:
        rows.extend(_latency_rows(latency, options.rate))
    if floor is not None:
        rows.append(
            (
                f"(f) cost per answer, ours / floor ({floor.updates} one by one)",
                f"{floor.ours_us:,.0f} / {floor.floor_us:,.0f} µs = {floor.ratio:.2f}x",
                "≤ 2x",
                floor.ratio <= 2,
            )
        )
        rows.append(
            (
                "    parsing one update (de_json), not counted",
                f"{floor.parse_us:,.0f} µs",
                "",
                None,
            )
        )
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
        )
    ]


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
    with tempfile.TemporaryDirectory(prefix="canvas-bench-") as folder:
        results = asyncio.run(main_run(options, Path(folder), log))
    report(results, options, time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
