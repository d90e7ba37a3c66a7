"""What a transport hands to flows/: who did what, in plain values."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

from flows.actions import Tap


@dataclass(frozen=True, slots=True)
class User:
    id: int
    language_hint: str | None = None  # the client's language code, e.g. "nl" or "en-GB"


class Command(Enum):
    START = "start"
    RESUME = "resume"
    REVIEW = "review"
    STATUS = "status"
    HELP = "help"
    CANCEL = "cancel"
    SWITCH = "switch"
    NEW = "new"
    INVITE = "invite"
    LANGUAGE = "language"
    SUMMARY = "summary"
    REPORT = "report"
    CSV = "csv"
    PARTNERSHIPS = "partnerships"
    NEWROUND = "newround"
    MEETING = "meeting"
    STOPREMINDERS = "stopreminders"
    PRIVACY = "privacy"
    MYDATA = "mydata"
    FORGET = "forget"


@dataclass(frozen=True, slots=True)
class CommandSent:
    user: User
    command: Command
    argument: str = ""


@dataclass(frozen=True, slots=True)
class TextSent:
    user: User
    text: str


@dataclass(frozen=True, slots=True)
class ButtonTapped:
    """A button pressed; ``tap`` is None when the transport could not read what it meant
    (a button of an old version, or data a modified client made up). ``message_id``: the
    message the button is under, when the transport knows message ids (a tap on an older
    question card makes that card the live one)."""

    user: User
    tap: Tap | None
    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class OtherSent:
    """Anything the journey cannot use: a sticker, photo, voice note, an edit, a group message."""

    user: User
    kind: Literal["media", "edited", "unknown_command", "group"]
    chat_id: int | None = None  # where to answer, when not the user's private chat


Event = CommandSent | TextSent | ButtonTapped | OtherSent
