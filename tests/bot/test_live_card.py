"""One live question card, through the real Application and the fake Telegram: one edit per
answer, a fresh card takes the buttons of the one before it, and per-chat pacing never holds
up the next question of a partner tapping at a steady pace."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from typing import Any

import pytest
from aiolimiter import AsyncLimiter

from bot.render import ChatPacer
from bot.settings import Settings
from flows.model import Changes
from tests.bot.conftest import Harness
from tests.bot.test_journey_bot import SOCIAL, THEMES, create, join, shows_question
from tests.support.scenario import answer_data
from tests.support.telegram import Call, button_data

ANSWER = "a:"  # the callback data of an answer button on the question card


def live_cards(harness: Harness, user_id: int) -> list[int]:
    """The messages in the user's chat that can be answered now (show answer buttons)."""
    return harness.telegram.showing(user_id, ANSWER)


def buttons_of(harness: Harness, user_id: int, message_id: int) -> list[str]:
    message = harness.telegram.message(user_id, message_id) or {}
    return button_data(message.get("reply_markup"))


async def answer_card(
    harness: Harness, user_id: int, message_id: int | None = None, score: str = "4"
) -> tuple[int, list[Call]]:
    """Tap ``score`` on the card ``message_id`` (default: the newest card); the card's id and
    the Bot API calls the tap made."""
    if message_id is None:
        message_id, _ = harness.message_with(user_id, ANSWER)
    [data, *_] = (d for d in buttons_of(harness, user_id, message_id) if d.startswith(ANSWER))
    shown = harness.telegram.message(user_id, message_id) or {}
    update = harness.updates.callback(
        user_id,
        answer_data(data, score),
        message_id=message_id,
        message_text=str(shown.get("text") or "..."),
    )
    before = len(harness.offline.calls)
    await harness.process(update)
    return message_id, harness.offline.calls[before:]


async def test_each_answer_is_one_edit_of_the_tapped_card(harness: Harness) -> None:
    """In the steady state an answer makes one chat call besides answering the tap: the
    tapped card edited into the next question, for every answer that has a next question
    (across the ambitions, the phases and their intros), and one commit."""
    token = await create(harness)
    await join(harness, token)
    repo = harness.app.bot_data.journey.repo
    commits: list[Changes] = []
    commit = repo.commit

    async def counted(changes: Changes) -> None:
        commits.append(changes)
        await commit(changes)

    repo.commit = counted  # type: ignore[method-assign]
    for number in range(2, THEMES + 1):
        card, calls = await answer_card(harness, SOCIAL)
        made = [(c.method, c.params.get("message_id")) for c in calls]
        assert made.count(("answerCallbackQuery", None)) == 1
        assert [m for m in made if m[0] != "answerCallbackQuery"] == [("editMessageText", card)]
        assert shows_question(harness.shown_to(SOCIAL)[-1], number)
    assert live_cards(harness, SOCIAL) == [card]
    assert len(commits) == THEMES - 1  # one per answer: keeping the card where it is is free


async def test_a_fresh_card_takes_the_buttons_of_the_one_before(harness: Harness) -> None:
    """After typed text, /resume or a note the question comes again as a new card at the foot
    of the chat, and the card before it loses its buttons: one message can be answered."""
    await create(harness)
    await answer_card(harness, SOCIAL)
    [card] = live_cards(harness, SOCIAL)
    before = len(harness.offline.calls)
    await harness.text(SOCIAL, "even nadenken")
    [fresh] = live_cards(harness, SOCIAL)
    assert fresh > card
    assert buttons_of(harness, SOCIAL, card) == []  # the note button went with the scale
    made = [(c.method, c.params.get("message_id")) for c in harness.offline.calls[before:]]
    # The fresh card goes first; taking the old one's buttons follows and holds up nothing.
    assert made[-1] == ("editMessageReplyMarkup", card)
    assert made.index(("editMessageReplyMarkup", card)) > made.index(("sendMessage", None))

    await harness.command(SOCIAL, "/resume")
    [resumed] = live_cards(harness, SOCIAL)
    assert resumed > fresh

    await answer_card(harness, SOCIAL)  # the card now has a note button for that answer
    await harness.tap(SOCIAL, "n:")
    await harness.text(SOCIAL, "Hier twijfelen we nog over.")
    [after_note] = live_cards(harness, SOCIAL)
    assert after_note > resumed
    assert [buttons_of(harness, SOCIAL, m) for m in (card, fresh, resumed)] == [[], [], []]

    tapped, _ = await answer_card(harness, SOCIAL)  # answering it edits it: still the one
    assert tapped == after_note
    assert live_cards(harness, SOCIAL) == [after_note]


async def test_the_live_card_is_remembered_across_a_restart(settings: Settings) -> None:
    """The live card's message id is stored: after a restart, /resume's fresh card still
    takes the buttons of the card the earlier run sent."""
    first = Harness(settings)
    async with first:
        await create(first)
        await answer_card(first, SOCIAL)
        [card] = live_cards(first, SOCIAL)
    second = Harness(settings, first.offline)
    async with second:
        await second.command(SOCIAL, "/resume")
        [fresh] = live_cards(second, SOCIAL)
    assert fresh > card


async def test_an_older_card_that_kept_its_buttons_becomes_live_when_answered(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram refusing to take an old card's buttons is logged and left; answering on that
    older card works as ever, makes it the live card and takes the newer one's buttons."""
    await create(harness)
    await answer_card(harness, SOCIAL)
    [older] = live_cards(harness, SOCIAL)
    harness.telegram.fail_next(
        "editMessageReplyMarkup", 400, "Bad Request: message to edit not found"
    )
    with caplog.at_level(logging.INFO, logger="bot.render"):
        await harness.text(SOCIAL, "even nadenken")
    assert "an older card keeps its buttons" in caplog.text
    assert not any("ging aan onze kant iets mis" in t for t in harness.texts_to(SOCIAL))
    [kept, newer] = live_cards(harness, SOCIAL)
    assert kept == older < newer

    await answer_card(harness, SOCIAL, older)
    assert live_cards(harness, SOCIAL) == [older]
    assert shows_question(harness.shown_to(SOCIAL)[-1], 3)


class PacerClock:
    """The per-chat pacer's clock, moved by the test: time passes when the test says so, and
    a wait the pacer needs is added to it at once instead of slept."""

    def __init__(self) -> None:
        self.now = 0.0

    def limiter(self) -> type[AsyncLimiter]:
        """aiolimiter's limiter (which ChatPacer keeps per chat) reading this clock."""
        clock = self

        class OnClock(AsyncLimiter):
            @property
            def _loop(self) -> Any:
                return _LoopOnClock(clock, asyncio.get_running_loop())

        return OnClock


class _LoopOnClock:
    """What aiolimiter asks of its event loop, with the time read from a PacerClock."""

    def __init__(self, clock: PacerClock, loop: asyncio.AbstractEventLoop) -> None:
        self.clock, self.loop = clock, loop

    def time(self) -> float:
        return self.clock.now

    def is_closed(self) -> bool:
        return False

    def create_future(self) -> asyncio.Future[None]:
        return self.loop.create_future()

    def call_soon(self, callback: Callable[..., object], *args: object) -> asyncio.Handle:
        return self.loop.call_soon(callback, *args)

    def call_at(
        self, when: float, callback: Callable[..., object], *args: object
    ) -> asyncio.Handle:
        self.clock.now = max(self.clock.now, when)  # the pacer's wait passes at once
        return self.loop.call_soon(callback, *args)


async def test_a_partner_tapping_every_1_5_seconds_gets_each_question_at_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With per-chat pacing as in production (a burst of 5, then one a second), a partner
    who taps an answer 1.5 seconds after each question appears gets the next one within
    300 ms (p95): one message per answer keeps the chat within its budget, two would make
    every question wait half a second. The time measured is the pacer's, on a clock the
    test moves, so the machine's load cannot change the outcome (how fast the bot itself
    is, the benchmark shows)."""
    clock = PacerClock()
    monkeypatch.setattr("bot.render.AsyncLimiter", clock.limiter())
    harness = Harness(settings, rate_limiter=True)  # as in production: pacing on
    async with harness:
        renderer = harness.app.bot_data.renderer_
        pacer = renderer.pacer if renderer is not None else None
        assert isinstance(pacer, ChatPacer)
        assert (pacer.burst, pacer.burst / pacer.period) == (5, 1.0)
        token = await create(harness)
        await join(harness, token)
        waits = []
        for number in range(2, THEMES + 1):
            clock.now += 1.5  # reading the question, then tapping
            tapped_at = clock.now
            await answer_card(harness, SOCIAL)
            waits.append(clock.now - tapped_at)
            assert shows_question(harness.shown_to(SOCIAL)[-1], number)
    p95 = sorted(waits)[math.ceil(0.95 * len(waits)) - 1]
    assert p95 <= 0.3, f"seconds each next question waited for the pacer: {waits}"
