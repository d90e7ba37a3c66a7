"""One way to play the canvas through the bot: start a partnership, join it, answer questions.

The bot tests and the benchmark drive the same steps, in the same order, against a running bot
(:class:`~tests.support.harness.Harness`). A step taps the newest button whose callback data
starts with a prefix, so the steps follow the bot's buttons rather than building callback data
themselves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from flows.canvas import load_canvas

if TYPE_CHECKING:
    from tests.support.harness import Harness

# The ambitions asked before the statements: id -> how many options each has.
AMBITIONS: Final = {a.id: len(a.options) for a in load_canvas().ambitions}
QUESTIONS: Final = len(load_canvas().questions)

INVITE: Final = re.compile(r"start=([\w-]+)")
# How each invite message names the role it is for, in both languages.
MARKERS: Final = {
    "business": ("reguliere onderneming", "regular business"),
    "social": ("sociale onderneming", "social enterprise"),
    "facilitator": ("begeleider", "facilitator"),
}
COUNTERPART: Final = {"social": "business", "business": "social"}


def invite_token(texts: Sequence[str], role: str) -> str:
    """The token of the newest invite link for ``role`` ("business", "social", "facilitator")."""
    for text in reversed(texts):
        if any(marker in text for marker in MARKERS[role]) and (found := INVITE.search(text)):
            return found.group(1)
    raise AssertionError(f"no invite link for the {role} was sent")


async def start(
    player: Harness, user_id: int, organisation: str, *, role: str = "social", language: str = "nl"
) -> str:
    """A new user starts a partnership for ``organisation``; the partner's invite token."""
    await player.command(user_id, "/start", language_code=language)
    await player.text(user_id, organisation, language_code=language)
    await player.tap(user_id, f"o:{role}", language_code=language)
    return invite_token(player.texts_to(user_id), COUNTERPART[role])


async def join(
    player: Harness, user_id: int, token: str, organisation: str, *, language: str = "nl"
) -> None:
    """A new user opens the invite link ``token`` and names their organisation."""
    await player.command(user_id, "/start", token, language_code=language)
    await player.text(user_id, organisation, language_code=language)


def answer_data(data: str, score: str) -> str:
    """The data of answering the question of the "a:" button ``data`` with ``score``.

    A statement gets ``score`` as given (a point, "s" to skip, "n" for not yet relevant); an
    ambition, which has neither skip nor five points, its option at place min(score, options),
    its first for "s" and "n".
    """
    head, theme_id = data.rsplit(":", 1)[0], data.split(":")[3]
    options = AMBITIONS.get(theme_id)
    if options is not None:
        score = str(min(int(score), options)) if score.isdigit() else "1"
    return f"{head}:{score}"


async def answer(
    player: Harness, user_id: int, count: int, score: int | str, *, language: str = "nl"
) -> None:
    """Tap ``score`` ("s" skips) under the next ``count`` questions (see ``answer_data``)."""
    for _ in range(count):
        await player.tap(user_id, "a:", str(score), language_code=language)
