"""Button taps travel as callback_data in the first version's format and come back typed."""

from __future__ import annotations

import pytest

from bot.callback import MAX_BYTES, pack, unpack
from flows.actions import (
    AnswerTap,
    ChangeTap,
    ContinueTap,
    DetailTap,
    ForgetTap,
    KeepTextTap,
    LanguageTap,
    NoteTap,
    ReviewTap,
    RevisitTap,
    RoleTap,
    StopRemindersTap,
    SwitchTap,
    Tap,
)
from flows.model import Role

WIRE: list[tuple[Tap, str]] = [
    (AnswerTap("p1", 2, "trust", 4), "a:p1:2:trust:4"),
    (AnswerTap("p1", 1, "trust", None), "a:p1:1:trust:s"),
    (AnswerTap("p1", 1, "trust", None, not_yet=True), "a:p1:1:trust:n"),
    (ChangeTap("p1", 1, "trust", None, not_yet=True), "c:p1:1:trust:n"),
    (ChangeTap("p1", 1, "goals", 1), "c:p1:1:goals:1"),
    (ReviewTap("p1", 3, "goals"), "e:p1:3:goals"),
    (NoteTap("p1", 1, "goals"), "n:p1:1:goals"),
    (RevisitTap("p1", 2, now=True), "v:p1:2:y"),
    (KeepTextTap("p1", 1, "trust", keep=True), "k:p1:1:trust:y"),
    (KeepTextTap("p1", 1, "trust", keep=False), "k:p1:1:trust:n"),
    (RevisitTap("p1", 1, now=False), "v:p1:1:n"),
    (LanguageTap("en"), "l:en"),
    (RoleTap(Role.FACILITATOR), "o:facilitator"),
    (SwitchTap("p9"), "w:p9"),
    (ContinueTap(), "g"),
    (StopRemindersTap("p9"), "x:p9"),
    (ForgetTap(confirmed=True, issued=1764680000), "f:yes:1764680000"),
    (ForgetTap(confirmed=False, issued=1764680000), "f:no:1764680000"),
    (DetailTap("p9", 2), "d:p9:2"),
]


@pytest.mark.parametrize(("tap", "data"), WIRE)
def test_each_tap_keeps_its_wire_format_both_ways(tap: Tap, data: str) -> None:
    """Packing gives the format old buttons carry; unpacking that data gives the tap back."""
    assert pack(tap) == data
    assert unpack(data) == tap


@pytest.mark.parametrize(
    "data",
    [
        "",
        "zz:nonsense",
        "a:p1:1:trust:7",
        "a:p1:1:trust:0",
        "a:p1:0:trust:3",
        "a:p1:x:trust:3",
        "a:p1:1:trust",
        "a::1:trust:3",
        "e:p1:1:trust:3",
        "l:de",
        "o:boss",
        "f:maybe",
        "f:yes",
        "f:yes:0",
        "f:yes:soon",
        "d:p9",
        "d:p9:0",
        "d:p9:x",
        "g:extra",
        "w:",
        "w:a:b",
        "a:p1:1:" + "t" * 64 + ":3",
    ],
)
def test_data_the_bot_never_sends_is_unreadable(data: str) -> None:
    """Crafted, truncated or oversized data from a modified client becomes no tap at all."""
    assert unpack(data) is None


def test_a_tap_too_long_for_telegram_is_refused_when_packed() -> None:
    """Packing checks Telegram's 64-byte limit once, instead of sending a broken button."""
    assert MAX_BYTES == 64
    with pytest.raises(ValueError, match="64 bytes"):
        pack(NoteTap("p" * 40, 1, "t" * 30))
