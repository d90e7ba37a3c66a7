"""Onboarding: the language, the organisation's name, the role, and joining by invite."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from typing import TYPE_CHECKING

from flows import review
from flows.actions import ContinueTap, LanguageTap, Notice, RoleTap, Send, SendLinked
from flows.canvas import Language
from flows.events import Command
from flows.machine import Trigger
from flows.model import Invite, Member, Partnership, Role
from flows.session import Session, language_keyboard

if TYPE_CHECKING:
    from flows.actions import BotLinks, Tap
    from flows.journey import CommandHandler, Journey, TapHandler


async def start(j: Journey, s: Session, argument: str) -> None:
    """/start: open an invite when it carries one, else continue where the user was."""
    if argument:
        await open_invite(j, s, argument)
    else:
        await j.resume(s)


async def resume(j: Journey, s: Session, _: str | ContinueTap = "") -> None:
    await j.resume(s)


async def new_partnership(j: Journey, s: Session, _: str) -> None:
    """/new: start another partnership, from the organisation's name on (up to a cap)."""
    started = 0
    for membership in s.memberships:
        partnership = await j.repo.partnership(membership.partnership_id)
        started += partnership is not None and partnership.created_by == s.user_id
    if started >= j.limits.partnerships_max:
        s.say(s.t("new_limit", limit=j.limits.partnerships_max))
        return
    s.context = {"purpose": "create"}
    j.fire(s, Trigger.ONBOARDING_STARTED)


async def cancel(j: Journey, s: Session, _: str) -> None:
    if j.accepts(s, Trigger.CANCELLED):
        s.context = {}
        s.say(s.t("cancelled"))
        j.fire(s, Trigger.CANCELLED)
    else:
        s.say(s.t("nothing_to_cancel"))


async def show_help(j: Journey, s: Session, _: str) -> None:
    me = s.me
    s.say(s.t("help_facilitator" if me and me.role is Role.FACILITATOR else "help"))


async def choose_language(j: Journey, s: Session, _: str) -> None:
    s.say(s.t("choose_language"), language_keyboard())


async def language_chosen(j: Journey, s: Session, tap: LanguageTap) -> None:
    """The language, then the step's prompt in it; the machine confirms where no welcome or
    first question already shows it."""
    s.language = tap.language
    j.fire(s, Trigger.LANGUAGE_CHOSEN)


# Zero-width and bidirectional controls: invisible, yet they can make a name show as another.
_INVISIBLE = dict.fromkeys(
    [*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF]
)


def clean_name(text: str) -> str:
    """An organisation's name as shown: no invisible controls, single spaces."""
    return " ".join(text.translate(_INVISIBLE).split())


async def organisation_named(j: Journey, s: Session, text: str) -> None:
    name = clean_name(text)
    if not name or name.startswith("/"):
        s.say(s.t("organisation_empty"))
        return
    if len(name) > j.limits.organisation_max:
        s.say(s.t("organisation_too_long", limit=j.limits.organisation_max))
        return
    if not s.is_joining():
        s.context["organisation"] = name
        j.fire(s, Trigger.ORGANISATION_NAMED)
        return
    digest = s.context.get("invite", "")
    invite, problem = await usable_invite(j, s, await j.repo.invite_by_digest(digest))
    if invite is None:
        s.context = {}
        s.say(problem)
        j.fire(s, Trigger.CANCELLED)
        return
    await _join(j, s, invite, name)
    s.say(s.t("joined", header=s.header()))
    j.fire(s, Trigger.ORGANISATION_NAMED)
    s.context = {}


async def _join(j: Journey, s: Session, invite: Invite, name: str) -> Member:
    """Use ``invite``: the person becomes a member under ``name``; the others are told."""
    member = Member(invite.partnership_id, s.user_id, invite.role, name, s.now)
    s.changes.invites.append(replace(invite, used_by=s.user_id, used_at=s.now))
    await j.activate(s, invite.partnership_id)
    s.stage_member(member)
    await _tell_members_joined(j, s, member)
    return member


async def _join_as_facilitator(j: Journey, s: Session, invite: Invite) -> None:
    """A facilitator is asked no organisation: a neutral label stands in for the name. One who
    joins after both partners finished gets the summary at once."""
    s.context = {}
    member = await _join(j, s, invite, str(s.t("facilitator_label")))
    s.say(s.t("welcome_facilitator", header=s.header()))
    s.welcomed = True
    j.fire(s, Trigger.JOINED)
    partnership = s.partnership
    if partnership is None:
        return
    combined = await j.summaries.combine(partnership)
    if combined.complete:

        def both_done(language: Language) -> str:
            return j.texts.messages("facilitator_both_done", language)

        readers = [(member, s.language)]
        s.replies.extend(await j.summaries.for_readers(combined, readers, lead=both_done))


async def role_chosen(j: Journey, s: Session, tap: RoleTap) -> None:
    if not j.accepts(s, Trigger.ROLE_CHOSEN):
        s.replies.append(Notice(s.t("stale_button")))
        return
    role = tap.role
    organisation = s.context.get("organisation", "")
    partnership = Partnership(
        id=j.new_id(),
        created_by=s.user_id,
        created_at=s.now,
        canvas_version=s.texts.canvas.version,
        last_activity_at=s.now,
    )
    s.changes.partnerships.append(partnership)
    s.context = {}
    s.active = partnership.id
    s.partnership = partnership
    s.members = []
    s.answers = {}
    s.stage_member(Member(partnership.id, s.user_id, role, organisation, s.now))
    s.say(s.t("partnership_created"))
    issue_invites(j, s, partnership)
    j.fire(s, Trigger.ROLE_CHOSEN)


def issue_invites(
    j: Journey, s: Session, partnership: Partnership, roles: Collection[Role] = tuple(Role)
) -> None:
    """A fresh invite link for every role of ``roles`` still open in the partnership."""
    taken = {m.role for m in s.members} | {r for r in Role if r not in roles}
    me = s.me
    # A facilitator who starts a partnership sends each partner a link named for their role.
    prefix = "invite_for" if me is not None and me.role is Role.FACILITATOR else "invite"
    for admitted in (r for r in Role if r not in taken):
        token = j.new_token()
        s.changes.invites.append(
            Invite(
                token=token,
                partnership_id=partnership.id,
                role=admitted,
                created_by=s.user_id,
                created_at=s.now,
                expires_at=s.now + j.limits.invite_ttl,
            )
        )
        key = f"{prefix}_{admitted.value}"
        s.replies.append(SendLinked(s.user_id, _invite_text(s, key, token, j), token))


def _invite_text(s: Session, key: str, token: str, j: Journey) -> Callable[[BotLinks], str]:
    """The invite message ``key``, once the transport knows its link."""
    language, days = s.language, j.limits.invite_ttl.days

    def text(bot: BotLinks) -> str:
        return s.texts.messages(key, language, link=bot.start(token), days=days)

    return text


async def open_invite(j: Journey, s: Session, token: str) -> None:
    invite, problem = await usable_invite(j, s, await j.repo.invite(token) if token else None)
    if invite is None:
        s.say(problem)
        await j.resume(s)
        return
    if any(m.partnership_id == invite.partnership_id for m in s.memberships):
        s.say(s.t("invite_already_member"))
        await review.switch_to(j, s, invite.partnership_id)
        return
    if invite.role is Role.FACILITATOR:
        await _join_as_facilitator(j, s, invite)
        return
    members = await j.repo.members(invite.partnership_id)
    # The partner who invited; a facilitator's name when they started it and no partner is in.
    inviters = [m for m in members if m.role.answers] or members
    s.context = {  # the invite by its digest: the stored conversation holds no usable token
        "purpose": "join",
        "invite": invite.token,
        "inviter": " & ".join(m.organisation for m in inviters),
    }
    j.fire(s, Trigger.ONBOARDING_STARTED)


async def usable_invite(
    j: Journey, s: Session, invite: Invite | None
) -> tuple[Invite | None, str]:
    """The invite if it can still be used by this person, else why not (in their words)."""
    if invite is None or invite.revoked:
        return None, s.t("invite_unknown")
    if invite.used_by is not None:
        return None, s.t("invite_used")
    if invite.expires_at <= s.now:
        return None, s.t("invite_expired")
    members = await j.repo.members(invite.partnership_id)
    if any(m.user_id == s.user_id for m in members):
        return None, s.t("invite_already_member")
    if any(m.role is invite.role for m in members):
        return None, s.t("invite_full")
    return invite, ""


async def _tell_members_joined(j: Journey, s: Session, member: Member) -> None:
    for other in s.members:
        if other.user_id == s.user_id:
            continue
        language = await j.language_of(other.user_id)
        key = f"member_joined_{member.role.value}"
        text = j.texts.messages(key, language, organisation=member.organisation)
        s.replies.append(Send(other.user_id, text))


COMMANDS: dict[Command, CommandHandler] = {
    Command.START: start,
    Command.RESUME: resume,
    Command.NEW: new_partnership,
    Command.CANCEL: cancel,
    Command.HELP: show_help,
    Command.LANGUAGE: choose_language,
}
TAPS: dict[type[Tap], TapHandler] = {
    LanguageTap: language_chosen,
    RoleTap: role_chosen,
    ContinueTap: resume,
}
