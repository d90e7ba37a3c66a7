"""The combined summary, picture and report, built for each reader in their own language.

Building is pure except for reading answers; rendering the chart and the report runs in a
worker thread so the event loop keeps serving other partners meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flows.actions import Action, Keyboard, Send, SendDocument, SendLong, SendPhoto
from flows.canvas import LANGUAGES, Canvas, Language
from flows.chart import render_chart
from flows.chat_summary import detail_blocks, first_message
from flows.compare import Comparison, compare
from flows.messages import Markup, Messages
from flows.model import Answer, Changes, Member, Partnership, Role
from flows.reading import Reading
from flows.report import render_answers_csv, render_report_html
from flows.repository import Repository
from flows.summary import headline

logger = logging.getLogger(__name__)


# Renders the picture of a compared pair (``flows.chart.render_chart``; a stub in tests).
ChartRenderer = Callable[[Reading], bytes]


@dataclass(frozen=True, slots=True)
class Combined:
    """Both partners' answers of one round, compared."""

    partnership: Partnership
    members: list[Member]
    comparison: Comparison
    social_name: str
    business_name: str
    complete: bool  # both partners finished the round


# The button under the first summary message that shows the detail (``Summaries.detail``);
# the journey supplies it (``overview.detail_keyboard``). None: no button, and the first
# message points to the report instead.
DetailKeyboard = Callable[["Combined", Language], Keyboard]


@dataclass(frozen=True, slots=True)
class Summaries:
    """Builds the summary actions for a partnership's members.

    Each reader gets at most three messages: the first summary message (ambitions, counts,
    the top of the agenda, what to do next), the picture right after it, and for the roles
    in ``report_for`` the report. The rest is one tap away (``detail``).
    """

    repo: Repository
    canvas: Canvas
    messages: Messages
    timezone: ZoneInfo
    chart: ChartRenderer = render_chart
    _: KW_ONLY
    detail_keyboard: DetailKeyboard | None = None

    def reading(self, combined: Combined, language: Language) -> Reading:
        """The compared pair as a reader in ``language`` sees it."""
        return Reading(
            combined.comparison,
            self.canvas,
            self.messages,
            language,
            combined.social_name,
            combined.business_name,
        )

    async def combine(self, partnership: Partnership, pending: Changes | None = None) -> Combined:
        """Both partners' answers of the round, as stored, with ``pending`` (a unit of work
        not committed yet) laid over them: a summary is stored with the answer it follows."""
        members = await self.repo.members(partnership.id)
        round_ = partnership.round
        answers = await self.repo.answers(partnership.id, round_)
        if pending is not None:
            members, answers = _overlay(partnership, members, answers, pending)
        social = _role(members, Role.SOCIAL)
        business = _role(members, Role.BUSINESS)
        previous = None
        if round_ > 1:
            before = await self.repo.answers(partnership.id, round_ - 1)
            previous = (_of(before, social), _of(before, business))
        comparison = compare(self.canvas, _of(answers, social), _of(answers, business), previous)
        return Combined(
            partnership=partnership,
            members=members,
            comparison=comparison,
            social_name=social.organisation if social else "…",
            business_name=business.organisation if business else "…",
            complete=bool(social and business and social.finished_at and business.finished_at),
        )

    async def for_readers(
        self,
        combined: Combined,
        readers: list[tuple[Member, Language]],
        *,
        report_for: frozenset[Role] = frozenset({Role.FACILITATOR}),
        lead: Callable[[Language], str] | None = None,
        unled: frozenset[int] = frozenset(),
    ) -> list[Action]:
        """The first message and the picture for each reader; the report for the roles named.

        The first message opens with ``lead`` (a line of HTML in the reader's language), such
        as the news that both partners are done or the briefing before a meeting; readers in
        ``unled`` (user ids) heard that news already and get no lead.
        """
        charts: dict[Language, bytes] = {}
        actions: list[Action] = []
        for member, language in readers:
            if language not in charts:
                charts[language] = await self.picture(combined, language)
            opening = lead(language) if lead and member.user_id not in unled else None
            actions.append(self.first(combined, member.user_id, language, lead=opening))
            caption = str(headline(combined.comparison, self.messages, language))
            actions.append(SendPhoto(member.user_id, charts[language], caption))
            if member.role in report_for:
                actions.append(await self.report(combined, member, language, charts[language]))
        return actions

    def first(
        self, combined: Combined, chat_id: int, language: Language, *, lead: str | None = None
    ) -> Send:
        text = first_message(
            self.reading(combined, language),
            incomplete=not combined.complete,
            detail_button=self.detail_keyboard is not None and combined.complete,
            lead=lead,
        )
        keyboard: Keyboard = ()
        if self.detail_keyboard is not None and combined.complete:
            keyboard = self.detail_keyboard(combined, language)
        return Send(chat_id, text, keyboard)

    def detail(self, combined: Combined, chat_id: int, language: Language) -> SendLong:
        """The whole agenda with notes, opening questions and next steps, and every theme in one
        line: what the button under the first message shows, as blocks the transport splits."""
        return SendLong(chat_id, detail_blocks(self.reading(combined, language)))

    def progress(self, combined: Combined, language: Language) -> Markup:
        """Who has answered how much of the round: one line per partner, nothing of what."""
        total = len(self.canvas.questions)
        lines = []
        for member in combined.members:
            if not member.role.answers:
                continue
            social = member.role is Role.SOCIAL
            comparison = combined.comparison
            answered = sum(
                1 for r in comparison.results if (r.social if social else r.business)
            ) + sum(1 for a in comparison.ambitions if (a.social if social else a.business))
            key = "briefing_progress_line_done" if member.finished_at else "briefing_progress_line"
            lines.append(
                self.messages(
                    key, language, name=member.organisation, answered=answered, total=total
                )
            )
        return Markup("\n".join(lines))

    async def picture(self, combined: Combined, language: Language) -> bytes:
        """The chart, rendered in a worker thread so the event loop keeps serving others."""
        return await asyncio.to_thread(self.chart, self.reading(combined, language))

    async def report(
        self, combined: Combined, member: Member, language: Language, chart: bytes | None = None
    ) -> SendDocument:
        if chart is None:
            chart = await self.picture(combined, language)
        meeting = combined.partnership.meeting_at
        now = datetime.now(self.timezone)
        html = await asyncio.to_thread(
            render_report_html,
            self.reading(combined, language),
            facilitator=member.role is Role.FACILITATOR,
            chart_png=chart,
            generated_at=now,
            meeting_at=meeting.astimezone(self.timezone) if meeting else None,
            incomplete=not combined.complete,
        )
        caption = self.messages("report_caption", language)
        return SendDocument(member.user_id, html, _filename("canvas", now, "html"), caption)

    def csv(self, combined: Combined, member: Member, language: Language) -> SendDocument:
        content = render_answers_csv(self.reading(combined, language))
        now = datetime.now(self.timezone)
        caption = self.messages("csv_caption", language)
        return SendDocument(member.user_id, content, _filename("answers", now, "csv"), caption)


def _overlay(
    partnership: Partnership, members: list[Member], answers: list[Answer], pending: Changes
) -> tuple[list[Member], list[Answer]]:
    staged = {m.user_id: m for m in pending.members if m.partnership_id == partnership.id}
    members = [staged.get(m.user_id, m) for m in members]
    new = {
        (a.user_id, a.theme_id): a
        for a in pending.answers
        if a.partnership_id == partnership.id and a.round == partnership.round
    }
    kept = [a for a in answers if (a.user_id, a.theme_id) not in new]
    return members, kept + list(new.values())


def _role(members: list[Member], role: Role) -> Member | None:
    return next((m for m in members if m.role is role), None)


def _of(answers: list[Answer], member: Member | None) -> list[Answer]:
    if member is None:
        return []
    return [a for a in answers if a.user_id == member.user_id]


def _filename(stem: str, now: datetime, extension: str) -> str:
    return f"{stem}-{now:%Y%m%d-%H%M}.{extension}"


def language_or(value: str, default: Language) -> Language:
    for language in LANGUAGES:
        if value == language:
            return language
    return default
