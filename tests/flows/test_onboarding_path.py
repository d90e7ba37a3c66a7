"""The shortest way in: no language question when the client already says Dutch or English."""

from __future__ import annotations

from flows.actions import Notice
from flows.events import Command
from flows.journey import Journey
from flows.machine import Step
from flows.model import Role
from storage.sqlite import SqliteRepository
from tests.flows.conftest import Person
from tests.flows.test_journey import BUSINESS, SOCIAL, invite_token


class Counted(Person):
    """A person who counts the taps and typed messages it takes them."""

    def __init__(self, journey: Journey, user_id: int, language: str = "nl") -> None:
        super().__init__(journey, user_id, language)
        self.taps = 0
        self.typed = 0

    async def tap(self, data: str) -> list[object]:  # type: ignore[override]
        self.taps += 1
        return list(await super().tap(data))

    async def say(self, text: str) -> list[object]:  # type: ignore[override]
        self.typed += 1
        return list(await super().say(text))

    def at_first_question(self) -> bool:
        return any(b.data and b.data.startswith("a:") for b in self.buttons())


async def test_a_dutch_partner_reaches_the_first_question_with_two_taps_and_one_name(
    journey: Journey, repo: SqliteRepository
) -> None:
    """Creator (/start, name, role) and invited partner (link, name) in a Dutch client each
    reach the first question with at most two taps and one typed name, without a language tap."""
    creator = Counted(journey, SOCIAL)
    await creator.command(Command.START)
    assert not [b for b in creator.buttons() if b.data and b.data.startswith("l:")]
    await creator.say("De Korrel")
    await creator.tap(f"o:{Role.SOCIAL.value}")
    assert creator.at_first_question()
    assert (creator.taps, creator.typed) == (1, 1)

    partner = Counted(journey, BUSINESS, language="nl-NL")
    await partner.command(Command.START, invite_token(creator))
    assert "uitgenodigd" in partner.text()
    await partner.say("Jansen BV")
    assert partner.at_first_question()
    assert partner.taps + creator.taps <= 2
    assert (partner.taps, partner.typed) == (0, 1)
    stored = await repo.participant(BUSINESS)
    assert stored is not None
    assert stored.language == "nl"


async def test_an_english_client_is_welcomed_in_english_and_asked_the_name(
    journey: Journey, repo: SqliteRepository
) -> None:
    """A client in English gets the English welcome, the name question, and no language step."""
    person = Person(journey, SOCIAL, language="en-GB")
    await person.command(Command.START)
    assert "Welcome" in person.text()
    assert "name of your organisation" in person.text()
    stored = await repo.participant(SOCIAL)
    assert stored is not None
    assert (stored.state, stored.language) == (Step.ORGANISATION.value, "en")


async def test_the_language_command_still_changes_the_language(journey: Journey) -> None:
    """/language offers both languages after the skipped step, and a tap switches to English."""
    person = Person(journey, SOCIAL)
    await person.command(Command.START)
    await person.command(Command.LANGUAGE)
    await person.tap(person.button("l:en"))
    assert "name of your organisation" in person.text()


async def test_choosing_a_language_before_start_welcomes_in_it(
    journey: Journey, repo: SqliteRepository
) -> None:
    """/language as the very first message: the tap sets the language and welcomes in it,
    and /start then goes on in that language."""
    person = Person(journey, SOCIAL)
    await person.command(Command.LANGUAGE)
    await person.tap(person.button("l:en"))
    assert "use the buttons" not in person.text().lower()
    assert not any(isinstance(a, Notice) for a in person.replies)
    assert "Welcome" in person.text()
    assert "name of your organisation" in person.text()
    await person.command(Command.START)
    assert "name of your organisation" in person.text()
    stored = await repo.participant(SOCIAL)
    assert stored is not None
    assert (stored.state, stored.language) == (Step.ORGANISATION.value, "en")


async def test_a_language_change_mid_canvas_confirms_once_and_asks_the_open_question(
    journey: Journey,
) -> None:
    """/language while a question is open: one confirmation, then that question in the new
    language with its buttons."""
    person = Person(journey, SOCIAL)
    await person.command(Command.START)
    await person.say("De Korrel")
    await person.tap(f"o:{Role.SOCIAL.value}")
    await person.tap(person.button("a:").rsplit(":", 1)[0] + ":4")
    await person.command(Command.LANGUAGE)
    await person.tap(person.button("l:en"))
    assert not any(isinstance(a, Notice) for a in person.replies)
    assert person.text().count("Language: English") == 1
    assert "Our resources complement." in person.text()
    assert person.button("a:").split(":")[3] == "resources"
