"""A small canvas and a journey wired to SQLite in a temporary folder, with a fixed clock."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.callback import pack, unpack
from bot.render import DeepLinks
from flows.actions import Action, Edit, Send, SendLinked, SendLong
from flows.canvas import Canvas, parse_canvas
from flows.events import ButtonTapped, Command, CommandSent, TextSent, User
from flows.journey import Journey
from flows.messages import Messages, load_messages
from storage.sqlite import SqliteRepository

CANVAS_HEADER = """
version = "test.1"
scale = [
  {nl = "helemaal oneens", en = "strongly disagree"},
  {nl = "oneens", en = "disagree"},
  {nl = "neutraal", en = "neutral"},
  {nl = "eens", en = "agree"},
  {nl = "helemaal eens", en = "strongly agree"},
]
[parts]
partnership = {nl = "Partnerschap", en = "Partnership"}
resources = {nl = "Middelen", en = "Resources"}
value = {nl = "Waardecreatie", en = "Value creation"}
"""

SMALL_CANVAS = (
    CANVAS_HEADER
    + """
[[phases]]
id = "orientation"
title = {nl = "Oriëntatie", en = "Orientation"}
intro = {nl = "De basis.", en = "The basis."}
[[phases]]
id = "integration"
title = {nl = "Integratie", en = "Integration"}
intro = {nl = "Organiseren.", en = "Organising."}

[[themes]]
id = "selection"
phase = "orientation"
part = "partnership"
title = {nl = "Selectie", en = "Selection"}
statement = {nl = "Wij passen bij elkaar.", en = "We fit together."}
question = {nl = "Waarom juist wij?", en = "Why us?"}
gist = {nl = "ziet een goede match", en = "sees a good match"}
next_step = {nl = "Bespreek de match.", en = "Discuss the match."}
[[themes]]
id = "resources"
phase = "orientation"
part = "resources"
title = {nl = "Middelen", en = "Resources"}
statement = {nl = "Onze middelen vullen elkaar aan.", en = "Our resources complement."}
question = {nl = "Wat brengt ieder in?", en = "What does each bring?"}
gist = {nl = "ziet elkaar aanvullen", en = "sees each other complement"}
next_step = {nl = "Maak een lijst.", en = "Make a list."}
[[themes]]
id = "trust"
phase = "integration"
part = "partnership"
title = {nl = "Vertrouwen", en = "Trust"}
statement = {nl = "Wij vertrouwen elkaar.", en = "We trust each other."}
question = {nl = "Wat maakt vertrouwen?", en = "What builds trust?"}
gist = {nl = "vertrouwt de partner", en = "trusts the partner"}
next_step = {nl = "Bespreek een tegenslag.", en = "Discuss a setback."}
"""
)

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def canvas() -> Canvas:
    return parse_canvas(SMALL_CANVAS)


@pytest.fixture
def messages() -> Messages:
    return load_messages()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[SqliteRepository]:
    sqlite = await SqliteRepository.open(tmp_path / "canvas.sqlite3")
    try:
        yield sqlite
    finally:
        await sqlite.close()


JourneyFactory = Callable[[], Journey]


@pytest.fixture
def make_journey(
    repo: SqliteRepository, canvas: Canvas, messages: Messages, clock: Clock
) -> JourneyFactory:
    """A new Journey on the same repository, as after a restart."""
    tokens = (f"tok{n:04d}" for n in itertools.count())
    ids = (f"p{n:04d}" for n in itertools.count())

    def make() -> Journey:
        return Journey(
            repo,
            canvas,
            messages,
            clock=clock,
            new_token=lambda: next(tokens),
            new_id=lambda: next(ids),
        )

    return make


@pytest.fixture
def journey(make_journey: JourneyFactory) -> Journey:
    return make_journey()


LINKS = DeepLinks("canvas_test_bot")


@dataclass(frozen=True)
class Shown:
    """A button as the user sees it: its label, and its data on the wire (None: a link)."""

    label: str
    data: str | None


def text_of(action: Action) -> str | None:
    """The text a message action shows, as the bot would send it (links filled in)."""
    if isinstance(action, Send | Edit):
        return action.text
    if isinstance(action, SendLong):
        return "\n\n".join(action.blocks)
    if isinstance(action, SendLinked):
        return action.text(LINKS)
    return None


def texts_to(actions: list[Action], chat_id: int) -> str:
    """Every text sent to ``chat_id``, joined."""
    return "\n".join(
        text
        for a in actions
        if isinstance(a, Send | SendLong | SendLinked) and a.chat_id == chat_id
        for text in [text_of(a)]
        if text is not None
    )


class Person:
    """One user talking to the journey, remembering the last buttons they were shown."""

    def __init__(self, journey: Journey, user_id: int, language: str = "nl") -> None:
        self.journey = journey
        self.user = User(user_id, language)
        self.replies: list[Action] = []

    async def command(self, command: Command, argument: str = "") -> list[Action]:
        return await self._run(CommandSent(self.user, command, argument))

    async def say(self, text: str) -> list[Action]:
        return await self._run(TextSent(self.user, text))

    async def tap(self, data: str) -> list[Action]:
        """Tap a button by its data on the wire, as Telegram would deliver it."""
        return await self._run(ButtonTapped(self.user, unpack(data)))

    async def _run(self, event: CommandSent | TextSent | ButtonTapped) -> list[Action]:
        """The replies to the person, then what the update put in the outbox (for anyone)."""
        self.replies = await self.journey.handle(event)
        self.replies.extend(await drain(self.journey.repo))
        return self.replies

    def buttons(self) -> list[Shown]:
        found: list[Shown] = []
        for action in self.replies:
            if isinstance(action, Send | Edit):
                for row in action.keyboard:
                    found.extend(Shown(b.label, b.tap and pack(b.tap)) for b in row)
        return found

    def button(self, prefix: str) -> str:
        """The data of the first button shown whose data starts with ``prefix``."""
        for button in self.buttons():
            if button.data and button.data.startswith(prefix):
                return button.data
        raise AssertionError(f"no button {prefix!r} among {[b.data for b in self.buttons()]}")

    def texts(self) -> list[str]:
        return [text for a in self.replies if (text := text_of(a)) is not None]

    def text(self) -> str:
        return "\n".join(self.texts())


async def drain(repo: object) -> list[Action]:
    """Everything waiting in the outbox, marked sent, in order: what the transport would send."""
    assert isinstance(repo, SqliteRepository)
    rows = await repo.outbox.due(datetime.max.replace(tzinfo=UTC), 10_000)
    for row in rows:
        await repo.outbox.sent(row, START)
    return [row.action for row in rows]
