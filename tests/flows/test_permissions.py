"""Who may do what in a partnership: a facilitator link only from its creator or facilitator,
and the meeting set by the facilitator (without one, by the creator)."""

from __future__ import annotations

from datetime import timedelta

from flows.events import Command
from flows.journey import Journey
from flows.model import Role
from storage.sqlite import SqliteRepository
from tests.flows.conftest import Clock, Person
from tests.flows.test_facilitator import facilitator_token
from tests.flows.test_journey import BUSINESS, FACILITATOR, SOCIAL, join, start_partnership


def links(person: Person) -> list[str]:
    return [t for t in person.texts() if "start=" in t]


async def test_the_invited_partner_cannot_mint_a_facilitator_link(
    journey: Journey, repo: SqliteRepository
) -> None:
    """/invite by the partner who joined issues no facilitator link and leaves the creator's
    facilitator link working; the creator's /invite still issues one."""
    social, business = Person(journey, SOCIAL), Person(journey, BUSINESS)
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    creators_link = facilitator_token(social)
    await join(business, token, "Jansen BV")
    await business.command(Command.INVITE)
    assert links(business) == []
    assert "Een begeleider uitnodigen doet wie de samenwerking startte" in business.text()
    kept = await repo.invite(creators_link)
    assert kept is not None
    assert not kept.revoked
    await social.command(Command.INVITE)
    assert [t for t in links(social) if "begeleider" in t]


async def test_a_partner_alone_gets_only_the_missing_partner_link(journey: Journey) -> None:
    """A joined partner's /invite in a partnership still missing a role never includes a
    facilitator link (here the creator is the facilitator, the business is missing)."""
    facilitator = Person(journey, FACILITATOR)
    await facilitator.command(Command.START)
    await facilitator.say("Coach & Co")
    await facilitator.tap(f"o:{Role.FACILITATOR.value}")
    social_link = next(t for t in facilitator.texts() if "sociale onderneming" in t)
    social = Person(journey, SOCIAL)
    await join(social, social_link.split("start=")[1].split()[0], "De Korrel")
    await social.command(Command.INVITE)
    [link] = links(social)
    assert "reguliere onderneming" in link


async def test_only_the_facilitator_sets_the_meeting_when_there_is_one(
    journey: Journey, repo: SqliteRepository, clock: Clock
) -> None:
    """With a facilitator neither partner may set the meeting; the facilitator may."""
    social, business = Person(journey, SOCIAL), Person(journey, BUSINESS)
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    link = facilitator_token(social)
    await join(business, token, "Jansen BV")
    facilitator = Person(journey, FACILITATOR)
    await facilitator.command(Command.START, link)
    when = (clock() + timedelta(days=3)).strftime("%d-%m-%Y %H:%M")
    for partner in (social, business):
        await partner.command(Command.MEETING, when)
        assert "plant de begeleider" in partner.text()
    [membership] = await repo.memberships(SOCIAL)
    stored = await repo.partnership(membership.partnership_id)
    assert stored is not None
    assert stored.meeting_at is None
    await facilitator.command(Command.MEETING, when)
    assert "Gesprek gepland" in facilitator.text()


async def test_without_a_facilitator_only_the_creator_sets_the_meeting(
    journey: Journey, clock: Clock
) -> None:
    """No facilitator: the creator sets the meeting, the invited partner may not; /help says so."""
    social, business = Person(journey, SOCIAL), Person(journey, BUSINESS)
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    await join(business, token, "Jansen BV")
    when = (clock() + timedelta(days=3)).strftime("%d-%m-%Y %H:%M")
    await business.command(Command.MEETING, when)
    assert "plant de begeleider" in business.text()
    await social.command(Command.MEETING, when)
    assert "Gesprek gepland" in social.text()
    await business.command(Command.HELP)
    assert "zonder begeleider wie de samenwerking startte" in business.text()
