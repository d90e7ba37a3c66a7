"""Settings that would pass a plain type check but break the bot later are refused at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.settings import Settings, SettingsError, load_settings

TOKEN = "123456:TEST-TOKEN"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("briefing_hours_before", float("inf")),
        ("briefing_hours_before", 24 * 365),
        ("reminder_after_days", float("nan")),
        ("reminder_after_days", 10_000),
        ("retention_days", 1_000_000),
        ("max_reminders", 1_000),
    ],
)
def test_unbounded_numbers_are_refused_naming_the_setting(setting: str, value: float) -> None:
    """Infinite, NaN and absurdly large numbers stop start-up with a line naming the setting."""
    with pytest.raises(SettingsError, match=rf"^{setting.upper()} is invalid"):
        load_settings(_env_file=None, telegram_bot_token=TOKEN, **{setting: value})


@pytest.mark.parametrize("token", ["", "   ", "no-colon-here", "12:has spaces", "abc:def"])
def test_a_malformed_token_is_refused_without_quoting_it(token: str) -> None:
    """A blank or malformed token is refused naming TELEGRAM_BOT_TOKEN, never showing it."""
    with pytest.raises(SettingsError, match=r"^TELEGRAM_BOT_TOKEN is invalid") as caught:
        load_settings(_env_file=None, telegram_bot_token=token)
    if token.strip():
        assert token not in str(caught.value)


def test_a_token_is_taken_without_surrounding_whitespace() -> None:
    """A token pasted with a trailing space or newline is used without it."""
    settings = load_settings(_env_file=None, telegram_bot_token=f" {TOKEN}\n")
    assert settings.telegram_bot_token.get_secret_value() == TOKEN


def test_the_largest_allowed_values_still_give_computable_dates() -> None:
    """At their maxima the durations the bot derives from these settings can be computed."""
    fields = Settings.model_fields
    now = datetime.now(UTC)
    for name, unit in (
        ("retention_days", "days"),
        ("reminder_after_days", "days"),
        ("briefing_hours_before", "hours"),
    ):
        [maximum] = [m.le for m in fields[name].metadata if getattr(m, "le", None) is not None]
        assert now - timedelta(**{unit: maximum}) < now
