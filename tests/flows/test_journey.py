"""The canvas journey driven through flows/ alone: no Telegram, SQLite in a temp folder."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.callback import pack
from flows import journey as journey_module
from flows.actions import Edit, LanguageTap, Notice, Send, SendDocument, SendPhoto
from flows.events import Command
from flows.journey import Journey
from flows.machine import Step, Trigger
from flows.model import Role
from flows.session import Session
from storage.sqlite import SqliteRepository
from tests.flows.conftest import Clock, JourneyFactory, Person, texts_to

SOCIAL, BUSINESS, FACILITATOR = 101, 202, 303


def invite_token(person: Person, role: str = "business") -> str:
    """The token of the invite link for ``role`` among the last replies."""
    marker = {"business": "reguliere onderneming", "social": "sociale onderneming"}[role]
    for text in person.texts():
        if marker in text and "start=" in text:
            match = re.search(r"start=([\w-]+)", text)
            assert match
            return match.group(1)
    raise AssertionError(f"no {role} invite in {person.texts()}")


async def start_partnership(person: Person, organisation: str, role: Role) -> str:
    """Onboard a new user who starts a partnership; returns the partner's invite token."""
    await person.command(Command.START)
    await person.say(organisation)
    await person.tap(f"o:{role.value}")
    return invite_token(person, role.counterpart.value)


async def join(person: Person, token: str, organisation: str) -> None:
    await person.command(Command.START, token)
    await person.say(organisation)


async def answer_all(person: Person, score: int = 4) -> None:
    """Tap ``score`` on every question until none is left."""
    for _ in range(10):
        try:
            data = person.button("a:")
        except AssertionError:
            return
        await person.tap(data.rsplit(":", 1)[0] + f":{score}")
    raise AssertionError("the journey never ended")


@pytest.fixture
def social(journey: Journey) -> Person:
    return Person(journey, SOCIAL)


@pytest.fixture
def business(journey: Journey) -> Person:
    return Person(journey, BUSINESS)


async def test_first_contact_in_another_language_asks_the_language(
    journey: Journey, repo: SqliteRepository
) -> None:
    """A new user whose client speaks neither Dutch nor English gets the welcome with a
    language choice, and the step is stored."""
    social = Person(journey, SOCIAL, language="de")
    await social.command(Command.START)
    assert "Welkom" in social.text()
    assert {b.data for b in social.buttons()} == {"l:nl", "l:en"}
    stored = await repo.participant(SOCIAL)
    assert stored is not None
    assert stored.state == Step.LANGUAGE.value


async def test_telegram_language_sets_the_default(journey: Journey) -> None:
    """A client in English is welcomed in English before choosing."""
    person = Person(journey, 1, language="en-GB")
    await person.command(Command.START)
    assert "Welcome" in person.text()


async def test_starting_a_partnership_gives_invites_and_the_first_question(
    social: Person, repo: SqliteRepository
) -> None:
    """Organisation and role create a partnership, an invite link and the first question."""
    token = await start_partnership(social, "Bakkerij <De Korrel>", Role.SOCIAL)
    assert "https://t.me/canvas_test_bot?start=" + token in social.text()
    assert "1/3" in social.text()
    assert "Bakkerij &lt;De Korrel&gt;" in social.text()
    memberships = await repo.memberships(SOCIAL)
    assert [(m.role, m.organisation) for m in memberships] == [
        (Role.SOCIAL, "Bakkerij <De Korrel>")
    ]
    invite = await repo.invite(token)
    assert invite is not None
    assert invite.role is Role.BUSINESS


async def test_the_partner_joins_by_link_and_the_creator_is_told(
    social: Person, business: Person, repo: SqliteRepository
) -> None:
    """The invite makes the partner the other kind of organisation and tells the creator."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    await join(business, token, "Jansen BV")
    told = [a for a in business.replies if isinstance(a, Send) and a.chat_id == SOCIAL]
    assert len(told) == 1
    assert "Jansen BV" in told[0].text
    assert "1/3" in business.text()
    members = await repo.members((await repo.memberships(SOCIAL))[0].partnership_id)
    assert {m.role for m in members} == {Role.SOCIAL, Role.BUSINESS}


async def test_one_tap_answers_edits_the_question_and_asks_the_next(
    social: Person, repo: SqliteRepository
) -> None:
    """A scale tap stores the answer and turns the card into the next question: one line
    confirming the answer, the next question's buttons and a note button for the answer."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    data = social.button("a:")
    assert data.endswith(":1")
    await social.tap(data.rsplit(":", 1)[0] + ":4")
    [edit] = [a for a in social.replies if isinstance(a, Edit)]
    assert not any(isinstance(a, Send) for a in social.replies)
    assert "4 · eens" in edit.text
    assert "2/3" in edit.text
    assert edit.text.count("De Korrel") == 1  # the header once on the card
    *scale, note = [[b.tap and pack(b.tap) for b in row] for row in edit.keyboard]
    assert note == [data.replace("a:", "n:").rsplit(":", 1)[0]]
    assert all(d and d.startswith("a:") and ":resources:" in d for row in scale for d in row)
    pid = data.split(":")[1]
    answers = await repo.answers(pid, 1, SOCIAL)
    assert [(a.theme_id, a.score) for a in answers] == [("selection", 4)]


async def test_a_doubled_tap_never_answers_the_next_question(
    social: Person, repo: SqliteRepository
) -> None:
    """Tapping an answered question's button again stores nothing and asks nothing new."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    first = social.button("a:").rsplit(":", 1)[0]
    await social.tap(first + ":4")
    await social.tap(first + ":2")
    assert any(isinstance(a, Notice) for a in social.replies)
    assert not any(isinstance(a, Send) for a in social.replies)
    pid = first.split(":")[1]
    answers = await repo.answers(pid, 1, SOCIAL)
    assert [(a.theme_id, a.score) for a in answers] == [("selection", 4)]


async def test_crafted_buttons_change_nothing(social: Person, repo: SqliteRepository) -> None:
    """Unknown ids, bad scores and other partnerships get a notice and store nothing."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    pid = social.button("a:").split(":")[1]
    for data in (
        f"a:{pid}:1:selection:7",
        f"a:{pid}:1:selection:0",
        f"a:{pid}:1:selection:x",
        f"a:{pid}:1:nosuchtheme:3",
        "a:otherpartner:1:selection:3",
        f"a:{pid}:2:selection:3",
        "zz:nonsense",
        "",
    ):
        await social.tap(data)
        assert [type(a) for a in social.replies] == [Notice], data
    assert await repo.answers(pid, 1, SOCIAL) == []


async def test_skip_then_all_answered_is_done_and_both_are_told(
    social: Person, business: Person
) -> None:
    """A skip left open is offered once more; finishing as it is counts it as answered; the
    second to finish triggers the both-done note."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    await social.tap(social.button("a:").rsplit(":", 1)[0] + ":s")
    await answer_all(social)
    assert "1 thema overgeslagen" in social.text()
    await social.tap(social.button("v:").rsplit(":", 1)[0] + ":n")
    assert "Klaar" in social.text()
    await join(business, token, "Jansen BV")
    await answer_all(business, score=2)
    chats = sorted(
        a.chat_id for a in business.replies if isinstance(a, Send) and "allebei" in a.text
    )
    assert chats == [SOCIAL, BUSINESS, BUSINESS]


async def test_a_note_is_taken_from_the_next_message_and_the_journey_continues(
    social: Person, repo: SqliteRepository
) -> None:
    """The note button asks the reflection question; the next text is the note."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    await social.tap(social.button("a:").rsplit(":", 1)[0] + ":3")
    await social.tap(social.button("n:"))
    assert "Waarom juist wij?" in social.text()
    await social.say("Omdat <wij> & zij 🙂 عربى")
    assert "opgeslagen" in social.text()
    assert "2/3" in social.text()
    pid = social.button("a:").split(":")[1]
    answers = await repo.answers(pid, 1, SOCIAL)
    assert answers[0].note == "Omdat <wij> & zij 🙂 عربى"
    assert answers[0].score == 3


async def test_a_note_over_the_limit_is_refused_and_kept_waiting(social: Person) -> None:
    """A note longer than 1000 characters is refused with the limit named; nothing is cut."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    await social.tap(social.button("a:").rsplit(":", 1)[0] + ":3")
    await social.tap(social.button("n:"))
    await social.say("x" * 1001)
    assert "1000" in social.text()
    assert "1001" in social.text()
    await social.say("short")
    assert "opgeslagen" in social.text()


async def test_a_restart_resumes_at_the_first_unanswered_question(
    make_journey: JourneyFactory, repo: SqliteRepository
) -> None:
    """A new Journey on the same storage continues where the user left off."""
    first = Person(make_journey(), SOCIAL)
    await start_partnership(first, "De Korrel", Role.SOCIAL)
    await first.tap(first.button("a:").rsplit(":", 1)[0] + ":5")
    again = Person(make_journey(), SOCIAL)
    await again.say("hallo")
    assert "2/3" in again.text()
    await again.command(Command.RESUME)
    assert "2/3" in again.text()
    pid = again.button("a:").split(":")[1]
    assert len(await repo.answers(pid, 1, SOCIAL)) == 1


async def test_review_changes_an_answer_without_moving_on(
    social: Person, repo: SqliteRepository
) -> None:
    """/review lists answers; changing one stores the new score and asks the same open one."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    await social.tap(social.button("a:").rsplit(":", 1)[0] + ":5")
    await social.command(Command.REVIEW)
    await social.tap(social.button("e:"))
    change = social.button("c:").rsplit(":", 1)[0] + ":1"
    await social.tap(change)
    assert "1 · helemaal oneens" in social.text()
    assert social.button("a:").split(":")[3] == "resources"
    pid = change.split(":")[1]
    answers = await repo.answers(pid, 1, SOCIAL)
    assert [(a.theme_id, a.score) for a in answers] == [("selection", 1)]


async def test_status_shows_counts_never_answers(social: Person, business: Person) -> None:
    """/status shows how far each partner is, not what they answered."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    await join(business, token, "Jansen BV")
    await business.tap(business.button("a:").rsplit(":", 1)[0] + ":1")
    await social.command(Command.STATUS)
    text = social.text()
    assert "De Korrel: 0/3" in text
    assert "Jansen BV: 1/3" in text
    assert "oneens" not in text


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("unknown", "ken ik niet"),
        ("used", "al gebruikt"),
        ("expired", "verlopen"),
        ("own", "doet al mee"),
    ],
)
async def test_bad_invites_are_explained(
    setup: str, expected: str, social: Person, business: Person, journey: Journey, clock: Clock
) -> None:
    """Unknown, used, expired and own invite links each get their own clear message."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    person = business
    if setup == "unknown":
        token = "nosuchtoken"
    elif setup == "used":
        await join(business, token, "Jansen BV")
        person = Person(journey, 999)
    elif setup == "expired":
        clock.advance(days=15)
    else:
        person = social
    await person.command(Command.START, token)
    assert expected in person.text().lower()


async def test_cancel_during_onboarding_keeps_existing_answers(
    social: Person, repo: SqliteRepository
) -> None:
    """/new then /cancel returns to the current partnership's question."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    await social.tap(social.button("a:").rsplit(":", 1)[0] + ":4")
    await social.command(Command.NEW)
    assert "naam van jouw organisatie" in social.text()
    await social.command(Command.CANCEL)
    assert "2/3" in social.text()


async def test_switch_moves_between_partnerships(social: Person) -> None:
    """With two partnerships, /switch offers both and every question names its partnership."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    await social.tap(social.button("a:").rsplit(":", 1)[0] + ":4")
    await social.command(Command.NEW)
    await social.say("De Korrel Oost")
    await social.tap(f"o:{Role.SOCIAL.value}")
    assert "De Korrel Oost" in social.text()
    assert "1/3" in social.text()
    await social.command(Command.SWITCH)
    first = next(b.data for b in social.buttons() if b.label.startswith("De Korrel ·"))
    assert first is not None
    await social.tap(first)
    assert "2/3" in social.text()


async def test_facilitator_invite_never_answers(
    social: Person, journey: Journey, repo: SqliteRepository
) -> None:
    """A facilitator joins by their own link and is never asked a question."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    match = re.search(r"begeleider.*?start=([\w-]+)", social.text(), re.S)
    assert match
    facilitator = Person(journey, FACILITATOR)
    await facilitator.command(Command.START, match.group(1))  # a facilitator names nothing
    assert "Welkom, begeleider" in facilitator.text()
    assert not [b for b in facilitator.buttons() if b.data and b.data.startswith("a:")]
    [membership] = await repo.memberships(FACILITATOR)
    assert membership.role is Role.FACILITATOR


def test_the_committed_diagram_matches_the_machine() -> None:
    """docs/journey.mmd is regenerated whenever the transitions change."""
    from pathlib import Path

    from flows.machine import mermaid

    committed = Path(__file__).resolve().parents[2] / "docs" / "journey.mmd"
    assert committed.read_text("utf-8") == mermaid()


def test_every_declared_callback_and_condition_is_a_session_method() -> None:
    """The machine names callbacks and conditions as text: each must exist on Session."""
    from flows.machine import STATES, TRANSITIONS

    names = {name for state in STATES for name in state["on_enter"]}
    for transition in TRANSITIONS:
        for key in ("conditions", "unless", "before", "after"):
            value = transition.get(key, [])
            names.update([value] if isinstance(value, str) else value)
    assert len(names) > 7
    assert all(callable(getattr(Session, name, None)) for name in sorted(names)), names


async def finish_with_facilitator(
    social: Person, business: Person, journey: Journey, scores: dict[int, tuple[int, int]]
) -> Person:
    """Both partners and a facilitator join; partners answer with the given per-question scores."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    match = re.search(r"begeleider.*?start=([\w-]+)", social.text(), re.S)
    assert match
    facilitator = Person(journey, FACILITATOR)
    await facilitator.command(Command.START, match.group(1))  # a facilitator names nothing
    await join(business, token, "Jansen BV")
    for person, side in ((social, 0), (business, 1)):
        for number in range(1, 4):
            await person.tap(person.button("a:").rsplit(":", 1)[0] + f":{scores[number][side]}")
    return facilitator


async def test_both_done_sends_summary_picture_and_the_facilitator_report(
    social: Person, business: Person, journey: Journey
) -> None:
    """The last answer sends all the summary and picture; the report goes to the facilitator."""
    await finish_with_facilitator(social, business, journey, {1: (5, 2), 2: (4, 4), 3: (3, 3)})
    photos = [a for a in business.replies if isinstance(a, SendPhoto)]
    assert sorted(p.chat_id for p in photos) == [SOCIAL, BUSINESS, FACILITATOR]
    assert all(p.png.startswith(b"\x89PNG") for p in photos)
    documents = [a for a in business.replies if isinstance(a, SendDocument)]
    assert [d.chat_id for d in documents] == [FACILITATOR]
    assert documents[0].filename.endswith(".html")
    summary = texts_to(business.replies, SOCIAL)
    assert re.search(r"(?<!\d)1 verschil in verwachting", summary)


async def test_summary_before_both_are_done_names_who_is_still_answering(
    social: Person, business: Person
) -> None:
    """/summary before the end says who still has to finish and shows no answers."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    await join(business, token, "Jansen BV")
    await answer_all(social, score=1)
    await social.command(Command.SUMMARY)
    assert "Jansen BV" in social.text()
    assert not any(isinstance(a, SendPhoto) for a in social.replies)
    await business.command(Command.REPORT)
    assert "Jansen BV" in business.text()
    assert "oneens" not in business.text()


async def test_a_new_round_asks_again_and_the_summary_shows_movement(
    social: Person, business: Person, journey: Journey
) -> None:
    """After a finished round, /newround asks again and the next summary shows what moved."""
    await finish_with_facilitator(social, business, journey, {1: (2, 2), 2: (2, 2), 3: (2, 2)})
    await social.command(Command.NEWROUND)
    assert "Ronde 2" in social.text()
    assert "1/3" in social.text()
    told = [a for a in social.replies if isinstance(a, Send) and a.chat_id == BUSINESS]
    assert told
    await business.tap("g")
    assert "1/3" in business.text()
    for person in (social, business):
        await answer_all(person, score=4)
    summary = "\n".join(a.text for a in business.replies if isinstance(a, Send))
    assert "Sinds de vorige ronde" in summary
    assert re.search(r"(?<!\d)6 scores omhoog", summary)  # three themes, both partners from 2 to 4


async def test_forget_erases_after_confirmation_and_tells_the_partner(
    social: Person, business: Person, repo: SqliteRepository
) -> None:
    """/forget asks first; 'yes' erases the person's answers and membership; the partner hears."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    await join(business, token, "Jansen BV")
    await business.tap(business.button("a:").rsplit(":", 1)[0] + ":2")
    await business.command(Command.FORGET)
    await business.tap(business.button("f:no"))
    assert await repo.memberships(BUSINESS)
    await business.command(Command.FORGET)
    await business.tap(business.button("f:yes"))
    assert await repo.memberships(BUSINESS) == []
    assert await repo.participant(BUSINESS) is None
    told = [a for a in business.replies if isinstance(a, Send) and a.chat_id == SOCIAL]
    assert "Jansen BV" in told[0].text
    assert await repo.memberships(SOCIAL)


async def test_mydata_exports_own_data_as_json(social: Person) -> None:
    """/mydata sends a JSON file with the user's own organisation name and notes."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    await social.tap(social.button("a:").rsplit(":", 1)[0] + ":3")
    await social.tap(social.button("n:"))
    await social.say("geheime notitie")
    await social.command(Command.MYDATA)
    [document] = [a for a in social.replies if isinstance(a, SendDocument)]
    assert document.filename == "mydata.json"
    assert "geheime notitie" in document.content.decode()
    assert "De Korrel" in document.content.decode()


async def test_mydata_holds_no_invite_token_nor_the_inviters_name(
    social: Person, business: Person
) -> None:
    """Someone halfway through joining gets their own data only: no token, no partner's name."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    await business.command(Command.START, token)  # opened the link, name not typed yet
    await business.command(Command.MYDATA)
    [document] = [a for a in business.replies if isinstance(a, SendDocument)]
    exported = document.content.decode()
    assert token not in exported
    assert "De Korrel" not in exported
    assert '"purpose": "join"' in exported  # their own pending step is there


async def test_a_pending_join_stores_no_usable_token(
    social: Person, business: Person, repo: SqliteRepository
) -> None:
    """Between opening the link and typing a name only the invite's digest is stored, which
    does not open the invite; typing the name still joins."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    await business.command(Command.START, token)
    stored = await repo.participant(BUSINESS)
    assert stored is not None
    assert token not in stored.context.values()
    assert await repo.invite(stored.context["invite"]) is None
    await business.say("Jansen BV")
    assert [
        m.user_id for m in await repo.members((await repo.memberships(SOCIAL))[0].partnership_id)
    ] == [SOCIAL, BUSINESS]


async def test_retention_purges_partnerships_idle_for_a_year(
    social: Person, journey: Journey, repo: SqliteRepository, clock: Clock
) -> None:
    """A partnership without activity for the retention period is deleted by the daily job."""
    await start_partnership(social, "De Korrel", Role.SOCIAL)
    clock.advance(days=364)
    assert await journey.purge_inactive(clock()) == 0
    clock.advance(days=2)
    assert await journey.purge_inactive(clock()) == 1
    assert await repo.memberships(SOCIAL) == []


async def test_an_event_invalid_in_its_step_saves_nothing(
    social: Person, repo: SqliteRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trigger the step has no transition for is refused with a hint, and what its handler
    staged (here a first contact's participant) is not stored."""

    async def switch_first(j: Journey, s: Session, _: object) -> None:
        s.say("staged")
        j.fire(s, Trigger.SWITCHED)  # only from a settled step, never for someone new

    monkeypatch.setitem(journey_module.TAPS, LanguageTap, switch_first)
    await social.tap("l:en")
    assert [type(a) for a in social.replies] == [Notice, Send]
    assert await repo.participant(SOCIAL) is None


async def test_partners_finishing_at_the_same_moment_get_one_summary(
    social: Person, business: Person, repo: SqliteRepository
) -> None:
    """Two last answers handled concurrently deliver the summary once, claimed in one commit."""
    token = await start_partnership(social, "De Korrel", Role.SOCIAL)
    await join(business, token, "Jansen BV")
    for person in (social, business):
        for _ in range(2):
            await person.tap(person.button("a:").rsplit(":", 1)[0] + ":3")
    last = [person.button("a:").rsplit(":", 1)[0] + ":3" for person in (social, business)]
    replies = await asyncio.gather(social.tap(last[0]), business.tap(last[1]))
    photos = [a.chat_id for actions in replies for a in actions if isinstance(a, SendPhoto)]
    assert sorted(photos) == [SOCIAL, BUSINESS]
    partnership = await repo.partnership(last[0].split(":")[1])
    assert partnership is not None
    assert partnership.summary_round == 1
