"""Privacy (AVG / GDPR): what is kept, an export, erasure on request, and the retention purge.

Also the other side of erasure: a user who blocked the bot is marked unreachable and their
partners are told.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flows.actions import Action, Button, Edit, ForgetTap, Send, SendDocument, Tap, outgoing
from flows.events import Command
from flows.model import Changes
from flows.session import Session

if TYPE_CHECKING:
    from flows.journey import CommandHandler, Journey, TapHandler

logger = logging.getLogger(__name__)


async def explain(j: Journey, s: Session, _: str) -> None:
    """/privacy: what is kept, and for how long."""
    s.say(s.t("privacy", months=j.retention.days // 30))


async def export(j: Journey, s: Session, _: str) -> None:
    """/mydata: everything stored about the user, as a JSON file: their own data only."""
    data = _own(await j.repo.export_user(s.user_id))
    content = json.dumps(data, ensure_ascii=False, indent=2).encode()
    s.replies.append(SendDocument(s.user_id, content, "mydata.json", s.t("mydata_caption")))


# Pending-step values that are not the person's own data: the invite link's token (a key to a
# partnership) and the name of the organisation that invited them.
_NOT_THEIRS = ("invite", "inviter")


def _own(export: dict[str, object]) -> dict[str, object]:
    """The export without what the stored conversation holds of others (or a token)."""
    participant = export.get("participant")
    if isinstance(participant, dict) and isinstance(participant.get("context"), dict):
        context = participant["context"]
        participant["context"] = {k: v for k, v in context.items() if k not in _NOT_THEIRS}
    return export


async def ask_to_forget(j: Journey, s: Session, _: str) -> None:
    """/forget: ask before erasing; the question holds for ``Limits.forget_window``."""
    issued = int(s.now.timestamp())
    minutes = int(j.limits.forget_window.total_seconds() // 60)
    s.say(
        s.t("forget_confirm", minutes=minutes),
        (
            (Button(s.t("button_forget_yes"), ForgetTap(confirmed=True, issued=issued)),),
            (Button(s.t("button_forget_no"), ForgetTap(confirmed=False, issued=issued)),),
        ),
    )


async def forget(j: Journey, s: Session, tap: ForgetTap) -> None:
    if not tap.confirmed:
        s.replies.append(Edit(s.t("forget_kept")))
        return
    if s.now - datetime.fromtimestamp(tap.issued, UTC) > j.limits.forget_window:
        s.replies.append(Edit(s.t("forget_expired")))
        return
    others = {m.partnership_id: await j.repo.members(m.partnership_id) for m in s.memberships}
    own = {m.partnership_id: m.organisation for m in s.memberships}
    s.forget = True  # the journey erases them when it persists this update
    s.replies.append(Edit(s.t("forgotten")))
    for partnership_id, members in others.items():
        for member in members:
            if member.user_id == s.user_id:
                continue
            language = await j.language_of(member.user_id)
            text = j.texts.messages("partner_withdrew", language, organisation=own[partnership_id])
            s.replies.append(Send(member.user_id, text))


async def mark_unreachable(j: Journey, user_ids: set[int]) -> None:
    """These users blocked the bot: mark them, and tell the others in their partnerships
    (through the outbox, in the same transaction)."""
    changes = Changes()
    replies: list[Action] = []
    for user_id in user_ids:
        for membership in await j.repo.memberships(user_id):
            if membership.unreachable:
                continue
            # The flag only: a whole row would bring back a member erased meanwhile.
            changes.unreachable.append((membership.partnership_id, user_id, True))
            for other in await j.repo.members(membership.partnership_id):
                if other.user_id == user_id or other.unreachable or other.user_id in user_ids:
                    continue
                language = await j.language_of(other.user_id)
                text = j.texts.messages(
                    "partner_unreachable", language, organisation=membership.organisation
                )
                replies.append(Send(other.user_id, text))
    if changes:
        changes.outbox.extend(outgoing(replies, j.clock()))
        await j.repo.commit(changes)
        logger.info("%d memberships marked unreachable", len(changes.unreachable))


async def purge_inactive(j: Journey, now: datetime) -> int:
    """Delete partnerships without activity for the retention period, then the people left in
    none who were as quiet (a daily job); return how many partnerships went."""
    ids = await j.repo.inactive_partnerships(now - j.retention)
    deleted = await j.repo.delete_partnerships(ids) if ids else 0
    purged = await j.repo.purge_participants(now - j.retention)
    logger.info("retention: %d partnerships and %d people deleted", deleted, purged)
    return deleted


COMMANDS: dict[Command, CommandHandler] = {
    Command.PRIVACY: explain,
    Command.MYDATA: export,
    Command.FORGET: ask_to_forget,
}
TAPS: dict[type[Tap], TapHandler] = {ForgetTap: forget}
