"""The canvas journey: one entry point that turns an event into replies.

Per event: load the participant and their active partnership from storage into a Session
with the stored state, run the event's handler (which fires triggers of the state machine),
then commit every staged change in one transaction, and only then hand the replies back. A
reply is never sent for a change that was not stored.

What each command and button does lives in one module per feature (onboarding, answering,
review, partnerships, privacy), each with a table from event to handler; this module only
loads, dispatches and persists.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from transitions import MachineError

from flows import answering, onboarding, overview, partnerships, privacy, review
from flows.actions import Action, BotLinks, Deliverable, Notice, Send, SendLinked, Tap, outgoing
from flows.canvas import LANGUAGES, Canvas, Language
from flows.chart import render_chart
from flows.delivery import ChartRenderer, Summaries
from flows.errors import RoleTakenError
from flows.events import ButtonTapped, Command, CommandSent, Event, OtherSent, TextSent, User
from flows.machine import Step, Trigger, build_machine
from flows.messages import Messages
from flows.model import Changes, Member, Partnership, Role, Snapshot
from flows.momentum import Momentum, MomentumSettings
from flows.moves import Moves
from flows.repository import Repository
from flows.session import Session, Texts

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

CommandHandler = Callable[["Journey", Session, str], Awaitable[None]]
# Each tap handler takes its own kind of tap (the table below keys them by that type).
TapHandler = Callable[["Journey", Session, Any], Awaitable[None]]


K = TypeVar("K")
V = TypeVar("V")


def _merged(*tables: Mapping[K, V]) -> dict[K, V]:
    merged: dict[K, V] = {}
    for table in tables:
        if merged.keys() & table.keys():
            raise ValueError(
                f"two features claim {sorted(map(str, merged.keys() & table.keys()))}"
            )
        merged.update(table)
    return merged


# Commands that work at any step, and those about a partnership (after the language is chosen).
ANYTIME: dict[Command, CommandHandler] = _merged(onboarding.COMMANDS, privacy.COMMANDS)
ABOUT_PARTNERSHIP: dict[Command, CommandHandler] = _merged(
    review.COMMANDS, partnerships.COMMANDS, overview.COMMANDS
)
TAPS: dict[type[Tap], TapHandler] = _merged(
    onboarding.TAPS, answering.TAPS, review.TAPS, partnerships.TAPS, privacy.TAPS, overview.TAPS
)


# Steps by their stored value, and the languages by their code (the usual cases, looked up).
_STEPS: dict[str, Step] = {step.value: step for step in Step}
_CODES: dict[str | None, Language] = {language: language for language in LANGUAGES}


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Limits:
    organisation_max: int = 100
    note_max: int = 1000
    invite_ttl: timedelta = timedelta(days=14)
    forget_window: timedelta = timedelta(minutes=10)  # an unanswered "erase?" expires
    partnerships_max: int = 10  # partnerships one person may start (/new)
    invites_per_day: int = 5  # times a day one partnership's links may be renewed (/invite)


class Journey:
    """Everything a participant can do, independent of the chat transport."""

    def __init__(
        self,
        repo: Repository,
        canvas: Canvas,
        messages: Messages,
        *,
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
        self.default_language = default_language
        self.limits = limits or Limits()
        self.clock = clock
        self.new_token = new_token
        self.new_id = new_id
        self.machine = build_machine()
        self.moves = Moves(self.machine)  # the machine's transitions, looked up per step
        # A lock lives while an update holds or awaits it (a weak value): no clean-up needed.
        self._summary_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self.timezone = timezone
        self.retention = retention
        self.summaries = Summaries(
            repo,
            canvas,
            messages,
            timezone,
            chart,
            detail_keyboard=overview.detail_keyboard(messages),
        )
        self.momentum_settings = momentum or MomentumSettings()
        self.momentum = Momentum(
            repo,
            messages,
            self.summaries,
            self.language_of,
            settings=self.momentum_settings,
            timezone=timezone,
        )

    # ------------------------------------------------------------------ entry

    async def handle(self, event: Event) -> list[Action]:
        """Run one event to completion: load, trigger, persist, reply."""
        if isinstance(event, OtherSent) and event.kind == "group":
            language = self.language_from_hint(event.user.language_hint)

            def private_only(bot: BotLinks) -> str:
                return self.texts.messages("private_only", language, bot=bot.username)

            return [SendLinked(event.chat_id or event.user.id, private_only)]
        session = await self._load(event.user)
        try:
            await self._dispatch(session, event)
        except MachineError:
            # Nothing the event staged is saved: it was not valid in this step.
            logger.info("event %s not valid in state %s", type(event).__name__, session.state)
            use_buttons = session.t("use_buttons")
            return [Notice(use_buttons), Send(session.user_id, use_buttons)]
        try:
            return await self._persist(session)
        except RoleTakenError:
            # Someone else joined by the same invite a moment earlier: nothing was stored.
            logger.info("an invite was used by two people at once")
            return [Send(session.user_id, session.t("invite_used"))]

    async def mark_unreachable(self, user_ids: set[int]) -> None:
        """These users blocked the bot: mark them, and tell the others (through the outbox)."""
        await privacy.mark_unreachable(self, user_ids)

    async def card_shown(self, user_id: int, message_id: int) -> None:
        """A fresh question card went out as ``message_id``: the live one (flows.cards)."""
        await answering.card_shown(self, user_id, message_id)

    async def purge_inactive(self, now: datetime) -> int:
        """Delete partnerships without activity for the retention period (a daily job)."""
        return await privacy.purge_inactive(self, now)

    # ------------------------------------------------------- for the features

    def fire(self, s: Session, trigger: Trigger) -> None:
        """Run one trigger on the session; MachineError when it is not valid in its state."""
        self.moves.fire(s, trigger)

    def accepts(self, s: Session, trigger: Trigger) -> bool:
        """Whether the transition table lets ``trigger`` happen in the session's step."""
        return self.moves.accepts(s.state, trigger)

    def allows(self, s: Session, trigger: Trigger) -> bool:
        """Whether ``trigger`` would happen now: accepted in the step, its conditions met."""
        return self.moves.allows(s, trigger)

    async def resume(self, s: Session) -> None:
        """Continue where the participant left off: the pending step or the first open question."""
        self.fire(s, Trigger.RESUMED)

    async def activate(self, session: Session, partnership_id: str) -> None:
        """Make another partnership the active one, read in one go."""
        self._take(session, await self.repo.snapshot(session.user_id, partnership_id))

    async def language_of(self, user_id: int) -> Language:
        stored = await self.repo.participant(user_id)
        if stored is not None and stored.language in LANGUAGES:
            return stored.language
        return self.default_language

    async def language_in(self, s: Session, user_id: int) -> Language:
        """A person's language; for a member of the session's partnership from its snapshot
        (no read), else from storage."""
        if all(m.user_id != user_id for m in s.members):
            return await self.language_of(user_id)
        stored = s.languages.get(user_id)
        for language in LANGUAGES:
            if stored == language:
                return language
        return self.default_language

    def language_from_hint(self, hint: str | None) -> Language:
        if hint in _CODES:  # as stored, or a client's plain code: no parsing needed
            return _CODES[hint]
        code = (hint or "").split("-")[0].lower()
        for language in LANGUAGES:
            if code == language:
                return language
        return self.default_language

    @staticmethod
    def hinted(hint: str | None) -> bool:
        """Whether the client's language (e.g. "nl", "en-GB") is one the bot speaks."""
        return hint in _CODES or (hint or "").split("-")[0].lower() in LANGUAGES

    # ---------------------------------------------------------------- loading

    async def _load(self, user: User) -> Session:
        """One read: the participant, their memberships and the active partnership."""
        snap = await self.repo.snapshot(user.id)
        stored = snap.participant
        session = Session(
            texts=self.texts,
            user_id=user.id,
            state=Step.NEW if stored is None else _STEPS.get(stored.state) or Step(stored.state),
            language=self.language_from_hint(user.language_hint)
            if stored is None
            else self.language_from_hint(stored.language),
            now=self.clock(),
            context={} if stored is None else dict(stored.context),
            language_hinted=self.hinted(user.language_hint),
        )
        self._take(session, snap)
        session.expire_stale_step()
        for membership in session.memberships:
            if membership.unreachable:  # they are back: they can be reached again
                session.stage_reachable(membership)
        return session

    @staticmethod
    def _take(session: Session, snap: Snapshot) -> None:
        session.memberships = snap.memberships
        session.partnership = snap.partnership
        session.active = snap.partnership.id if snap.partnership else None
        session.members = snap.members
        session.answers = {a.theme_id: a for a in snap.answers}
        session.languages = snap.languages

    async def _persist(self, session: Session) -> list[Action]:
        """Store the update in one transaction; return the replies to send at once.

        The acting person's replies to their own update go back at once. Every other message
        (news for other people, the summary for everyone) is written to the outbox in the
        same transaction as the change it tells of, and the transport delivers it from there.

        An update that finishes the round is stored under its partnership's lock, after a
        fresh read of the members: of two partners finishing at the same moment, the second
        sees the first's commit and claims the summary in its own unit of work.
        """
        direct: list[Action] = []
        others: list[Action] = []
        for action in session.replies:
            (others if _news(action, session.user_id) else direct).append(action)
        news = outgoing(others, session.now)
        if session.forget:  # the person asked to be forgotten: erase, store nothing more
            await self.repo.forget_user(session.user_id, news)
            logger.info("user data erased on request")
            return direct
        changes = session.changes
        changes.participants.append(session.snapshot())
        changes.outbox.extend(news)
        partnership = session.partnership
        if not session.finished or partnership is None:
            await self.repo.commit(changes)
            return direct
        lock = self._summary_locks.setdefault(partnership.id, asyncio.Lock())
        async with lock:
            claimed = await self._claim_summary(session, partnership.id)
            if claimed is not None:
                changes.partnerships.append(claimed)
                # Their done message said both are done when the partner had finished as it
                # was loaded (``done_together``); else (both at once) the summary's lead does.
                partner = session.counterpart
                told = frozenset({session.user_id} if partner and partner.finished_at else ())
                summary = await self._tell_both_done(claimed, changes, told)
                changes.outbox.extend(outgoing(summary, session.now))
            await self.repo.commit(changes)
        if claimed is not None:
            logger.info(
                "summary of partnership %s round %s stored for delivery", claimed.id, claimed.round
            )
        return direct

    # --------------------------------------------------------------- dispatch

    async def _dispatch(self, s: Session, event: Event) -> None:
        if isinstance(event, CommandSent):
            await self._command(s, event.command, event.argument.strip())
        elif isinstance(event, TextSent):
            await answering.on_text(self, s, event.text)
        elif isinstance(event, OtherSent):
            s.say(s.t(f"other_{event.kind}"))
            self.fire(s, Trigger.OTHER_SENT)
        else:
            await self._tap(s, event)

    async def _command(self, s: Session, command: Command, argument: str) -> None:
        anytime = ANYTIME.get(command)
        if anytime is not None:
            await anytime(self, s, argument)
        elif self.accepts(s, Trigger.ASKED_EARLY):
            self.fire(s, Trigger.ASKED_EARLY)
        else:
            await ABOUT_PARTNERSHIP[command](self, s, argument)

    async def _tap(self, s: Session, event: ButtonTapped) -> None:
        if event.tap is None:
            logger.info("unreadable button data from a client")
            s.replies.append(Notice(s.t("stale_button")))
            return
        s.tapped = event.message_id
        await TAPS[type(event.tap)](self, s, event.tap)

    # ------------------------------------------------------------ the summary

    async def _claim_summary(self, s: Session, partnership_id: str) -> Partnership | None:
        """The partnership with its summary claimed, when this update completes the round.

        Read fresh (not from the update's snapshot): the partner may have finished since.
        """
        partnership = await self.repo.partnership(partnership_id)
        if partnership is None or partnership.summary_round >= partnership.round:
            return None
        staged = {m.user_id: m for m in s.changes.members if m.partnership_id == partnership_id}
        members = [staged.get(m.user_id, m) for m in await self.repo.members(partnership_id)]
        partners = [m for m in members if m.role.answers]
        if len(partners) < 2 or any(m.finished_at is None for m in partners):
            return None
        return replace(partnership, summary_round=partnership.round)

    async def _tell_both_done(
        self, partnership: Partnership, pending: Changes, told: frozenset[int]
    ) -> list[Action]:
        """Both partners finished: everyone gets the summary, the facilitator the report too.

        Built from what is stored and what ``pending`` is about to store. The first summary
        message itself says that both are done (three messages at most), except to those in
        ``told``: their done message said it already.
        """
        combined = await self.summaries.combine(partnership, pending)
        readers = [(m, await self.language_of(m.user_id)) for m in combined.members]

        def done(language: Language) -> str:
            header = _header(self.texts.messages, language, combined.members)
            return self.texts.messages("both_done", language, header=header)

        return await self.summaries.for_readers(combined, readers, lead=done, unled=told)


def _news(action: Action, user_id: int) -> bool:
    """Whether ``action`` is for someone else than the person whose update it answers."""
    return isinstance(action, Deliverable) and action.chat_id != user_id


def _header(messages: Messages, language: Language, members: list[Member]) -> str:
    names = {m.role: m.organisation for m in members}
    return messages(
        "header",
        language,
        own=names.get(Role.SOCIAL, "…"),
        other=names.get(Role.BUSINESS, "…"),
    )
