"""The domain model: roles and the records the repository stores, as frozen dataclasses.

No transport types here: a user is known by the integer id the chat platform gives them.
All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from flows.actions import Deliverable


class Role(StrEnum):
    """What a member is in a partnership."""

    SOCIAL = "social"  # the social enterprise
    BUSINESS = "business"  # the regular business
    FACILITATOR = "facilitator"  # guides the conversation, never answers

    @property
    def answers(self) -> bool:
        return self is not Role.FACILITATOR

    @property
    def counterpart(self) -> Role:
        """The partner role opposite this one (a facilitator has none; it returns itself)."""
        if self is Role.SOCIAL:
            return Role.BUSINESS
        if self is Role.BUSINESS:
            return Role.SOCIAL
        return self


@dataclass(frozen=True, slots=True)
class Participant:
    """One person's conversation with the bot: where they are and in which partnership."""

    user_id: int
    state: str
    language: str
    active_partnership: str | None = None
    # Small pending values of the current step (a theme id awaiting a note, an invite token).
    context: dict[str, str] = field(default_factory=dict)
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Partnership:
    id: str
    created_by: int
    created_at: datetime
    canvas_version: str
    round: int = 1
    meeting_at: datetime | None = None
    last_activity_at: datetime | None = None
    # When the facilitator's briefing for the current meeting_at was sent (None: not yet).
    briefed_at: datetime | None = None
    # The last round whose combined summary was delivered (0: none yet).
    summary_round: int = 0


@dataclass(frozen=True, slots=True)
class Member:
    partnership_id: str
    user_id: int
    role: Role
    organisation: str
    joined_at: datetime
    finished_at: datetime | None = None  # of the partnership's current round
    reminders_sent: int = 0
    reminded_at: datetime | None = None  # of the last reminder sent
    reminders_off: bool = False  # the member asked for no more reminders
    unreachable: bool = False  # the user blocked the bot


# The user id left in created_by and used_by where the person asked to be forgotten: a row
# that must stay (the partnership, the invite the partner joined with) keeps no trace of them.
ERASED: Final = 0


@dataclass(frozen=True, slots=True)
class Invite:
    # The secret of the link when made; read back from storage, its SHA-256 digest (only
    # the digest is stored). Writing back an invite that was read updates the same row.
    token: str
    partnership_id: str
    role: Role  # the role this link admits
    created_by: int
    created_at: datetime
    expires_at: datetime
    used_by: int | None = None
    used_at: datetime | None = None
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class Answer:
    partnership_id: str
    round: int
    user_id: int
    theme_id: str
    canvas_version: str
    score: int | None  # 1..5 (an ambition: the chosen option, 1..3); None: no score
    note: str | None
    answered_at: datetime
    # With score None: True is "not yet relevant" (the phases are not linear, so a young
    # partnership may honestly find a statement premature), False is a skip.
    not_yet: bool = False


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one update needs about one person, read in one go."""

    participant: Participant | None
    memberships: list[Member]
    partnership: Partnership | None  # the active one (or the one asked for)
    members: list[Member]  # of that partnership, in order of joining
    answers: list[Answer]  # the person's, in that partnership's current round
    # user id -> stored language, of that partnership's members who have a participant row.
    languages: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reminded:
    """A reminder went to a member at ``at``; ``counts`` towards the maximum (idle nudges) or
    not (meeting reminders, which only restart the idle clock)."""

    partnership_id: str
    user_id: int
    at: datetime
    counts: bool


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message in the outbox: stored with the change that causes it, sent by the transport.

    Sent per chat in the order of ``id`` (given by storage), retried until the transport
    has delivered it; ``parts_sent`` counts the messages of a text split in several that
    already went, so a retry sends only the rest.
    """

    action: Deliverable
    created_at: datetime
    id: int = 0  # 0: not stored yet
    attempts: int = 0
    next_attempt_at: datetime | None = None  # None: at once
    parts_sent: int = 0

    @property
    def chat_id(self) -> int:
        return self.action.chat_id


@dataclass(slots=True)
class Changes:
    """One unit of work: every row here is written in one transaction, or none is.

    Each row list is an upsert by the row's natural key:
    participants by user_id; partnerships by id; members by (partnership_id, user_id);
    invites by token; answers by (partnership_id, round, user_id, theme_id).
    ``reminded``, ``briefed``, ``unreachable`` and ``reopened`` are targeted updates of a few
    columns of existing rows, applied after the upserts: the scheduled jobs that make them
    read rows a while before they write, and a whole-row write would undo what the
    participants did meanwhile (finishing, a new round) or bring back an erased member.
    """

    participants: list[Participant] = field(default_factory=list)
    partnerships: list[Partnership] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    invites: list[Invite] = field(default_factory=list)
    # Storing an answer also moves its partnership's last_activity_at forward to
    # answered_at (never back): no partnership row needs rewriting for that.
    answers: list[Answer] = field(default_factory=list)
    # Sets reminded_at and, if it counts, adds one to reminders_sent of an existing member.
    reminded: list[Reminded] = field(default_factory=list)
    # (partnership id, moment): sets briefed_at of an existing partnership.
    briefed: list[tuple[str, datetime]] = field(default_factory=list)
    # (partnership id, user id, unreachable): sets the flag of an existing member only, so
    # marking a member who was erased meanwhile cannot bring their row back.
    unreachable: list[tuple[str, int, bool]] = field(default_factory=list)
    # Partnership ids whose existing members' finished_at is cleared (a new round).
    reopened: list[str] = field(default_factory=list)
    # Messages to send once this unit is committed: the change and its news are stored
    # together, so a crash or a failing chat loses neither (see bot/outbox.py).
    outbox: list[Outgoing] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(
            self.participants
            or self.partnerships
            or self.members
            or self.invites
            or self.answers
            or self.reminded
            or self.briefed
            or self.unreachable
            or self.reopened
            or self.outbox
        )
