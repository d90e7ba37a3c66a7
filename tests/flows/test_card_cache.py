"""The live card's kept words and buttons: the card reads and works as one made afresh, for
every language, partnership, round, answer and partner, and the kept buttons stay bounded."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

from flows import cards
from flows.canvas import LANGUAGES, Ambition, load_canvas
from flows.machine import Step
from flows.messages import load_messages
from flows.model import Answer, Member, Partnership, Role
from flows.session import Session, Texts
from flows.staging import KEYBOARDS_KEPT

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def session(texts: Texts, user_id: int, language: str, pid: str, round_: int) -> Session:
    members = [
        Member(pid, 1, Role.SOCIAL, "De <Korrel> & Zn", NOW),
        Member(pid, 2, Role.BUSINESS, f"Jansen {pid}", NOW),
    ]
    return Session(
        texts=texts,
        user_id=user_id,
        state=Step.ANSWERING,
        language="nl" if language == "nl" else "en",
        now=NOW,
        active=pid,
        partnership=Partnership(pid, 1, NOW, "v1", round=round_),
        members=members,
        memberships=[m for m in members if m.user_id == user_id],
    )


def answered(s: Session, question_id: str, score: int | None, not_yet: bool) -> Session:
    assert s.partnership is not None
    s.answers[question_id] = Answer(
        s.partnership.id,
        s.partnership.round,
        s.user_id,
        question_id,
        "v1",
        score,
        None,
        NOW,
        not_yet=not_yet,
    )
    return s


def test_a_card_from_what_was_kept_is_the_card_made_afresh() -> None:
    """One Texts for every card in turn (as the journey keeps it): each card, words and
    buttons, equals the card from a Texts of its own, however the one before it differed."""
    canvas, messages = load_canvas(), load_messages()
    kept = Texts(canvas, messages)
    questions = canvas.questions
    cases = 0
    for language in (*LANGUAGES, LANGUAGES[0]):
        for pid, round_ in (("p1", 1), ("p1", 2), ("p2", 1)):
            for user_id in (1, 2):
                for previous, question in pairwise(questions):
                    options = (1, 2) if isinstance(previous, Ambition) else (1, 5, None)
                    for score in options:
                        for not_yet in (False, True) if score is None else (False,):
                            made = []
                            for texts in (kept, Texts(canvas, messages)):
                                s = session(texts, user_id, language, pid, round_)
                                answered(s, previous.id, score, not_yet)
                                made.append(cards.card(s, question, previous))
                            assert made[0] == made[1], (language, pid, round_, question.id)
                            cases += 1
    assert cases > 1000
    # What was compared came from what was kept.
    assert kept.cards
    assert kept.keyboards


def test_the_kept_keyboards_stay_bounded_and_let_the_oldest_go() -> None:
    canvas, messages = load_canvas(), load_messages()
    texts = Texts(canvas, messages)
    previous, question = canvas.questions[0], canvas.questions[1]
    first = None
    for n in range(KEYBOARDS_KEPT + 5):
        s = answered(session(texts, 1, "en", f"p{n}", 1), previous.id, 1, False)
        edit = cards.card(s, question, previous)
        first = first or edit.keyboard
        assert len(texts.keyboards) <= KEYBOARDS_KEPT
    assert ("p0", 1, question.id, previous.id, "en") not in texts.keyboards
    again = cards.card(
        answered(session(texts, 1, "en", "p0", 1), previous.id, 1, False), question, previous
    )
    assert again.keyboard == first
    tap = again.keyboard[0][0].tap
    assert tap is not None
    assert tap.partnership_id == "p0"
