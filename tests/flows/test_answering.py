"""Answering on a canvas with ambitions: asked first, one tap each, counted with the themes."""

from __future__ import annotations

import pytest

from flows.actions import Edit, Notice, Send, SendPhoto
from flows.canvas import Canvas, parse_canvas
from flows.events import Command
from flows.journey import Journey
from flows.model import Role
from storage.sqlite import SqliteRepository
from tests.flows.conftest import SMALL_CANVAS, Person
from tests.flows.test_journey import BUSINESS, SOCIAL, join, start_partnership


def _ambition(id_: str, kind: str, question: str, *options: tuple[str, str, str]) -> str:
    """One ambition as TOML: options as (id, Dutch label, Dutch explanation)."""
    rows = "\n".join(
        f'  {{id = "{o}", label = {{nl = "{nl}", en = "{o}"}}, '
        f'explain = {{nl = "{why}", en = "About {o}."}}}},'
        for o, nl, why in options
    )
    return (
        f'[[ambitions]]\nid = "{id_}"\nkind = "{kind}"\n'
        f'title = {{nl = "{id_}", en = "{id_}"}}\n'
        f'question = {{nl = "{question}", en = "{question}"}}\noptions = [\n{rows}\n]\n'
    )


AMBITIONS = _ambition(
    "depth_now",
    "depth",
    "Waar staat jullie samenwerking nu?",
    ("transaction", "Transactie", "Ruilen."),
    ("integration", "Integratie", "Afstemmen."),
    ("transformation", "Transformatie", "Veranderen."),
) + _ambition(
    "impact",
    "impact",
    "Welke impact telt het meest?",
    ("employee", "Medewerker", "De mens."),
    ("organisation", "Organisatie", "Het bedrijf."),
    ("society", "Samenleving", "Iedereen."),
)


@pytest.fixture
def canvas() -> Canvas:
    """The small canvas with two ambitions before its three themes: five questions."""
    return parse_canvas(SMALL_CANVAS + AMBITIONS)


@pytest.fixture
def social(journey: Journey) -> Person:
    return Person(journey, SOCIAL)


@pytest.fixture
def business(journey: Journey) -> Person:
    return Person(journey, BUSINESS)


def answer_data(person: Person, value: str) -> str:
    """The newest question's answer button, with its last field set to ``value``."""
    return person.button("a:").rsplit(":", 1)[0] + f":{value}"


async def test_the_ambitions_come_first_with_each_option_explained(social: Person) -> None:
    """The first question is the first ambition: "1/5", each option with its line, one
    button per option."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    text = social.text()
    assert "1/5" in text
    assert "Waar staat jullie samenwerking nu?" in text
    for label, explain in (("Transactie", "Ruilen."), ("Transformatie", "Veranderen.")):
        assert f"<b>{label}</b>: {explain}" in text
    answers = [b for b in social.buttons() if b.data and b.data.startswith("a:")]
    assert [b.label for b in answers] == ["Transactie", "Integratie", "Transformatie"]
    assert [b.data.rsplit(":", 1)[1] for b in answers if b.data] == ["1", "2", "3"]


async def test_an_option_tap_stores_its_place_and_asks_the_next(
    social: Person, repo: SqliteRepository, canvas: Canvas
) -> None:
    """Tapping the third option stores score 3 under the ambition's id, with the canvas
    version, and the next question is 2/5."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    data = answer_data(social, "3")
    await social.tap(data)
    assert "Transformatie" in next(a.text for a in social.replies if isinstance(a, Edit))
    assert "2/5" in social.text()
    [answer] = await repo.answers(data.split(":")[1], 1, SOCIAL)
    assert (answer.theme_id, answer.score, answer.not_yet) == ("depth_now", 3, False)
    assert answer.canvas_version == canvas.version


@pytest.mark.parametrize("value", ["4", "5", "s", "n"])
async def test_an_ambition_takes_only_an_option(
    value: str, social: Person, repo: SqliteRepository
) -> None:
    """A crafted or stale tap with a statement's score on an ambition stores nothing."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    data = answer_data(social, value)
    await social.tap(data)
    assert [type(a) for a in social.replies] == [Notice]
    assert await repo.answers(data.split(":")[1], 1, SOCIAL) == []


async def test_a_partner_is_finished_only_after_ambitions_and_statements(
    social: Person, business: Person
) -> None:
    """Status counts out of all five questions; "done" comes after the fifth answer only."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    await join(business, token, "Jansen BV")
    for value in ("1", "2", "4", "4"):
        await social.tap(answer_data(social, value))
    assert "Klaar" not in social.text()
    last = answer_data(social, "4")
    await social.command(Command.STATUS)
    assert "De Korrel: 4/5" in social.text()
    await social.tap(last)
    assert "Klaar" in social.text()
    assert "alle 5 vragen" in social.text()
    assert not any(isinstance(a, Send) and "1/5" in a.text for a in social.replies)


async def past_ambitions(person: Person) -> None:
    for _ in range(2):
        await person.tap(answer_data(person, "1"))


async def test_the_scale_fits_a_small_phone_and_explains_its_words_once(
    social: Person,
) -> None:
    """A statement has the points 1..5 on one row, "not yet" and skip on the next, and the
    scale's words once in the text."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    await past_ambitions(social)
    [card] = [a for a in social.replies if isinstance(a, Send | Edit) and a.keyboard]
    assert [[b.label for b in row] for row in card.keyboard] == [
        ["1", "2", "3", "4", "5"],
        ["Nog niet aan de orde", "Overslaan"],
        ["📝 Toelichting bij impact"],
    ]
    assert "1 = helemaal oneens … 5 = helemaal eens" in card.text
    assert card.text.count("helemaal eens") == 1


async def test_not_yet_is_stored_apart_from_a_skip(social: Person, repo: SqliteRepository) -> None:
    """ "Nog niet aan de orde" stores no score with not_yet; the old skip data still skips."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    await past_ambitions(social)
    data = answer_data(social, "n")
    await social.tap(data)
    assert "nog niet aan de orde" in social.text()
    await social.tap(answer_data(social, "s"))
    assert "overgeslagen" in social.text()
    answers = {a.theme_id: a for a in await repo.answers(data.split(":")[1], 1, SOCIAL)}
    assert (answers["selection"].score, answers["selection"].not_yet) == (None, True)
    assert (answers["resources"].score, answers["resources"].not_yet) == (None, False)


def revisit(person: Person, now: bool) -> str:
    return person.button("v:").rsplit(":", 1)[0] + (":y" if now else ":n")


async def test_skipped_statements_are_asked_again_one_by_one_before_finishing(
    social: Person, repo: SqliteRepository
) -> None:
    """Two skips are offered again after the last question; "now" asks each once more, and
    the partner is done after the second, even when one is skipped again."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    await past_ambitions(social)
    for value in ("s", "4", "s"):
        await social.tap(answer_data(social, value))
    assert "2 thema's overgeslagen" in social.text()
    assert "Klaar" not in social.text()
    await social.tap(revisit(social, now=True))
    assert "Selectie" in social.text()
    await social.tap(answer_data(social, "2"))
    assert "Vertrouwen" in social.text()
    assert "Klaar" not in social.text()
    await social.tap(answer_data(social, "s"))
    assert "Klaar" in social.text()
    pid = social.button("n:").split(":")[1]
    answers = {a.theme_id: a.score for a in await repo.answers(pid, 1, SOCIAL)}
    assert (answers["selection"], answers["resources"], answers["trust"]) == (2, 4, None)
    [member] = await repo.memberships(SOCIAL)
    assert member.finished_at is not None


async def test_not_yet_is_not_offered_again(social: Person) -> None:
    """A statement marked "not yet relevant" is an answer: no offer, the partner is done."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    await past_ambitions(social)
    for value in ("n", "4", "n"):
        await social.tap(answer_data(social, value))
    assert "Klaar" in social.text()
    assert not [b for b in social.buttons() if b.data and b.data.startswith("v:")]


async def test_the_summary_waits_for_the_choice_about_skips(
    social: Person, business: Person
) -> None:
    """The last partner with a skip open gets the offer, not the summary; finishing as it is
    sends it; a second tap on the offer changes nothing."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    await join(business, token, "Jansen BV")
    for value in ("1", "1", "4", "4", "4"):
        await business.tap(answer_data(business, value))
    for value in ("1", "1", "4", "s", "4"):
        await social.tap(answer_data(social, value))
    assert not any(isinstance(a, SendPhoto) for a in social.replies)
    finish = revisit(social, now=False)
    await social.tap(finish)
    assert sorted(a.chat_id for a in social.replies if isinstance(a, SendPhoto)) == [
        SOCIAL,
        BUSINESS,
    ]
    await social.tap(finish)
    assert [type(a) for a in social.replies] == [Notice]


async def test_answering_a_skip_through_review_finishes_and_sends_the_summary(
    social: Person, business: Person
) -> None:
    """Offered its skip, a partner answers it from /review instead: that finishes them too,
    and the summary goes out, as the "done" message says."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    await join(business, token, "Jansen BV")
    for value in ("1", "1", "4", "4", "4"):
        await business.tap(answer_data(business, value))
    for value in ("1", "1", "4", "s", "4"):
        await social.tap(answer_data(social, value))
    assert "overgeslagen" in social.text()
    await social.command(Command.REVIEW)
    [skipped] = [b.data for b in social.buttons() if b.data and b.data.endswith(":resources")]
    await social.tap(skipped)
    await social.tap(social.button("c:").rsplit(":", 1)[0] + ":2")
    assert "Klaar" in social.text() or "allebei klaar" in social.text()
    assert sorted(a.chat_id for a in social.replies if isinstance(a, SendPhoto)) == [
        SOCIAL,
        BUSINESS,
    ]


def keep(person: Person, yes: bool) -> str:
    return person.button("k:").rsplit(":", 1)[0] + (":y" if yes else ":n")


async def test_text_mid_question_becomes_a_note_on_the_last_answer_after_one_tap(
    social: Person, repo: SqliteRepository
) -> None:
    """Typed text is offered as a note on the question just answered, the open question is
    shown again, and "yes" stores the text as that answer's note."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    await past_ambitions(social)
    await social.tap(answer_data(social, "4"))
    await social.say("Wij kennen elkaar al lang.")
    assert "Bewaar als toelichting bij <b>Selectie</b>?" in social.text()
    assert "4/5" in social.text()  # the open question again, below the offer
    stored = await repo.participant(SOCIAL)
    assert stored is not None
    assert stored.context["typed"] == "Wij kennen elkaar al lang."
    await social.tap(keep(social, yes=True))
    assert "opgeslagen" in social.text()
    assert stored.active_partnership is not None
    answers = {a.theme_id: a for a in await repo.answers(stored.active_partnership, 1, SOCIAL)}
    assert answers["selection"].note == "Wij kennen elkaar al lang."
    assert answers["selection"].score == 4
    assert "resources" not in answers
    after = await repo.participant(SOCIAL)
    assert after is not None
    assert "typed" not in after.context


async def test_text_before_any_answer_waits_for_the_open_questions_answer(
    social: Person, repo: SqliteRepository
) -> None:
    """Before the first answer the text is offered for the open question; kept, it is stored
    with that answer and does not answer it."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    pid = social.button("a:").split(":")[1]
    await social.say("We beginnen net.")
    await social.tap(keep(social, yes=True))
    assert await repo.answers(pid, 1, SOCIAL) == []
    await social.command(Command.RESUME)
    await social.tap(answer_data(social, "1"))
    [answer] = await repo.answers(pid, 1, SOCIAL)
    assert (answer.theme_id, answer.score, answer.note) == ("depth_now", 1, "We beginnen net.")


async def test_text_declined_or_too_long_is_not_stored(
    social: Person, repo: SqliteRepository
) -> None:
    """ "No" drops the held text; text over the note limit gets the too-long reply, no offer."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    data = answer_data(social, "2")
    await social.tap(data)
    await social.say("x" * 1001)
    assert "1001" in social.text()
    assert not [b for b in social.buttons() if b.data and b.data.startswith("k:")]
    await social.say("toch niet")
    no = keep(social, yes=False)
    await social.tap(no)
    assert "Niet bewaard" in social.text()
    await social.tap(no)
    assert [type(a) for a in social.replies] == [Notice]
    [answer] = await repo.answers(data.split(":")[1], 1, SOCIAL)
    assert answer.note is None


async def test_the_note_prompt_asks_the_open_question_and_says_who_reads_it(
    social: Person,
) -> None:
    """Opening a note shows the theme's open question and that partner and facilitator read
    notes once both are done."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    await past_ambitions(social)
    await social.tap(answer_data(social, "3"))
    await social.tap(social.button("n:"))
    assert "Waarom juist wij?" in social.text()
    assert "partner en de begeleider lezen" in social.text()


async def test_the_live_card_is_one_edit_per_answer(social: Person) -> None:
    """Every answer but the last, across ambitions, statements and a new phase, edits the
    tapped card into the next question: one edit, no message sent."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    for number, value in enumerate(("2", "3", "4", "n"), start=2):
        await social.tap(answer_data(social, value))
        assert [type(a) for a in social.replies] == [Notice, Edit], number
        assert f"{number}/5" in social.text()
    assert "Organiseren." in social.text()  # the new phase's intro, on the card
    await social.tap(answer_data(social, "5"))
    edits = [a for a in social.replies if isinstance(a, Edit)]
    assert len(edits) == 1
    assert "5/5" in edits[0].text
    assert "Klaar" in social.text()
