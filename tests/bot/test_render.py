"""bot/ turns flows' whole texts into Telegram messages: links filled in, limits applied."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ExtBot

from bot.render import Renderer, markup
from bot.split import MESSAGE_LIMIT, telegram_length
from flows.actions import (
    Action,
    AnswerTap,
    BotLinks,
    Button,
    ChangeTap,
    ContinueTap,
    ForgetTap,
    Send,
    SendLinked,
    SendLong,
)


def renderer() -> Renderer:
    return Renderer(cast(ExtBot[Any], SimpleNamespace(username="canvas_test_bot")))


def texts(actions: list[Action]) -> list[str]:
    return [a.text for a in actions if isinstance(a, Send)]


def test_an_invite_gets_the_deep_link_to_the_bot() -> None:
    """An invite's text gets PTB's t.me deep link with the token as the start payload."""

    def text(bot: BotLinks) -> str:
        return f"Open {bot.start('tok123')} or talk to @{bot.username}"

    [sent] = renderer().messages(SendLinked(7, text, invite="tok123"))
    assert sent == Send(
        7, "Open https://t.me/canvas_test_bot?start=tok123 or talk to @canvas_test_bot"
    )


def test_a_text_over_the_limit_is_split_with_the_buttons_on_the_last_part() -> None:
    """A message longer than Telegram allows becomes several, each within the limit."""
    keyboard = ((Button("Verder", ContinueTap()),),)
    long = "\n".join(f"<b>regel {n}</b> " + "x" * 90 for n in range(80))
    parts = renderer().messages(Send(7, long, keyboard))
    assert len(parts) > 1
    assert all(telegram_length(text) <= MESSAGE_LIMIT for text in texts(parts))
    assert [p.keyboard for p in parts if isinstance(p, Send)] == [()] * (len(parts) - 1) + [
        keyboard
    ]


def test_a_long_text_is_packed_by_its_blocks() -> None:
    """Blocks that fit together share a message; the summary is never cut mid-theme."""
    blocks = tuple(f"<b>Thema {n}</b>\n" + "y" * 1500 for n in range(5))
    parts = texts(renderer().messages(SendLong(7, blocks)))
    assert parts == ["\n\n".join(blocks[:2]), "\n\n".join(blocks[2:4]), blocks[4]]


def test_a_keyboard_goes_out_as_ptbs_own_markup_would() -> None:
    """The keyboard's JSON is what PTB's InlineKeyboardMarkup serialises to: rows kept, taps
    as their callback data (the wire format of buttons already in chats), links as URLs."""
    keyboard = (
        (
            Button("1", AnswerTap("p1", 2, "impact", 1)),
            Button("Sla over", AnswerTap("p1", 2, "impact", None)),
        ),
        (Button("Ja", ForgetTap(True, 1700000000)),),
        (Button("Open", url="https://example.org/report"),),
    )
    ptb = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("1", callback_data="a:p1:2:impact:1"),
                InlineKeyboardButton("Sla over", callback_data="a:p1:2:impact:s"),
            ],
            [InlineKeyboardButton("Ja", callback_data="f:yes:1700000000")],
            [InlineKeyboardButton("Open", url="https://example.org/report")],
        ]
    )
    assert markup(keyboard) == ptb.to_dict()
    assert markup(()) is None


def test_a_card_and_odd_buttons_go_out_as_ptbs_own_markup_would() -> None:
    """A question card's rows (every kind of score tap, changes too), a button with both a
    tap and a link, and a bare label: still what PTB's markup serialises to."""
    scores = (1, 2, 3, 4, 5)
    keyboard = (
        tuple(Button(str(n), AnswerTap("p7", 12, "trust", n)) for n in scores),
        (
            Button("Nog niet", AnswerTap("p7", 12, "trust", None, not_yet=True)),
            Button("Sla over", AnswerTap("p7", 12, "trust", None)),
        ),
        (Button("Wijzig", ChangeTap("p7", 3, "goals", 2)),),
        (Button("Both", ContinueTap(), url="https://example.org/"), Button("Bare")),
    )
    ptb = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(str(n), callback_data=f"a:p7:12:trust:{n}") for n in scores],
            [
                InlineKeyboardButton("Nog niet", callback_data="a:p7:12:trust:n"),
                InlineKeyboardButton("Sla over", callback_data="a:p7:12:trust:s"),
            ],
            [InlineKeyboardButton("Wijzig", callback_data="c:p7:3:goals:2")],
            [
                InlineKeyboardButton("Both", url="https://example.org/", callback_data="g"),
                InlineKeyboardButton("Bare"),
            ],
        ]
    )
    assert markup(keyboard) == ptb.to_dict()
