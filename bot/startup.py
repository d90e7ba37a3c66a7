"""Start-up failures as one line that names the setting to fix, and never the token.

``python -m bot`` checks what it can before it calls Telegram (the settings, the content, the
database file) and turns what fails later while starting (a token Telegram rejects, a server
it cannot reach) into the same kind of line.
"""

from __future__ import annotations

from pathlib import Path

from telegram.error import InvalidToken, NetworkError, TelegramError

from storage.errors import StorageError
from storage.sqlite import SqliteRepository

# A setting is wrong: fixing it is the way out, restarting is not.
EXIT_SETTING = 2
# The environment failed (the Bot API could not be reached): a restart may well work.
EXIT_UNAVAILABLE = 1


class StartupError(Exception):
    """Start-up cannot go on; the message is one line naming the setting to look at."""

    def __init__(self, message: str, exit_code: int = EXIT_SETTING) -> None:
        super().__init__(message)
        self.exit_code = exit_code


async def check_database(path: Path) -> None:
    """Open the database once and close it, so a folder or a corrupt file at DATABASE_PATH
    stops start-up with one line, before Telegram is called."""
    try:
        repo = await SqliteRepository.open(path)
    except StorageError as exc:
        raise StartupError(f"DATABASE_PATH is unusable: {_with_cause(exc)}") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StartupError(f"DATABASE_PATH is unusable: {reason} ({path})") from None
    await repo.close()


def explain(exc: BaseException) -> StartupError | None:
    """The one line for an error raised while the application starts, if it is a known one.

    PTB quotes the token in InvalidToken's message, so no Telegram message is passed on
    as it is; callers redact whatever they print all the same.
    """
    if isinstance(exc, InvalidToken):
        return StartupError(
            "the Bot API rejected TELEGRAM_BOT_TOKEN (answered 401 or 404): check the token, "
            "and that TELEGRAM_BASE_URL is the server's root URL, without /bot"
        )
    if isinstance(exc, NetworkError):
        return StartupError(
            f"cannot reach the Bot API at TELEGRAM_BASE_URL ({type(exc).__name__})",
            EXIT_UNAVAILABLE,
        )
    if isinstance(exc, TelegramError):
        return StartupError(
            f"the Bot API at TELEGRAM_BASE_URL refused to start the bot: {type(exc).__name__}",
            EXIT_UNAVAILABLE,
        )
    if isinstance(exc, StorageError):
        return StartupError(f"DATABASE_PATH is unusable: {_with_cause(exc)}")
    return None


def _with_cause(exc: BaseException) -> str:
    cause = exc.__cause__
    return f"{exc} ({cause})" if cause is not None and str(cause) else str(exc)
