"""``python -m bot``: run the bot with long polling."""

from __future__ import annotations

import logging
import sys

from telegram import Update

from bot.app import build_application
from bot.settings import Settings, SettingsError, load_settings
from flows.errors import ContentError


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=settings.log_level
    )
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    del argv
    try:
        settings = load_settings()
        configure_logging(settings)
        app = build_application(settings)
    except (SettingsError, ContentError) as exc:
        print(f"cannot start: {exc}", file=sys.stderr)  # noqa: T201 (a clear line, no traceback)
        return 2
    app.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
