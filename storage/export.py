"""Helpers of export_user and delete_partnerships: the export's form and order, distinct ids."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final

from storage.errors import StorageError

# How export_user orders its lists: by these keys of each dict, in turn.
EXPORT_ORDER: Final[dict[str, tuple[str, ...]]] = {
    "memberships": ("joined_at", "partnership_id"),
    "answers": ("answered_at", "partnership_id", "round", "theme_id"),
    "invites": ("created_at", "partnership_id", "role", "expires_at", "used_at", "revoked"),
}


def sort_export(export: dict[str, object]) -> dict[str, object]:
    """``export`` with each list of ``EXPORT_ORDER`` sorted (in place), for equal output."""
    for name, keys in EXPORT_ORDER.items():
        rows = export.get(name)
        if isinstance(rows, list):
            rows.sort(key=lambda row: tuple(_sortable(row.get(k)) for k in keys))
    return export


def _sortable(value: object) -> tuple[int, str]:
    """A total order over the plain values of an export (None first; ints numerically)."""
    if value is None:
        return (0, "")
    if isinstance(value, int):  # bool included; rounds and flags are never negative
        return (1, f"{int(value):020d}")
    return (1, str(value))


def distinct_ids(ids: Sequence[str]) -> list[str]:
    """``ids`` without repeats, in order; a lone ``str`` is refused (it is a sequence too)."""
    if isinstance(ids, str):
        raise TypeError("pass a sequence of partnership ids, not one id")
    return list(dict.fromkeys(ids))


def export_of(user_id: int, text: str) -> dict[str, object]:
    """export_user's result from the JSON text of ``SELECT_EXPORT`` (0/1 flags as bools)."""
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise StorageError("export is not a JSON object")
    for membership in raw["memberships"]:
        for flag in ("reminders_off", "unreachable"):
            membership[flag] = bool(membership[flag])
    for answer in raw["answers"]:
        answer["not_yet"] = bool(answer["not_yet"])
    for invite in raw["invites"]:
        for flag in ("used", "revoked"):
            invite[flag] = bool(invite[flag])
    return sort_export({"user_id": user_id, **raw})
