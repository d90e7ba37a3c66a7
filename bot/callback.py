"""Button taps on the wire: each typed tap as Telegram callback_data, and back.

The format is ``<prefix>:<field>:...`` (kept from the first version, so buttons already in
people's chats keep working). Packing checks Telegram's 64-byte limit; unpacking accepts only
what the bot itself could have sent, since a modified client can send any data.
"""

from __future__ import annotations

import re
from typing import Final

from telegram.constants import InlineKeyboardButtonLimit

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
    Score,
    StopRemindersTap,
    SwitchTap,
    Tap,
)
from flows.canvas import LANGUAGES
from flows.model import Role

MAX_BYTES: Final = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
SKIP: Final = "s"
NOT_YET: Final = "n"
_ROUND: Final = re.compile(r"[1-9][0-9]{0,3}")
_SECONDS: Final = re.compile(r"[1-9][0-9]{0,11}")
_SCORES: Final[dict[str, Score]] = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, SKIP: None}
_FORGET: Final = {"yes": True, "no": False}
_REVISIT: Final = {"y": True, "n": False}  # yes or no, for revisit and keep-text taps
_SCORE_TAPS: Final = (AnswerTap, ChangeTap)  # a tuple: ``A | B`` is made on every call


def pack(tap: Tap) -> str:
    """The callback_data for ``tap``; ValueError when it does not fit Telegram's limit."""
    if isinstance(tap, _SCORE_TAPS):  # a question card's buttons: in one go
        prefix = "a" if isinstance(tap, AnswerTap) else "c"
        score = str(tap.score) if tap.score is not None else NOT_YET if tap.not_yet else SKIP
        data = f"{prefix}:{tap.partnership_id}:{tap.round!s}:{tap.theme_id}:{score}"
    else:
        data = ":".join(_fields(tap))
    if not 1 <= len(data.encode()) <= MAX_BYTES:
        raise ValueError(f"button data does not fit in {MAX_BYTES} bytes: {data!r}")
    return data


def _fields(tap: Tap) -> tuple[str, ...]:
    """The fields of any tap but a score's (``pack`` makes those)."""
    if isinstance(tap, ReviewTap | NoteTap):
        prefix = "e" if isinstance(tap, ReviewTap) else "n"
        return (prefix, tap.partnership_id, str(tap.round), tap.theme_id)
    if isinstance(tap, KeepTextTap):
        keep = "y" if tap.keep else "n"
        return ("k", tap.partnership_id, str(tap.round), tap.theme_id, keep)
    if isinstance(tap, RevisitTap):
        return ("v", tap.partnership_id, str(tap.round), "y" if tap.now else "n")
    if isinstance(tap, LanguageTap):
        return ("l", tap.language)
    if isinstance(tap, RoleTap):
        return ("o", tap.role.value)
    if isinstance(tap, SwitchTap):
        return ("w", tap.partnership_id)
    if isinstance(tap, StopRemindersTap):
        return ("x", tap.partnership_id)
    if isinstance(tap, DetailTap):
        return ("d", tap.partnership_id, str(tap.round))
    if isinstance(tap, ForgetTap):
        return ("f", "yes" if tap.confirmed else "no", str(tap.issued))
    return ("g",)


def unpack(data: str) -> Tap | None:
    """The tap ``data`` stands for; None for anything the bot did not make."""
    prefix, *args = data.split(":")
    if not all(args) or len(data.encode()) > MAX_BYTES:
        return None
    if prefix in ("a", "c") and len(args) == 4 and _ROUND.fullmatch(args[1]):
        kind = AnswerTap if prefix == "a" else ChangeTap
        if args[3] == NOT_YET:
            return kind(args[0], int(args[1]), args[2], None, not_yet=True)
        if args[3] not in _SCORES:
            return None
        return kind(args[0], int(args[1]), args[2], _SCORES[args[3]])
    if prefix in ("e", "n") and len(args) == 3 and _ROUND.fullmatch(args[1]):
        question = ReviewTap if prefix == "e" else NoteTap
        return question(args[0], int(args[1]), args[2])
    if prefix == "f" and len(args) == 2 and args[0] in _FORGET and _SECONDS.fullmatch(args[1]):
        return ForgetTap(_FORGET[args[0]], int(args[1]))
    if prefix == "d" and len(args) == 2 and _ROUND.fullmatch(args[1]):
        return DetailTap(args[0], int(args[1]))
    if prefix == "k" and len(args) == 4 and _ROUND.fullmatch(args[1]) and args[3] in _REVISIT:
        return KeepTextTap(args[0], int(args[1]), args[2], _REVISIT[args[3]])
    if prefix == "v" and len(args) == 3 and _ROUND.fullmatch(args[1]) and args[2] in _REVISIT:
        return RevisitTap(args[0], int(args[1]), _REVISIT[args[2]])
    if len(args) == 1:
        return _single(prefix, args[0])
    if prefix == "g" and not args:
        return ContinueTap()
    return None


def _single(prefix: str, value: str) -> Tap | None:
    if prefix == "l":
        language = next((code for code in LANGUAGES if code == value), None)
        return None if language is None else LanguageTap(language)
    if prefix == "o":
        role = next((r for r in Role if r.value == value), None)
        return None if role is None else RoleTap(role)
    if prefix == "w":
        return SwitchTap(value)
    if prefix == "x":
        return StopRemindersTap(value)
    return None
