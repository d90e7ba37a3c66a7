"""What happens without anyone typing: the facilitator's briefing before a meeting and
friendly reminders to partners who stopped halfway.

Everything is derived from the database on every scan. Each message is written to the
outbox in the same commit that marks it sent (briefed_at, reminded_at), so none is lost
to a crash or a failing chat, and none is made twice; the transport delivers the outbox.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from flows.actions import Action, Button, ContinueTap, Send, StopRemindersTap, outgoing
from flows.canvas import Language
from flows.delivery import Summaries
from flows.messages import Messages
from flows.model import Changes, Member, Reminded, Role
from flows.repository import Repository

logger = logging.getLogger(__name__)

LanguageOf = Callable[[int], Awaitable[Language]]

_DATE_TIME = re.compile(
    r"^\s*(?:(?P<y1>\d{4})-(?P<m1>\d{1,2})-(?P<d1>\d{1,2})"
    r"|(?P<d2>\d{1,2})[-/.](?P<m2>\d{1,2})[-/.](?P<y2>\d{4}))"
    r"\s+(?P<h>\d{1,2})[:.](?P<min>\d{2})\s*$"
)


@dataclass(frozen=True, slots=True)
class MomentumSettings:
    briefing_lead: timedelta = timedelta(hours=24)
    idle_after: timedelta = timedelta(days=3)
    max_reminders: int = 2


def parse_meeting(text: str, timezone: ZoneInfo) -> datetime | None:
    """'2026-12-03 14:00' or '3-12-2026 14:00' (also / and .) in ``timezone``; None if bad."""
    match = _DATE_TIME.match(text)
    if match is None:
        return None
    groups = match.groupdict()
    year = int(groups["y1"] or groups["y2"])
    month = int(groups["m1"] or groups["m2"])
    day = int(groups["d1"] or groups["d2"])
    try:
        return datetime(year, month, day, int(groups["h"]), int(groups["min"]), tzinfo=timezone)
    except ValueError:
        return None


class Momentum:
    """The periodic scan: briefings due and reminders due, as actions to send."""

    def __init__(
        self,
        repo: Repository,
        messages: Messages,
        summaries: Summaries,
        language_of: LanguageOf,
        *,
        settings: MomentumSettings,
        timezone: ZoneInfo,
    ) -> None:
        self.repo = repo
        self.messages = messages
        self.summaries = summaries
        self.language_of = language_of
        self.settings = settings
        self.timezone = timezone

    async def due(self, now: datetime) -> int:
        """Store the briefings and reminders due at ``now`` in the outbox; how many messages."""
        return await self._briefings(now) + await self._reminders(now)

    async def _briefings(self, now: datetime) -> int:
        count = 0
        window = await self.repo.meetings_between(now, now + self.settings.briefing_lead)
        for partnership in window:
            if partnership.briefed_at is not None:
                continue
            combined = await self.summaries.combine(partnership)
            behind = [
                m
                for m in combined.members
                if m.role.answers and m.finished_at is None and not m.unreachable
            ]
            actions: list[Action] = []
            when = _local(partnership.meeting_at, self.timezone)
            facilitators = [m for m in combined.members if m.role is Role.FACILITATOR]
            readers = [(m, await self.language_of(m.user_id)) for m in facilitators]
            if combined.complete:
                actions.extend(
                    await self.summaries.for_readers(
                        combined,
                        readers,
                        lead=partial(self._briefing_ready, when=when),
                    )
                )
            else:
                # Nothing of an unfinished round is shown to anyone: progress only.
                for member, language in readers:
                    progress = self.summaries.progress(combined, language)
                    text = self.messages(
                        "briefing_progress", language, when=when, progress=progress
                    )
                    actions.append(Send(member.user_id, text))
            for member in behind:
                language = await self.language_of(member.user_id)
                text = self.messages("meeting_reminder", language, when=when)
                actions.append(Send(member.user_id, text, self._keyboard(member, language)))
            # Marked with its messages: sent once, whatever happens to the sending.
            # A meeting reminder also restarts the idle clock, so no nudge follows right after.
            # Targeted updates: the rows were read a while ago and may have moved since.
            await self.repo.commit(
                Changes(
                    briefed=[(partnership.id, now)],
                    reminded=[
                        Reminded(m.partnership_id, m.user_id, now, counts=False) for m in behind
                    ],
                    outbox=outgoing(actions, now),
                )
            )
            count += len(actions)
            logger.info("briefing for partnership %s stored for sending", partnership.id)
        return count

    async def _reminders(self, now: datetime) -> int:
        """Idle partners get a nudge, at most ``max_reminders`` times, one idle period apart."""
        actions: list[Action] = []
        changes = Changes()
        idle_since = now - self.settings.idle_after
        for member in await self.repo.idle_members(idle_since):
            if member.reminders_sent >= self.settings.max_reminders:
                continue
            if member.reminded_at is not None and member.reminded_at > idle_since:
                continue
            changes.reminded.append(
                Reminded(member.partnership_id, member.user_id, now, counts=True)
            )
            language = await self.language_of(member.user_id)
            text = self.messages("reminder", language)
            actions.append(Send(member.user_id, text, self._keyboard(member, language)))
        if changes:
            changes.outbox.extend(outgoing(actions, now))
            await self.repo.commit(changes)
            logger.info("%d reminders due", len(changes.reminded))
        return len(actions)

    def _briefing_ready(self, language: Language, *, when: str) -> str:
        return self.messages("briefing_ready", language, when=when)

    def _keyboard(self, member: Member, language: Language) -> tuple[tuple[Button, ...], ...]:
        return (
            (Button(self.messages("button_continue", language), ContinueTap()),),
            (
                Button(
                    self.messages("button_stop_reminders", language),
                    StopRemindersTap(member.partnership_id),
                ),
            ),
        )


def _local(moment: datetime | None, timezone: ZoneInfo) -> str:
    if moment is None:
        return "?"
    return moment.astimezone(timezone).strftime("%d-%m-%Y %H:%M")
