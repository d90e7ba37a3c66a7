"""How a question looks in the chat: its text, its buttons, and the answer it got.

A question is an ambition (one tap on an option) or a theme (a point of the scale, "not yet
relevant", or skip). Every button names its partnership, round and question, so that a stale
or doubled tap can never answer another question than the one it was shown with.

One card is live: each answer edits the tapped card into the next question; when a card is
sent fresh (after typed text, a note, /resume) the one before it loses its buttons. The live
card's message id, as the transport reports it, is kept in the participant's context.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.actions import (
    POINTS,
    AnswerTap,
    Button,
    ChangeTap,
    ClearButtons,
    Edit,
    Keyboard,
    NoteTap,
    Send,
)
from flows.canvas import Ambition, Language, Theme
from flows.messages import Markup, Template, join
from flows.model import Answer

if TYPE_CHECKING:
    from flows.session import Session, Texts

Question = Ambition | Theme


def question_text(s: Session, question: Question) -> Markup:
    """The question with its header and its place among all questions ("1/24")."""
    return _words(s, question).fill({"header": s.header()})


def _words(s: Session, question: Question) -> Template:
    key = ("question", question.id, s.language)
    words = s.texts.made.get(key)
    if words is None:  # all but the header is the same for everyone: made once
        words = s.texts.made[key] = _question_words(s.texts, question, s.language)
    return words


def _question_words(texts: Texts, question: Question, language: Language) -> Template:
    """The question's message with everything but its header filled in."""
    canvas, messages = texts.canvas, texts.messages
    number = canvas.number(question.id)
    total = len(canvas.questions)
    if isinstance(question, Ambition):
        options = join(
            "\n",
            (
                messages(
                    "option_line", language, label=o.label(language), explain=o.explain(language)
                )
                for o in question.options
            ),
        )
        return messages.template("ambition_question", language).partial(
            {
                "number": number,
                "total": total,
                "title": question.title(language),
                "question": question.question(language),
                "options": options,
            }
        )
    return messages.template("question", language).partial(
        {
            "number": number,
            "total": total,
            "phase": canvas.phase(question.phase).title(language),
            "part": canvas.parts[question.part](language),
            "title": question.title(language),
            "statement": question.statement(language),
        }
    )


def asking_text(s: Session, question: Question) -> Markup:
    """The question as it is asked: for a statement, the scale's words explained once."""
    text = question_text(s, question)
    if isinstance(question, Ambition):
        return text
    return join("\n\n", (text, _legend(s)))


def _legend(s: Session) -> Markup:
    """The scale's words explained, under a statement."""
    key = ("scale_legend", "", s.language)
    legend = s.texts.made.get(key)
    if legend is None:  # the same for every statement: made once per language
        scale = s.texts.canvas.scale
        legend = s.texts.made[key] = s.texts.messages.template("scale_legend", s.language).partial(
            {
                "top": len(scale),
                "low": scale[0](s.language).lower(),
                "high": scale[-1](s.language).lower(),
            }
        )
    return legend.fill({})


def keyboard(s: Session, question: Question, *, change: bool = False) -> Keyboard:
    """An ambition: one button per option. A statement: the scale on one row, then "not
    yet relevant" and skip. ``change``: shown from /review, the buttons change the answer."""
    partnership = s.partnership
    if partnership is None:
        return ()
    tap = ChangeTap if change else AnswerTap
    ids = (partnership.id, partnership.round, question.id)
    if isinstance(question, Ambition):
        return tuple(
            (Button(option.label(s.language), tap(*ids, place)),)
            for place, option in zip(POINTS, question.options, strict=False)
        )
    scale = s.texts.canvas.scale
    return (
        tuple(Button(str(point), tap(*ids, point)) for point in POINTS[: len(scale)]),
        (
            Button(s.t("button_not_yet"), tap(*ids, None, not_yet=True)),
            Button(s.t("button_skip"), tap(*ids, None)),
        ),
    )


def valid_score(question: Question, score: int | None, not_yet: bool) -> bool:
    """Whether a tap's score can answer ``question``: an option's place, or a statement's
    point, "not yet relevant" or skip."""
    if isinstance(question, Ambition):
        return score is not None and 1 <= score <= len(question.options) and not not_yet
    return score is None or (1 <= score <= len(POINTS) and not not_yet)


def choice(s: Session, question: Question, answer: Answer) -> Markup:
    """The answer given, in words."""
    if isinstance(question, Ambition):
        option = question.option(answer.score)
        if option is None:
            return s.t("choice_skipped")
        return s.t("choice_option", label=option.label(s.language))
    if answer.score is None:
        return s.t("choice_not_yet" if answer.not_yet else "choice_skipped")
    label = s.texts.canvas.scale[answer.score - 1](s.language)
    return s.t("choice", score=answer.score, label=label)


def note_button(s: Session, question: Question) -> Button:
    partnership = s.partnership
    if partnership is None:
        raise RuntimeError("a note button needs an active partnership")
    answer = s.answers.get(question.id)
    key = "button_change_note" if answer is not None and answer.note else "button_add_note"
    return Button(s.t(key), NoteTap(partnership.id, partnership.round, question.id))


def intro(s: Session, question: Question) -> Markup | None:
    """What comes before a question that opens a part: the ambitions, or a phase."""
    canvas = s.texts.canvas
    if isinstance(question, Ambition):
        return s.t("ambitions_intro") if question is canvas.ambitions[0] else None
    if question is not canvas.themes_in(question.phase)[0]:
        return None
    phase = canvas.phase(question.phase)
    return s.t("phase_intro", title=phase.title(s.language), intro=phase.intro(s.language))


def card(s: Session, question: Question, previous: Question) -> Edit:
    """The live card: the tapped question becomes the next one, one line confirming the
    answer just given and a button to add a note to it; a phase's intro where one starts.

    All but the header is content (the answer's words, the next question's), made once per
    answer and question; the buttons are kept for the partner, who is shown the same card.
    """
    answer = s.answers[previous.id]
    partnership = s.partnership
    if partnership is None:
        raise RuntimeError("a question card needs an active partnership")
    language = s.language
    key = (previous.id, answer.score, answer.not_yet, question.id, language)
    words = s.texts.cards.get(key)
    if words is None:
        words = s.texts.cards[key] = _card_words(s, question, previous, answer)
    shown = (partnership.id, partnership.round, question.id, previous.id, language)
    buttons = s.texts.keyboards.get(shown)
    if buttons is None:
        note = Button(
            s.t("button_note_on", title=previous.title(language)),
            NoteTap(partnership.id, partnership.round, previous.id),
        )
        buttons = (*keyboard(s, question), (note,))
        s.texts.keep_keyboard(shown, buttons)
    return Edit(words.fill({"header": s.header()}), buttons, card=True)


def _card_words(s: Session, question: Question, previous: Question, answer: Answer) -> Template:
    """The live card's text with its header still open: the answer's line, the intro of
    the part the question opens, and the question as it is asked."""
    confirm = s.t(
        "card_previous", title=previous.title(s.language), choice=choice(s, previous, answer)
    )
    opening = intro(s, question)
    before = join("\n\n", (confirm, *([opening] if opening is not None else []), ""))
    after = "" if isinstance(question, Ambition) else join("\n\n", ("", _legend(s)))
    return _words(s, question).around(before, after)


def send_fresh(s: Session, question: Question) -> None:
    """The question as a new card at the foot of the chat; the card before it, if the
    transport told which message that is, loses its buttons."""
    s.replies.append(Send(s.user_id, asking_text(s, question), keyboard(s, question), card=True))
    _retire(s)


def tapped_card(s: Session, *, live: bool) -> None:
    """The tapped message was edited into the next question (``live``) or into the answer it
    got. It is the live card now, or none is; another card that still had buttons loses them
    (a tap on an older card, e.g. one sent before cards were tracked)."""
    if s.tapped is None:  # the transport does not tell which message was tapped
        return
    if s.card != s.tapped:
        _retire(s)
    s.card = s.tapped if live else None


def _retire(s: Session) -> None:
    if s.card is not None:
        s.replies.append(ClearButtons(s.user_id, s.card))
        s.card = None


def answered_view(s: Session, question: Question) -> Edit:
    """The question as it stays in the chat once answered: the choice and a note button."""
    answer = s.answers[question.id]
    text = s.t("answered", question=question_text(s, question), choice=choice(s, question, answer))
    if answer.note:
        text = s.t("answered_with_note", answered=text, note=answer.note)
    return Edit(text, ((note_button(s, question),),))
