"""Looking back: /status, /review of one's own answers, and switching partnership."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.actions import Button, Notice, ReviewTap, SwitchTap, Tap
from flows.events import Command
from flows.machine import Trigger
from flows.model import Role
from flows.session import Session

if TYPE_CHECKING:
    from flows.journey import CommandHandler, Journey, TapHandler


async def status(j: Journey, s: Session, _: str) -> None:
    """How far each partner is: counts, never answers."""
    if s.partnership is None:
        s.say(s.t("idle"))
        return
    counts = await j.repo.answer_counts(s.partnership.id, s.partnership.round)
    total = len(s.texts.canvas.questions)
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


async def review(j: Journey, s: Session, _: str) -> None:
    """The user's own answers, each a button to change it."""
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
        tap = ReviewTap(s.partnership.id, s.partnership.round, theme.id)
        label = f"{s.texts.canvas.position(theme.id) + 1}. {theme.title(s.language)}: {mark}"
        rows.append((Button(label, tap),))
    s.say(
        s.t(
            "review_title",
            header=s.header(),
            answered=s.answered_count(),
            total=len(s.texts.canvas.questions),
        ),
        tuple(rows),
    )


async def switch_menu(j: Journey, s: Session, _: str) -> None:
    if len(s.memberships) < 2:
        s.say(s.t("switch_single"))
        return
    rows = tuple(
        (
            Button(
                ("✅ " if m.partnership_id == s.active else "")
                + m.organisation
                + f" · {m.partnership_id[:4]}",
                SwitchTap(m.partnership_id),
            ),
        )
        for m in s.memberships
    )
    s.say(s.t("switch_choose"), rows)


async def switched(j: Journey, s: Session, tap: SwitchTap) -> None:
    await switch_to(j, s, tap.partnership_id)


async def switch_to(j: Journey, s: Session, partnership_id: str) -> None:
    if not any(m.partnership_id == partnership_id for m in s.memberships):
        s.replies.append(Notice(s.t("stale_button")))
        return
    if not j.accepts(s, Trigger.SWITCHED):
        s.say(s.t("finish_step_first"))
        return
    await j.activate(s, partnership_id)
    s.context.pop("note", None)
    s.say(s.t("switched", header=s.header()))
    j.fire(s, Trigger.SWITCHED)


COMMANDS: dict[Command, CommandHandler] = {
    Command.STATUS: status,
    Command.REVIEW: review,
    Command.SWITCH: switch_menu,
}
TAPS: dict[type[Tap], TapHandler] = {SwitchTap: switched}
