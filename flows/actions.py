"""What flows/ hands back to a transport: messages to send or edit, short notices, files.

Buttons carry a typed tap: what pressing them means, in plain fields. How a tap travels (a
transport's own button data, its size limit) is the transport's business. Every question
button names its partnership, round and theme, so that a stale or doubled tap can never answer
another question than the one it was shown with.

Likewise a message is handed over whole: a transport with a length limit splits ``SendLong``
at its blocks, and fills links to itself into ``SendLinked``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from flows.canvas import Language
from flows.model import Outgoing, Role

Point = Literal[1, 2, 3, 4, 5]
POINTS: tuple[Point, ...] = (1, 2, 3, 4, 5)
Score = Point | None  # None: no score (skipped, or "not yet relevant")


@dataclass(frozen=True, slots=True)
class PartnershipTap:
    """A button about one partnership, which it names."""

    partnership_id: str


@dataclass(frozen=True, slots=True)
class RoundTap(PartnershipTap):
    """A button bound to one round of a partnership: stale once another round began."""

    round: int


@dataclass(frozen=True, slots=True)
class QuestionTap(RoundTap):
    """A button on one question: which partnership, round and theme it was shown with."""

    theme_id: str


@dataclass(frozen=True, slots=True)
class ScoreTap(QuestionTap):
    """A statement's point or an ambition's option (its place, 1-based); with score None,
    "not yet relevant" when ``not_yet``, else a skip."""

    score: Score
    not_yet: bool = False


@dataclass(frozen=True, slots=True)
class AnswerTap(ScoreTap):
    """An answer given on the question card."""


@dataclass(frozen=True, slots=True)
class ChangeTap(ScoreTap):
    """An answer changed from /review."""


@dataclass(frozen=True, slots=True)
class ReviewTap(QuestionTap):
    """Show an answered theme again, to change its answer."""


@dataclass(frozen=True, slots=True)
class NoteTap(QuestionTap):
    """Add or change the note to an answered theme."""


@dataclass(frozen=True, slots=True)
class KeepTextTap(QuestionTap):
    """The answer to "keep what you typed as a note to this question?"."""

    keep: bool


@dataclass(frozen=True, slots=True)
class RevisitTap(RoundTap):
    """The answer to "you skipped some statements: answer them now?" (``now``: yes)."""

    now: bool


@dataclass(frozen=True, slots=True)
class LanguageTap:
    language: Language


@dataclass(frozen=True, slots=True)
class RoleTap:
    role: Role


@dataclass(frozen=True, slots=True)
class SwitchTap(PartnershipTap):
    """Make this partnership the active one."""


@dataclass(frozen=True, slots=True)
class ContinueTap:
    """Continue where the participant left off."""


@dataclass(frozen=True, slots=True)
class StopRemindersTap(PartnershipTap):
    """No more reminders about this partnership."""


@dataclass(frozen=True, slots=True)
class DetailTap(RoundTap):
    """Show the whole summary of a partnership's round (the button under its first message)."""


@dataclass(frozen=True, slots=True)
class ForgetTap:
    """The answer to "erase everything about me?", asked at ``issued`` (Unix seconds): the
    "yes" of a question left unanswered too long no longer erases."""

    confirmed: bool
    issued: int


Tap = (
    AnswerTap
    | ChangeTap
    | ReviewTap
    | NoteTap
    | KeepTextTap
    | RevisitTap
    | LanguageTap
    | RoleTap
    | SwitchTap
    | ContinueTap
    | StopRemindersTap
    | ForgetTap
    | DetailTap
)


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    tap: Tap | None = None
    url: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class Send:
    """A new message to ``chat_id`` (a private chat's id is the user's id).

    ``card``: the question card, sent fresh. The transport tells the journey which message
    it became (``Journey.card_shown``), so that the next fresh card can take its buttons.
    """

    chat_id: int
    text: str
    keyboard: Keyboard = ()
    card: bool = False


@dataclass(frozen=True, slots=True)
class SendLong:
    """A text that may be longer than one message: blocks, kept whole where they fit."""

    chat_id: int
    blocks: tuple[str, ...]


class BotLinks(Protocol):
    """How a transport names itself: its handle, and a link that opens it with a payload."""

    @property
    def username(self) -> str: ...

    def start(self, payload: str) -> str: ...


@dataclass(frozen=True, slots=True)
class SendLinked:
    """A message that names the bot or links to it; the transport fills its links in.

    ``invite`` is the invite token the link carries, if it is an invite.
    """

    chat_id: int
    text: Callable[[BotLinks], str]
    invite: str | None = None


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text and buttons of the message whose button was tapped.

    ``card``: the tapped message becomes the question card; should the transport have to
    send it anew instead, it tells the journey which message that is, as for a fresh card.
    """

    text: str
    keyboard: Keyboard = ()
    card: bool = False


@dataclass(frozen=True, slots=True)
class ClearButtons:
    """Take the buttons away from an older message (a question card that is no longer the
    live one). Telegram may refuse (the message is gone or too old): that is no failure."""

    chat_id: int
    message_id: int


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


Action = Send | SendLong | SendLinked | Edit | ClearButtons | Notice | SendPhoto | SendDocument

# What can wait in an outbox: addressed to a chat, and whole (no links still to fill in).
Deliverable = Send | SendLong | SendPhoto | SendDocument


def outgoing(actions: Iterable[Action], now: datetime) -> list[Outgoing]:
    """The actions as outbox rows, to be committed with the change they tell of."""
    rows = []
    for action in actions:
        if not isinstance(action, Send | SendLong | SendPhoto | SendDocument):
            raise TypeError(f"a {type(action).__name__} cannot wait in the outbox")
        rows.append(Outgoing(action, now))
    return rows
