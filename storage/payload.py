"""A unit of work as the rows of each UNIT_OF_WORK statement (storage/statements.py)."""

from __future__ import annotations

from dataclasses import replace

from flows.model import Changes, Invite, Reminded
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
from storage.transactions import Payload


def unit_payload(changes: Changes) -> Payload:
    """The unit-of-work payload of ``changes``: table rows first, in writing order.

    Only the kinds of rows ``changes`` holds have a key (the writer passes over a missing
    one): an answer's unit holds two of ten, and it is made on every answer.
    """
    payload: Payload = {}
    if changes.partnerships:
        payload["partnerships"] = list(map(PARTNERSHIPS.encode, changes.partnerships))
    if changes.participants:
        payload["participants"] = list(map(PARTICIPANTS.encode, changes.participants))
    if changes.members:
        payload["members"] = list(map(MEMBERS.encode, changes.members))
    if changes.invites:
        payload["invites"] = list(map(_invite_row, changes.invites))
    if changes.answers:
        payload["answers"] = list(map(ANSWERS.encode, changes.answers))
    if changes.reminded:
        payload["reminded"] = list(map(_reminded_row, changes.reminded))
    if changes.briefed:
        payload["briefed"] = [(pid, encode_time(at)) for pid, at in changes.briefed]
    if changes.unreachable:
        payload["unreachable"] = [(p, u, 1 if flag else 0) for p, u, flag in changes.unreachable]
    if changes.reopened:
        payload["reopened"] = [(pid,) for pid in changes.reopened]
    if changes.outbox:
        payload["outbox"] = list(map(row_of, changes.outbox))
    return payload


def _invite_row(invite: Invite) -> tuple[object, ...]:
    return INVITES.encode(replace(invite, token=token_digest(invite.token)))


def _reminded_row(r: Reminded) -> tuple[object, ...]:
    return (r.partnership_id, r.user_id, encode_time(r.at), 1 if r.counts else 0)
