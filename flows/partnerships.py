"""The partnership as a whole: the list, invites, the meeting, rounds, reminders, summaries."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from flows import onboarding
from flows.actions import Notice, Send, StopRemindersTap, Tap
from flows.events import Command
from flows.machine import Trigger
from flows.messages import Markup
from flows.model import Role
from flows.momentum import parse_meeting
from flows.session import Session, continue_keyboard

if TYPE_CHECKING:
    from flows.journey import CommandHandler, Journey, TapHandler


async def listing(j: Journey, s: Session, _: str) -> None:
    """Every partnership of this user, with who has finished what."""
    if not s.memberships:
        s.say(s.t("idle"))
        return
    total = len(s.texts.canvas.questions)
    lines = [s.t("partnerships_title")]
    for membership in s.memberships:
        partnership = await j.repo.partnership(membership.partnership_id)
        if partnership is None:
            continue
        members = await j.repo.members(partnership.id)
        counts = await j.repo.answer_counts(partnership.id, partnership.round)
        names = {m.role: m for m in members}
        parts = []
        for role in (Role.SOCIAL, Role.BUSINESS):
            member = names.get(role)
            if member is None:
                parts.append(s.t(f"status_missing_short_{role.value}"))
                continue
            done = "✅" if member.finished_at else f"{counts.get(member.user_id, 0)}/{total}"
            parts.append(
                s.t("partnerships_member", organisation=member.organisation, progress=done)
            )
        active = "▶️ " if partnership.id == s.active else ""
        lines.append(
            s.t(
                "partnerships_line",
                active=active,
                round=partnership.round,
                members=Markup(" · ").join(parts),
            )
        )
    s.say("\n".join(lines))


async def invite(j: Journey, s: Session, _: str) -> None:
    """New invite links for the open roles; links issued before stop working."""
    if s.partnership is None or s.me is None:
        s.say(s.t("review_nothing"))
        return
    for old in await j.repo.invites(s.partnership.id):
        if old.used_by is None and not old.revoked:
            s.changes.invites.append(replace(old, revoked=True))
    if {m.role for m in s.members} >= set(Role):
        s.say(s.t("invite_complete"))
        return
    onboarding.issue_invites(j, s, s.partnership)


async def meeting(j: Journey, s: Session, argument: str) -> None:
    """/meeting <date> <time>: the next meeting, in the bot's time zone."""
    if s.partnership is None or s.me is None:
        s.say(s.t("review_nothing"))
        return
    when = parse_meeting(argument, j.timezone)
    if when is None:
        s.say(s.t("meeting_usage"))
        return
    if when <= s.now:
        s.say(s.t("meeting_past"))
        return
    s.partnership = replace(s.partnership, meeting_at=when, briefed_at=None)
    s.changes.partnerships.append(s.partnership)
    local = when.strftime("%d-%m-%Y %H:%M")
    hours = int(j.momentum_settings.briefing_lead.total_seconds() // 3600)
    s.say(s.t("meeting_set", when=local, hours=hours))
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
    for member in combined.members:
        s.stage_member(replace(member, finished_at=None))
        if member.user_id != s.user_id:
            language = await j.language_of(member.user_id)
            text = j.texts.messages("newround_started", language, round=new.round)
            s.replies.append(Send(member.user_id, text, continue_keyboard(j.texts, language)))
    s.answers = {}
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


async def _summary_command(j: Journey, s: Session, command: Command) -> None:
    """/summary, /report and /csv: only once both partners are done."""
    me = s.me
    if s.partnership is None or me is None:
        s.say(s.t("review_nothing"))
        return
    combined = await j.summaries.combine(s.partnership)
    if not combined.complete:
        waiting = [
            m.organisation for m in combined.members if m.role.answers and m.finished_at is None
        ]
        s.say(s.t("summary_waiting", header=s.header(), waiting=", ".join(waiting) or "…"))
        return
    if command is Command.SUMMARY:
        s.replies.extend(await j.summaries.for_readers(combined, [(me, s.language)]))
    elif command is Command.REPORT:
        s.replies.append(await j.summaries.report(combined, me, s.language))
    else:
        s.replies.append(j.summaries.csv(combined, me, s.language))


COMMANDS: dict[Command, CommandHandler] = {
    Command.PARTNERSHIPS: listing,
    Command.INVITE: invite,
    Command.MEETING: meeting,
    Command.NEWROUND: new_round,
    Command.STOPREMINDERS: stop_reminders,
    Command.SUMMARY: summary,
    Command.REPORT: report,
    Command.CSV: csv,
}
TAPS: dict[type[Tap], TapHandler] = {StopRemindersTap: stop_reminders}
