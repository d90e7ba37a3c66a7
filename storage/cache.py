"""A write-through cache of the snapshots updates read: no read hop for an active person.

An update reads one snapshot of its person (``Repository.snapshot``) and commits one unit of
work. For someone answering the canvas, the next snapshot is the last one plus that unit, so
the repository keeps each recent person's snapshot in memory and applies every committed
unit to the cached snapshots it touches. Safe because one process is the only writer and each
person's updates run one at a time (bot/ordering.py).

What a unit writes is applied in place only where that is the common case and its effect is
plain: the person's own participant row (while the active partnership stays) and answers of
the current round, the partnership's ``last_activity_at`` that an answer moves, a member's
language. Anything else a unit touches (partnership, member, reminder, briefing, reachability
and new-round rows) drops every cached snapshot that shows it, to be read again. Writes that
are not units (erasure, deletion, the purge) clear the cache.

A read that misses runs while other units commit. Its snapshot is kept only if no unit
applied after the read began wrote its person's rows or a partnership or member row it
shows, so a read of the old state never overwrites what a commit put in; what others' answers
and participant rows change in it (the last activity, a language) is set right as it is
kept, so partners answering at the same time still get their snapshots kept. Capacity is
bounded (least recently used first out). ``CHECK`` (tests set it) compares every hit with a
fresh read.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeVar

from flows.model import Answer, Changes, Member, Participant, Partnership, Snapshot
from storage.codecs import Replace

CAPACITY: Final = 4096  # people; about 4 KiB each, mid-canvas
CHECK = False  # every hit compared with the database (slow: for tests)
_PRUNE_AT: Final = 100_000  # touch marks kept before they are forgotten wholesale
K = TypeVar("K")


_with_context: Final = Replace(Participant, "context")
_with_activity: Final = Replace(Partnership, "last_activity_at")


def _answer_order(answer: Answer) -> tuple[datetime, int, str]:
    """The order of the snapshot's answers in storage (storage/statements.py)."""
    return (answer.answered_at, answer.user_id, answer.theme_id)


@dataclass(slots=True)
class _Entry:
    """One person's cached snapshot, mutable in here only; handed out as a copy."""

    participant: Participant | None
    memberships: list[Member]
    partnership: Partnership | None
    members: list[Member]
    answers: list[Answer]
    languages: dict[int, str]

    @classmethod
    def of(cls, snap: Snapshot) -> _Entry:
        return cls(
            snap.participant,
            list(snap.memberships),
            snap.partnership,
            list(snap.members),
            list(snap.answers),
            dict(snap.languages),
        )

    def snapshot(self) -> Snapshot:
        participant = self.participant
        if participant is not None:  # its context dict is the session's to change
            participant = _with_context(participant, dict(participant.context))
        return Snapshot(
            participant,
            list(self.memberships),
            self.partnership,
            list(self.members),
            list(self.answers),
            dict(self.languages),
        )

    def partnerships(self) -> set[str]:
        ids = {m.partnership_id for m in self.memberships}
        if self.partnership is not None:
            ids.add(self.partnership.id)
        return ids

    def people(self) -> set[int]:
        return {m.user_id for m in self.members}

    def put_answer(self, answer: Answer) -> None:
        answers = [a for a in self.answers if a.theme_id != answer.theme_id]
        answers.append(answer)
        if len(answers) > 1 and _answer_order(answers[-2]) > _answer_order(answer):
            answers.sort(key=_answer_order)
        self.answers = answers


class SnapshotCache:
    """Snapshots by user id, kept in step with every committed unit of work."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self.hits = self.misses = 0
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._by_partnership: dict[str, set[int]] = {}  # partnership id -> cached users
        self._by_member: dict[int, set[int]] = {}  # member's user id -> cached users
        self._tick = 0  # one more per applied unit or clear
        self._cleared_at = 0
        # What units applied since a read began may have changed under it, by the tick of
        # the last such unit: a read touched so is not kept. A person's own rows (only their
        # own updates write them, one at a time); member and partnership rows (structural).
        self._own_touched: dict[int, int] = {}
        self._member_touched: dict[int, int] = {}
        self._partnership_touched: dict[str, int] = {}
        # What others' answers and participant rows change in a snapshot, set right at fill:
        # the partnership's last activity (it only moves forward) and a member's language.
        self._activity: dict[str, datetime] = {}
        self._language: dict[int, str] = {}
        self._pending = 0  # units committing now
        self._started = 0  # units that began committing, ever

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def tick(self) -> int:
        """Where the cache stands now: give it back to ``fill`` with what a read returned."""
        return self._tick

    def get(self, user_id: int) -> Snapshot | None:
        entry = self._entries.get(user_id)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(user_id)
        return entry.snapshot()

    def fill(self, user_id: int, snap: Snapshot, read_at: int) -> None:
        """Keep what a read that began at tick ``read_at`` returned, unless a unit applied
        since then touched it (the read may hold the state before that unit)."""
        entry = _Entry.of(snap)
        if self.capacity <= 0 or not self._untouched(user_id, entry, read_at):
            return
        self._catch_up(entry)
        self._drop(user_id)
        self._entries[user_id] = entry
        self._index(user_id, entry)
        while len(self._entries) > self.capacity:
            oldest = next(iter(self._entries))
            self._drop(oldest)

    def quiet(self) -> int | None:
        """For ``check``: a mark of this moment if no unit is committing now, else None."""
        return self._started if self._pending == 0 else None

    def check(self, user_id: int, hit: Snapshot, read: Snapshot, quiet: int | None) -> None:
        """With ``CHECK``: a hit must equal a read, when no unit was committing as the read
        began (``quiet``) nor began committing since (either may rightly differ)."""
        if quiet is not None and quiet == self._started and hit != read:
            differ = [f for f in Snapshot.__slots__ if getattr(hit, f) != getattr(read, f)]
            raise AssertionError(f"cached snapshot of user {user_id} differs in {differ}")

    def following(self, changes: Changes) -> _Following:
        """Around committing ``changes``: applied once committed; if the commit raised, what
        it touches is dropped (a cancelled caller's unit may have been written all the same)."""
        return _Following(self, changes)

    def clear(self) -> None:
        """Forget everything (after a write that is not a unit of work)."""
        self._entries.clear()
        self._by_partnership.clear()
        self._by_member.clear()
        self._forget_marks()

    def _forget(self, changes: Changes) -> None:
        self._pending -= 1
        self._tick += 1
        users, partnerships = _touched(changes)
        for user_id in users | self._cached_with(users, partnerships):
            self._drop(user_id)
        self._mark(self._member_touched, users)  # whatever it was: as if structural
        self._mark(self._partnership_touched, partnerships)

    def _apply(self, changes: Changes) -> None:
        """A committed unit: update the snapshots it touches, or drop them."""
        self._pending -= 1
        self._tick += 1
        members, structural = _member_users(changes), _structural(changes)
        self._note(changes, members, structural)
        stale = self._cached_with(members, structural) if members or structural else set()
        for p in changes.participants:
            entry = self._entries.get(p.user_id)
            if entry is not None and (
                entry.participant is None
                or entry.participant.active_partnership != p.active_partnership
            ):
                stale.add(p.user_id)
        for user_id in stale:
            self._drop(user_id)
        for p in changes.participants:
            if (entry := self._entries.get(p.user_id)) is not None:
                entry.participant = p
            for user_id in self._by_member.get(p.user_id, ()):
                self._entries[user_id].languages[p.user_id] = p.language
        for a in changes.answers:
            self._put_answer(a)

    # ------------------------------------------------------------------ inside

    def _untouched(self, user_id: int, entry: _Entry, read_at: int) -> bool:
        """Whether no unit applied since tick ``read_at`` changed what ``entry`` shows, other
        than what ``_catch_up`` sets right."""
        if read_at < self._cleared_at or self._own_touched.get(user_id, 0) > read_at:
            return False
        if any(self._partnership_touched.get(p, 0) > read_at for p in entry.partnerships()):
            return False
        people = entry.people() | {user_id}
        return all(self._member_touched.get(u, 0) <= read_at for u in people)

    def _catch_up(self, entry: _Entry) -> None:
        """Others' answers and languages applied while the entry was read."""
        pact = entry.partnership
        latest = self._activity.get(pact.id) if pact is not None else None
        if pact is not None and latest is not None and not _since(pact, latest):
            entry.partnership = _with_activity(pact, latest)
        for member in entry.people():
            if (language := self._language.get(member)) is not None:
                entry.languages[member] = language

    def _note(self, changes: Changes, members: set[int], structural: set[str]) -> None:
        """Remember what ``changes`` touched, for reads under way (see ``_untouched``):
        ``members`` and ``structural`` as ``_member_users`` and ``_structural`` give them."""
        if len(self._own_touched) + len(self._partnership_touched) > _PRUNE_AT:
            self._forget_marks()
        tick, own = self._tick, self._own_touched
        for p in changes.participants:
            own[p.user_id] = tick
            self._language[p.user_id] = p.language
        for a in changes.answers:
            own[a.user_id] = tick
            known = self._activity.get(a.partnership_id)
            if known is None or known < a.answered_at:
                self._activity[a.partnership_id] = a.answered_at
        self._mark(self._member_touched, members)
        self._mark(self._partnership_touched, structural)

    def _put_answer(self, answer: Answer) -> None:
        entry = self._entries.get(answer.user_id)
        pact = entry.partnership if entry is not None else None
        place = (pact.id, pact.round) if pact is not None else None
        if entry is not None and place == (answer.partnership_id, answer.round):
            entry.put_answer(answer)
        # Storing an answer moves its partnership's last activity forward (a trigger). The
        # partners' entries show equal rows: they share one moved row (a frozen record).
        was = moved = None
        for user_id in self._by_partnership.get(answer.partnership_id, ()):
            other = self._entries[user_id]
            shown = other.partnership
            if shown is None or shown.id != answer.partnership_id:
                continue
            if not _since(shown, answer.answered_at):
                if moved is None or (shown is not was and shown != was):
                    was, moved = shown, _with_activity(shown, answer.answered_at)
                other.partnership = moved

    def _cached_with(self, users: set[int], partnerships: set[str]) -> set[int]:
        """Cached people whose snapshot shows one of these members or partnerships."""
        found: set[int] = set()
        for user_id in users:
            found.update(self._by_member.get(user_id, ()))
            if user_id in self._entries:
                found.add(user_id)
        for pid in partnerships:
            found.update(self._by_partnership.get(pid, ()))
        return found

    def _index(self, user_id: int, entry: _Entry) -> None:
        for pid in entry.partnerships():
            self._by_partnership.setdefault(pid, set()).add(user_id)
        for member in entry.people():
            self._by_member.setdefault(member, set()).add(user_id)

    def _drop(self, user_id: int) -> None:
        entry = self._entries.pop(user_id, None)
        if entry is None:
            return
        for pid in entry.partnerships():
            _discard(self._by_partnership, pid, user_id)
        for member in entry.people():
            _discard(self._by_member, member, user_id)

    def _mark(self, marks: dict[K, int], keys: set[K]) -> None:
        for key in keys:
            marks[key] = self._tick

    def _forget_marks(self) -> None:
        """No marks kept: no read that began before now may fill."""
        self._tick += 1
        self._cleared_at = self._tick
        for marks in (self._own_touched, self._member_touched, self._partnership_touched):
            marks.clear()
        self._activity.clear()
        self._language.clear()


class _Following:
    """The context of ``SnapshotCache.following``: a class, as a generator's context (on
    every commit) costs twice as much."""

    __slots__ = ("_cache", "_changes")

    def __init__(self, cache: SnapshotCache, changes: Changes) -> None:
        self._cache = cache
        self._changes = changes

    def __enter__(self) -> None:
        self._cache._pending += 1
        self._cache._started += 1

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self._cache._apply(self._changes)
        else:  # the error goes on
            self._cache._forget(self._changes)


def _since(pact: Partnership, moment: datetime) -> bool:
    """Whether the partnership's last activity is at ``moment`` or later (an answer at
    ``moment`` moves it forward, never back: storage's trigger)."""
    return pact.last_activity_at is not None and pact.last_activity_at >= moment


def _discard(index: dict[K, set[int]], key: K, user_id: int) -> None:
    users = index.get(key)
    if users is not None:
        users.discard(user_id)
        if not users:
            del index[key]


def _member_users(changes: Changes) -> set[int]:
    """People whose member rows the unit writes or updates."""
    if not (changes.members or changes.reminded or changes.unreachable):
        return set()  # an answer's unit: on every commit
    users = {m.user_id for m in changes.members}
    users.update(r.user_id for r in changes.reminded)
    users.update(uid for _, uid, _ in changes.unreachable)
    return users


def _structural(changes: Changes) -> set[str]:
    """Partnerships whose own row or members' rows the unit changes (not just an answer)."""
    if not (
        changes.partnerships
        or changes.members
        or changes.reminded
        or changes.briefed
        or changes.unreachable
        or changes.reopened
    ):
        return set()
    ids = {p.id for p in changes.partnerships}
    ids.update(m.partnership_id for m in changes.members)
    ids.update(r.partnership_id for r in changes.reminded)
    ids.update(pid for pid, _ in changes.briefed)
    ids.update(pid for pid, _, _ in changes.unreachable)
    ids.update(changes.reopened)
    return ids


def _touched(changes: Changes) -> tuple[set[int], set[str]]:
    """Every person and partnership the unit writes anything of."""
    users = _member_users(changes)
    users.update(p.user_id for p in changes.participants)
    users.update(a.user_id for a in changes.answers)
    partnerships = _structural(changes)
    partnerships.update(a.partnership_id for a in changes.answers)
    return users, partnerships
