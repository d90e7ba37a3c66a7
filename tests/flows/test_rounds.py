"""/review with notes, the lock on a round once its summary is out, and starting a new round."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.actions import Send, SendDocument, SendLong, SendPhoto
from flows.events import Command
from flows.journey import Journey
from flows.messages import Messages
from flows.model import Answer, Changes, Role
from storage.sqlite import SqliteRepository
from tests.flows.conftest import Clock, Person, texts_to
from tests.flows.planted import CANVAS_V2
from tests.flows.test_journey import (
    BUSINESS,
    FACILITATOR,
    SOCIAL,
    answer_all,
    finish_with_facilitator,
    join,
    start_partnership,
)


@pytest.fixture
def social(journey: Journey) -> Person:
    return Person(journey, SOCIAL)


@pytest.fixture
def business(journey: Journey) -> Person:
    return Person(journey, BUSINESS)


def _scored(person: Person, score: int | str) -> str:
    """The data of the open question's button for ``score`` ("s" skips)."""
    return person.button("a:").rsplit(":", 1)[0] + f":{score}"


async def _noted(person: Person, score: int, note: str) -> None:
    """Answer the open question with ``score`` and give it ``note``."""
    await person.tap(_scored(person, score))
    await person.tap(person.button("n:"))
    await person.say(note)


async def _both_done(social: Person, business: Person) -> str:
    """Both partners answer every question; the partnership id."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    pid = social.button("a:").split(":")[1]
    await join(business, token, "Jansen BV")
    await answer_all(social, score=4)
    await answer_all(business, score=2)
    return pid


async def test_review_shows_each_answer_with_its_note_escaped(
    social: Person, repo: SqliteRepository
) -> None:
    """/review reads each answer in words with its note, escaped, then offers a change button."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    pid = social.button("a:").split(":")[1]
    await _noted(social, 3, "Klopt <b>niet</b> & zo")
    await social.tap(_scored(social, "s"))
    not_yet = Answer(pid, 1, SOCIAL, "trust", "test.1", None, None, datetime.now(UTC), True)
    await repo.commit(Changes(answers=[not_yet]))
    await social.command(Command.REVIEW)
    text = social.text()
    assert (
        "1. <b>Selectie</b>: 3 · neutraal\n📝 <i>Klopt &lt;b&gt;niet&lt;/b&gt; &amp; zo</i>"
        in text
    )
    assert "2. <b>Middelen</b>: overgeslagen" in text
    assert "3. <b>Vertrouwen</b>: nog niet aan de orde" in text
    assert [b.data for b in social.buttons()] == [
        f"e:{pid}:1:{t}" for t in ("selection", "resources", "trust")
    ]


async def test_a_change_shows_the_current_answer_then_returns_to_the_open_question(
    social: Person, repo: SqliteRepository
) -> None:
    """The change card names the current answer and note; after it the open question is back."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    pid = social.button("a:").split(":")[1]
    await _noted(social, 5, "eerste gedachte")
    await social.command(Command.REVIEW)
    await social.tap(social.button("e:"))
    assert (
        "Je antwoord nu: <b>5 · helemaal eens</b> · toelichting: <i>eerste gedachte</i>"
        in social.text()
    )
    assert social.button("n:") == f"n:{pid}:1:selection"
    await social.tap(social.button("c:").rsplit(":", 1)[0] + ":2")
    sent = "\n".join(a.text for a in social.replies if isinstance(a, Send))
    assert "2/3" in sent
    assert social.button("a:") == f"a:{pid}:1:resources:1"
    [stored] = await repo.answers(pid, 1, SOCIAL)
    assert (stored.score, stored.note) == (2, "eerste gedachte")


async def test_a_change_after_the_last_answer_returns_to_done(social: Person) -> None:
    """Changing an answer once every question is answered says the person is done again."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    await answer_all(social, score=4)
    await social.command(Command.REVIEW)
    await social.tap(social.button("e:"))
    await social.tap(social.button("c:").rsplit(":", 1)[0] + ":1")
    assert "Je bent klaar" in social.text()
    assert not [b for b in social.buttons() if b.data and b.data.startswith("a:")]


async def test_after_the_reveal_changes_and_notes_are_refused_and_nothing_is_stored(
    social: Person, business: Person, repo: SqliteRepository
) -> None:
    """Once the summary is out, a change or note tap from /review or an old card stores nothing."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    pid = social.button("a:").split(":")[1]
    await answer_all(social, score=4)
    await social.command(Command.REVIEW)
    await social.tap(social.button("e:"))
    old_change, old_note = social.button("c:").rsplit(":", 1)[0] + ":1", social.button("n:")
    await join(business, token, "Jansen BV")
    await answer_all(business, score=2)
    before = await repo.answers(pid, 1, SOCIAL)
    for tap in (old_change, old_note, f"e:{pid}:1:selection"):
        await social.tap(tap)
        assert "Deze ronde is afgesloten" in social.text()
        assert "/newround" in social.text()
    await social.command(Command.REVIEW)
    assert "4 · eens" in social.text()
    assert "/newround" in social.text()
    assert not [b for b in social.buttons() if b.data and b.data[0] in "ecn"]
    assert await repo.answers(pid, 1, SOCIAL) == before


async def _round_one_done_with_a_note_asked(social: Person, business: Person) -> str:
    """Both partners finish round 1, the social enterprise having opened a note on "trust"
    that it has not typed yet; the partnership's id."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    pid = social.button("a:").split(":")[1]
    await answer_all(social, score=4)
    await social.tap(f"n:{pid}:1:trust")
    await join(business, token, "Jansen BV")
    await answer_all(business, score=2)
    return pid


async def test_a_note_asked_before_the_reveal_is_refused_after_it(
    social: Person, business: Person, repo: SqliteRepository
) -> None:
    """A note step opened before the partner finished does not store a note after the reveal."""
    pid = await _round_one_done_with_a_note_asked(social, business)
    await social.say("te laat")
    assert "Deze ronde is afgesloten" in social.text()
    assert all(a.note is None for a in await repo.answers(pid, 1, SOCIAL))
    await social.say("nog een bericht")
    assert "afgesloten" not in social.text()
    assert "liggen vast" in social.text()
    assert "/review" in social.text()
    assert "Wijzigen" not in social.text()


async def test_the_done_messages_say_the_answers_lock(social: Person, business: Person) -> None:
    """The first to finish hears when answers lock; at the reveal both hear they are locked."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    await answer_all(social, score=4)
    assert "daarna liggen je antwoorden van deze ronde vast" in social.text()
    await join(business, token, "Jansen BV")
    await answer_all(business, score=2)
    lock = "Je antwoorden van deze ronde liggen nu vast; met /newround begin je een nieuwe ronde."
    assert lock in business.text()
    assert "liggen nu vast" in texts_to(business.replies, SOCIAL)


async def test_a_note_asked_in_round_one_never_becomes_an_answer_in_round_two(
    social: Person, business: Person, repo: SqliteRepository
) -> None:
    """A partner's new round clears the other's pending note step: round 2 asks every theme."""
    pid = await _round_one_done_with_a_note_asked(social, business)
    await business.command(Command.NEWROUND)
    await social.say("een notitie bij ronde 1")
    assert "nieuwe ronde begonnen" in social.text()
    assert await repo.answers(pid, 2, SOCIAL) == []
    assert social.button("a:").startswith(f"a:{pid}:2:selection:")
    await answer_all(social, score=3)
    assert {a.theme_id: a.score for a in await repo.answers(pid, 2, SOCIAL)} == {
        "selection": 3,
        "resources": 3,
        "trust": 3,
    }


async def test_the_member_who_starts_a_new_round_leaves_their_note_step(
    social: Person, business: Person, repo: SqliteRepository
) -> None:
    """/newround sent from a pending note step drops it: the next text is no note in round 2."""
    pid = await _round_one_done_with_a_note_asked(social, business)
    await social.command(Command.NEWROUND)
    await social.say("een notitie bij ronde 1")
    assert await repo.answers(pid, 2, SOCIAL) == []
    assert social.button("a:").startswith(f"a:{pid}:2:selection:")


def _forget_before_commit(
    monkeypatch: pytest.MonkeyPatch, repo: SqliteRepository, user_id: int
) -> None:
    """Erase ``user_id`` between the next unit of work's read and its write (a race)."""
    commit = repo.commit

    async def erased_first(changes: Changes) -> None:
        monkeypatch.setattr(repo, "commit", commit)
        await repo.forget_user(user_id)
        await commit(changes)

    monkeypatch.setattr(repo, "commit", erased_first)


async def test_a_new_round_never_brings_back_a_partner_erased_meanwhile(
    social: Person, business: Person, repo: SqliteRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/newround reopens the members with a targeted update, not by writing their rows back."""
    pid = await _both_done(social, business)
    _forget_before_commit(monkeypatch, repo, BUSINESS)
    await social.command(Command.NEWROUND)
    assert await repo.memberships(BUSINESS) == []
    [me] = await repo.memberships(SOCIAL)
    assert me.finished_at is None
    partnership = await repo.partnership(pid)
    assert partnership is not None
    assert partnership.round == 2


async def test_marking_unreachable_never_brings_back_a_member_erased_meanwhile(
    social: Person,
    business: Person,
    journey: Journey,
    repo: SqliteRepository,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The blocked-bot mark sets the flag of existing rows only."""
    await _both_done(social, business)
    _forget_before_commit(monkeypatch, repo, BUSINESS)
    await journey.mark_unreachable({BUSINESS})
    assert await repo.memberships(BUSINESS) == []


async def test_coming_back_clears_unreachable_without_writing_the_row_back(
    social: Person,
    business: Person,
    journey: Journey,
    repo: SqliteRepository,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A member marked unreachable who acts again is reachable, by a targeted update."""
    await _both_done(social, business)
    await journey.mark_unreachable({BUSINESS})
    [marked] = await repo.memberships(BUSINESS)
    assert marked.unreachable
    await business.command(Command.STATUS)
    [back] = await repo.memberships(BUSINESS)
    assert not back.unreachable
    await journey.mark_unreachable({BUSINESS})
    _forget_before_commit(monkeypatch, repo, BUSINESS)
    await business.command(Command.STATUS)
    assert await repo.memberships(BUSINESS) == []


async def test_a_new_round_tells_each_member_in_their_language_without_a_read_each(
    social: Person,
    journey: Journey,
    repo: SqliteRepository,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The partners' languages come with the update's snapshot: no participant read per member."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    english = Person(journey, BUSINESS, "en")
    await english.command(Command.START, token)
    if any(b.data == "l:en" for b in english.buttons()):  # asked only when not known
        await english.tap("l:en")
    await english.say("Jansen Ltd")
    await answer_all(social, score=4)
    await answer_all(english, score=2)
    reads: list[int] = []
    participant = repo.participant

    async def counted(user_id: int) -> object:
        reads.append(user_id)
        return await participant(user_id)

    monkeypatch.setattr(repo, "participant", counted)
    await social.command(Command.NEWROUND)
    assert "Round 2 has started" in texts_to(social.replies, BUSINESS)
    assert reads == []


async def test_during_a_new_round_the_summary_commands_give_the_last_complete_round(
    social: Person, business: Person
) -> None:
    """While round 2 is open, /summary, its detail button, /report and /csv show round 1,
    labelled with its number."""
    await _both_done(social, business)
    await social.command(Command.NEWROUND)
    await answer_all(social, score=3)
    label = "Samenvatting van ronde 1; ronde 2 loopt nog."
    await business.command(Command.SUMMARY)
    assert label in business.text()
    assert any(isinstance(a, SendPhoto) for a in business.replies)
    assert "komt zodra iedereen klaar is" not in business.text()
    await business.tap(business.button("d:"))
    assert any(isinstance(a, SendLong) for a in business.replies)
    for command, extension in ((Command.REPORT, ".html"), (Command.CSV, ".csv")):
        await social.command(command)
        assert label in social.text()
        [document] = [a for a in social.replies if isinstance(a, SendDocument)]
        assert document.filename.endswith(extension)


async def test_a_new_round_tells_the_facilitator_the_partners_answer_again(
    social: Person, business: Person, journey: Journey
) -> None:
    """The facilitator hears that the partners answer again, with no button to answer; a
    facilitator who starts the round gets that one message too."""
    facilitator = await finish_with_facilitator(
        social, business, journey, {1: (2, 2), 2: (2, 2), 3: (2, 2)}
    )
    await social.command(Command.NEWROUND)
    [told] = [a for a in social.replies if isinstance(a, Send) and a.chat_id == FACILITATOR]
    assert "de partners vullen het canvas opnieuw in" in told.text
    assert "jullie vullen" not in told.text
    assert told.keyboard == ()
    await business.tap("g")
    for person in (social, business):
        await answer_all(person, score=4)
    await facilitator.command(Command.NEWROUND)
    mine = [a for a in facilitator.replies if isinstance(a, Send) and a.chat_id == FACILITATOR]
    assert [a.text.split(":")[0] for a in mine] == ["🔁 Ronde 3 is begonnen"]
    assert "de partners vullen" in mine[0].text
    assert mine[0].keyboard == ()


async def test_review_numbers_the_ambitions_as_their_buttons_and_counts_skips_apart(
    repo: SqliteRepository, messages: Messages, clock: Clock
) -> None:
    """/review lists the ambitions with the numbers their buttons carry, and its title says
    how many questions were answered and how many skipped."""
    journey = Journey(repo, CANVAS_V2, messages, clock=clock)
    person = Person(journey, SOCIAL)
    await person.command(Command.START)
    await person.say("De Korrel")
    await person.tap(f"o:{Role.SOCIAL.value}")
    skip = CANVAS_V2.themes[1].id
    for _ in CANVAS_V2.questions:
        question = person.button("a:").split(":")[3]
        await person.tap(_scored(person, "s" if question == skip else 1))
    await person.command(Command.REVIEW)
    total = len(CANVAS_V2.questions)
    assert f"({total - 1} van {total} vragen beantwoord, 1 overgeslagen)" in person.text()
    for number, ambition in enumerate(CANVAS_V2.ambitions, start=1):
        title = ambition.title("nl")
        assert f"{number}. <b>{title}</b>:" in person.text()
        assert f"✏️ {number}. {title}" in [b.label for b in person.buttons()]
    assert "• <b>" not in person.text()
