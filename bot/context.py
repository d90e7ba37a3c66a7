"""Typed access to the services from a handler (PTB's contexttypesbot pattern)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import CallbackQuery
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.outbox import Sender
from bot.render import Renderer
from flows.actions import Action
from flows.canvas import Canvas
from flows.journey import Journey
from flows.messages import Messages


@dataclass
class Services:
    """What the composition root builds; ``journey`` exists once the bot knows its name."""

    canvas: Canvas
    messages: Messages
    journey_: Journey | None = field(default=None)
    renderer_: Renderer | None = field(default=None)
    outbox_: Sender | None = field(default=None)
    handling: int = 0  # updates in the journey's handlers right now (bot/handlers/journey.py)

    def alone(self) -> bool:
        """At most one update is being handled: the caller's own, if it is one."""
        return self.handling <= 1

    @property
    def journey(self) -> Journey:
        if self.journey_ is None:
            raise RuntimeError("the journey is built in post_init; the application is not running")
        return self.journey_

    @property
    def outbox(self) -> Sender:
        if self.outbox_ is None:
            raise RuntimeError(
                "the outbox is started in post_init; the application is not running"
            )
        return self.outbox_

    async def send(self, actions: Sequence[Action], query: CallbackQuery | None = None) -> None:
        """Render actions; users found to have blocked the bot are marked and others told,
        and a question card sent as a new message is remembered as the live one."""
        if self.renderer_ is None:
            raise RuntimeError(
                "the renderer is built in post_init; the application is not running"
            )
        rendered = await self.renderer_.render(actions, query)
        for chat_id, message_id in rendered.cards:
            await self.journey.card_shown(chat_id, message_id)
        if rendered.blocked:  # the partners are told through the outbox
            await self.journey.mark_unreachable(rendered.blocked)


class CanvasContext(
    CallbackContext[ExtBot[Any], dict[object, object], dict[object, object], Services]
):
    """The handler context, with typed services."""

    @property
    def services(self) -> Services:
        return self.bot_data

    @property
    def journey(self) -> Journey:
        return self.bot_data.journey


CanvasApp = Application[
    ExtBot[Any],
    CanvasContext,
    dict[object, object],
    dict[object, object],
    Services,
    JobQueue[CanvasContext],
]
