"""The partnership as a whole: invites, the meeting, rounds, reminders, summaries."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from flows import onboarding
from flows.actions import Notice, Send, StopRemindersTap, Tap
from flows.events import Command
from flows.machine import Trigger
from flows.model import Partnership, Role
from flows.momentum import parse_meeting
from flows.session import Session, continue_keyboard

if TYPE_CHECKING:
    from flows.canvas import Language
    from flows.delivery import Combined
    from flows.journey import CommandHandler, Journey, TapHandler


def exists_locally(moment: datetime) -> bool:
    """Whether the wall-clock time of ``moment`` happens in its zone: not one skipped when the
    clocks go forward (e.g. 29-03-2026 02:30 in Amsterdam)."""
    there = moment.astimezone(UTC).astimezone(moment.tzinfo)
    return there.replace(tzinfo=None) == moment.replace(tzinfo=None)


def leads(s: Session) -> bool:
    """Whether this member leads the partnership: its facilitator, or without one its creator.

    Only they may invite a facilitator (who sees the summary and briefings) and set the
    meeting (whose briefing goes out before it).
    """
    me, partnership = s.me, s.partnership
    if me is None or partnership is None:
        return False
    if me.role is Role.FACILITATOR:
        return True
    return partnership.created_by == s.user_id


async def invite(j: Journey, s: Session, _: str) -> None:
    """New invite links for the open roles this member may fill; the links they replace stop
    working. A facilitator link only for the creator or a facilitator (``leads``)."""
    if s.partnership is None or s.me is None:
        s.say(s.t("review_nothing"))
        return
    allowed = set(Role) if leads(s) else {Role.SOCIAL, Role.BUSINESS}
    open_roles = allowed - {m.role for m in s.members}
    issued = await j.repo.invites(s.partnership.id)
    # Links made together share their moment: each moment of the last day is one /invite.
    today = {i.created_at for i in issued if i.created_at > s.now - timedelta(days=1)}
    if open_roles and len(today) >= j.limits.invites_per_day:
        s.say(s.t("invite_limit", limit=j.limits.invites_per_day))
        return
    for old in issued:
        if old.used_by is None and not old.revoked and old.role in open_roles:
            s.changes.invites.append(replace(old, revoked=True))
    if not open_roles:
        complete = {m.role for m in s.members} >= set(Role)
        s.say(s.t("invite_complete" if complete else "invite_partner_joined"))
        return
    onboarding.issue_invites(j, s, s.partnership, open_roles)


async def meeting(j: Journey, s: Session, argument: str) -> None:
    """/meeting <date> <time>: the next meeting, in the bot's time zone. Set by the
    facilitator; in a partnership without one, by its creator."""
    if s.partnership is None or s.me is None:
        s.say(s.t("review_nothing"))
        return
    facilitated = any(m.role is Role.FACILITATOR for m in s.members)
    if not (s.me.role is Role.FACILITATOR or (leads(s) and not facilitated)):
        s.say(s.t("meeting_not_allowed"))
        return
    when = parse_meeting(argument, j.timezone)
    if when is None:
        s.say(s.t("meeting_usage"))
        return
    if not exists_locally(when):
        s.say(s.t("meeting_no_such_time", when=when.strftime("%d-%m-%Y %H:%M")))
        return
    if when <= s.now:
        s.say(s.t("meeting_past"))
        return
    s.partnership = replace(s.partnership, meeting_at=when, briefed_at=None)
    s.changes.partnerships.append(s.partnership)
    local = when.strftime("%d-%m-%Y %H:%M")
    hours = int(j.momentum_settings.briefing_lead.total_seconds() // 3600)
    # The briefing before the meeting goes to the facilitator: tell them so in the second
    # person; a partner who sets it (no facilitator) hears only of the reminders.
    key = "meeting_set_facilitator" if s.me.role is Role.FACILITATOR else "meeting_set"
    s.say(s.t(key, when=local, hours=hours))
    for member in s.members:
        if member.user_id != s.user_id:
            language = await j.language_of(member.user_id)
            text = j.texts.messages("meeting_told", language, when=local, header=s.header())
            s.replies.append(Send(member.user_id, text))


async def new_round(j: Journey, s: Session, _: str) -> None:
    """Start answering the canvas again; the summary will show what moved."""
    partnership, me = s.partnership, s.me
    if partnership is None or me is None:
        s.say(s.t("review_nothing"))
        return
    combined = await j.summaries.combine(partnership)
    if not combined.complete:
        s.say(s.t("newround_not_yet"))
        return
    new = replace(partnership, round=partnership.round + 1, last_activity_at=s.now)
    s.changes.partnerships.append(new)
    s.partnership = new
    s.reopen(partnership.id)  # a targeted update: never writes back a member erased meanwhile
    for member in combined.members:
        if member.user_id == s.user_id:
            continue
        language = await j.language_in(s, member.user_id)
        if member.role.answers:
            text = j.texts.messages("newround_started", language, round=new.round)
            s.replies.append(Send(member.user_id, text, continue_keyboard(j.texts, language)))
        else:  # a facilitator answers nothing: only told what comes
            text = j.texts.messages("newround_started_facilitator", language, round=new.round)
            s.replies.append(Send(member.user_id, text))
    s.answers = {}
    if not me.role.answers:  # no question to show: the idle line would only repeat this
        s.say(s.t("newround_started_facilitator", round=new.round))
        return
    s.say(s.t("newround_started", round=new.round))
    j.fire(s, Trigger.RESUMED)


async def stop_reminders(j: Journey, s: Session, _: object) -> None:
    """No more reminders for this user, in every partnership they are in.

    Reminders are per person: one opt-out covers all partnerships, whichever button it was.
    """
    if not s.memberships:
        s.say(s.t("review_nothing"))
        return
    for member in s.memberships:
        if not member.reminders_off:
            s.stage_member(replace(member, reminders_off=True))
    s.replies.append(Notice(s.t("reminders_stopped")))
    s.say(s.t("reminders_stopped"))


async def summary(j: Journey, s: Session, argument: str) -> None:
    await _summary_command(j, s, Command.SUMMARY)


async def report(j: Journey, s: Session, argument: str) -> None:
    await _summary_command(j, s, Command.REPORT)


async def csv(j: Journey, s: Session, argument: str) -> None:
    await _summary_command(j, s, Command.CSV)


async def latest_summary(j: Journey, partnership: Partnership) -> Combined:
    """The round's summary once both partners are done; while a new round is under way, the
    last complete round's (its ``partnership.round`` says which); else the incomplete round."""
    combined = await j.summaries.combine(partnership)
    previous = partnership.round - 1
    if combined.complete or previous < 1 or partnership.summary_round < previous:
        return combined
    # The members were reopened for the new round; the previous round's summary went out,
    # so both had finished it.
    before = await j.summaries.combine(replace(partnership, round=previous))
    return replace(before, complete=True)


async def _summary_command(j: Journey, s: Session, command: Command) -> None:
    """/summary, /report and /csv: once both partners are done; during a new round, of the
    last complete round, labelled as such."""
    me, partnership = s.me, s.partnership
    if partnership is None or me is None:
        s.say(s.t("review_nothing"))
        return
    combined = await latest_summary(j, partnership)
    if not combined.complete:
        waiting = [
            m.organisation for m in combined.members if m.role.answers and m.finished_at is None
        ]
        s.say(s.t("summary_waiting", header=s.header(), waiting=", ".join(waiting) or "…"))
        return
    shown = combined.partnership.round
    label = None
    if shown < partnership.round:
        label = j.texts.messages(
            "summary_of_previous_round", s.language, shown=shown, round=partnership.round
        )
    if command is Command.SUMMARY:
        opening = label

        def lead(_: Language) -> str:
            return opening or ""

        readers = [(me, s.language)]
        led = lead if label else None
        s.replies.extend(await j.summaries.for_readers(combined, readers, lead=led))
        return
    if label:
        s.say(label)
    if command is Command.REPORT:
        s.replies.append(await j.summaries.report(combined, me, s.language))
    else:
        s.replies.append(j.summaries.csv(combined, me, s.language))


COMMANDS: dict[Command, CommandHandler] = {
    Command.INVITE: invite,
    Command.MEETING: meeting,
    Command.NEWROUND: new_round,
    Command.STOPREMINDERS: stop_reminders,
    Command.SUMMARY: summary,
    Command.REPORT: report,
    Command.CSV: csv,
}
TAPS: dict[type[Tap], TapHandler] = {StopRemindersTap: stop_reminders}
