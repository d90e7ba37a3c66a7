"""Settings from the environment and ``.env``, validated once at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

OFFICIAL_SERVER = "https://api.telegram.org"


class SettingsError(Exception):
    """A setting is missing or invalid; the message names it in one line."""


class Settings(BaseSettings):
    """Every key is documented in ``.env.example``."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr = Field(min_length=1)
    telegram_base_url: str = OFFICIAL_SERVER
    database_path: Path = Path("data/canvas.sqlite3")
    default_language: Literal["nl", "en"] = "nl"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("telegram_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

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


def load_settings(**overrides: object) -> Settings:
    """Build the settings, or raise SettingsError with one line naming the bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "settings"
        if error["type"] == "missing":
            message = f"{name} is not set (see .env.example)"
        else:
            message = f"{name} is invalid: {error['msg']}"
        raise SettingsError(message) from None
