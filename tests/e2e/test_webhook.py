"""Webhook mode: the process registers its webhook and only accepts updates with the secret."""

from __future__ import annotations

import secrets

import pytest

from tests.e2e.conftest import Bots, free_port, wait_listening
from tests.support.fake_server import FakeBotApi

pytestmark = pytest.mark.e2e

USER = 7001


def test_webhook_mode_answers_only_updates_that_carry_the_secret(
    server: FakeBotApi, bots: Bots
) -> None:
    """With WEBHOOK_URL set the bot calls setWebhook, answers a POSTed update that carries
    the secret header, and refuses (403, no reply) one without it or with a wrong one."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    secret = f"e2e-{secrets.token_urlsafe(16)}"
    bot = bots.start(
        ready=False,
        WEBHOOK_URL=url,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET=secret,
    )
    hook = server.wait_for(lambda c: c.method == "setWebhook", timeout=15, check=bot.check)
    assert hook.params["url"] == url
    assert hook.params["secret_token"] == secret
    wait_listening(port, bot.check)  # PTB registers the webhook first, then serves it

    since = server.mark()
    assert server.post_to_webhook(server.command_update(USER, "/start")) == 200
    server.wait_for_text(USER, "Welkom", since=since, check=bot.check)

    refused = server.mark()
    for header in (None, "wrong-secret", secret[:-1]):
        assert server.post_to_webhook(server.command_update(USER, "/start"), header) == 403
    # Updates are handled in order: once /help is answered, a refused /start would have been.
    assert server.post_to_webhook(server.command_update(USER, "/help")) == 200
    server.wait_for_text(USER, "Zo werkt het", since=refused, check=bot.check)
    welcome, name, help_ = server.sent_texts(USER)  # nothing in between
    assert "Welkom" in welcome
    assert "naam van jouw organisatie" in name
    assert "Zo werkt het" in help_

    assert bot.stop() == 0
    assert server.calls_to("getUpdates") == []
    server.assert_clean()
    logs = bot.logs()
    assert server.token not in logs
    assert secret not in logs
