"""Whatever a user sends, in any state, gets a clear reply and changes nothing stored."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from telegram import Update

from storage.sqlite import SqliteRepository
from tests.bot.conftest import Harness
from tests.bot.test_journey_bot import SOCIAL, create
from tests.support.updates import UpdateFactory

KINDS: dict[str, Callable[[UpdateFactory], Update]] = {
    "sticker": lambda u: u.sticker(SOCIAL),
    "photo": lambda u: u.photo(SOCIAL),
    "voice": lambda u: u.voice(SOCIAL),
    "location": lambda u: u.location(SOCIAL),
    "contact": lambda u: u.contact(SOCIAL),
    "document": lambda u: u.document(SOCIAL),
    "unknown command": lambda u: u.command(SOCIAL, "/nonsense"),
    "edited message": lambda u: u.edited_message(SOCIAL, "Other name", message_id=1),
}


async def snapshot(harness: Harness) -> tuple[object, ...]:
    repo = harness.app.bot_data.journey.repo
    participant = await repo.participant(SOCIAL)
    memberships = await repo.memberships(SOCIAL)
    answers = [await repo.answers(m.partnership_id, 1, SOCIAL) for m in memberships]
    assert isinstance(repo, SqliteRepository)
    return (participant.state if participant else None, memberships, answers)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("stage", ["language", "organisation", "answering"])
async def test_unusable_input_gets_a_reply_and_changes_nothing(
    harness: Harness, kind: str, stage: str
) -> None:
    """Media, edits and unknown commands get a clear reply in Dutch; the stored state stays."""
    # A client in German is asked the language; in Dutch it goes straight to the name.
    await harness.command(SOCIAL, "/start", language_code="de" if stage == "language" else "nl")
    if stage == "answering":
        await harness.text(SOCIAL, "De Korrel")
        await harness.tap(SOCIAL, "o:social")
    before = await snapshot(harness)
    sent = len(harness.texts_to(SOCIAL))
    await harness.process(KINDS[kind](harness.updates))
    replies = harness.texts_to(SOCIAL)[sent:]
    assert replies, "no reply at all"
    assert any(
        word in replies[0] for word in ("tekst en knoppen", "opdracht ken ik niet", "bewerkt")
    )
    assert await snapshot(harness) == before


async def test_a_group_message_is_answered_in_the_group(harness: Harness) -> None:
    """In a group the bot says it works in private chats and stores nothing."""
    await harness.process(
        harness.updates.command(SOCIAL, "/start", chat_id=-100, chat_type="group")
    )
    [call] = harness.offline.calls_to("sendMessage")
    assert call.params["chat_id"] == -100
    assert "privégesprek" in str(call.params["text"])
    assert await harness.app.bot_data.journey.repo.participant(SOCIAL) is None


async def test_the_state_survives_a_sticker_mid_note(harness: Harness) -> None:
    """A sticker while a note is awaited keeps the note step; the next text is still the note."""
    await create(harness)
    await harness.tap(SOCIAL, "a:", replace_last="4")
    await harness.tap(SOCIAL, "n:")
    await harness.process(harness.updates.sticker(SOCIAL))
    await harness.text(SOCIAL, "Mijn notitie")
    assert any("Toelichting bij" in t for t in harness.texts_to(SOCIAL))
