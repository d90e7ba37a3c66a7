"""Start-up failures of the real process: one last line naming the setting, never the token.

A wrong ``TELEGRAM_BASE_URL`` path makes a Bot API server answer 401 or 404 to every call, and
PTB's ``InvalidToken`` quotes the token; a bad ``DATABASE_PATH`` used to end in a traceback.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.conftest import BotProcess, Bots, free_port
from tests.support.fake_server import FakeBotApi

pytestmark = pytest.mark.e2e

EXIT_TIMEOUT = 60


class Refusing(ThreadingHTTPServer):
    """Answers every request with one Telegram-style error, as a wrong URL path gets."""

    def __init__(self, status: int) -> None:
        super().__init__(("127.0.0.1", 0), RefusingHandler)
        self.status = status
        self.paths: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class RefusingHandler(BaseHTTPRequestHandler):
    server: Refusing

    def do_POST(self) -> None:
        self.server.paths.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        description = {401: "Unauthorized", 404: "Not Found"}[self.server.status]
        body = json.dumps(
            {"ok": False, "error_code": self.server.status, "description": description}
        ).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads the process's output, not this server's."""


@pytest.fixture(params=[401, 404])
def refusing(request: pytest.FixtureRequest) -> Iterator[Refusing]:
    server = Refusing(request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def ended(bot: BotProcess) -> tuple[int, str, str]:
    """Wait for the process to exit: its code, everything it wrote, and its last line."""
    code = bot.popen.wait(timeout=EXIT_TIMEOUT)
    output = bot.logs()
    lines = bot.stderr_path.read_text().strip().splitlines()
    return code, output, lines[-1] if lines else ""


def test_a_rejected_token_ends_in_one_line_without_the_token(
    refusing: Refusing, server: FakeBotApi, bots: Bots
) -> None:
    """A server answering 401/404 (a wrong TELEGRAM_BASE_URL path) stops the process with a
    last line naming the settings, no traceback, and the token nowhere in its output."""
    bot = bots.start(ready=False, TELEGRAM_BASE_URL=f"{refusing.url}/wrong/path")
    code, output, last = ended(bot)
    assert refusing.paths, "the bot never called the server"
    assert code != 0
    assert last.startswith("cannot start:")
    assert "TELEGRAM_BOT_TOKEN" in last
    assert "TELEGRAM_BASE_URL" in last
    assert "Traceback" not in output
    assert server.token not in output
    assert server.token.split(":", 1)[1] not in output


def test_a_folder_as_database_path_ends_in_one_line(
    server: FakeBotApi, bots: Bots, tmp_path: Path
) -> None:
    """DATABASE_PATH naming a folder stops start-up with one line naming it, before Telegram."""
    folder = tmp_path / "a-folder"
    folder.mkdir()
    bot = bots.start(ready=False, DATABASE_PATH=str(folder))
    code, output, last = ended(bot)
    assert code == 2
    assert output.strip() == last
    assert last.startswith("cannot start: DATABASE_PATH")
    assert server.calls == []


def test_a_corrupt_database_file_ends_in_one_line(
    server: FakeBotApi, bots: Bots, tmp_path: Path
) -> None:
    """A DATABASE_PATH file that is not SQLite stops start-up with one line naming it."""
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"this is not a database, " * 400)
    bot = bots.start(ready=False, DATABASE_PATH=str(corrupt))
    code, output, last = ended(bot)
    assert code == 2
    assert output.strip() == last
    assert last.startswith("cannot start: DATABASE_PATH")
    assert server.calls == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("BRIEFING_HOURS_BEFORE", "inf"),
        ("REMINDER_AFTER_DAYS", "nan"),
        ("RETENTION_DAYS", "1000000"),
        ("TELEGRAM_BOT_TOKEN", "   "),
    ],
)
def test_values_that_would_fail_later_are_refused_at_start(
    server: FakeBotApi, bots: Bots, setting: str, value: str
) -> None:
    """A value that passes a plain type check but breaks the bot later stops start-up with
    one line naming the setting, before Telegram is called."""
    bot = bots.start(ready=False, **{setting: value})
    code, output, last = ended(bot)
    assert code == 2
    assert output.strip() == last
    assert last.startswith(f"cannot start: {setting} is invalid")
    assert server.calls == []


def test_an_unreachable_server_ends_in_one_line(server: FakeBotApi, bots: Bots) -> None:
    """Nothing listening at TELEGRAM_BASE_URL stops start-up with a last line naming it, a
    non-zero exit and no traceback."""
    bot = bots.start(ready=False, TELEGRAM_BASE_URL=f"http://127.0.0.1:{free_port()}")
    code, output, last = ended(bot)
    assert code != 0
    assert last.startswith("cannot start: cannot reach the Bot API at TELEGRAM_BASE_URL")
    assert "Traceback" not in output
    assert server.token not in output
