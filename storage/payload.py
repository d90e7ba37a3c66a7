"""A unit of work as the rows of each UNIT_OF_WORK statement (storage/statements.py)."""

from __future__ import annotations

from dataclasses import replace

from flows.model import Changes
from storage.codecs import (
    ANSWERS,
    INVITES,
    MEMBERS,
    PARTICIPANTS,
    PARTNERSHIPS,
    encode_time,
    token_digest,
)
from storage.outbox import row_of
from storage.writer import Payload


def unit_payload(changes: Changes) -> Payload:
    """The unit-of-work payload of ``changes``: table rows first, in writing order."""
    return {
        "partnerships": [PARTNERSHIPS.encode(p) for p in changes.partnerships],
        "participants": [PARTICIPANTS.encode(p) for p in changes.participants],
        "members": [MEMBERS.encode(m) for m in changes.members],
        "invites": [
            INVITES.encode(replace(i, token=token_digest(i.token))) for i in changes.invites
        ],
        "answers": [ANSWERS.encode(a) for a in changes.answers],
        "reminded": [
            (r.partnership_id, r.user_id, encode_time(r.at), 1 if r.counts else 0)
            for r in changes.reminded
        ],
        "briefed": [(pid, encode_time(at)) for pid, at in changes.briefed],
        "unreachable": [(pid, uid, 1 if flag else 0) for pid, uid, flag in changes.unreachable],
        "reopened": [(pid,) for pid in changes.reopened],
        "outbox": [row_of(o) for o in changes.outbox],
    }
