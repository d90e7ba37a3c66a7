"""Typed access to the services from a handler (PTB's contexttypesbot pattern)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from flows.canvas import Canvas
from flows.journey import Journey
from flows.messages import Messages


@dataclass
class Services:
    """What the composition root builds; ``journey`` exists once the bot knows its name."""

    canvas: Canvas
    messages: Messages
    journey_: Journey | None = field(default=None)

    @property
    def journey(self) -> Journey:
        if self.journey_ is None:
            raise RuntimeError("the journey is built in post_init; the application is not running")
        return self.journey_


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
