"""The canvas journey: one entry point that turns an event into replies.

Per event: load the participant and their active partnership from storage into a Session
with the stored state, run one trigger of the state machine on it, then commit every staged
change in one transaction, and only then hand the replies back. A reply is never sent for a
change that was not stored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from transitions import MachineError

from flows.actions import (
    Action,
    Button,
    Edit,
    Kind,
    Notice,
    Send,
    SendDocument,
    Tap,
    decode,
    encode,
)
from flows.canvas import LANGUAGES, Canvas, Language, Theme
from flows.chart import render_chart
from flows.delivery import ChartRenderer, Summaries
from flows.errors import UnknownActionError
from flows.events import (
    ButtonTapped,
    Command,
    CommandSent,
    Event,
    OtherSent,
    TextSent,
    User,
)
from flows.machine import Step, Trigger, build_machine
from flows.messages import Markup, Messages
from flows.model import Changes, Invite, Member, Partnership, Role, Snapshot
from flows.momentum import Momentum, MomentumSettings, parse_meeting
from flows.repository import Repository
from flows.session import Session, Texts, continue_keyboard, language_keyboard

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
QUESTION_KINDS = frozenset({Kind.ANSWER, Kind.CHANGE, Kind.REVIEW, Kind.NOTE})


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Limits:
    organisation_max: int = 100
    note_max: int = 1000
    invite_ttl: timedelta = timedelta(days=14)


class Journey:
    """Everything a participant can do, independent of the chat transport."""

    def __init__(
        self,
        repo: Repository,
        canvas: Canvas,
        messages: Messages,
        *,
        bot_username: str,
        default_language: Language = "nl",
        limits: Limits | None = None,
        clock: Clock = utc_now,
        new_token: Callable[[], str] = lambda: secrets.token_urlsafe(16),
        new_id: Callable[[], str] = lambda: secrets.token_urlsafe(6),
        timezone: ZoneInfo = AMSTERDAM,
        momentum: MomentumSettings | None = None,
        retention: timedelta = timedelta(days=365),
        chart: ChartRenderer = render_chart,
    ) -> None:
        self.repo = repo
        self.texts = Texts(canvas, messages)
        self.bot_username = bot_username
        self.default_language = default_language
        self.limits = limits or Limits()
        self.clock = clock
        self.new_token = new_token
        self.new_id = new_id
        self.machine = build_machine()
        self._summary_locks: dict[str, asyncio.Lock] = {}
        self.timezone = timezone
        self.retention = retention
        self.summaries = Summaries(repo, canvas, messages, timezone, chart)
        self.momentum_settings = momentum or MomentumSettings()
        self.momentum = Momentum(
            repo,
            messages,
            self.summaries,
            self._language_of,
            settings=self.momentum_settings,
            timezone=timezone,
        )

    # ------------------------------------------------------------------ entry

    async def handle(self, event: Event) -> list[Action]:
        """Run one event to completion: load, trigger, persist, reply."""
        if isinstance(event, OtherSent) and event.kind == "group":
            language = self._language_from_hint(event.user.language_hint)
            text = self.texts.messages("private_only", language, bot=self.bot_username)
            return [Send(event.chat_id or event.user.id, text)]
        session = await self._load(event.user)
        try:
            await self._dispatch(session, event)
        except MachineError:
            logger.info("event %s not valid in state %s", type(event).__name__, session.state)
            session.replies.append(Notice(session.t("use_buttons")))
            session.say(session.t("use_buttons"))
        await self._persist(session)
        if session.finished and session.partnership is not None:
            session.replies.extend(await self._summarise_once(session.partnership.id))
        return session.replies

    async def _summarise_once(self, partnership_id: str) -> list[Action]:
        """When both partners have finished the round, deliver the summary exactly once.

        Two partners may finish at the same moment in concurrent updates; the claim on
        ``summary_round`` is made under a per-partnership lock, after both commits.
        """
        lock = self._summary_locks.setdefault(partnership_id, asyncio.Lock())
        async with lock:
            partnership = await self.repo.partnership(partnership_id)
            if partnership is None or partnership.summary_round >= partnership.round:
                return []
            partners = [m for m in await self.repo.members(partnership_id) if m.role.answers]
            if len(partners) < 2 or any(m.finished_at is None for m in partners):
                return []
            claimed = replace(partnership, summary_round=partnership.round)
            await self.repo.commit(Changes(partnerships=[claimed]))
        self._summary_locks.pop(partnership_id, None)
        return await self._tell_both_done(claimed)

    async def _tell_both_done(self, partnership: Partnership) -> list[Action]:
        """Both partners finished: everyone gets the summary, the facilitator the report too.

        The first summary message itself says that both are done: three messages at most.
        """
        combined = await self.summaries.combine(partnership)
        readers = [(m, await self._language_of(m.user_id)) for m in combined.members]

        def done(language: Language) -> str:
            header = _header(self.texts.messages, language, combined.members)
            return self.texts.messages("both_done", language, header=header)

        replies: list[Action] = await self.summaries.for_readers(combined, readers, lead=done)
        logger.info(
            "summary of partnership %s round %s delivered", partnership.id, partnership.round
        )
        return replies

    def _fire(self, s: Session, trigger: Trigger) -> None:
        """Run one trigger on the session; MachineError when it is not valid in its state."""
        self.machine.events[trigger.value].trigger(s)

    def invite_link(self, token: str) -> str:
        return f"https://t.me/{self.bot_username}?start={token}"

    # ---------------------------------------------------------------- loading

    async def _load(self, user: User) -> Session:
        """One read: the participant, their memberships and the active partnership."""
        snap = await self.repo.snapshot(user.id)
        stored = snap.participant
        session = Session(
            texts=self.texts,
            user_id=user.id,
            state=Step.NEW if stored is None else Step(stored.state),
            language=self._language_from_hint(user.language_hint)
            if stored is None
            else self._language_from_hint(stored.language),
            now=self.clock(),
            context={} if stored is None else dict(stored.context),
        )
        self._take(session, snap)
        for membership in session.memberships:
            if membership.unreachable:  # they are back: they can be reached again
                session.stage_member(replace(membership, unreachable=False))
        return session

    async def _activate(self, session: Session, partnership_id: str) -> None:
        """Make another partnership the active one, read in one go."""
        self._take(session, await self.repo.snapshot(session.user_id, partnership_id))

    @staticmethod
    def _take(session: Session, snap: Snapshot) -> None:
        session.memberships = snap.memberships
        session.partnership = snap.partnership
        session.active = snap.partnership.id if snap.partnership else None
        session.members = snap.members
        session.answers = {a.theme_id: a for a in snap.answers}

    def _language_from_hint(self, hint: str | None) -> Language:
        code = (hint or "").split("-")[0].lower()
        for language in LANGUAGES:
            if code == language:
                return language
        return self.default_language

    async def _persist(self, session: Session) -> None:
        if session.forgotten:
            return  # the person asked to be forgotten: store nothing more about them
        session.changes.participants.append(session.snapshot())
        await self.repo.commit(session.changes)

    # --------------------------------------------------------------- dispatch

    async def _dispatch(self, session: Session, event: Event) -> None:
        if isinstance(event, CommandSent):
            await self._command(session, event.command, event.argument.strip())
        elif isinstance(event, TextSent):
            await self._text(session, event.text)
        elif isinstance(event, OtherSent):
            session.say(session.t(f"other_{event.kind}"))
            if session.state is Step.NOTE:
                session.on_enter_NOTE()  # still waiting for the note: ask again, keep the step
            else:
                await self._resume(session)
        else:
            await self._tap(session, event)

    async def _command(self, s: Session, command: Command, argument: str) -> None:
        if command is Command.START and argument:
            await self._open_invite(s, argument)
        elif command in (Command.START, Command.RESUME):
            await self._resume(s)
        elif command is Command.NEW:
            s.context = {"purpose": "create"}
            trigger = Trigger.GREETED if s.state is Step.NEW else Trigger.ONBOARDING_STARTED
            self._fire(s, trigger)
        elif command is Command.CANCEL:
            await self._cancel(s)
        elif command is Command.HELP:
            s.say(s.t("help"))
        elif command is Command.LANGUAGE:
            s.say(s.t("choose_language"), language_keyboard())
        elif command in (Command.PRIVACY, Command.MYDATA, Command.FORGET):
            await self._privacy_command(s, command)
        elif s.state in (Step.NEW, Step.LANGUAGE):
            await self._resume(s)
        else:
            await self._partnership_command(s, command, argument)

    async def _partnership_command(self, s: Session, command: Command, argument: str) -> None:
        if command is Command.STATUS:
            await self._status(s)
        elif command is Command.REVIEW:
            self._review(s)
        elif command is Command.SWITCH:
            self._switch_menu(s)
        elif command is Command.INVITE:
            await self._invite(s)
        elif command is Command.PARTNERSHIPS:
            await self._partnerships(s)
        elif command is Command.NEWROUND:
            await self._new_round(s)
        elif command is Command.MEETING:
            await self._meeting(s, argument)
        elif command is Command.STOPREMINDERS:
            self._stop_reminders(s, s.active)
        else:
            await self._summary_command(s, command)

    async def _summary_command(self, s: Session, command: Command) -> None:
        """/summary, /report and /csv: only once both partners are done."""
        me = s.me
        if s.partnership is None or me is None:
            s.say(s.t("review_nothing"))
            return
        combined = await self.summaries.combine(s.partnership)
        if not combined.complete:
            waiting = [
                m.organisation
                for m in combined.members
                if m.role.answers and m.finished_at is None
            ]
            s.say(s.t("summary_waiting", header=s.header(), waiting=", ".join(waiting) or "…"))
            return
        if command is Command.SUMMARY:
            s.replies.extend(await self.summaries.for_readers(combined, [(me, s.language)]))
        elif command is Command.REPORT:
            s.replies.append(await self.summaries.report(combined, me, s.language))
        else:
            s.replies.append(self.summaries.csv(combined, me, s.language))

    async def _partnerships(self, s: Session) -> None:
        """Every partnership of this user, with who has finished what."""
        if not s.memberships:
            s.say(s.t("idle"))
            return
        total = len(s.texts.canvas.themes)
        lines = [s.t("partnerships_title")]
        for membership in s.memberships:
            partnership = await self.repo.partnership(membership.partnership_id)
            if partnership is None:
                continue
            members = await self.repo.members(partnership.id)
            counts = await self.repo.answer_counts(partnership.id, partnership.round)
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
                    members=Markup(" · ".join(parts)),
                )
            )
        s.say("\n".join(lines))

    async def _meeting(self, s: Session, argument: str) -> None:
        """/meeting <date> <time>: the next meeting, in the bot's time zone."""
        if s.partnership is None or s.me is None:
            s.say(s.t("review_nothing"))
            return
        when = parse_meeting(argument, self.timezone)
        if when is None:
            s.say(s.t("meeting_usage"))
            return
        if when <= s.now:
            s.say(s.t("meeting_past"))
            return
        s.partnership = replace(s.partnership, meeting_at=when, briefed_at=None)
        s.changes.partnerships.append(s.partnership)
        local = when.strftime("%d-%m-%Y %H:%M")
        hours = int(self.momentum_settings.briefing_lead.total_seconds() // 3600)
        s.say(s.t("meeting_set", when=local, hours=hours))
        for member in s.members:
            if member.user_id != s.user_id:
                language = await self._language_of(member.user_id)
                text = self.texts.messages("meeting_told", language, when=local, header=s.header())
                s.replies.append(Send(member.user_id, text))

    def _stop_reminders(self, s: Session, partnership_id: str | None) -> None:
        """No more reminders for this user, in every partnership they are in."""
        if not s.memberships:
            s.say(s.t("review_nothing"))
            return
        del partnership_id  # reminders are per person: one opt-out covers all partnerships
        for member in s.memberships:
            if not member.reminders_off:
                s.stage_member(replace(member, reminders_off=True))
        s.replies.append(Notice(s.t("reminders_stopped")))
        s.say(s.t("reminders_stopped"))

    async def _privacy_command(self, s: Session, command: Command) -> None:
        """/privacy explains, /mydata exports, /forget asks before erasing (AVG / GDPR)."""
        if command is Command.PRIVACY:
            days = self.retention.days
            s.say(s.t("privacy", months=days // 30))
        elif command is Command.MYDATA:
            data = await self.repo.export_user(s.user_id)
            content = json.dumps(data, ensure_ascii=False, indent=2).encode()
            s.replies.append(
                SendDocument(s.user_id, content, "mydata.json", s.t("mydata_caption"))
            )
        else:
            s.say(
                s.t("forget_confirm"),
                (
                    (Button(s.t("button_forget_yes"), encode(Kind.FORGET, "yes")),),
                    (Button(s.t("button_forget_no"), encode(Kind.FORGET, "no")),),
                ),
            )

    async def _forget(self, s: Session, *, confirmed: bool) -> None:
        if not confirmed:
            s.replies.append(Edit(s.t("forget_kept")))
            return
        others = {
            m.partnership_id: await self.repo.members(m.partnership_id) for m in s.memberships
        }
        own = {m.partnership_id: m.organisation for m in s.memberships}
        await self.repo.forget_user(s.user_id)
        s.forgotten = True
        s.replies.append(Edit(s.t("forgotten")))
        for partnership_id, members in others.items():
            for member in members:
                if member.user_id == s.user_id:
                    continue
                language = await self._language_of(member.user_id)
                text = self.texts.messages(
                    "partner_withdrew", language, organisation=own[partnership_id]
                )
                s.replies.append(Send(member.user_id, text))
        logger.info("user data erased on request")

    async def mark_unreachable(self, user_ids: set[int]) -> list[Action]:
        """These users blocked the bot: mark them, and tell the others in their partnerships."""
        changes = Changes()
        replies: list[Action] = []
        for user_id in user_ids:
            for membership in await self.repo.memberships(user_id):
                if membership.unreachable:
                    continue
                changes.members.append(replace(membership, unreachable=True))
                for other in await self.repo.members(membership.partnership_id):
                    if other.user_id == user_id or other.unreachable or other.user_id in user_ids:
                        continue
                    language = await self._language_of(other.user_id)
                    text = self.texts.messages(
                        "partner_unreachable", language, organisation=membership.organisation
                    )
                    replies.append(Send(other.user_id, text))
        if changes:
            await self.repo.commit(changes)
            logger.info("%d memberships marked unreachable", len(changes.members))
        return replies

    async def purge_inactive(self, now: datetime) -> int:
        """Delete partnerships without activity for the retention period, then the people
        left in none who were as quiet (a daily job); return how many partnerships went."""
        ids = await self.repo.inactive_partnerships(now - self.retention)
        deleted = await self.repo.delete_partnerships(ids) if ids else 0
        purged = await self.repo.purge_participants(now - self.retention)
        logger.info("retention: %d partnerships and %d people deleted", deleted, purged)
        return deleted

    async def _new_round(self, s: Session) -> None:
        """Start answering the canvas again; the summary will show what moved."""
        partnership, me = s.partnership, s.me
        if partnership is None or me is None:
            s.say(s.t("review_nothing"))
            return
        combined = await self.summaries.combine(partnership)
        if not combined.complete:
            s.say(s.t("newround_not_yet"))
            return
        new = replace(partnership, round=partnership.round + 1, last_activity_at=s.now)
        s.changes.partnerships.append(new)
        s.partnership = new
        for member in combined.members:
            s.stage_member(replace(member, finished_at=None))
            if member.user_id != s.user_id:
                language = await self._language_of(member.user_id)
                text = self.texts.messages("newround_started", language, round=new.round)
                s.replies.append(
                    Send(member.user_id, text, continue_keyboard(self.texts, language))
                )
        s.answers = {}
        s.say(s.t("newround_started", round=new.round))
        self._fire(s, Trigger.RESUMED)

    async def _resume(self, s: Session) -> None:
        """Continue where the participant left off: the pending step or the first open question."""
        if s.state is Step.NEW:
            s.context = {"purpose": "create"}
            self._fire(s, Trigger.GREETED)
        elif s.state is Step.LANGUAGE:
            s.on_enter_LANGUAGE()
        elif s.state is Step.ORGANISATION:
            s.on_enter_ORGANISATION()
        elif s.state is Step.ROLE:
            s.on_enter_ROLE()
        else:
            s.context.pop("note", None)
            self._fire(s, Trigger.RESUMED)

    async def _cancel(self, s: Session) -> None:
        if s.state in (Step.ORGANISATION, Step.ROLE, Step.NOTE):
            s.context = {}
            s.say(s.t("cancelled"))
            self._fire(s, Trigger.CANCELLED)
        else:
            s.say(s.t("nothing_to_cancel"))

    async def _text(self, s: Session, text: str) -> None:
        if s.state is Step.NEW:
            s.context = {"purpose": "create"}
            self._fire(s, Trigger.GREETED)
        elif s.state is Step.ORGANISATION:
            await self._organisation_named(s, text)
        elif s.state is Step.NOTE:
            await self._note_given(s, text)
        elif s.state in (Step.LANGUAGE, Step.ROLE):
            s.say(s.t("use_buttons"))
            await self._resume(s)
        elif s.state is Step.ANSWERING:
            s.say(s.t("hint_answering"))
            self._fire(s, Trigger.RESUMED)
        elif s.state is Step.DONE and not s.has_open_question():
            s.say(s.t("hint_done"))
        else:
            self._fire(s, Trigger.RESUMED)

    async def _tap(self, s: Session, event: ButtonTapped) -> None:
        try:
            tap = decode(event.data)
        except UnknownActionError:
            logger.info("unknown button data from a client")
            s.replies.append(Notice(s.t("stale_button")))
            return
        if tap.kind in QUESTION_KINDS:
            await self._question_tap(s, tap)
        elif tap.kind is Kind.LANGUAGE:
            await self._language_chosen(s, tap.args[0])
        elif tap.kind is Kind.ROLE:
            await self._role_chosen(s, tap.args[0])
        elif tap.kind is Kind.SWITCH:
            await self._switch(s, tap.partnership_id)
        elif tap.kind is Kind.CONTINUE:
            await self._resume(s)
        elif tap.kind is Kind.STOP_REMINDERS:
            self._stop_reminders(s, tap.args[0])
        else:
            await self._forget(s, confirmed=tap.args[0] == "yes")

    async def _question_tap(self, s: Session, tap: Tap) -> None:
        theme = await self._theme_of(s, tap)
        if theme is None:
            return
        if tap.kind is Kind.ANSWER:
            await self._answered(s, theme, tap.score, change=False)
        elif tap.kind is Kind.CHANGE:
            await self._answered(s, theme, tap.score, change=True)
        elif tap.kind is Kind.REVIEW:
            s.say(s.question_text(theme), s.scale_keyboard(theme, Kind.CHANGE))
        else:
            s.context["note"] = theme.id
            self._fire(s, Trigger.NOTE_OPENED)

    async def _theme_of(self, s: Session, tap: Tap) -> Theme | None:
        """The theme a question button names, if it still belongs to this user's journey."""
        theme = s.texts.canvas.theme(tap.theme_id)
        member = next((m for m in s.memberships if m.partnership_id == tap.partnership_id), None)
        if theme is None or member is None or not member.role.answers:
            s.replies.append(Notice(s.t("stale_button")))
            return None
        if tap.partnership_id != s.active:
            s.replies.append(Notice(s.t("other_partnership", organisation=member.organisation)))
            return None
        if s.partnership is None or tap.round != s.partnership.round:
            s.replies.append(Notice(s.t("stale_button")))
            return None
        if s.state not in (Step.ANSWERING, Step.NOTE, Step.DONE):
            s.replies.append(Notice(s.t("stale_button")))
            return None
        return theme

    # ------------------------------------------------------------- onboarding

    async def _language_chosen(self, s: Session, code: str) -> None:
        if code not in LANGUAGES:
            s.replies.append(Notice(s.t("stale_button")))
            return
        s.language = code
        s.replies.append(Notice(s.t("language_set")))
        if s.state is Step.LANGUAGE:
            self._fire(s, Trigger.LANGUAGE_CHOSEN)
        elif s.state in (Step.ORGANISATION, Step.ROLE):
            await self._resume(s)
        else:
            self._fire(s, Trigger.LANGUAGE_CHOSEN)
            s.say(s.t("language_set"))

    async def _organisation_named(self, s: Session, text: str) -> None:
        name = " ".join(text.split())
        if not name or name.startswith("/"):
            s.say(s.t("organisation_empty"))
            return
        if len(name) > self.limits.organisation_max:
            s.say(s.t("organisation_too_long", limit=self.limits.organisation_max))
            return
        if not s.is_joining():
            s.context["organisation"] = name
            self._fire(s, Trigger.ORGANISATION_NAMED)
            return
        invite, problem = await self._usable_invite(s, s.context.get("invite", ""))
        if invite is None:
            s.context = {}
            s.say(problem)
            self._fire(s, Trigger.CANCELLED)
            return
        member = Member(invite.partnership_id, s.user_id, invite.role, name, s.now)
        s.changes.invites.append(replace(invite, used_by=s.user_id, used_at=s.now))
        await self._activate(s, invite.partnership_id)
        s.stage_member(member)
        await self._tell_members_joined(s, member)
        s.say(s.t("joined", header=s.header()))
        self._fire(s, Trigger.ORGANISATION_NAMED)
        s.context = {}

    async def _role_chosen(self, s: Session, value: str) -> None:
        if s.state is not Step.ROLE or value not in {r.value for r in Role}:
            s.replies.append(Notice(s.t("stale_button")))
            return
        role = Role(value)
        organisation = s.context.get("organisation", "")
        partnership = Partnership(
            id=self.new_id(),
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
        self._issue_invites(s, partnership)
        self._fire(s, Trigger.ROLE_CHOSEN)

    def _issue_invites(self, s: Session, partnership: Partnership) -> None:
        """A fresh invite link for every role still open in the partnership."""
        taken = {m.role for m in s.members}
        for admitted in (r for r in Role if r not in taken):
            token = self.new_token()
            s.changes.invites.append(
                Invite(
                    token=token,
                    partnership_id=partnership.id,
                    role=admitted,
                    created_by=s.user_id,
                    created_at=s.now,
                    expires_at=s.now + self.limits.invite_ttl,
                )
            )
            link = self.invite_link(token)
            s.say(s.t(f"invite_{admitted.value}", link=link, days=self.limits.invite_ttl.days))

    async def _open_invite(self, s: Session, token: str) -> None:
        invite, problem = await self._usable_invite(s, token)
        if invite is None:
            s.say(problem)
            await self._resume(s)
            return
        if any(m.partnership_id == invite.partnership_id for m in s.memberships):
            s.say(s.t("invite_already_member"))
            await self._switch(s, invite.partnership_id)
            return
        members = await self.repo.members(invite.partnership_id)
        s.context = {
            "purpose": "join",
            "invite": token,
            "inviter": " & ".join(m.organisation for m in members if m.role.answers),
        }
        if s.state is Step.NEW:
            self._fire(s, Trigger.GREETED)
        else:
            self._fire(s, Trigger.ONBOARDING_STARTED)

    async def _usable_invite(self, s: Session, token: str) -> tuple[Invite | None, str]:
        invite = await self.repo.invite(token) if token else None
        if invite is None or invite.revoked:
            return None, s.t("invite_unknown")
        if invite.used_by is not None:
            return None, s.t("invite_used")
        if invite.expires_at <= s.now:
            return None, s.t("invite_expired")
        members = await self.repo.members(invite.partnership_id)
        if any(m.user_id == s.user_id for m in members):
            return None, s.t("invite_already_member")
        if any(m.role is invite.role for m in members):
            return None, s.t("invite_full")
        return invite, ""

    async def _tell_members_joined(self, s: Session, member: Member) -> None:
        for other in s.members:
            if other.user_id == s.user_id:
                continue
            language = await self._language_of(other.user_id)
            key = f"member_joined_{member.role.value}"
            text = self.texts.messages(key, language, organisation=member.organisation)
            s.replies.append(Send(other.user_id, text))

    async def _language_of(self, user_id: int) -> Language:
        stored = await self.repo.participant(user_id)
        if stored is not None and stored.language in LANGUAGES:
            return stored.language
        return self.default_language

    # -------------------------------------------------------------- answering

    async def _answered(
        self, s: Session, theme: Theme, score: int | None, *, change: bool
    ) -> None:
        already = theme.id in s.answers
        if already and not change:
            s.replies.append(Notice(s.t("already_answered")))
            s.replies.append(s.answered_view(theme))
            return
        s.stage_answer(theme, score)
        s.context.pop("note", None)
        s.replies.append(Notice(s.t("saved")))
        s.replies.append(s.answered_view(theme))
        if already:
            self._fire(s, Trigger.ANSWER_CHANGED)
            return
        if not s.has_open_question():
            self._finish(s)
        self._fire(s, Trigger.ANSWERED)

    def _finish(self, s: Session) -> None:
        me = s.me
        if me is None or me.finished_at is not None:
            return
        s.stage_member(replace(me, finished_at=s.now))
        s.finished = True

    async def _note_given(self, s: Session, text: str) -> None:
        theme = s.texts.canvas.theme(s.context.get("note", ""))
        note = text.strip()
        if theme is None:
            s.context.pop("note", None)
            self._fire(s, Trigger.NOTE_GIVEN)
            return
        if not note:
            s.say(s.t("note_empty"))
            return
        if len(note) > self.limits.note_max:
            s.say(s.t("note_too_long", limit=self.limits.note_max, length=len(note)))
            return
        first_answer = theme.id not in s.answers
        s.stage_note(theme, note)
        s.context.pop("note", None)
        s.say(s.t("note_saved", title=theme.title(s.language)))
        if first_answer and not s.has_open_question():
            self._finish(s)
        self._fire(s, Trigger.NOTE_GIVEN)

    # ------------------------------------------------------------- reviewing

    async def _status(self, s: Session) -> None:
        if s.partnership is None:
            s.say(s.t("idle"))
            return
        counts = await self.repo.answer_counts(s.partnership.id, s.partnership.round)
        total = len(s.texts.canvas.themes)
        lines = [s.t("status_title", header=s.header())]
        for role in (Role.SOCIAL, Role.BUSINESS):
            member = s.member(role)
            if member is None:
                lines.append(s.t(f"status_missing_{role.value}"))
            else:
                lines.append(
                    s.t(
                        "status_line",
                        organisation=member.organisation,
                        answered=min(counts.get(member.user_id, 0), total),
                        total=total,
                    )
                )
        s.say("\n".join(lines))

    def _review(self, s: Session) -> None:
        me = s.me
        if s.partnership is None or me is None or not me.role.answers:
            s.say(s.t("review_nothing"))
            return
        if not s.answers:
            s.say(s.t("review_empty"))
            return
        rows = []
        for theme in s.texts.canvas.themes:
            answer = s.answers.get(theme.id)
            if answer is None:
                continue
            mark = "-" if answer.score is None else str(answer.score)
            data = encode(Kind.REVIEW, s.partnership.id, s.partnership.round, theme.id)
            label = f"{s.texts.canvas.position(theme.id) + 1}. {theme.title(s.language)}: {mark}"
            rows.append((Button(label, data),))
        s.say(
            s.t(
                "review_title",
                header=s.header(),
                answered=s.answered_count(),
                total=len(s.texts.canvas.themes),
            ),
            tuple(rows),
        )

    def _switch_menu(self, s: Session) -> None:
        if len(s.memberships) < 2:
            s.say(s.t("switch_single"))
            return
        rows = tuple(
            (
                Button(
                    ("✅ " if m.partnership_id == s.active else "")
                    + m.organisation
                    + f" · {m.partnership_id[:4]}",
                    encode(Kind.SWITCH, m.partnership_id),
                ),
            )
            for m in s.memberships
        )
        s.say(s.t("switch_choose"), rows)

    async def _switch(self, s: Session, partnership_id: str) -> None:
        if not any(m.partnership_id == partnership_id for m in s.memberships):
            s.replies.append(Notice(s.t("stale_button")))
            return
        if s.state not in (Step.ANSWERING, Step.NOTE, Step.DONE, Step.IDLE):
            s.say(s.t("finish_step_first"))
            return
        await self._activate(s, partnership_id)
        s.context.pop("note", None)
        s.say(s.t("switched", header=s.header()))
        self._fire(s, Trigger.SWITCHED)

    async def _invite(self, s: Session) -> None:
        """New invite links for the open roles; links issued before stop working."""
        if s.partnership is None or s.me is None:
            s.say(s.t("review_nothing"))
            return
        for old in await self.repo.invites(s.partnership.id):
            if old.used_by is None and not old.revoked:
                s.changes.invites.append(replace(old, revoked=True))
        if {m.role for m in s.members} >= set(Role):
            s.say(s.t("invite_complete"))
            return
        self._issue_invites(s, s.partnership)


def _header(messages: Messages, language: Language, members: list[Member]) -> str:
    names = {m.role: m.organisation for m in members}
    return messages(
        "header",
        language,
        own=names.get(Role.SOCIAL, "…"),
        other=names.get(Role.BUSINESS, "…"),
    )
