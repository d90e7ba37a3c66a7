"""The terminal console: one person plays both partners through the real journey and storage."""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.console import main
from bot.plain import plain_text
from flows.canvas import load_canvas

THEMES = len(load_canvas().questions)
AMBITIONS = len(load_canvas().ambitions)  # one option each, by its number

Script = Callable[[list[str]], list[str]]


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> Script:
    """Feed lines to input(); EOF once they run out. Returns the prompts input() was given."""
    prompts: list[str] = []

    def install(lines: list[str]) -> list[str]:
        feed = iter(lines)

        def fake_input(prompt: object = "") -> str:
            prompts.append(str(prompt))
            try:
                return next(feed)
            except StopIteration:
                raise EOFError from None

        monkeypatch.setattr(builtins, "input", fake_input)
        return prompts

    return install


def run(tmp_path: Path) -> int:
    return main(["--database", str(tmp_path / "console.sqlite3"), "--out", str(tmp_path / "out")])


def test_both_partners_reach_the_summary_and_its_files(tmp_path, script, capsys):
    """Both partners answer every question and get the summary, picture, report and CSV."""
    prompts = script(
        [
            "/start",
            "Bakkerij De Zon",
            "1",  # sociale onderneming
            *["1"] * AMBITIONS,
            *["4"] * (THEMES - AMBITIONS),
            "join",
            "Fiets & Co",
            *["3"] * AMBITIONS,
            *["2"] * (THEMES - AMBITIONS),
        ]
    )

    assert run(tmp_path) == 0

    output = capsys.readouterr().out
    assert "Bakkerij De Zon en Fiets & Co" in output  # the summary's title, unescaped
    assert "Zo verder:" in output  # the first summary message ends with the way on
    assert "<b>" not in output
    assert "&amp;" not in output
    assert "[6] Nog niet aan de orde" in output
    assert "[7] Overslaan" in output
    assert "💡 Typ 'join'" in output
    assert "[partner 1] > " in prompts
    assert "[partner 2] > " in prompts
    files = tmp_path / "out"
    assert list(files.glob("2-*.png"))
    assert list(files.glob("2-*.html"))
    assert list(files.glob("2-*.csv"))


def test_switching_shows_messages_that_waited(tmp_path, script, capsys):
    """A message for the other partner waits until the person switches to that partner."""
    script(["/start", "Bakkerij De Zon", "1", "join", "Wissel & Co", "wissel"])

    assert run(tmp_path) == 0

    output = capsys.readouterr().out
    waiting, _, after = output.partition("── nu speel je partner 1 ──")
    assert "📨 1 nieuw bericht(en) voor partner 1" in waiting
    assert "Wissel & Co (reguliere onderneming) doet nu mee" in after  # a name, not a switch


def test_commands_text_and_bad_choices(tmp_path, script, capsys):
    """Commands go to the journey, unknown ones are refused, a bad number is explained."""
    prompts = script(["/start", "De Zon", "9", "/onbekend", "/help", "quit", "/start"])

    assert run(tmp_path) == 0

    output = capsys.readouterr().out
    assert "Kies een knop van 1 tot 3." in output
    assert "Die opdracht ken ik niet." in output
    assert output.rstrip().endswith("Tot ziens.")
    assert len(prompts) == 6  # nothing is read after quit


def test_a_number_is_text_when_the_bot_asks_for_text(tmp_path, script, capsys):
    """After a question without buttons, digits are what the person typed, not a tap on the
    buttons of an older message: here an organisation called "4"."""
    script(["/start", "4", "1", "3"])

    assert run(tmp_path) == 0

    output = capsys.readouterr().out
    assert "Kies een knop" not in output
    assert "🤝 4 \N{MULTIPLICATION SIGN} (partner nog niet aangesloten)" in output
    assert re.search(rf"(?<!\d)1/{THEMES} ·", output)
    assert "Jouw antwoord: Transformatie" in output


def test_plain_text_strips_telegram_html():
    """Telegram HTML becomes plain text: tags go, entities unescape, links keep their URL."""
    assert plain_text("<b>A &amp; B</b> &lt;3") == "A & B <3"
    assert plain_text('<a href="https://x.nl/a?b=1&amp;c=2">hier</a>') == (
        "hier (https://x.nl/a?b=1&c=2)"
    )
    assert plain_text('<a href="https://x.nl">https://x.nl</a>') == "https://x.nl"
    assert plain_text("<blockquote expandable>note</blockquote>") == "note"
