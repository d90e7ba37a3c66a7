"""/partnerships: every partnership of a person, the ones that need attention first; and the
whole summary behind the button under its first message.

A facilitator runs several partnerships at once: per partnership who has finished how much,
the number of differences once both are done, the next meeting, and why it may need
attention now (a meeting soon with a partner not done, a partner not joined or unreachable).
The list may be long: it is handed over as blocks that the transport splits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flows import partnerships
from flows.actions import Button, DetailTap, Keyboard, Notice, SendLong, Tap
from flows.canvas import Language
from flows.compare import Verdict
from flows.delivery import Combined
from flows.events import Command
from flows.messages import Markup, Messages
from flows.model import Member, Partnership, Role
from flows.session import Session

if TYPE_CHECKING:
    from flows.journey import CommandHandler, Journey, TapHandler

SOON = timedelta(days=7)  # a meeting this close with a partner not done needs attention


@dataclass(frozen=True, slots=True)
class _Entry:
    text: str
    attention: bool
    meeting_at: datetime | None


async def listing(j: Journey, s: Session, _: str) -> None:
    """Every partnership of this user: attention first, then by next meeting."""
    if not s.memberships:
        s.say(s.t("idle"))
        return
    entries = []
    for membership in s.memberships:
        partnership = await j.repo.partnership(membership.partnership_id)
        if partnership is not None:
            entries.append(await _entry(j, s, partnership))
    latest = datetime.max.replace(tzinfo=s.now.tzinfo)
    entries.sort(key=lambda e: (not e.attention, e.meeting_at or latest))
    s.replies.append(
        SendLong(s.user_id, (str(s.t("partnerships_title")), *(e.text for e in entries)))
    )


async def _entry(j: Journey, s: Session, partnership: Partnership) -> _Entry:
    members = await j.repo.members(partnership.id)
    counts = await j.repo.answer_counts(partnership.id, partnership.round)
    total = len(s.texts.canvas.questions)
    by_role: dict[Role, Member] = {m.role: m for m in members}
    parts: list[Markup] = []
    for role in (Role.SOCIAL, Role.BUSINESS):
        member = by_role.get(role)
        if member is None:
            parts.append(s.t(f"status_missing_short_{role.value}"))
            continue
        done = "✅" if member.finished_at else f"{counts.get(member.user_id, 0)}/{total}"
        parts.append(s.t("partnerships_member", organisation=member.organisation, progress=done))
    social, business = by_role.get(Role.SOCIAL), by_role.get(Role.BUSINESS)
    header = s.t(
        "header",
        own=social.organisation if social else s.t("someone"),
        other=business.organisation if business else s.t("someone"),
    )
    lines = [
        s.t(
            "partnerships_entry",
            active="▶️ " if partnership.id == s.active else "",
            header=header,
            round=partnership.round,
            members=Markup(" · ").join(parts),
        )
    ]
    complete = bool(social and business and social.finished_at and business.finished_at)
    if complete:
        combined = await j.summaries.combine(partnership)
        count = combined.comparison.counts[Verdict.MISMATCH]
        lines.append(s.t("partnerships_differences", count=count))
    meeting = partnership.meeting_at
    if meeting is not None and meeting <= s.now:
        meeting = None  # a meeting that has been
    if meeting is not None:
        when = meeting.astimezone(j.timezone).strftime("%d-%m-%Y %H:%M")
        lines.append(s.t("partnerships_meeting", when=when))
    warnings: list[Markup] = []
    if meeting is not None and not complete and meeting - s.now <= SOON:
        warnings.append(s.t("partnerships_attention_meeting"))
    if social is None or business is None:
        warnings.append(s.t("partnerships_attention_missing"))
    warnings.extend(
        s.t("partnerships_attention_unreachable", organisation=member.organisation)
        for member in members
        if member.unreachable and member.user_id != s.user_id
    )
    lines.extend(warnings)
    return _Entry("\n".join(lines), bool(warnings), meeting)


def detail_keyboard(messages: Messages) -> Callable[[Combined, Language], Keyboard]:
    """The button under the first summary message of a round (``Summaries``' hook)."""

    def keyboard(combined: Combined, language: Language) -> Keyboard:
        partnership = combined.partnership
        tap = DetailTap(partnership.id, partnership.round)
        return ((Button(messages("button_summary_detail", language), tap),),)

    return keyboard


async def show_detail(j: Journey, s: Session, tap: DetailTap) -> None:
    """The whole summary, for a member, of the last round both partners finished."""
    partnership = await j.repo.partnership(tap.partnership_id)
    members = await j.repo.members(tap.partnership_id) if partnership else []
    if partnership is None or not any(m.user_id == s.user_id for m in members):
        s.replies.append(Notice(s.t("stale_button")))
        return
    combined = await partnerships.latest_summary(j, partnership)
    if combined.partnership.round != tap.round or not combined.complete:
        s.replies.append(Notice(s.t("detail_outdated")))
        return
    s.replies.append(j.summaries.detail(combined, s.user_id, s.language))


COMMANDS: dict[Command, CommandHandler] = {Command.PARTNERSHIPS: listing}
TAPS: dict[type[Tap], TapHandler] = {DetailTap: show_detail}
