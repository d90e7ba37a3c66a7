"""The whole canvas journey through a real PTB Application and the offline Bot API."""

from __future__ import annotations

import re

import pytest

from bot.settings import Settings
from flows.canvas import load_canvas
from storage.sqlite import SqliteRepository
from tests.bot.conftest import Harness
from tests.support import scenario

SOCIAL, BUSINESS = 5001, 5002
THEMES = len(load_canvas().questions)


def shows_question(text: str, number: int) -> bool:
    """Whether ``text`` shows question ``number`` (so 8 is not found in "18/20")."""
    return re.search(rf"(?<!\d){number}/{THEMES} ·", text) is not None


def invite_token(harness: Harness, user_id: int, role: str) -> str:
    """The newest invite token for ``role`` sent to ``user_id``."""
    return scenario.invite_token(harness.texts_to(user_id), role)


async def create(harness: Harness) -> str:
    """De Korrel starts a partnership (in Dutch); the business's invite token."""
    return await scenario.start(harness, SOCIAL, "De Korrel")


async def join(harness: Harness, token: str) -> None:
    """Jansen BV joins by the invite (in English)."""
    await scenario.join(harness, BUSINESS, token, "Jansen BV", language="en")


async def answer(harness: Harness, user_id: int, count: int, score: int) -> None:
    await scenario.answer(harness, user_id, count, score)


async def past_ambitions(harness: Harness, user_id: int) -> None:
    """Answer the ambitions (each its first option), so that a statement is on screen."""
    await scenario.answer(harness, user_id, len(scenario.AMBITIONS), 1)


def statement_scores(answers: dict[str, int | None]) -> set[int | None]:
    return {score for theme, score in answers.items() if theme not in scenario.AMBITIONS}


async def stored_answers(settings: Settings, user_id: int) -> dict[str, int | None]:
    repo = await SqliteRepository.open(settings.database_path)
    try:
        [member] = await repo.memberships(user_id)
        answers = await repo.answers(member.partnership_id, 1, user_id)
        return {a.theme_id: a.score for a in answers}
    finally:
        await repo.close()


async def test_start_registers_the_command_menu_in_both_languages(harness: Harness) -> None:
    """post_init registers the commands for Dutch (default) and English clients."""
    calls = harness.offline.calls_to("setMyCommands")
    assert [c.params.get("language_code") for c in calls] == [None, "en"]
    names = [c["command"] for c in calls[0].params["commands"]]  # type: ignore[union-attr]
    assert {"resume", "review", "status", "help", "cancel", "switch"} <= set(names)


async def test_two_partners_answer_every_phase_and_are_both_told(
    harness: Harness, settings: Settings
) -> None:
    """Two partners go through all questions; answers are stored and both hear they're done."""
    token = await create(harness)
    await join(harness, token)
    assert any("Jansen BV" in t for t in harness.texts_to(SOCIAL))
    await answer(harness, SOCIAL, THEMES, 4)
    assert any("Klaar!" in t for t in harness.texts_to(SOCIAL))
    await answer(harness, BUSINESS, THEMES, 2)
    assert any("both finished" in t for t in harness.texts_to(BUSINESS))
    assert any("allebei klaar" in t for t in harness.texts_to(SOCIAL))
    social = await stored_answers(settings, SOCIAL)
    business = await stored_answers(settings, BUSINESS)
    assert len(social) == len(business) == THEMES
    assert statement_scores(social) == {4}
    assert statement_scores(business) == {2}
    edits = harness.offline.calls_to("editMessageText")
    assert len(edits) == 2 * THEMES
    taps = 2 * THEMES + 1  # every answer and one role choice: no language tap in nl and en
    assert len(harness.offline.calls_to("answerCallbackQuery")) == taps


async def test_a_restart_halfway_loses_and_repeats_nothing(settings: Settings) -> None:
    """Stopping the Application mid-journey and starting a new one finishes where it left off."""
    first = Harness(settings)
    await first.start()
    token = await create(first)
    await join(first, token)
    await answer(first, SOCIAL, 7, 5)
    await answer(first, BUSINESS, 3, 1)
    await first.stop()

    second = Harness(settings)
    await second.start()
    try:
        await second.command(SOCIAL, "/resume")
        assert shows_question(second.texts_to(SOCIAL)[-1], 8)
        await second.text(BUSINESS, "hello again", language_code="en")
        assert shows_question(second.texts_to(BUSINESS)[-1], 4)
        await answer(second, SOCIAL, THEMES - 7, 5)
        await answer(second, BUSINESS, THEMES - 3, 1)
        numbers = [
            m.group(1)
            for t in second.shown_to(SOCIAL)
            if (m := re.search(rf"(\d+)/{THEMES} ·", t))
        ]
        # Each question once (the card edited to the next), and the last card's answer.
        assert numbers == [str(n) for n in (*range(8, THEMES + 1), THEMES)]
    finally:
        await second.stop()
    social = await stored_answers(settings, SOCIAL)
    business = await stored_answers(settings, BUSINESS)
    assert len(social) == len(business) == THEMES
    assert statement_scores(social) == {5}
    assert statement_scores(business) == {1}


async def test_a_failure_is_logged_and_the_user_told_in_their_language(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected error reaches the error handler, which logs it and apologises."""
    await create(harness)

    async def broken(*_: object) -> None:
        raise RuntimeError("disk on fire")

    harness.app.bot_data.journey.repo.commit = broken  # type: ignore[method-assign]
    await harness.tap(SOCIAL, "a:", replace_last="3")
    assert "Je antwoorden zijn veilig" in harness.texts_to(SOCIAL)[-1]
    assert any(r.exc_info and "disk on fire" in str(r.exc_info[1]) for r in caplog.records)


async def test_the_detail_button_sends_the_whole_agenda_in_telegram_sized_messages(
    harness: Harness,
) -> None:
    """Tapping the button under the first summary message answers the tap and sends the whole
    agenda and every theme, each message within Telegram's limit."""
    token = await create(harness)
    await join(harness, token)
    await answer(harness, SOCIAL, THEMES, 5)
    await answer(harness, BUSINESS, THEMES, 1)
    before = len(harness.texts_to(SOCIAL))
    await harness.tap(SOCIAL, "d:")
    sent = harness.texts_to(SOCIAL)[before:]
    assert sent
    assert "Agenda voor het gesprek" in sent[0]
    assert all(len(text) <= 4096 for text in sent)
    assert sum(text.count(" · ") for text in sent) >= len(load_canvas().themes)  # one a theme
    assert harness.offline.calls_to("answerCallbackQuery")[-1].ok
