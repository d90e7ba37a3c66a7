"""The Repository in dicts, for fast flow tests, with the semantics of the SQLite one.

A commit is all-or-nothing: the unit of work is applied to copies of the tables, checking
what SQLite's constraints check (a member, invite or answer needs its partnership; a score
is 1..5 or None; one member per role in a partnership; round >= 1; datetimes are
timezone-aware), and the copies replace the tables only when every row passed.
Datetimes are normalised to UTC, as SQLite stores them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from flows.model import (
    ERASED,
    Answer,
    Changes,
    Invite,
    Member,
    Participant,
    Partnership,
    Role,
    Snapshot,
)
from storage.errors import StorageError
from storage.export import distinct_ids, sort_export

logger = logging.getLogger(__name__)

_AnswerKey = tuple[str, int, int, str]


@dataclass(slots=True)
class _Tables:
    participants: dict[int, Participant] = field(default_factory=dict)
    partnerships: dict[str, Partnership] = field(default_factory=dict)
    members: dict[tuple[str, int], Member] = field(default_factory=dict)
    invites: dict[str, Invite] = field(default_factory=dict)
    answers: dict[_AnswerKey, Answer] = field(default_factory=dict)

    def copy(self) -> _Tables:
        return _Tables(
            dict(self.participants),
            dict(self.partnerships),
            dict(self.members),
            dict(self.invites),
            dict(self.answers),
        )


class InMemoryRepository:
    """The Repository Protocol on dicts; nothing survives the object."""

    def __init__(self) -> None:
        self._tables = _Tables()

    # ------------------------------------------------------------------------- reads

    async def participant(self, user_id: int) -> Participant | None:
        stored = self._tables.participants.get(user_id)
        # A fresh context dict, as a database read would give: callers may mutate it.
        return None if stored is None else replace(stored, context=dict(stored.context))

    async def snapshot(self, user_id: int, partnership_id: str | None = None) -> Snapshot:
        """Everything one update needs, as the SQLite repository reads it in one statement."""
        participant = await self.participant(user_id)
        if partnership_id is None and participant is not None:
            partnership_id = participant.active_partnership
        partnership = None if partnership_id is None else await self.partnership(partnership_id)
        if partnership is None:
            return Snapshot(participant, await self.memberships(user_id), None, [], [])
        return Snapshot(
            participant,
            await self.memberships(user_id),
            partnership,
            await self.members(partnership.id),
            await self.answers(partnership.id, partnership.round, user_id),
        )

    async def partnership(self, partnership_id: str) -> Partnership | None:
        return self._tables.partnerships.get(partnership_id)

    async def members(self, partnership_id: str) -> list[Member]:
        """Members of one partnership, in order of joining."""
        found = [m for m in self._tables.members.values() if m.partnership_id == partnership_id]
        return sorted(found, key=lambda m: (m.joined_at, m.user_id))

    async def memberships(self, user_id: int) -> list[Member]:
        """Every partnership membership of one user, in order of joining."""
        found = [m for m in self._tables.members.values() if m.user_id == user_id]
        return sorted(found, key=lambda m: (m.joined_at, m.partnership_id))

    async def answers(
        self, partnership_id: str, round_: int, user_id: int | None = None
    ) -> list[Answer]:
        """Answers of one round, of one user or of all members, in order of answering."""
        found = [
            a
            for a in self._tables.answers.values()
            if a.partnership_id == partnership_id
            and a.round == round_
            and (user_id is None or a.user_id == user_id)
        ]
        return sorted(found, key=lambda a: (a.answered_at, a.user_id, a.theme_id))

    async def answer_counts(self, partnership_id: str, round_: int) -> dict[int, int]:
        """user_id -> number of themes answered or skipped in that round."""
        counts: dict[int, int] = {}
        for a in self._tables.answers.values():
            if a.partnership_id == partnership_id and a.round == round_:
                counts[a.user_id] = counts.get(a.user_id, 0) + 1
        return counts

    async def invite(self, token: str) -> Invite | None:
        return self._tables.invites.get(token)

    async def invites(self, partnership_id: str) -> list[Invite]:
        """Invites of one partnership, oldest first."""
        found = [i for i in self._tables.invites.values() if i.partnership_id == partnership_id]
        return sorted(found, key=lambda i: (i.created_at, i.token))

    async def meetings_between(self, start: datetime, end: datetime) -> list[Partnership]:
        """Partnerships whose meeting_at is in [start, end), by meeting_at (then id)."""
        start, end = _utc(start), _utc(end)
        found = [
            p
            for p in self._tables.partnerships.values()
            if p.meeting_at is not None and start <= p.meeting_at < end
        ]
        return sorted(found, key=lambda p: (p.meeting_at, p.id))

    async def idle_members(self, idle_since: datetime) -> list[Member]:
        """Unfinished answering members, reachable and not opted out, quiet since then."""
        idle_since = _utc(idle_since)
        found = []
        for m in self._tables.members.values():
            if not m.role.answers or m.finished_at is not None:
                continue
            if m.reminders_off or m.unreachable:
                continue
            participant = self._tables.participants.get(m.user_id)
            seen = None if participant is None else participant.updated_at
            if seen is None or seen < idle_since:
                found.append(m)
        return sorted(found, key=lambda m: (m.partnership_id, m.joined_at, m.user_id))

    async def inactive_partnerships(self, before: datetime) -> list[str]:
        """Ids of partnerships whose last activity (else creation) is before ``before``."""
        before = _utc(before)
        found = [
            (p.last_activity_at or p.created_at, p.id)
            for p in self._tables.partnerships.values()
            if (p.last_activity_at or p.created_at) < before
        ]
        return [pid for _, pid in sorted(found)]

    async def export_user(self, user_id: int) -> dict[str, object]:
        """Everything stored about one person, as JSON-ready data (datetimes as ISO text)."""
        tables = self._tables
        stored = tables.participants.get(user_id)
        participant: dict[str, object] | None = None
        if stored is not None:
            participant = {
                "state": stored.state,
                "language": stored.language,
                "active_partnership": stored.active_partnership,
                "context": dict(stored.context),
                "updated_at": _iso_or_none(stored.updated_at),
            }
        memberships = [
            {
                "partnership_id": m.partnership_id,
                "role": m.role.value,
                "organisation": m.organisation,
                "joined_at": _iso(m.joined_at),
                "finished_at": _iso_or_none(m.finished_at),
                "reminders_sent": m.reminders_sent,
                "reminded_at": _iso_or_none(m.reminded_at),
                "reminders_off": m.reminders_off,
                "unreachable": m.unreachable,
            }
            for m in tables.members.values()
            if m.user_id == user_id
        ]
        answers = [
            {
                "partnership_id": a.partnership_id,
                "round": a.round,
                "theme_id": a.theme_id,
                "canvas_version": a.canvas_version,
                "score": a.score,
                "note": a.note,
                "answered_at": _iso(a.answered_at),
                "not_yet": a.not_yet,
            }
            for a in tables.answers.values()
            if a.user_id == user_id
        ]
        invites = [
            {
                "partnership_id": i.partnership_id,
                "role": i.role.value,
                "created_at": _iso(i.created_at),
                "expires_at": _iso(i.expires_at),
                "used": i.used_by is not None,
                "used_at": _iso_or_none(i.used_at),
                "revoked": i.revoked,
            }
            for i in tables.invites.values()
            if i.created_by == user_id
        ]
        return sort_export(
            {
                "user_id": user_id,
                "participant": participant,
                "memberships": memberships,
                "answers": answers,
                "invites": invites,
            }
        )

    # ------------------------------------------------------------------------ writes

    async def commit(self, changes: Changes) -> None:
        """Write every row of ``changes``, or none: ``StorageError`` on a violated constraint."""
        if not changes:
            return
        staged = self._tables.copy()
        # The order of the SQLite repository: partnerships first, they are referred to.
        for partnership in changes.partnerships:
            _check_round(partnership.round)
            if partnership.summary_round < 0:
                raise StorageError("CHECK constraint failed: summary_round >= 0")
            staged.partnerships[partnership.id] = replace(
                partnership,
                created_at=_utc(partnership.created_at),
                meeting_at=_utc_or_none(partnership.meeting_at),
                last_activity_at=_utc_or_none(partnership.last_activity_at),
                briefed_at=_utc_or_none(partnership.briefed_at),
            )
        for participant in changes.participants:
            staged.participants[participant.user_id] = replace(
                participant,
                context=_context(participant.context),
                updated_at=_utc_or_none(participant.updated_at),
            )
        for member in changes.members:
            _check_partnership(staged, member.partnership_id)
            role = _role(member.role)
            for other in staged.members.values():
                if (
                    other.partnership_id == member.partnership_id
                    and other.role is role
                    and other.user_id != member.user_id
                ):
                    raise StorageError("UNIQUE constraint failed: members.partnership_id, role")
            if member.reminders_sent < 0:
                raise StorageError("CHECK constraint failed: reminders_sent >= 0")
            staged.members[(member.partnership_id, member.user_id)] = replace(
                member,
                role=role,
                joined_at=_utc(member.joined_at),
                finished_at=_utc_or_none(member.finished_at),
                reminded_at=_utc_or_none(member.reminded_at),
                reminders_off=bool(member.reminders_off),
                unreachable=bool(member.unreachable),
            )
        for invite in changes.invites:
            _check_partnership(staged, invite.partnership_id)
            staged.invites[invite.token] = replace(
                invite,
                role=_role(invite.role),
                created_at=_utc(invite.created_at),
                expires_at=_utc(invite.expires_at),
                used_at=_utc_or_none(invite.used_at),
                revoked=bool(invite.revoked),
            )
        for answer in changes.answers:
            _check_partnership(staged, answer.partnership_id)
            _check_round(answer.round)
            if answer.score is not None and not 1 <= answer.score <= 5:
                raise StorageError("CHECK constraint failed: score")
            key = (answer.partnership_id, answer.round, answer.user_id, answer.theme_id)
            staged.answers[key] = replace(answer, answered_at=_utc(answer.answered_at))
            _touch(staged, answer.partnership_id, answer.answered_at)
        _apply_targeted(staged, changes)
        self._tables = staged
        logger.debug("Committed %d answers", len(changes.answers))

    async def forget_user(self, user_id: int) -> list[str]:
        """Erase one person's answers, memberships, participant row and unused invites."""
        tables = self._tables
        left = sorted(
            (m for m in tables.members.values() if m.user_id == user_id),
            key=lambda m: (m.joined_at, m.partnership_id),
        )
        staged = _Tables(
            participants={k: v for k, v in tables.participants.items() if k != user_id},
            partnerships={
                k: replace(v, created_by=ERASED) if v.created_by == user_id else v
                for k, v in tables.partnerships.items()
            },
            members={k: v for k, v in tables.members.items() if v.user_id != user_id},
            invites={
                k: _erase_from_invite(v, user_id)
                for k, v in tables.invites.items()
                if not (v.created_by == user_id and v.used_by is None)
            },
            answers={k: v for k, v in tables.answers.items() if v.user_id != user_id},
        )
        logger.info(
            "Forgot a user: %d memberships, %d answers, %d invites",
            len(left),
            len(tables.answers) - len(staged.answers),
            len(tables.invites) - len(staged.invites),
        )
        self._tables = staged
        return [m.partnership_id for m in left]

    async def delete_partnerships(self, ids: Sequence[str]) -> int:
        """Delete partnerships with their members, invites and answers; clear pointers."""
        doomed = set(distinct_ids(ids)) & self._tables.partnerships.keys()
        if not doomed:
            return 0
        tables = self._tables
        self._tables = _Tables(
            participants={
                k: replace(v, active_partnership=None) if v.active_partnership in doomed else v
                for k, v in tables.participants.items()
            },
            partnerships={k: v for k, v in tables.partnerships.items() if k not in doomed},
            members={k: v for k, v in tables.members.items() if v.partnership_id not in doomed},
            invites={k: v for k, v in tables.invites.items() if v.partnership_id not in doomed},
            answers={k: v for k, v in tables.answers.items() if v.partnership_id not in doomed},
        )
        logger.info("Deleted %d partnerships", len(doomed))
        return len(doomed)


def _check_partnership(tables: _Tables, partnership_id: str) -> None:
    if partnership_id not in tables.partnerships:
        raise StorageError("FOREIGN KEY constraint failed: no such partnership")


def _check_round(round_: int) -> None:
    if round_ < 1:
        raise StorageError("CHECK constraint failed: round")


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError as exc:
        raise StorageError("CHECK constraint failed: role") from exc


def _context(context: dict[str, str]) -> dict[str, str]:
    """A private copy, as JSON would round-trip it (keys and values are strings)."""
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in context.items()):
        raise StorageError("participant context holds keys and values of type str only")
    return dict(context)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise StorageError("naive datetime: storage keeps timezone-aware UTC times only")
    return value.astimezone(UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def _iso(value: datetime) -> str:
    """The text SQLite stores for a (stored, hence UTC) datetime."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _iso_or_none(value: datetime | None) -> str | None:
    return None if value is None else _iso(value)


def _apply_targeted(tables: _Tables, changes: Changes) -> None:
    """``reminded`` and ``briefed``: a few columns of rows that exist, as SQLite updates them."""
    for reminded in changes.reminded:
        key = (reminded.partnership_id, reminded.user_id)
        if (member := tables.members.get(key)) is not None:
            tables.members[key] = replace(
                member,
                reminded_at=_utc(reminded.at),
                reminders_sent=member.reminders_sent + (1 if reminded.counts else 0),
            )
    for partnership_id, at in changes.briefed:
        if (briefed := tables.partnerships.get(partnership_id)) is not None:
            tables.partnerships[partnership_id] = replace(briefed, briefed_at=_utc(at))


def _erase_from_invite(invite: Invite, user_id: int) -> Invite:
    """The invite with ERASED wherever it named the forgotten user."""
    if invite.created_by == user_id:
        invite = replace(invite, created_by=ERASED)
    if invite.used_by == user_id:
        invite = replace(invite, used_by=ERASED)
    return invite


def _touch(tables: _Tables, partnership_id: str, at: datetime) -> None:
    """Move last_activity_at forward (never back), as SQLite's trigger on answers does."""
    touched = tables.partnerships.get(partnership_id)
    moment = _utc(at)
    if touched is not None and (
        touched.last_activity_at is None or touched.last_activity_at < moment
    ):
        tables.partnerships[partnership_id] = replace(touched, last_activity_at=moment)
