"""The button under the first summary message: the whole summary, for members, of the current
round only; and the news that both are done told once to the partner who finished last."""

from __future__ import annotations

import asyncio

from flows.actions import Notice, Send, SendLong
from flows.events import Command
from flows.journey import Journey
from flows.model import Role
from tests.flows.conftest import Person, texts_to
from tests.flows.test_journey import BUSINESS, SOCIAL, answer_all, join, start_partnership


async def finished(journey: Journey) -> tuple[Person, Person]:
    social, business = Person(journey, SOCIAL), Person(journey, BUSINESS)
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    await join(business, token, "Jansen BV")
    await answer_all(social, 5)
    await business.tap(business.button("a:").rsplit(":", 1)[0] + ":1")
    await business.tap(business.button("n:"))
    await business.say("Wij zien dat anders, omdat het budget nog niet rond is.")
    await answer_all(business, 1)
    return social, business


async def test_the_first_summary_message_carries_the_detail_button_and_it_shows_everything(
    journey: Journey,
) -> None:
    """Both partners get a detail button; tapping it gives the whole agenda with the note in
    full as blocks the transport may split."""
    social, business = await finished(journey)
    data = business.button("d:")
    assert data.count(":") == 2
    to_social = [a for a in business.replies if isinstance(a, Send) and a.chat_id == SOCIAL]
    assert any(b.tap for a in to_social for row in a.keyboard for b in row)
    await social.tap(data)
    [detail] = [a for a in social.replies if isinstance(a, SendLong)]
    assert detail.chat_id == SOCIAL
    text = "\n\n".join(detail.blocks)
    assert "Agenda voor het gesprek" in text
    assert "omdat het budget nog niet rond is." in text
    assert len(detail.blocks) > 2


async def test_a_stranger_or_an_old_round_gets_no_detail(journey: Journey) -> None:
    """Someone outside the partnership, and a button of another round, see only a notice."""
    _, business = await finished(journey)
    data = business.button("d:")
    stranger = Person(journey, 999)
    await stranger.command(Command.START)
    await stranger.tap(data)
    assert not [a for a in stranger.replies if isinstance(a, SendLong)]
    assert any(isinstance(a, Notice) for a in stranger.replies)
    await business.tap(data.rsplit(":", 1)[0] + ":2")
    assert not [a for a in business.replies if isinstance(a, SendLong)]
    assert [a.text for a in business.replies if isinstance(a, Notice)] == [
        "Deze samenvatting is niet meer de laatste. De huidige: /summary."
    ]


async def test_the_last_partner_hears_both_are_done_once(journey: Journey) -> None:
    """The partner whose answer completes the round reads 'allebei klaar' once; the other
    partner reads it in the summary's opening line."""
    _, business = await finished(journey)
    assert texts_to(business.replies, BUSINESS).count("🎉 Jullie zijn allebei klaar") == 1
    assert texts_to(business.replies, SOCIAL).count("🎉 Jullie zijn allebei klaar") == 1


async def test_partners_finishing_at_once_each_hear_both_are_done_once(
    journey: Journey,
) -> None:
    """When both last answers are handled at the same moment, neither done message knew the
    other had finished: each partner still reads 'allebei klaar' exactly once."""
    social, business = Person(journey, SOCIAL), Person(journey, BUSINESS)
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    await join(business, token, "Jansen BV")
    for person in (social, business):
        for _ in range(2):
            await person.tap(person.button("a:").rsplit(":", 1)[0] + ":3")
    last = [p.button("a:").rsplit(":", 1)[0] + ":3" for p in (social, business)]
    replies = await asyncio.gather(social.tap(last[0]), business.tap(last[1]))
    everything = [a for actions in replies for a in actions]
    for chat in (SOCIAL, BUSINESS):
        assert texts_to(everything, chat).count("🎉 Jullie zijn allebei klaar") == 1
