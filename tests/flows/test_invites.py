"""Invite links stored as digests: /invite still withdraws the old ones; the new one works."""

from __future__ import annotations

from flows.events import Command
from flows.journey import Journey
from flows.messages import Messages
from flows.model import Role
from storage.sqlite import SqliteRepository
from tests.flows.conftest import Person
from tests.flows.test_journey import BUSINESS, SOCIAL, invite_token, join, start_partnership


async def test_invite_withdraws_the_old_link_and_the_new_one_joins(
    journey: Journey, repo: SqliteRepository, messages: Messages
) -> None:
    """After /invite the first link is refused as withdrawn, without a new invite row for it,
    and the new link makes the partner a member."""
    social, business = Person(journey, SOCIAL), Person(journey, BUSINESS)
    old = await start_partnership(social, "De Korrel", Role.SOCIAL)
    [membership] = await repo.memberships(SOCIAL)
    before = len(await repo.invites(membership.partnership_id))

    await social.command(Command.INVITE)
    new = invite_token(social)

    # One new link per open role, as before; the old rows were updated, not copied.
    invites = await repo.invites(membership.partnership_id)
    assert sorted(i.revoked for i in invites) == [False] * before + [True] * before
    withdrawn = await repo.invite(old)
    assert withdrawn is not None
    assert withdrawn.revoked
    await business.command(Command.START, old)
    assert business.texts()[0] == messages("invite_unknown", "nl")
    await join(business, new, "Jansen BV")
    assert [m.role for m in await repo.members(membership.partnership_id)] == [
        Role.SOCIAL,
        Role.BUSINESS,
    ]
