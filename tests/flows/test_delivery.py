"""Delivering the summary: three messages at most per reader, the detail one tap away."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flows.actions import Button, Send, SendDocument, SendPhoto
from flows.canvas import Language
from flows.delivery import Combined, DetailKeyboard, Summaries
from flows.messages import load_messages
from flows.model import Member, Partnership, Role
from flows.reading import Reading
from storage.sqlite import SqliteRepository
from tests.flows.planted import BUSINESS, BUSINESS_NAME, CANVAS_V2, SOCIAL, SOCIAL_NAME
from tests.flows.test_chat_summary import PLANTED

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
FACILITATOR = 3


def fake_chart(reading: Reading) -> bytes:
    return b"\x89PNG fake"


def combined() -> Combined:
    members = [
        Member("p1", SOCIAL, Role.SOCIAL, SOCIAL_NAME, T0, finished_at=T0),
        Member("p1", BUSINESS, Role.BUSINESS, BUSINESS_NAME, T0, finished_at=T0),
        Member("p1", FACILITATOR, Role.FACILITATOR, "Coach", T0),
    ]
    partnership = Partnership("p1", SOCIAL, T0, "test.1", summary_round=1)
    return Combined(partnership, members, PLANTED, SOCIAL_NAME, BUSINESS_NAME, complete=True)


def summaries(repo: SqliteRepository, detail_keyboard: DetailKeyboard | None = None) -> Summaries:
    return Summaries(
        repo,
        CANVAS_V2,
        load_messages(),
        ZoneInfo("Europe/Amsterdam"),
        fake_chart,
        detail_keyboard=detail_keyboard,
    )


async def test_each_reader_gets_the_first_message_then_the_picture_and_at_most_three(
    repo: SqliteRepository,
) -> None:
    """Partners get the first message and the picture; the facilitator the report as third."""
    both = combined()
    readers: list[tuple[Member, Language]] = [(m, "nl") for m in both.members]
    actions = await summaries(repo).for_readers(both, readers)
    for member in both.members:
        mine = [a for a in actions if getattr(a, "chat_id", None) == member.user_id]
        kinds = [type(a) for a in mine]
        expected = [Send, SendPhoto]
        if member.role is Role.FACILITATOR:
            expected.append(SendDocument)
        assert kinds == expected
        first = mine[0]
        assert isinstance(first, Send)
        assert "Bespreek eerst" in first.text
        assert first.keyboard == ()  # no button without the hook: the text points to /report
        assert "/report" in first.text


async def test_the_detail_button_hook_puts_a_button_under_the_first_message(
    repo: SqliteRepository,
) -> None:
    """With a detail keyboard the first message carries it and says to tap it; ``detail``
    renders the whole agenda for that button."""
    button = ((Button("📋", "d:p1:1"),),)
    both = combined()
    hooked = summaries(repo, detail_keyboard=lambda c, language: button)
    actions = await hooked.for_readers(both, [(both.members[0], "nl")])
    first = actions[0]
    assert isinstance(first, Send)
    assert first.keyboard == button
    assert "knop hieronder" in first.text
    detail = hooked.detail(both, SOCIAL, "nl")
    assert "Agenda voor het gesprek" in detail.blocks[0]
    assert detail.chat_id == SOCIAL
