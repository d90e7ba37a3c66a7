"""Looking back: /status, /review of one's own answers, and switching partnership."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows import answering, cards
from flows.actions import Button, NoteTap, Notice, ReviewTap, SendLong, SwitchTap, Tap
from flows.canvas import Ambition, Theme
from flows.events import Command
from flows.machine import Trigger
from flows.messages import Markup
from flows.model import Answer, Role
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
    """The user's own answers with their notes, to read; each theme a button to change it.

    Once the round's summary is out the answers are shown without buttons: they are locked.
    """
    me, partnership = s.me, s.partnership
    if partnership is None or me is None or not me.role.answers:
        s.say(s.t("review_nothing"))
        return
    if not s.answers:
        s.say(s.t("review_empty"))
        return
    canvas = s.texts.canvas
    # Answered: given a place or marked not yet relevant; a skip is counted apart.
    skipped = sum(
        1
        for a in s.answers.values()
        if a.theme_id in canvas.question_ids and a.score is None and not a.not_yet
    )
    title = s.t(
        "review_title_skipped" if skipped else "review_title",
        header=s.header(),
        answered=s.answered_count() - skipped,
        total=len(canvas.questions),
        skipped=skipped,
    )
    blocks = [title, *_ambition_lines(s), *_theme_lines(s)]
    s.replies.append(SendLong(s.user_id, tuple(blocks)))
    if not s.round_open():
        s.say(s.t("review_closed"))
        return
    rows = tuple(
        (Button(f"✏️ {canvas.number(question.id)}. {question.title(s.language)}", tap),)
        for question in canvas.questions
        if question.id in s.answers
        for tap in [ReviewTap(partnership.id, partnership.round, question.id)]
    )
    s.say(s.t("review_pick"), rows)


def _theme_lines(s: Session) -> list[Markup]:
    lines = []
    for theme in s.texts.canvas.themes:
        answer = s.answers.get(theme.id)
        if answer is not None:
            number = s.texts.canvas.number(theme.id)
            line = s.t(
                "review_line",
                number=number,
                title=theme.title(s.language),
                choice=choice(s, answer),
            )
            lines.append(_with_note(s, line, answer))
    return lines


def _ambition_lines(s: Session) -> list[Markup]:
    lines = []
    for ambition in s.texts.canvas.ambitions:
        answer = s.answers.get(ambition.id)
        if answer is not None:
            picked = _in_words(s, ambition, answer)
            line = s.t(
                "review_ambition_line",
                number=s.texts.canvas.number(ambition.id),
                title=ambition.title(s.language),
                choice=picked,
            )
            lines.append(_with_note(s, line, answer))
    return lines


def _with_note(s: Session, line: Markup, answer: Answer) -> Markup:
    return s.t("review_with_note", line=line, note=answer.note) if answer.note else line


def _in_words(s: Session, question: Ambition | Theme, answer: Answer) -> Markup:
    """An answer in words: an ambition's chosen option, or a statement's ``choice``."""
    if isinstance(question, Ambition):
        option = question.option(answer.score)
        return s.t("review_skipped") if option is None else Markup(option.label(s.language))
    return choice(s, answer)


def choice(s: Session, answer: Answer) -> Markup:
    """A statement's answer in words: the score and its label, not yet relevant, or skipped."""
    if answer.score is not None:
        label = s.texts.canvas.scale[answer.score - 1](s.language)
        return s.t("review_score", score=answer.score, label=label)
    return s.t("review_not_yet" if answer.not_yet else "review_skipped")


async def change_card(j: Journey, s: Session, tap: ReviewTap) -> None:
    """A theme from /review: the question, the current answer and note, buttons to change."""
    theme = answering.question_of(j, s, tap)
    answer = s.answers.get(tap.theme_id)
    if theme is None or answer is None:
        if theme is not None:
            s.replies.append(Notice(s.t("stale_button")))
        return
    values = {"question": cards.asking_text(s, theme), "choice": _in_words(s, theme, answer)}
    if answer.note:
        text = s.t("change_current_with_note", note=answer.note, **values)
    else:
        text = s.t("change_current", **values)
    note_key = "button_change_note" if answer.note else "button_add_note"
    note = Button(s.t(note_key), NoteTap(tap.partnership_id, tap.round, theme.id))
    s.say(text, (*cards.keyboard(s, theme, change=True), (note,)))


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
TAPS: dict[type[Tap], TapHandler] = {SwitchTap: switched, ReviewTap: change_card}
