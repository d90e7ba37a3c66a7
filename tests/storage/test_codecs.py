"""Row encodings (storage/codecs.py): the quick paths an answer takes write the same text
as the general ones, and refuse the same values."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum

import pytest

from flows.model import Answer, Participant, Partnership
from storage.codecs import ANSWERS, PARTICIPANTS, Replace, encode_context, encode_time
from storage.errors import StorageError


class Kind(StrEnum):
    NOTE = "note"


CONTEXTS: list[dict[str, str]] = [
    {},
    {"last": "trust"},
    {"z": "1", "a": "2", "B": "3", "é": "4", "_": "5", "a1": "6", "a:": "7"},
    {"note": 'quotes " and \\ backslash / slash'},
    {"text": "line\nbreak\ttab\r\x00\x1f\x7f control"},
    {"text": "ünïcode ☃ \u2028\u2029 😀 kept as it is"},
    {"lone": "\ud800 surrogate"},
    {Kind.NOTE: Kind.NOTE, "typed": "A&B <b>"},
]


@pytest.mark.parametrize("context", CONTEXTS)
def test_a_context_is_stored_as_jsons_own_text(context: dict[str, str]) -> None:
    """Byte for byte what ``json.dumps`` makes of it (sorted keys, text as typed), and it
    reads back the same."""
    text = encode_context(context)
    assert text == json.dumps(context, ensure_ascii=False, sort_keys=True)
    assert json.loads(text) == context


@pytest.mark.parametrize(
    "context",
    [{"a": 1}, {1: "a"}, {"a": None}, {"a": "b", 2: "c"}, {"a": ["b"]}, {b"a": "b"}],
)
def test_a_context_of_anything_but_text_is_refused(context: dict[object, object]) -> None:
    with pytest.raises(StorageError, match="of type str only"):
        encode_context(context)  # type: ignore[arg-type]


class Moment(datetime):
    """A datetime subclass: takes the general path."""


AMSTERDAM = timezone(timedelta(hours=1))
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC),
        datetime(2026, 3, 1, 10, 30, 0, 5, tzinfo=AMSTERDAM),
        datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc),  # noqa: UP017 (the same object)
        datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(0))),
        Moment(2026, 3, 1, 10, 30, tzinfo=AMSTERDAM),
    ],
)
def test_a_time_is_stored_as_utc_text_with_microseconds(moment: datetime) -> None:
    text = encode_time(moment)
    assert text == "2026-03-01T09:30:00" + f".{moment.microsecond:06d}+00:00"
    assert datetime.fromisoformat(text) == moment


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(StorageError, match="naive"):
        encode_time(datetime(2026, 3, 1, 9, 30))  # noqa: DTZ001 (naive on purpose)
    with pytest.raises(StorageError, match="naive"):
        encode_time(Moment(2026, 3, 1, 9, 30))


def test_a_row_keeps_none_and_text_and_converts_the_rest() -> None:
    """Columns that are stored as they are (optional text and numbers too) pass through."""
    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert PARTICIPANTS.encode(Participant(7, "idle", "nl", None, {}, None)) == (
        7,
        "idle",
        "nl",
        None,
        "{}",
        None,
    )
    assert PARTICIPANTS.encode(Participant(7, "idle", "nl", "p1", {"a": "b"}, at)) == (
        7,
        "idle",
        "nl",
        "p1",
        '{"a": "b"}',
        "2026-03-01T09:30:00.000000+00:00",
    )
    answer = Answer("p1", 2, 7, "trust", "v1", None, None, at, not_yet=True)
    assert ANSWERS.encode(answer) == (
        "p1",
        2,
        7,
        "trust",
        "v1",
        None,
        None,
        "2026-03-01T09:30:00.000000+00:00",
        1,
    )
    noted = Answer("p1", 2, 7, "trust", "v1", 4, "a note", at)
    assert ANSWERS.encode(noted)[5:] == (4, "a note", "2026-03-01T09:30:00.000000+00:00", 0)


def test_a_replace_of_one_field_is_dataclasses_own() -> None:
    """The cache's quick replace gives what ``dataclasses.replace`` gives, and takes no
    record with a field that ``__init__`` does not set."""
    participant = Participant(1, "answering", "nl", "p1", {"last": "trust"}, T0)
    assert Replace(Participant, "context")(participant, {"a": "b"}) == replace(
        participant, context={"a": "b"}
    )
    pact = replace(Partnership("p1", 1, T0, "v1"), meeting_at=T0, summary_round=2)
    for name, value in (("last_activity_at", T0), ("round", 3), ("id", "other")):
        moved = Replace(Partnership, name)(pact, value)
        assert moved == replace(pact, **{name: value})

    @dataclass(frozen=True)
    class Derived:
        a: int
        b: int = field(init=False, default=0)

    with pytest.raises(TypeError, match="not set by __init__"):
        Replace(Derived, "a")
