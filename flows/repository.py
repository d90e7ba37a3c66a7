"""The small interface flows/ uses to read and write; storage/ implements it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from flows.model import (
    Answer,
    Changes,
    Invite,
    Member,
    Outgoing,
    Participant,
    Partnership,
    Snapshot,
)


class Repository(Protocol):
    """Reads return plain records; each write is one transaction, in the order of calling."""

    async def participant(self, user_id: int) -> Participant | None: ...

    async def snapshot(self, user_id: int, partnership_id: str | None = None) -> Snapshot:
        """Participant, memberships, and the partnership (default: the active one) with its
        members and this user's answers of its current round: one read per update."""
        ...

    async def partnership(self, partnership_id: str) -> Partnership | None: ...

    async def members(self, partnership_id: str) -> list[Member]:
        """Members of one partnership, in order of joining."""
        ...

    async def memberships(self, user_id: int) -> list[Member]:
        """Every partnership membership of one user, in order of joining."""
        ...

    async def answers(
        self, partnership_id: str, round_: int, user_id: int | None = None
    ) -> list[Answer]:
        """Answers of one round, of one user or of all members."""
        ...

    async def answer_counts(self, partnership_id: str, round_: int) -> dict[int, int]:
        """user_id -> number of themes answered or skipped in that round."""
        ...

    async def invite(self, token: str) -> Invite | None:
        """The invite of a link's token (storage keeps only a digest; ``Invite.token`` is it)."""
        ...

    async def invite_by_digest(self, digest: str) -> Invite | None:
        """The invite whose stored digest this is: for the bot's own bookkeeping, never for a
        token a user sent (a digest copied out of the database must not open an invite)."""
        ...

    async def invites(self, partnership_id: str) -> list[Invite]: ...

    async def meetings_between(self, start: datetime, end: datetime) -> list[Partnership]:
        """Partnerships whose meeting_at is in [start, end), by meeting_at (then id)."""
        ...

    async def idle_members(self, idle_since: datetime) -> list[Member]:
        """Members who still owe answers and have been quiet since ``idle_since``.

        Role social or business, not finished, reminders not off, not unreachable, and the
        user's participant row last updated before ``idle_since`` (no row, or no updated_at,
        counts as idle). Ordered by partnership_id, joined_at (then user_id).
        """
        ...

    async def inactive_partnerships(self, before: datetime) -> list[str]:
        """Ids of partnerships whose last activity (else creation) is before ``before``.

        Oldest activity first (then id).
        """
        ...

    async def export_user(self, user_id: int) -> dict[str, object]:
        """Everything stored about one person, as JSON-ready data (datetimes as ISO text).

        Keys: ``user_id``; ``participant`` (a dict, or None); ``memberships``, ``answers``
        and ``invites`` (those the user created), each a list of dicts. Nothing of other
        people: no partner's ids, names or answers; an invite says whether it was used, not
        by whom, and carries no token.
        """
        ...

    async def commit(self, changes: Changes) -> None:
        """Write every row of ``changes`` in one transaction."""
        ...

    async def forget_user(self, user_id: int, outbox: Sequence[Outgoing] = ()) -> list[str]:
        """Erase one person in one transaction; return the partnerships they were in.

        Their waiting messages go too; ``outbox`` is written in the same transaction.

        Deletes their answers (every partnership and round), member rows, participant row
        and the unused invites they created. The partnerships stay, with the partner's data;
        where a row that stays named them (``created_by`` of a partnership or invite, an
        invite's ``used_by``), it names ``ERASED`` instead, so no trace of their id is left.
        The returned ids are in order of joining.
        """
        ...

    async def delete_partnerships(self, ids: Sequence[str]) -> int:
        """Delete partnerships with their members, invites and answers, in one transaction.

        Clears ``active_partnership`` of participants pointing at them. Returns how many of
        ``ids`` existed (and are now deleted).
        """
        ...

    async def purge_participants(self, before: datetime) -> int:
        """Delete the participant rows of people in no partnership, quiet since ``before``.

        Quiet: ``updated_at`` before ``before``, or none. Returns how many were deleted.
        """
        ...
