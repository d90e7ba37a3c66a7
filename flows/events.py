"""What a transport hands to flows/: who did what, in plain values."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


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
    user: User
    data: str


Event = CommandSent | TextSent | ButtonTapped
