"""The small interface flows/ uses to read and write; implementations live beside it."""

from __future__ import annotations

from typing import Protocol

from storage.records import Answer, Changes, Invite, Member, Participant, Partnership


class Repository(Protocol):
    """Reads return plain records; every write goes through ``commit`` as one transaction."""

    async def participant(self, user_id: int) -> Participant | None: ...

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

    async def invite(self, token: str) -> Invite | None: ...

    async def invites(self, partnership_id: str) -> list[Invite]: ...

    async def commit(self, changes: Changes) -> None:
        """Write every row of ``changes`` in one transaction."""
        ...
