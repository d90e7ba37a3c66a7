"""The facilitator's own path: no organisation asked, their own help, the summary on joining
late, an overview of all their partnerships, and partnerships they start themselves."""

from __future__ import annotations

import re
from datetime import timedelta

from flows.actions import Send, SendDocument, SendLong, SendPhoto
from flows.events import Command
from flows.journey import Journey
from flows.model import Role
from storage.sqlite import SqliteRepository
from tests.flows.conftest import Clock, Person, texts_to
from tests.flows.test_journey import (
    BUSINESS,
    FACILITATOR,
    SOCIAL,
    answer_all,
    join,
    start_partnership,
)


def facilitator_token(person: Person) -> str:
    match = re.search(r"begeleider.*?start=([\w-]+)", person.text(), re.S)
    assert match, person.text()
    return match.group(1)


async def test_a_facilitator_joins_without_an_organisation_and_is_welcomed_as_one(
    journey: Journey, repo: SqliteRepository
) -> None:
    """Opening a facilitator link makes the person a member at once, under a neutral label,
    with a facilitator's welcome and no promise about their own answers."""
    social = Person(journey, SOCIAL)
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    facilitator = Person(journey, FACILITATOR)
    await facilitator.command(Command.START, facilitator_token(social))
    text = facilitator.text()
    assert "naam van jouw organisatie" not in text
    assert "Welkom, begeleider" in text
    assert "blijven privé" not in text
    [membership] = await repo.memberships(FACILITATOR)
    assert (membership.role, membership.organisation) == (Role.FACILITATOR, "Begeleider")
    assert "Er is nu een begeleider" in texts_to(facilitator.replies, SOCIAL)


async def test_a_facilitator_in_another_language_is_asked_only_the_language(
    journey: Journey, repo: SqliteRepository
) -> None:
    """A facilitator whose client speaks neither language joins, picks a language and settles,
    never asked for an organisation."""
    social = Person(journey, SOCIAL)
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    facilitator = Person(journey, FACILITATOR, language="de")
    await facilitator.command(Command.START, facilitator_token(social))
    await facilitator.tap(facilitator.button("l:en"))
    assert "name of your organisation" not in facilitator.text()
    assert "You are facilitating" in facilitator.text()
    assert [m.role for m in await repo.memberships(FACILITATOR)] == [Role.FACILITATOR]


async def test_the_facilitators_help_lists_their_commands(journey: Journey) -> None:
    """/help for a facilitator names /partnerships, /summary, /report, /csv and /meeting and
    not the partner's promise that their answers stay private."""
    social = Person(journey, SOCIAL)
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    facilitator = Person(journey, FACILITATOR)
    await facilitator.command(Command.START, facilitator_token(social))
    await facilitator.command(Command.HELP)
    text = facilitator.text()
    for command in ("/partnerships", "/summary", "/report", "/csv", "/meeting"):
        assert command in text
    assert "antwoorden blijven privé" not in text
    await social.command(Command.HELP)
    assert "/partnerships" not in social.text()


async def test_a_facilitator_joining_after_both_finished_gets_the_summary_at_once(
    journey: Journey,
) -> None:
    """Both partners are done before the facilitator opens the link: the summary, the picture
    and the report arrive with the welcome."""
    social, business = Person(journey, SOCIAL), Person(journey, BUSINESS)
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    link = facilitator_token(social)
    await join(business, token, "Jansen BV")
    await answer_all(social, 5)
    await answer_all(business, 1)
    facilitator = Person(journey, FACILITATOR)
    replies = await facilitator.command(Command.START, link)
    assert [type(a) for a in replies if isinstance(a, SendPhoto | SendDocument)] == [
        SendPhoto,
        SendDocument,
    ]
    assert all(a.chat_id == FACILITATOR for a in replies if isinstance(a, SendPhoto))
    assert "De Korrel" in facilitator.text()
    assert "als beide partners klaar" not in facilitator.text()
    assert "Beide partners zijn al klaar" in facilitator.text()


async def test_a_facilitator_who_joins_gets_one_welcome_not_also_the_idle_line(
    journey: Journey,
) -> None:
    """Joining by link gives the facilitator their welcome and no second, overlapping
    "you are facilitating" line; later updates still show that line."""
    social = Person(journey, SOCIAL)
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    facilitator = Person(journey, FACILITATOR)
    await facilitator.command(Command.START, facilitator_token(social))
    mine = [a for a in facilitator.replies if isinstance(a, Send) and a.chat_id == FACILITATOR]
    assert len(mine) == 1
    assert "Welkom, begeleider" in mine[0].text
    await facilitator.command(Command.RESUME)
    assert "Je begeleidt" in facilitator.text()


async def test_the_meeting_confirmation_speaks_to_who_set_it(journey: Journey) -> None:
    """A facilitator setting the meeting hears that they get the summary; a partner setting it
    without a facilitator is promised no facilitator at all."""
    social = Person(journey, SOCIAL)
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    link = facilitator_token(social)
    await social.command(Command.MEETING, "05-11-2026 14:00")
    assert "Gesprek gepland" in social.text()
    assert "begeleider" not in social.text()
    facilitator = Person(journey, FACILITATOR)
    await facilitator.command(Command.START, link)
    await facilitator.command(Command.MEETING, "06-11-2026 14:00")
    mine = texts_to(facilitator.replies, FACILITATOR)
    assert "krijg je de samenvatting en het verslag" in mine
    assert "krijgt de begeleider" not in mine


async def test_a_facilitator_starts_a_partnership_with_a_link_per_role(
    journey: Journey, repo: SqliteRepository
) -> None:
    """/new with the facilitator role gives one link per partner role, each named for it; the
    partners who open them get those roles."""
    facilitator = Person(journey, FACILITATOR)
    await facilitator.command(Command.START)
    await facilitator.say("Coach & Co")
    await facilitator.tap(f"o:{Role.FACILITATOR.value}")
    texts = facilitator.texts()
    social_link = next(t for t in texts if "Link voor de sociale onderneming" in t)
    business_link = next(t for t in texts if "Link voor de reguliere onderneming" in t)
    assert not [t for t in texts if "begeleider" in t.lower() and "start=" in t]
    partner = Person(journey, SOCIAL)
    await partner.command(Command.START, social_link.split("start=")[1].split()[0])
    assert "samenwerking met <b>Coach &amp; Co</b>" in partner.text()
    for user_id, text, name in (
        (SOCIAL, social_link, "De Korrel"),
        (BUSINESS, business_link, "Jansen"),
    ):
        match = re.search(r"start=([\w-]+)", text)
        assert match
        await join(Person(journey, user_id), match.group(1), name)
    [membership] = await repo.memberships(FACILITATOR)
    roles = {m.user_id: m.role for m in await repo.members(membership.partnership_id)}
    assert roles == {FACILITATOR: Role.FACILITATOR, SOCIAL: Role.SOCIAL, BUSINESS: Role.BUSINESS}


async def test_the_overview_puts_partnerships_that_need_attention_first(
    journey: Journey, clock: Clock
) -> None:
    """/partnerships lists every partnership of a facilitator as blocks to split: the one with
    a meeting in two days and a partner not done comes first; a finished one shows its number
    of differences and its meeting."""
    facilitator = Person(journey, FACILITATOR)
    names = [("Eerste", "Een BV", 5, 1), ("Tweede", "Twee BV", 4, 4)]
    for number, (social_name, business_name, high, low) in enumerate(names):
        social = Person(journey, SOCIAL + number * 1000)
        business = Person(journey, BUSINESS + number * 1000)
        token = await start_partnership(social, social_name, Role.SOCIAL)
        await facilitator.command(Command.START, facilitator_token(social))
        await join(business, token, business_name)
        await answer_all(social, high)
        if number == 0:
            await answer_all(business, low)
        when = clock() + timedelta(days=30 if number == 0 else 2)
        await facilitator.command(Command.MEETING, when.strftime("%d-%m-%Y %H:%M"))
    await facilitator.command(Command.PARTNERSHIPS)
    [overview] = [a for a in facilitator.replies if isinstance(a, SendLong)]
    title, first, second = overview.blocks
    assert "samenwerkingen" in title
    assert "Tweede" in first
    assert "Gesprek binnenkort" in first
    assert "Eerste" in second
    assert "Verschillen in verwachting: 3" in second
    assert "Volgend gesprek" in second
    assert "⚠️" not in second
