"""Briefings before a meeting and reminders to partners who stopped: derived from storage."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.callback import pack
from flows.actions import Action, Notice, Send, SendDocument, SendPhoto, StopRemindersTap
from flows.events import Command
from flows.journey import Journey
from flows.model import Role
from flows.momentum import parse_meeting
from tests.flows.conftest import Clock, JourneyFactory, Person, drain
from tests.flows.test_journey import (
    BUSINESS,
    FACILITATOR,
    SOCIAL,
    answer_all,
    join,
    start_partnership,
)

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-03 14:00", datetime(2026, 12, 3, 14, 0, tzinfo=AMS)),
        ("3-12-2026 14:00", datetime(2026, 12, 3, 14, 0, tzinfo=AMS)),
        ("03/12/2026 9.30", datetime(2026, 12, 3, 9, 30, tzinfo=AMS)),
        ("31-02-2026 14:00", None),
        ("morgen", None),
        ("", None),
    ],
)
def test_meeting_dates_are_read_in_dutch_and_iso_order(text: str, expected: datetime | None):
    """Both day-month-year and year-month-day are understood; impossible dates are refused."""
    assert parse_meeting(text, AMS) == expected


async def scan(journey: Journey, now: datetime) -> list[Action]:
    """Run the periodic scan and take what it stored in the outbox, as the sender would."""
    count = await journey.momentum.due(now)
    actions = await drain(journey.repo)
    assert count == len(actions)
    return actions


async def setup_pair(journey: Journey) -> tuple[Person, Person, Person]:
    social, business = Person(journey, SOCIAL), Person(journey, BUSINESS)
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    facilitator_token = next(
        t.split("start=")[1].split()[0] for t in social.texts() if "begeleider" in t
    )
    facilitator = Person(journey, FACILITATOR)
    await join(facilitator, facilitator_token, "Coach")
    await join(business, token, "Jansen BV")
    return social, business, facilitator


async def test_a_briefing_before_both_are_done_holds_progress_only(
    journey: Journey, make_journey: JourneyFactory, clock: Clock
) -> None:
    """Before both partners are done the briefing names who finished how much, exactly once,
    and holds no summary, picture, report, score or note of the unfinished round."""
    social, business, facilitator = await setup_pair(journey)
    await social.tap(social.button("a:").rsplit(":", 1)[0] + ":1")
    await social.tap(social.button("n:"))
    await social.say("Geheime notitie over de partner")
    await answer_all(social, score=5)
    await business.tap(business.button("a:").rsplit(":", 1)[0] + ":2")
    await facilitator.command(Command.MEETING, "2026-11-05 14:00")
    assert "05-11-2026 14:00" in facilitator.text()
    assert await scan(journey, clock()) == []  # four days ahead: not yet
    clock.advance(days=3, hours=8)
    actions = await scan(journey, clock())
    assert not [a for a in actions if isinstance(a, SendPhoto | SendDocument)]
    (briefing,) = [a for a in actions if isinstance(a, Send) and a.chat_id == FACILITATOR]
    assert "✅ De Korrel: klaar (3 van 3 thema's)" in briefing.text
    assert "⏳ Jansen BV: 1 van 3 thema's" in briefing.text
    for secret in ("Geheime notitie", "helemaal", "oneens", "verschil", "Bespreek"):
        assert secret not in briefing.text
    reminded = [a.chat_id for a in actions if isinstance(a, Send) and a.chat_id != FACILITATOR]
    assert reminded == [BUSINESS]
    assert await scan(journey, clock()) == []
    assert await scan(make_journey(), clock()) == []  # after a restart too


async def test_a_briefing_after_both_are_done_is_the_summary_in_three_messages(
    journey: Journey, clock: Clock
) -> None:
    """Once both are done the facilitator's briefing opens the first summary message, followed
    by the picture and the report: three messages, nothing sent to the partners."""
    social, business, facilitator = await setup_pair(journey)
    await answer_all(social, score=5)
    await answer_all(business, score=1)
    await facilitator.command(Command.MEETING, "2026-11-05 14:00")
    clock.advance(days=3, hours=8)
    actions = await scan(journey, clock())
    assert {a.chat_id for a in actions if not isinstance(a, Notice)} == {FACILITATOR}
    first, photo, report = actions
    assert isinstance(first, Send)
    assert first.text.startswith("🧭 <b>Voorbereiding</b> voor jullie gesprek op 05-11-2026")
    assert re.search(r"(?<!\d)3 verschillen in verwachting", first.text)
    assert isinstance(photo, SendPhoto)
    assert isinstance(report, SendDocument)


async def test_idle_partners_get_at_most_two_reminders(journey: Journey, clock: Clock) -> None:
    """A partner idle for three days is reminded, again three days later, and then no more."""
    social, business, _ = await setup_pair(journey)
    await answer_all(social, score=3)
    await business.tap(business.button("a:").rsplit(":", 1)[0] + ":3")
    sent: list[int] = []
    for _ in range(4):
        clock.advance(days=3, minutes=1)
        sent.extend(a.chat_id for a in await scan(journey, clock()) if isinstance(a, Send))
        assert await scan(journey, clock()) == []
    assert sent == [BUSINESS, BUSINESS]


async def test_stop_reminders_button_turns_them_off(journey: Journey, clock: Clock) -> None:
    """The button under a reminder stops every later reminder."""
    _social, business, _ = await setup_pair(journey)
    clock.advance(days=3, minutes=1)
    reminders = [a for a in await scan(journey, clock()) if a.chat_id == BUSINESS]  # type: ignore[union-attr]
    assert reminders
    taps = [b.tap for row in reminders[0].keyboard for b in row]  # type: ignore[union-attr]
    stop = next(pack(t) for t in taps if isinstance(t, StopRemindersTap))
    await business.tap(stop)
    assert "geen herinneringen" in business.text().lower()
    clock.advance(days=30)
    assert [a for a in await scan(journey, clock()) if a.chat_id == BUSINESS] == []  # type: ignore[union-attr]


async def test_a_meeting_in_the_past_or_garbled_is_refused(journey: Journey) -> None:
    """A meeting date that has passed or cannot be read gets a clear reply and is not stored."""
    _social, _business, facilitator = await setup_pair(journey)
    await facilitator.command(Command.MEETING, "2020-01-01 10:00")
    assert "voorbij" in facilitator.text()
    await facilitator.command(Command.MEETING, "volgende week")
    assert "/meeting" in facilitator.text()
