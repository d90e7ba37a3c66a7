"""Answering: a scale tap answers a theme, a note adds a reflection, text is routed by step."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from flows import cards, onboarding
from flows.actions import (
    AnswerTap,
    Button,
    ChangeTap,
    Edit,
    KeepTextTap,
    NoteTap,
    Notice,
    QuestionTap,
    ReviewTap,
    RevisitTap,
    Tap,
)
from flows.cards import Question
from flows.machine import Trigger
from flows.model import Changes
from flows.session import Session
from flows.staging import LIVE_CARD

if TYPE_CHECKING:
    from flows.journey import Journey, TapHandler


async def on_text(j: Journey, s: Session, text: str) -> None:
    """A text message: the organisation's name or a note when one is asked for, else a hint."""
    if j.accepts(s, Trigger.ORGANISATION_NAMED):
        await onboarding.organisation_named(j, s, text)
    elif j.accepts(s, Trigger.NOTE_GIVEN):
        note_given(j, s, text)
    elif j.accepts(s, Trigger.TEXT_HELD):
        hold_text(j, s, text)
    else:
        j.fire(s, Trigger.TEXT_SENT)


async def card_shown(j: Journey, user_id: int, message_id: int) -> None:
    """A fresh question card went out as message ``message_id`` of the user's chat: kept in
    their stored context, so that the next fresh card takes its buttons away. A commit of
    its own, only for a fresh card: an answer on the live card keeps it where it is."""
    stored = await j.repo.participant(user_id)
    if stored is None:  # erased meanwhile
        return
    context = {**stored.context, LIVE_CARD: str(message_id)}
    await j.repo.commit(Changes(participants=[replace(stored, context=context)]))


def hold_text(j: Journey, s: Session, text: str) -> None:
    """Text while a question is open: kept in the context and offered, with one confirming
    tap, as a note to the question just answered (or the open one if none is yet)."""
    note = text.strip()
    last = s.context.get("last", "")
    question = s.texts.canvas.question(last) if last in s.answers else s.open_question()
    if question is None or s.partnership is None or not note:
        s.say(s.t("note_empty"))
        return
    if len(note) > j.limits.note_max:
        s.say(s.t("note_too_long", limit=j.limits.note_max, length=len(note)))
        return
    s.context["typed"] = note
    s.context["typed_for"] = question.id
    ids = (s.partnership.id, s.partnership.round, question.id)
    s.say(
        s.t("keep_typed", title=question.title(s.language)),
        (
            (
                Button(s.t("button_keep_yes"), KeepTextTap(*ids, keep=True)),
                Button(s.t("button_keep_no"), KeepTextTap(*ids, keep=False)),
            ),
        ),
    )
    j.fire(s, Trigger.TEXT_HELD)


async def keep_tapped(j: Journey, s: Session, tap: KeepTextTap) -> None:
    """The typed text kept as the question's note (with its answer, if not answered yet)."""
    question = s.texts.canvas.question(tap.theme_id)
    text = s.context.get("typed")
    if (
        question is None
        or text is None
        or s.context.get("typed_for") != question.id
        or s.partnership is None
        or (tap.partnership_id, tap.round) != (s.partnership.id, s.partnership.round)
        or not j.accepts(s, Trigger.TEXT_KEPT)
    ):
        s.replies.append(Notice(s.t("stale_button")))
        return
    del s.context["typed"], s.context["typed_for"]
    title = question.title(s.language)
    if not tap.keep:
        s.replies.append(Edit(s.t("typed_dropped")))
    elif question.id in s.answers:
        s.stage_note(question, text)
        s.replies.append(Edit(s.t("note_saved", title=title)))
    else:
        s.context["draft"], s.context["draft_for"] = text, s.draft_key(question.id)
        s.replies.append(Edit(s.t("draft_kept", title=title)))
    j.fire(s, Trigger.TEXT_KEPT)


async def answer_tapped(j: Journey, s: Session, tap: AnswerTap | ChangeTap) -> None:
    question = question_of(j, s, tap)
    if question is None:
        return
    if not cards.valid_score(question, tap.score, tap.not_yet):
        s.replies.append(Notice(s.t("stale_button")))
        return
    change = isinstance(tap, ChangeTap)
    answered(j, s, question, tap.score, change=change, not_yet=tap.not_yet)


async def note_tapped(j: Journey, s: Session, tap: NoteTap) -> None:
    question = question_of(j, s, tap)
    if question is not None:
        s.context["note"] = question.id
        j.fire(s, Trigger.NOTE_OPENED)


def question_of(j: Journey, s: Session, tap: QuestionTap) -> Question | None:
    """The question a button names, if it still belongs to this user's journey."""
    theme = s.texts.canvas.question(tap.theme_id)
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
    trigger = _TRIGGERS[type(tap)]
    if not j.accepts(s, trigger):
        s.replies.append(Notice(s.t("stale_button")))
        return None
    if not j.allows(s, trigger):  # the table's guard: this round's summary is out
        s.replies.append(Notice(s.t("round_closed_short")))
        j.fire(s, Trigger.LATE_CHANGE)
        return None
    return theme


# What each question button would do, for the table to allow or refuse.
_TRIGGERS: dict[type[QuestionTap], Trigger] = {
    AnswerTap: Trigger.ANSWERED,
    ChangeTap: Trigger.ANSWER_CHANGED,
    ReviewTap: Trigger.ANSWER_CHANGED,
    NoteTap: Trigger.NOTE_OPENED,
}


def answered(
    j: Journey, s: Session, theme: Question, score: int | None, *, change: bool, not_yet: bool
) -> None:
    queue = s.revisit_queue()
    already = theme.id in s.answers and theme.id not in queue
    if already and not change:
        # A doubled tap: the card may already show the next question, so it stays as it is.
        s.replies.append(Notice(s.t("already_answered")))
        return
    s.stage_answer(theme, score, not_yet=not_yet)
    s.context.pop("note", None)
    s.context["last"] = theme.id
    s.replies.append(Notice(s.t("saved")))
    if already:
        s.replies.append(cards.answered_view(s, theme))
        j.fire(s, Trigger.ANSWER_CHANGED)
        return
    # The tapped card becomes the next question; if there is none, it shows the answer.
    s.card_after = theme
    at = len(s.replies)
    if theme.id in queue:
        queue.remove(theme.id)
        s.set_revisit_queue(queue)
        if not queue:  # the skipped statements were offered once more: done
            s.finish()
    elif not s.has_open_question() and not s.offers_skipped():
        s.finish()
    j.fire(s, Trigger.ANSWERED)
    took = s.card_after is None
    if not took:  # no next question took the card
        s.card_after = None
        s.replies.insert(at, cards.answered_view(s, theme))
    cards.tapped_card(s, live=took)


async def revisit_tapped(j: Journey, s: Session, tap: RevisitTap) -> None:
    """The skipped statements: asked again one by one, or left open and the partner done."""
    partnership = s.partnership
    if (
        partnership is None
        or (tap.partnership_id, tap.round) != (partnership.id, partnership.round)
        or not j.accepts(s, Trigger.REVISIT_CHOSEN)
    ):
        s.replies.append(Notice(s.t("stale_button")))
        return
    if tap.now:
        s.set_revisit_queue(s.skipped())
        s.replies.append(Edit(s.t("revisit_chosen_now")))
    else:
        s.finish()
        s.replies.append(Edit(s.t("revisit_chosen_finish")))
    j.fire(s, Trigger.REVISIT_CHOSEN)


def note_given(j: Journey, s: Session, text: str) -> None:
    if not j.allows(s, Trigger.NOTE_GIVEN):  # the summary came out while the note was asked
        j.fire(s, Trigger.LATE_CHANGE)
        return
    theme = s.texts.canvas.question(s.context.get("note", ""))
    note = text.strip()
    if theme is None:
        s.context.pop("note", None)
        j.fire(s, Trigger.NOTE_GIVEN)
        return
    if not note:
        s.say(s.t("note_empty"))
        return
    if len(note) > j.limits.note_max:
        s.say(s.t("note_too_long", limit=j.limits.note_max, length=len(note)))
        return
    first_answer = theme.id not in s.answers
    s.stage_note(theme, note)
    s.context.pop("note", None)
    s.say(s.t("note_saved", title=theme.title(s.language)))
    if first_answer and not s.has_open_question() and not s.offers_skipped():
        s.finish()
    j.fire(s, Trigger.NOTE_GIVEN)


TAPS: dict[type[Tap], TapHandler] = {
    AnswerTap: answer_tapped,
    ChangeTap: answer_tapped,
    NoteTap: note_tapped,
    RevisitTap: revisit_tapped,
    KeepTextTap: keep_tapped,
}
