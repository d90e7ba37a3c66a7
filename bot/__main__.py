"""``python -m bot``: run the bot with long polling, or behind a webhook if WEBHOOK_URL is set."""

from __future__ import annotations

import asyncio
import sys

from telegram import Update

from bot.app import build_application
from bot.context import CanvasApp
from bot.logs import configure_logging
from bot.settings import Settings, SettingsError, load_settings
from flows.errors import ContentError
from storage.errors import StorageError
from storage.sqlite import SqliteRepository


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
        configure_logging(settings)
        app = build_application(settings)
    except (SettingsError, ContentError) as exc:
        print(f"cannot start: {exc}", file=sys.stderr)  # noqa: T201 (a clear line, no traceback)
        return 2
    run(app, settings)
    return 0


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
