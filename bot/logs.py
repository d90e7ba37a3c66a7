"""Logging as the bot runs it: secrets redacted, personal data kept out, library noise down.

The benchmark calls :func:`quiet_libraries` too, so it measures the log levels users get.
"""

from __future__ import annotations

import logging

from bot.settings import Settings


class RedactingFormatter(logging.Formatter):
    """Blanks out secrets wherever they appear, tracebacks included.

    PTB logs the Bot API URL (which holds the token) at DEBUG, and the webhook secret with
    the setWebhook parameters; an exception text may quote a URL too.
    """

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text


def secrets_of(settings: Settings) -> list[str]:
    """What must never be shown: the token, its secret part alone, the webhook secret."""
    token = settings.telegram_bot_token.get_secret_value()
    secrets = [token, token.partition(":")[2]]
    if settings.webhook_secret is not None:
        secrets.append(settings.webhook_secret.get_secret_value())
    # Longest first, so the whole token is replaced before its secret part is looked for.
    return sorted((s for s in secrets if s), key=len, reverse=True)


def redact(text: str, settings: Settings) -> str:
    for secret in secrets_of(settings):
        text = text.replace(secret, "[redacted]")
    return text


class RetryLoopWithoutTraceback(logging.Filter):
    """PTB's start-up retry loop logs its abort with a traceback (a rejected token, an
    unreachable server); ``python -m bot`` then says the cause in one line naming the
    setting, so the log keeps the loop's one line and the exception's type only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.module == "networkloop" and record.exc_info and record.exc_info[1]:
            record.msg = f"{record.msg} [{type(record.exc_info[1]).__name__}]"
            record.exc_info = record.exc_text = None
        return True


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets_of(settings))
    )
    logging.basicConfig(handlers=[handler], level=settings.log_level)
    logging.getLogger("telegram.ext").addFilter(RetryLoopWithoutTraceback())
    quiet_libraries()


def quiet_libraries() -> None:
    """Set the libraries' levels relative to the root logger's (call after configuring it)."""
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # At DEBUG, PTB and aiosqlite log request and statement parameters (message texts,
    # names, notes): personal data stays out of the logs even when debugging our code.
    for name in ("telegram", "apscheduler", "aiosqlite"):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLogger().level))
    # transitions logs every state change at INFO: noise at two lines per answer.
    logging.getLogger("transitions").setLevel(logging.WARNING)
