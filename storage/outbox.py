"""The outbox on SQLite: messages stored with their cause, read and marked by the sender.

A row holds one ``Deliverable`` as JSON text: its kind and fields, a button's tap as its type
name and fields, file contents as base64. How a tap travels over Telegram is bot/'s business;
this is only the stored form of what flows/ handed over. Rows are written with the unit of
work that causes them (the ``outbox`` key of its payload); the sender marks them sent, moves
their next attempt or drops them through the same group commit.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import typing
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, Final

from flows.actions import (
    Button,
    Deliverable,
    Keyboard,
    Send,
    SendDocument,
    SendLong,
    SendPhoto,
    Tap,
)
from flows.model import Outgoing
from storage.codecs import decode_time, encode_time
from storage.errors import StorageError

Payload = dict[str, list[tuple[object, ...]]]
Read = Callable[[str, tuple[object, ...]], Awaitable[list[Any]]]
Commit = Callable[[Payload], Awaitable[None]]

_TAPS: Final[dict[str, type[Any]]] = {cls.__name__: cls for cls in typing.get_args(Tap)}

# The columns a new row is written with, in the order of its payload row.
_NEW_COLUMNS: Final = "chat_id, action, created_at, attempts, next_attempt_at, parts_sent"

# The unit of work's statements for the outbox keys (see storage/statements.py): new rows
# in the order given (so ids follow it), then the sender's marks.
UNIT_STATEMENTS: Final = (
    ("outbox", f"INSERT INTO outbox ({_NEW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"),  # noqa: S608
    (
        "outbox_sent",
        "UPDATE outbox SET sent_at = ?2, action = NULL, parts_sent = ?3 "
        "WHERE id = ?1 AND sent_at IS NULL",
    ),
    (
        "outbox_retry",
        "UPDATE outbox SET attempts = ?2, next_attempt_at = ?3, parts_sent = ?4 "
        "WHERE id = ?1 AND sent_at IS NULL",
    ),
    ("outbox_dropped", "DELETE FROM outbox WHERE id = ?1"),
    ("outbox_chats", "DELETE FROM outbox WHERE sent_at IS NULL AND chat_id = ?1"),
    ("outbox_clean", "DELETE FROM outbox WHERE sent_at < ?1"),
)

# forget_user writes the notices to the others in its own transaction.
INSERT_ROW: Final = UNIT_STATEMENTS[0][1]

# Unsent rows due at ?1, oldest first, but none behind an earlier row of its chat that waits
# for a later attempt: a chat's messages arrive in the order they were written.
SELECT_DUE: Final = """
SELECT id, action, created_at, attempts, next_attempt_at, parts_sent FROM outbox AS o
WHERE o.sent_at IS NULL AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?1)
  AND NOT EXISTS (
    SELECT 1 FROM outbox AS e
    WHERE e.chat_id = o.chat_id AND e.sent_at IS NULL AND e.id < o.id AND e.next_attempt_at > ?1)
ORDER BY o.id LIMIT ?2
"""
SELECT_SENT: Final = "SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL AND chat_id = ?"


def row_of(outgoing: Outgoing) -> tuple[object, ...]:
    """The payload row of a new outbox entry (columns as ``_NEW_COLUMNS``)."""
    due = outgoing.next_attempt_at
    return (
        outgoing.chat_id,
        encode_action(outgoing.action),
        encode_time(outgoing.created_at),
        outgoing.attempts,
        None if due is None else encode_time(due),
        outgoing.parts_sent,
    )


def encode_action(action: Deliverable) -> str:
    body: dict[str, object]
    if isinstance(action, Send):
        body = {"kind": "send", "text": action.text, "keyboard": _keyboard(action.keyboard)}
    elif isinstance(action, SendLong):
        body = {"kind": "long", "blocks": list(action.blocks)}
    elif isinstance(action, SendPhoto):
        body = {"kind": "photo", "png": _b64(action.png), "caption": action.caption}
    elif isinstance(action, SendDocument):
        body = {
            "kind": "document",
            "content": _b64(action.content),
            "filename": action.filename,
            "caption": action.caption,
        }
    else:
        raise StorageError(f"the outbox cannot hold a {type(action).__name__}")
    body["chat_id"] = action.chat_id
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def decode_action(text: str) -> Deliverable:
    body = json.loads(text)
    chat_id, kind = int(body["chat_id"]), body["kind"]
    if kind == "send":
        return Send(chat_id, body["text"], _unkeyboard(body["keyboard"]))
    if kind == "long":
        return SendLong(chat_id, tuple(body["blocks"]))
    if kind == "photo":
        return SendPhoto(chat_id, base64.b64decode(body["png"]), body["caption"])
    if kind == "document":
        content = base64.b64decode(body["content"])
        return SendDocument(chat_id, content, body["filename"], body["caption"])
    raise StorageError(f"unknown outbox action kind {kind!r}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _keyboard(keyboard: Keyboard) -> list[list[dict[str, object]]]:
    return [[_button(b) for b in row] for row in keyboard]


def _button(button: Button) -> dict[str, object]:
    tap: dict[str, object] | None = None
    if button.tap is not None:
        fields = {f.name: getattr(button.tap, f.name) for f in dataclasses.fields(button.tap)}
        tap = {"type": type(button.tap).__name__, "fields": _plain(fields)}
    return {"label": button.label, "tap": tap, "url": button.url}


def _plain(fields: dict[str, object]) -> dict[str, object]:
    return {k: v.value if isinstance(v, Enum) else v for k, v in fields.items()}


def _unkeyboard(rows: list[list[dict[str, Any]]]) -> Keyboard:
    return tuple(tuple(_unbutton(b) for b in row) for row in rows)


def _unbutton(stored: dict[str, Any]) -> Button:
    tap = stored["tap"]
    return Button(stored["label"], None if tap is None else _tap(tap), stored["url"])


def _tap(stored: dict[str, Any]) -> Tap:
    cls = _TAPS.get(stored["type"])
    if cls is None:
        raise StorageError(f"unknown tap type {stored['type']!r} in the outbox")
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in stored["fields"].items():
        kind = hints[name]
        is_enum = isinstance(kind, type) and issubclass(kind, Enum)
        values[name] = kind(value) if is_enum else value
    tap: Tap = cls(**values)
    return tap


def _decode_row(row: Sequence[Any]) -> Outgoing:
    id_, action, created_at, attempts, next_attempt_at, parts_sent = row
    return Outgoing(
        action=decode_action(action),
        created_at=decode_time(created_at),
        id=int(id_),
        attempts=int(attempts),
        next_attempt_at=None if next_attempt_at is None else decode_time(next_attempt_at),
        parts_sent=int(parts_sent),
    )


class SqliteOutbox:
    """The sender's view of the outbox: due rows, and its marks (group-committed writes)."""

    def __init__(self, read: Read, commit: Commit) -> None:
        self._read = read
        self._commit = commit

    async def due(self, now: datetime, limit: int = 200) -> list[Outgoing]:
        """Unsent rows due at ``now``, oldest first, each chat's in order."""
        rows = await self._read(SELECT_DUE, (encode_time(now), limit))
        return [_decode_row(r) for r in rows]

    async def sent(self, row: Outgoing, at: datetime, parts_sent: int = 0) -> None:
        """Telegram accepted the row: mark it sent and drop its content."""
        await self._commit({"outbox_sent": [(row.id, encode_time(at), parts_sent)]})

    async def retry(self, row: Outgoing, attempts: int, at: datetime, parts_sent: int) -> None:
        """Try the row again at ``at``; ``parts_sent`` of its messages already went."""
        await self._commit({"outbox_retry": [(row.id, attempts, encode_time(at), parts_sent)]})

    async def drop(self, row: Outgoing) -> None:
        """Give the row up (it can never be delivered)."""
        await self._commit({"outbox_dropped": [(row.id,)]})

    async def drop_chat(self, chat_id: int) -> None:
        """Give up every unsent row to one chat (the person blocked the bot)."""
        await self._commit({"outbox_chats": [(chat_id,)]})

    async def clean(self, before: datetime) -> None:
        """Delete the rows sent before ``before``."""
        await self._commit({"outbox_clean": [(encode_time(before),)]})

    async def sent_count(self, chat_id: int) -> int:
        """How many rows to one chat are marked sent (and not cleaned yet)."""
        [(count,)] = await self._read(SELECT_SENT, (chat_id,))
        return int(count)
