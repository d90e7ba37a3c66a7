"""What flows/ hands back to a transport: messages to send or edit, short notices, files.

Buttons carry a compact ``data`` string (Telegram's callback_data allows 1-64 bytes).
Every answer button names its partnership, round and theme, so that a stale or doubled
tap can never answer another question than the one it was shown with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from flows.errors import UnknownActionError

MAX_DATA_BYTES = 64
SKIP = "s"


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str | None = None
    url: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class Send:
    """A new message to ``chat_id`` (a private chat's id is the user's id)."""

    chat_id: int
    text: str
    keyboard: Keyboard = ()


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text and buttons of the message whose button was tapped."""

    text: str
    keyboard: Keyboard = ()


@dataclass(frozen=True, slots=True)
class Notice:
    """A short notice shown to the user who tapped a button (a toast)."""

    text: str


@dataclass(frozen=True, slots=True)
class SendPhoto:
    chat_id: int
    png: bytes
    caption: str


@dataclass(frozen=True, slots=True)
class SendDocument:
    chat_id: int
    content: bytes
    filename: str
    caption: str


Action = Send | Edit | Notice | SendPhoto | SendDocument


class Kind(Enum):
    """What a button does; the value is its one-letter prefix in the data string."""

    ANSWER = "a"  # a:<partnership>:<round>:<theme>:<1-5|s>
    CHANGE = "c"  # c:<partnership>:<round>:<theme>:<1-5|s>, an answer changed from /review
    REVIEW = "e"  # e:<partnership>:<round>:<theme>, show a theme to change its answer
    NOTE = "n"  # n:<partnership>:<round>:<theme>
    LANGUAGE = "l"  # l:<nl|en>
    ROLE = "o"  # o:<social|business|facilitator>
    SWITCH = "w"  # w:<partnership>
    CONTINUE = "g"  # g
    STOP_REMINDERS = "x"  # x:<partnership>
    FORGET = "f"  # f:<yes|no>, confirming /forget


_ARITY = {
    Kind.ANSWER: 4,
    Kind.CHANGE: 4,
    Kind.REVIEW: 3,
    Kind.NOTE: 3,
    Kind.LANGUAGE: 1,
    Kind.ROLE: 1,
    Kind.SWITCH: 1,
    Kind.CONTINUE: 0,
    Kind.STOP_REMINDERS: 1,
    Kind.FORGET: 1,
}


_ROUND_KINDS = (Kind.ANSWER, Kind.CHANGE, Kind.REVIEW, Kind.NOTE)
_ROUND = re.compile(r"[1-9][0-9]{0,3}")


@dataclass(frozen=True, slots=True)
class Tap:
    """A parsed button press."""

    kind: Kind
    args: tuple[str, ...]

    @property
    def partnership_id(self) -> str:
        return self.args[0]

    @property
    def round(self) -> int:
        return int(self.args[1])

    @property
    def theme_id(self) -> str:
        return self.args[2]

    @property
    def score(self) -> int | None:
        """1-5, or None for a skipped question."""
        value = self.args[3]
        return None if value == SKIP else int(value)


def encode(kind: Kind, *args: object) -> str:
    data = ":".join((kind.value, *(str(a) for a in args)))
    if len(data.encode()) > MAX_DATA_BYTES or len(args) != _ARITY[kind]:
        raise ValueError(f"button data for {kind.name} does not fit: {data!r}")
    return data


def decode(data: str) -> Tap:
    """Parse button data, rejecting anything a modified client could make up."""
    prefix, *args = data.split(":")
    try:
        kind = Kind(prefix)
    except ValueError:
        raise UnknownActionError(f"unknown button kind {prefix!r}") from None
    if len(args) != _ARITY[kind] or not all(args):
        raise UnknownActionError(f"malformed {kind.name} button")
    if kind in _ROUND_KINDS and not _ROUND.fullmatch(args[1]):
        raise UnknownActionError(f"bad round in {kind.name} button")
    if kind in (Kind.ANSWER, Kind.CHANGE) and args[3] not in {"1", "2", "3", "4", "5", SKIP}:
        raise UnknownActionError(f"bad score in {kind.name} button")
    return Tap(kind, tuple(args))
