"""How the journey is put together from settings: one place for the bot and the console."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.settings import Settings
from flows.canvas import Canvas
from flows.chart import render_chart
from flows.delivery import ChartRenderer
from flows.journey import Journey
from flows.messages import Messages
from flows.momentum import MomentumSettings
from flows.repository import Repository


def build_journey(
    repo: Repository,
    settings: Settings,
    canvas: Canvas,
    messages: Messages,
    *,
    chart: ChartRenderer = render_chart,
) -> Journey:
    """The journey over ``repo``, configured by ``settings`` (the console uses the defaults)."""
    return Journey(
        repo,
        canvas,
        messages,
        default_language=settings.default_language,
        chart=chart,
        timezone=ZoneInfo(settings.timezone),
        retention=timedelta(days=settings.retention_days),
        momentum=MomentumSettings(
            briefing_lead=timedelta(hours=settings.briefing_hours_before),
            idle_after=timedelta(days=settings.reminder_after_days),
            max_reminders=settings.max_reminders,
        ),
    )
