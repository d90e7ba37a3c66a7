"""Rows to records and back, derived from the records' own fields.

A table's columns are its record's fields, in the same order, under the same names. How a
value is stored follows from the field's type (see storage/schema.py for the conventions):
an aware datetime as ISO text in UTC, a bool as 0/1, an enum as its value, the context dict
as JSON text; ints and strings as they are; ``X | None`` as ``X`` or NULL.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import operator
import re
import sys
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from json.encoder import encode_basestring  # json's own, as with ensure_ascii=False
from typing import Any, Final, Generic, TypeVar

from flows.model import Answer, Invite, Member, Participant, Partnership, Snapshot
from storage.errors import StorageError

R = TypeVar("R")
_DIGEST: Final = re.compile(r"[0-9a-f]{64}")
Row = Sequence[Any]
Convert = Callable[[Any], Any]


def encode_time(value: datetime) -> str:
    """ISO text in UTC with microseconds, so that text order is time order."""
    if type(value) is datetime and value.tzinfo is UTC:  # the usual: already UTC
        return value.isoformat(timespec="microseconds")
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise StorageError("naive datetime: storage keeps timezone-aware UTC times only")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def decode_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def encode_bool(value: bool) -> int:
    return 1 if value else 0


def encode_context(value: dict[str, str]) -> str:
    """The text of ``json.dumps(value, ensure_ascii=False, sort_keys=True)``, made in one
    go (on every answer): each key and value quoted by json's own string encoder, which
    also refuses anything but a str."""
    try:
        pairs = [
            f"{encode_basestring(k)}: {encode_basestring(v)}" for k, v in sorted(value.items())
        ]
    except TypeError:  # a key or value not a str (or keys that do not sort)
        raise StorageError("participant context holds keys and values of type str only") from None
    return "{" + ", ".join(pairs) + "}"


def decode_context(text: str) -> dict[str, str]:
    loaded = json.loads(text)
    if not isinstance(loaded, dict):
        raise StorageError("participant context is not a JSON object")
    return {str(k): str(v) for k, v in loaded.items()}


def sha256_hex(text: str) -> str:
    """The SHA-256 of ``text`` (UTF-8) as 64 lowercase hex digits."""
    return hashlib.sha256(text.encode()).hexdigest()


def token_digest(token: str) -> str:
    """The stored key of an invite token: its SHA-256 as 64 hex digits.

    Only the digest is stored, so a copy of the database cannot be used to join. A value
    that already is a digest (an invite read back from storage) stays as it is, so writing
    back a record read from storage updates its row. A fresh token is never 64 hex digits
    (the journey makes 22 URL-safe characters).
    """
    if _DIGEST.fullmatch(token):
        return token
    return sha256_hex(token)


def _same(value: object) -> object:
    return value


def _converters(kind: object) -> tuple[Convert, Convert]:
    """(encode, decode) for one field type."""
    args = typing.get_args(kind)
    if typing.get_origin(kind) in (typing.Union, types.UnionType) and type(None) in args:
        [inner] = [a for a in args if a is not type(None)]
        encode, decode = _converters(inner)
        return (
            _same if encode is _same else lambda v: None if v is None else encode(v),
            lambda v: None if v is None else decode(v),
        )
    if kind is datetime:
        return encode_time, decode_time
    if kind is bool:
        return encode_bool, bool
    if isinstance(kind, type) and issubclass(kind, Enum):
        enum: type[Enum] = kind
        return (lambda v: enum(v).value), enum
    if typing.get_origin(kind) is dict:
        return encode_context, decode_context
    if kind is str:  # ids, theme ids and versions repeat in every row: one copy in memory
        return _same, sys.intern
    if kind is int:
        return _same, _same
    raise TypeError(f"no storage codec for field type {kind!r}")


@dataclass(frozen=True)
class Codec(Generic[R]):
    """One record type <-> one table row, column by column."""

    record: type[R]
    columns: tuple[str, ...]
    encoders: tuple[Convert, ...]
    decoders: tuple[Convert, ...]

    @classmethod
    def of(cls, record: type[R]) -> Codec[R]:
        hints = typing.get_type_hints(record)
        names = tuple(f.name for f in dataclasses.fields(record))  # type: ignore[arg-type]
        pairs = [_converters(hints[name]) for name in names]
        return cls(record, names, tuple(e for e, _ in pairs), tuple(d for _, d in pairs))

    @property
    def column_list(self) -> str:
        """The columns as SQL text: ``a, b, c``."""
        return ", ".join(self.columns)

    def encode(self, record: R) -> tuple[object, ...]:
        """The row of ``record``, in column order (on every commit: only the values that
        need it are converted)."""
        values = list(self._values(record))
        for place, encode in self._converted:
            values[place] = encode(values[place])
        return tuple(values)

    @functools.cached_property
    def _values(self) -> Callable[[R], tuple[object, ...]]:
        return operator.attrgetter(*self.columns)

    @functools.cached_property
    def _converted(self) -> tuple[tuple[int, Convert], ...]:
        return tuple((i, e) for i, e in enumerate(self.encoders) if e is not _same)

    def decode(self, row: Row) -> R:
        """The record of ``row`` (a row in column order, or its JSON array)."""
        values = (decode(v) for decode, v in zip(self.decoders, row, strict=True))
        return self.record(*values)


class Replace(Generic[R]):
    """``dataclasses.replace(record, <name>=value)`` for one field of a record type whose
    fields all go to ``__init__``: its values in order, one swapped (no look at every
    field's kind on each call, as ``replace`` makes: the snapshot cache's, on each answer)."""

    def __init__(self, record: type[R], name: str) -> None:
        names = [f.name for f in dataclasses.fields(record)]  # type: ignore[arg-type]
        if not all(f.init for f in dataclasses.fields(record)):  # type: ignore[arg-type]
            raise TypeError(f"{record.__name__} has a field not set by __init__")
        self._record = record
        self._place = names.index(name)
        self._values = operator.attrgetter(*names)

    def __call__(self, record: R, value: object) -> R:
        values = list(self._values(record))
        values[self._place] = value
        return self._record(*values)


PARTICIPANTS: Final = Codec.of(Participant)
PARTNERSHIPS: Final = Codec.of(Partnership)
MEMBERS: Final = Codec.of(Member)
INVITES: Final = Codec.of(Invite)
ANSWERS: Final = Codec.of(Answer)


def decode_snapshot(row: Row) -> Snapshot:
    """The row of SELECT_SNAPSHOT: six JSON cells (storage/statements.py)."""
    me, memberships, pact, members, answers, languages = (
        None if cell is None else json.loads(cell) for cell in row
    )
    return Snapshot(
        participant=None if me is None else PARTICIPANTS.decode(me),
        memberships=[MEMBERS.decode(r) for r in memberships or ()],
        partnership=None if pact is None else PARTNERSHIPS.decode(pact),
        members=[MEMBERS.decode(r) for r in members or ()],
        answers=[ANSWERS.decode(r) for r in answers or ()],
        languages={int(user): str(code) for user, code in (languages or {}).items()},
    )
