"""A question's words are made once per language and kept; the text asked reads as before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows import cards
from flows.canvas import LANGUAGES, Ambition, Canvas, Language, load_canvas
from flows.machine import Step
from flows.messages import Markup, Messages, load_messages
from flows.model import Member, Partnership, Role
from flows.session import Session, Texts

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def session(texts: Texts, language: Language) -> Session:
    """A partner of a partnership whose names need escaping, mid-canvas."""
    members = [
        Member("p1", 1, Role.SOCIAL, "De <Korrel> & Zn", NOW),
        Member("p1", 2, Role.BUSINESS, 'Jansen "BV"', NOW),
    ]
    return Session(
        texts=texts,
        user_id=1,
        state=Step.ANSWERING,
        language=language,
        now=NOW,
        active="p1",
        partnership=Partnership("p1", 1, NOW, "v1"),
        members=members,
        memberships=members[:1],
    )


def filled_at_once(
    s: Session, canvas: Canvas, messages: Messages, question: cards.Question
) -> str:
    """The question's message filled in one go, every value given (as it was made before)."""
    language = s.language
    number, total = canvas.number(question.id), len(canvas.questions)
    if isinstance(question, Ambition):
        options = Markup("\n").join(
            messages("option_line", language, label=o.label(language), explain=o.explain(language))
            for o in question.options
        )
        return messages(
            "ambition_question",
            language,
            header=s.header(),
            number=number,
            total=total,
            title=question.title(language),
            question=question.question(language),
            options=options,
        )
    return messages(
        "question",
        language,
        header=s.header(),
        number=number,
        total=total,
        phase=canvas.phase(question.phase).title(language),
        part=canvas.parts[question.part](language),
        title=question.title(language),
        statement=question.statement(language),
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_question_reads_as_its_message_filled_at_once_and_is_made_once(
    language: Language,
) -> None:
    """For every ambition and statement: the text asked, first made and then from what was
    kept, is the message filled with all its values at once; the scale's legend likewise."""
    canvas, messages = load_canvas(), load_messages()
    texts = Texts(canvas, messages)
    s = session(texts, language)
    scale = canvas.scale
    legend = messages(
        "scale_legend",
        language,
        top=len(scale),
        low=scale[0](language).lower(),
        high=scale[-1](language).lower(),
    )
    assert "&lt;Korrel&gt; &amp; Zn" in s.header()
    for question in canvas.questions:
        expected = filled_at_once(s, canvas, messages, question)
        assert cards.question_text(s, question) == expected, question.id
        assert ("question", question.id, language) in texts.made
        assert cards.question_text(s, question) == expected, question.id
        asked = cards.asking_text(s, question)
        if not isinstance(question, Ambition):
            expected = Markup("\n\n").join((expected, legend))
        assert asked == expected, question.id
        assert type(asked) is Markup
    assert len(texts.made) == len(canvas.questions) + 1  # and the legend, once
