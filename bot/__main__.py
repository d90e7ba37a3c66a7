"""``python -m bot``: run the bot with long polling, or behind a webhook if WEBHOOK_URL is set."""

from __future__ import annotations

import asyncio
import logging
import sys

from telegram import Update

from bot.app import build_application
from bot.context import CanvasApp
from bot.logs import configure_logging, redact
from bot.runtime import settle_after_start
from bot.settings import Settings, SettingsError, load_settings
from bot.startup import EXIT_SETTING, StartupError, check_database, explain
from flows.errors import ContentError
from storage.errors import StorageError
from storage.sqlite import SqliteRepository

logger = logging.getLogger(__name__)


def run(app: CanvasApp, settings: Settings) -> None:
    """Long polling, or a webhook server when WEBHOOK_URL is set (it needs WEBHOOK_SECRET)."""
    secret = settings.webhook_secret
    if settings.webhook_url is None or secret is None:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
        return
    app.run_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=settings.webhook_path,
        webhook_url=settings.webhook_url,
        secret_token=secret.get_secret_value(),
        allowed_updates=Update.ALL_TYPES,
    )


USAGE = """usage: python -m bot              run the bot (long polling, or a webhook if set)
       python -m bot console      try the canvas in the terminal, no Telegram needed
       python -m bot backup PATH  copy the live database consistently to PATH"""


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["console"]:
        from bot.console import main as console

        return console(args[1:])
    if args[:1] == ["backup"] and len(args) == 2:
        return _backup(args[1])
    if args:
        print(USAGE, file=sys.stderr)  # noqa: T201
        return 2
    try:
        settings = load_settings()
    except SettingsError as exc:
        return _cannot_start(str(exc), EXIT_SETTING)
    try:
        configure_logging(settings)
        asyncio.run(check_database(settings.database_path))
        app = build_application(settings)
        settle_after_start()
        run(app, settings)
    except (StartupError, ContentError) as exc:
        code = exc.exit_code if isinstance(exc, StartupError) else EXIT_SETTING
        return _cannot_start(redact(str(exc), settings), code)
    except Exception as exc:
        known = explain(exc)
        if known is None:
            logger.exception("stopped by an unexpected error")  # redacted by the log format
            return _last_line(f"stopped: unexpected {type(exc).__name__} (logged above)", 1)
        return _cannot_start(redact(str(known), settings), known.exit_code)
    return 0


def _cannot_start(reason: str, code: int) -> int:
    return _last_line(f"cannot start: {reason}", code)


def _last_line(line: str, code: int) -> int:
    """The last thing the process says: one line, no traceback, never the token."""
    print(line, file=sys.stderr)  # noqa: T201
    return code


def _backup(target: str) -> int:
    """Online backup of the live database (safe while the bot runs)."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"cannot back up: {exc}", file=sys.stderr)  # noqa: T201
        return 2

    async def copy() -> None:
        repo = await SqliteRepository.open(settings.database_path, create=False)
        try:
            await repo.backup(target)
        finally:
            await repo.close()

    try:
        asyncio.run(copy())
    except StorageError as exc:
        print(f"backup failed: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    print(f"backed up {settings.database_path} to {target}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
