"""Settings from the environment and ``.env``, validated once at start-up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

OFFICIAL_SERVER = "https://api.telegram.org"
# What Telegram accepts as a webhook's secret_token (setWebhook).
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# The shape of a token from @BotFather: the bot's id, a colon, then the secret part.
BOT_TOKEN = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")


class SettingsError(Exception):
    """A setting is missing or invalid; the message names it in one line."""


class Settings(BaseSettings):
    """Every key is documented in ``.env.example``."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr
    telegram_base_url: str = OFFICIAL_SERVER
    database_path: Path = Path("data/canvas.sqlite3")
    default_language: Literal["nl", "en"] = "nl"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    chat_pacing: bool = True
    # Upper bounds keep every derived date computable (a purge cut-off a million days back
    # is before year 1) and catch a unit mistake; finite, because inf passes a plain "> 0".
    reminder_after_days: float = Field(default=3, gt=0, le=365, allow_inf_nan=False)
    max_reminders: int = Field(default=2, ge=0, le=20)
    briefing_hours_before: float = Field(default=24, gt=0, le=24 * 31, allow_inf_nan=False)
    timezone: str = "Europe/Amsterdam"
    retention_days: int = Field(default=365, ge=1, le=3650)
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        """Checked here, so a blank or mangled token is not first sent to Telegram.

        The message never quotes the value: it is a secret even when it is wrong.
        """
        token = value.get_secret_value().strip()
        if not token:
            raise ValueError("is empty")
        if not BOT_TOKEN.fullmatch(token):
            raise ValueError("does not look like a token from @BotFather (digits, ':', secret)")
        return SecretStr(token)

    @field_validator("telegram_base_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("webhook_url", "webhook_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``WEBHOOK_URL=`` in a .env file means no webhook."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_chars(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters from A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Self:
        if self.webhook_url is not None and self.webhook_secret is None:
            raise PydanticCustomError(
                "webhook_secret", "WEBHOOK_SECRET is not set; it is required with WEBHOOK_URL"
            )
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def bot_api_url(self) -> str:
        """The method endpoint prefix PTB expects; it appends the token itself."""
        return f"{self.telegram_base_url}/bot"

    @property
    def bot_file_url(self) -> str:
        return f"{self.telegram_base_url}/file/bot"

    @property
    def webhook_path(self) -> str:
        """Where the webhook server listens: the path of WEBHOOK_URL (never the token)."""
        return urlsplit(self.webhook_url or "").path


def load_settings(**overrides: object) -> Settings:
    """Build the settings, or raise SettingsError with one line naming the bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "settings"
        if not error["loc"]:  # a rule across settings; its message names them
            message = error["msg"]
        elif error["type"] == "missing":
            message = f"{name} is not set (see .env.example)"
        else:
            reason = error["msg"].removeprefix("Value error, ")
            message = f"{name} is invalid: {reason}"
        raise SettingsError(message) from None
