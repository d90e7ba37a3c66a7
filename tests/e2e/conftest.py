"""The bot as a real process (``python -m bot``, as the README starts it) against a fake Bot API.

``server`` is a :class:`~tests.support.fake_server.FakeBotApi` on 127.0.0.1 that fails the test
at teardown if the bot broke the spec or made an unexpected call; ``bots`` starts
bot processes with every setting passed explicitly (so a developer's ``.env`` cannot change
the run), logs to files under ``tmp_path``, and stops them in teardown: SIGTERM, then SIGKILL.
``Person`` plays one Telegram user against the server and waits for the bot's answers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.fake_server import Call, FakeBotApi

REPO_ROOT = Path(__file__).resolve().parents[2]
# Every setting bot/settings.py reads; each is passed explicitly, so .env never fills one in.
SETTINGS = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_BASE_URL",
    "DATABASE_PATH",
    "DEFAULT_LANGUAGE",
    "LOG_LEVEL",
    "WEBHOOK_URL",
    "WEBHOOK_LISTEN",
    "WEBHOOK_PORT",
    "WEBHOOK_SECRET",
    "CHAT_PACING",
)
_PROXIES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_listening(port: int, check: Callable[[], None], timeout: float = 15.0) -> None:
    """Wait until something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while True:
        check()
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing listens on port {port} after {timeout}s")
        time.sleep(0.05)


class BotProcess:
    """One ``python -m bot`` process; stdout and stderr go to files under tmp_path."""

    def __init__(self, env: dict[str, str], log_dir: Path, name: str) -> None:
        self.stdout_path = log_dir / f"{name}.out"
        self.stderr_path = log_dir / f"{name}.err"
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "bot"],
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def logs(self) -> str:
        """Everything the process wrote so far, stdout then stderr."""
        out = self.stdout_path.read_text(errors="replace")
        return out + self.stderr_path.read_text(errors="replace")

    def check(self) -> None:
        """Fail if the process has exited (passed to ``wait_for`` as ``check``)."""
        if self.popen.poll() is not None:
            tail = "\n".join(self.logs().splitlines()[-30:])
            raise AssertionError(f"the bot exited with {self.popen.returncode}:\n{tail}")

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, as a service manager would; SIGKILL if it does not exit in time."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                return self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
        return self.popen.wait()

    def kill(self) -> int:
        """SIGKILL: no shutdown code runs at all."""
        if self.popen.poll() is None:
            self.popen.kill()
        return self.popen.wait()


class Bots:
    """Starts bot processes against ``server``; all are stopped at teardown."""

    def __init__(self, server: FakeBotApi, tmp_path: Path) -> None:
        self.server = server
        self.tmp_path = tmp_path
        self.database = tmp_path / "db" / "canvas.sqlite3"
        self.started: list[BotProcess] = []

    def env(self, **settings: str | None) -> dict[str, str]:
        """The process environment: every setting explicit; ``None`` leaves one out."""
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in SETTINGS and key.lower() not in _PROXIES
        }
        values: dict[str, str | None] = {
            "TELEGRAM_BOT_TOKEN": self.server.token,
            "TELEGRAM_BASE_URL": self.server.url,
            "DATABASE_PATH": str(self.database),
            "DEFAULT_LANGUAGE": "nl",
            "LOG_LEVEL": "INFO",
            "WEBHOOK_URL": "",
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": "8443",
            "WEBHOOK_SECRET": "",
            # Pacing (a burst, then one message a second per chat) is for Telegram's limits;
            # the fake server has none, and paced journeys would take minutes.
            "CHAT_PACING": "false",
        }
        values.update(settings)
        env.update({key: value for key, value in values.items() if value is not None})
        return env

    def start(self, *, ready: bool = True, **settings: str | None) -> BotProcess:
        """Start ``python -m bot``; with ``ready``, wait until it polls for updates."""
        since = self.server.mark()
        process = BotProcess(self.env(**settings), self.tmp_path, f"bot-{len(self.started)}")
        self.started.append(process)
        if ready:
            self.server.wait_for(
                lambda c: c.method == "getUpdates", timeout=15, since=since, check=process.check
            )
        return process

    def stop_all(self) -> None:
        for process in self.started:
            process.stop()


@pytest.fixture
def server() -> Iterator[FakeBotApi]:
    """The fake Bot API; at teardown (after the bots stopped) nothing may have gone wrong."""
    with FakeBotApi() as running:
        yield running
    running.assert_clean()


@pytest.fixture
def bots(server: FakeBotApi, tmp_path: Path) -> Iterator[Bots]:
    started = Bots(server, tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


@dataclass(frozen=True)
class Tapped:
    """A button press that was pushed: where to look for the bot's reaction."""

    since: int
    message_id: int
    data: str


@dataclass
class Person:
    """One Telegram user in a private chat with the bot; each step waits for the answer."""

    server: FakeBotApi
    user_id: int
    language_code: str = "nl"
    bot: BotProcess | None = None

    def _check(self) -> None:
        if self.bot is not None:
            self.bot.check()

    def wait_message(self, since: int, expect: str) -> Call:
        """Wait for a message to this user, sent after call ``since``, containing ``expect``."""
        return self.server.wait_for_text(self.user_id, expect, since=since, check=self._check)

    def wait_edit(self, tapped: Tapped, expect: str) -> Call:
        """Wait for the tapped message to be edited to text containing ``expect``."""
        return self.server.wait_for(
            lambda c: (
                c.method == "editMessageText"
                and c.ok
                and c.chat_id == self.user_id
                and c.params.get("message_id") == tapped.message_id
                and expect in c.text
            ),
            since=tapped.since,
            check=self._check,
        )

    def command(self, command: str, args: str = "", *, expect: str) -> Call:
        """Send ``/command args`` and wait for a message containing ``expect``."""
        since = self.server.mark()
        self.server.push_command(self.user_id, command, args, self.language_code)
        return self.wait_message(since, expect)

    def say(self, text: str, *, expect: str) -> Call:
        since = self.server.mark()
        self.server.push_text(self.user_id, text, self.language_code)
        return self.wait_message(since, expect)

    def press(self, prefix: str, suffix: str = "") -> Tapped:
        """Tap the newest button whose data starts with ``prefix`` (and ends with ``suffix``),
        without waiting for the bot."""
        since = self.server.mark()
        message_id, data = self.server.tap(self.user_id, prefix, suffix, self.language_code)
        return Tapped(since, message_id, data)

    def tap(self, prefix: str, suffix: str = "", *, expect: str, edited: bool = False) -> Call:
        """Tap a button; wait for a message (or, with ``edited``, the tapped message's edit)
        containing ``expect``."""
        tapped = self.press(prefix, suffix)
        if edited:
            return self.wait_edit(tapped, expect)
        return self.wait_message(tapped.since, expect)
