"""The /help texts and the README name exactly the commands the bot has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flows.canvas import LANGUAGES, Language
from flows.events import Command
from flows.messages import load_messages

MESSAGES = load_messages()
NAMED = re.compile(r"(?<![\w/<])/([a-z]+)\b")
README = Path(__file__).parents[2] / "README.md"
# Not listed in /help: /start opens the bot (or an invite), and /help is what is being read.
UNLISTED = {Command.START, Command.HELP}


def named(text: str) -> set[str]:
    return set(NAMED.findall(text))


@pytest.mark.parametrize("language", LANGUAGES)
def test_help_names_only_commands_that_exist_and_every_one_somewhere(language: Language) -> None:
    """Each command the partner's or the facilitator's /help names exists, and together they
    name every command but /start and /help."""
    partner = named(str(MESSAGES("help", language)))
    facilitator = named(str(MESSAGES("help_facilitator", language)))
    existing = {c.value for c in Command}
    assert partner <= existing
    assert facilitator <= existing
    assert partner | facilitator == existing - {c.value for c in UNLISTED}


def test_the_readme_lists_every_command_and_no_other() -> None:
    """The README's command list names every command of ``Command`` and nothing else."""
    text = README.read_text("utf-8")
    section = text.split("## How it is built", 1)[1].split("\n## ", 1)[0]
    listed = named(section.split("Commands:", 1)[1].split("\n\n", 1)[0])
    assert listed == {c.value for c in Command}
