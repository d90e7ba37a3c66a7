"""The composition root: settings -> storage -> flows -> Application, built once.

Every dependency is a parameter with a production default, so tests pass their own
request layer or repository (cosmicpython's bootstrap). The database is opened in
``post_init`` and closed in ``post_shutdown`` (PTB's rules-bot).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram import BotCommand
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot.compose import build_journey
from bot.context import CanvasApp, CanvasContext, Services
from bot.handlers import errors, flood, journey, momentum
from bot.ordering import PerUserUpdateProcessor
from bot.outbox import BACKOFF, NoOutbox, OutboxStore, Sender
from bot.render import ChatPacer, Renderer
from bot.settings import Settings
from flows.canvas import LANGUAGES, load_canvas
from flows.chart import render_chart
from flows.delivery import ChartRenderer
from flows.errors import ContentError
from flows.events import Command
from flows.messages import load_messages
from flows.repository import Repository
from storage.sqlite import SqliteRepository

logger = logging.getLogger(__name__)

RepositoryOpener = Callable[[Settings], Awaitable[Repository]]
RepositoryCloser = Callable[[Repository], Awaitable[None]]


async def open_sqlite(settings: Settings) -> Repository:
    return await SqliteRepository.open(settings.database_path)


async def close_sqlite(repo: Repository) -> None:
    if isinstance(repo, SqliteRepository):
        await repo.close()


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    open_repository: RepositoryOpener = open_sqlite,
    close_repository: RepositoryCloser = close_sqlite,
    rate_limiter: bool = True,
    chart: ChartRenderer = render_chart,
    outbox_backoff: Sequence[float] = BACKOFF,
) -> CanvasApp:
    """Build the Application; content is validated here, so bad content stops start-up."""
    canvas, messages = load_canvas(), load_messages()
    missing = [c.value for c in Command if f"cmd_{c.value}" not in messages]
    if missing:
        raise ContentError(f"messages: no command menu text for {missing}")

    class BoundServices(Services):
        """bot_data must be a no-argument type; this one carries the loaded content."""

        def __init__(self) -> None:
            super().__init__(canvas, messages)

    context_types = ContextTypes(context=CanvasContext, bot_data=BoundServices)
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.bot_api_url)
        .base_file_url(settings.bot_file_url)
        .context_types(context_types)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .concurrent_updates(
            PerUserUpdateProcessor(on_flood=flood.slow_down(messages, settings.default_language))
        )
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))  # type: ignore[arg-type]

    async def post_init(app: CanvasApp) -> None:
        services = app.bot_data
        repo = await open_repository(settings)
        services.journey_ = build_journey(
            repo, settings, services.canvas, services.messages, chart=chart
        )
        pacer = ChatPacer() if rate_limiter and settings.chat_pacing else None
        renderer = services.renderer_ = Renderer(app.bot, pacer)
        journey_ = services.journey_

        async def blocked(chat_id: int) -> None:
            await journey_.mark_unreachable({chat_id})

        store: OutboxStore = repo.outbox if isinstance(repo, SqliteRepository) else NoOutbox()
        sender = services.outbox_ = Sender(store, renderer, blocked, backoff=outbox_backoff)
        if isinstance(repo, SqliteRepository):
            repo.on_outbox = sender.wake
            repo.alone = services.alone  # a lone update's COMMIT may wait on the loop
        sender.start()  # delivers what an earlier run left, then whatever commits add
        await _set_commands(app, services)
        # matplotlib's first import costs about a second; pay it at start-up, off the event
        # loop, not when the first pair finishes and waits for their picture.
        await asyncio.to_thread(_import_chart_backend)
        logger.info("ready as bot %s with canvas %s", app.bot.id, services.canvas.version)

    async def post_shutdown(app: CanvasApp) -> None:
        services = app.bot_data
        if services.outbox_ is not None:
            await services.outbox_.stop()
            services.outbox_ = None
        if services.journey_ is not None:
            await close_repository(services.journey_.repo)
            services.journey_ = None
            services.renderer_ = None

    app: CanvasApp = builder.post_init(post_init).post_shutdown(post_shutdown).build()  # type: ignore[assignment]
    journey.register(app)
    momentum.register(app)
    errors.register(app, settings.default_language)
    return app


def _import_chart_backend() -> None:
    import matplotlib.backends.backend_agg
    import matplotlib.figure

    del matplotlib


async def _set_commands(app: CanvasApp, services: Services) -> None:
    """The command menu, in Dutch by default and in English for English clients."""
    menu = [c for c in Command if c is not Command.START]
    for language in LANGUAGES:
        commands = [
            BotCommand(c.value, str(services.messages(f"cmd_{c.value}", language))) for c in menu
        ]
        code = None if language == "nl" else language
        await app.bot.set_my_commands(commands, language_code=code)
