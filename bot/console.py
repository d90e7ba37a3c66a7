"""``python -m bot console``: the canvas in a terminal, without Telegram.

One person plays both partners in turn (and, if they like, the facilitator) through the same
:class:`~flows.journey.Journey` and the same SQLite storage the bot uses. Replies are shown as
plain text, buttons as numbered choices; the summary's picture, report and CSV are written to
files. Simulated users: 1 is the first partner, 2 the second partner, 3 the facilitator.

What the person types:

* a number taps that button of the newest buttons shown to the current user;
* ``/command [argument]`` is a command, e.g. ``/start <token>`` or ``/status``;
* ``switch`` (or ``wissel``) plays the other partner; ``switch 3`` the facilitator;
* ``join`` (or ``join facilitator``) opens the newest invite as the user it is meant for;
* ``quit`` (or Ctrl-D, or Ctrl-C) stops; anything else is a text message.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bot.compose import build_journey
from bot.outbox import drain
from bot.plain import plain_text
from bot.render import DeepLinks
from bot.settings import Settings
from flows.actions import (
    Action,
    Button,
    Edit,
    Keyboard,
    Notice,
    Send,
    SendDocument,
    SendLinked,
    SendLong,
    SendPhoto,
)
from flows.canvas import LANGUAGES, Language, load_canvas
from flows.events import ButtonTapped, Command, CommandSent, Event, OtherSent, TextSent, User
from flows.journey import Journey
from flows.messages import load_messages
from storage.sqlite import SqliteRepository

BOT_USERNAME: Final = "canvas_console_bot"
FIRST, SECOND, FACILITATOR = 1, 2, 3
NAMES: Final = {FIRST: "partner 1", SECOND: "partner 2", FACILITATOR: "facilitator"}
SWITCH_WORDS: Final = frozenset({"switch", "wissel"})
QUIT_WORDS: Final = frozenset({"quit", "exit"})
FACILITATOR_WORDS: Final = frozenset({"3", "facilitator", "begeleider"})
USER_WORDS: Final = FACILITATOR_WORDS | {"1", "2"}
NOTICE: Final = "\N{INFORMATION SOURCE}\N{VARIATION SELECTOR-16}"  # a toast in Telegram
_FILE_COMMANDS: Final = frozenset({Command.SUMMARY, Command.REPORT, Command.CSV})

LINKS: Final = DeepLinks(BOT_USERNAME)

_HINTS: Final[dict[str, dict[Language, str]]] = {
    "intro": {
        "nl": (
            "Samenwerkingscanvas in de terminal. Je speelt beide partners om de beurt.\n"
            "Een nummer tikt die knop aan, /opdracht stuurt een opdracht (begin met /start),\n"
            "'wissel' speelt de andere partner ('wissel 3': de begeleider), 'join' opent de\n"
            "nieuwste uitnodiging als de andere partner, 'quit' of Ctrl-D stopt."
        ),
        "en": (
            "The collaboration canvas in a terminal. You play both partners in turn.\n"
            "A number taps that button, /command sends a command (begin with /start),\n"
            "'switch' plays the other partner ('switch 3': the facilitator), 'join' opens the\n"
            "newest invite as the other partner, 'quit' or Ctrl-D stops."
        ),
    },
    "now_playing": {"nl": "── nu speel je {name} ──", "en": "── now playing {name} ──"},
    "waiting": {
        "nl": "📨 {count} nieuw bericht(en) voor {name} (typ 'wissel' om ze te lezen)",
        "en": "📨 {count} new message(s) for {name} (type 'switch' to read them)",
    },
    "invite": {
        "nl": "💡 Typ 'join{extra}' om deze uitnodiging als {name} te openen,\n"
        "   of wissel naar {name} en typ: /start {token}",
        "en": "💡 Type 'join{extra}' to open this invite as {name},\n"
        "   or switch to {name} and type: /start {token}",
    },
    "no_invite": {
        "nl": "Er is nog geen open uitnodiging voor {name}.",
        "en": "There is no open invite for {name} yet.",
    },
    "no_button": {
        "nl": "Kies een knop van 1 tot {count}.",
        "en": "Choose a button from 1 to {count}.",
    },
    "link": {"nl": "(deze knop opent {url})", "en": "(this button opens {url})"},
    "saved": {"nl": "💾 opgeslagen: {path}", "en": "💾 saved: {path}"},
    "files": {
        "nl": "(console) het verslag en de antwoorden worden ook als bestand bewaard:",
        "en": "(console) the report and the answers are saved as files too:",
    },
    "bye": {"nl": "Tot ziens.", "en": "Goodbye."},
}


def out(text: str = "") -> None:
    """One line (or block) to the terminal."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def read_line(prompt: str) -> str:
    """``input(prompt)`` off the event loop; EOFError at the end of input.

    Like ``asyncio.to_thread(input, prompt)``, but in a daemon thread: after Ctrl-C the
    interpreter can exit while that thread still waits for a line (an executor's worker
    thread is joined at exit, so the terminal would hang until Enter).
    """
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()

    def settle(line: str | None, error: BaseException | None) -> None:
        if answer.done():
            return
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(line or "")

    def read() -> None:
        line: str | None = None
        error: BaseException | None = None
        try:
            line = input(prompt)
        except (OSError, ValueError) as exc:  # closed or unreadable input: the end
            error = EOFError(str(exc))
        except BaseException as exc:  # EOFError, or anything else: the caller hears of it
            error = exc
        try:
            loop.call_soon_threadsafe(settle, line, error)
        except RuntimeError:  # the loop has closed meanwhile: nobody waits for this line
            return

    threading.Thread(target=read, name="console-input", daemon=True).start()
    return await answer


def keyboard_lines(keyboard: Keyboard) -> list[str]:
    """Every button of a keyboard as a numbered choice, row after row."""
    return [f"  [{n}] {button.label}" for n, button in enumerate(buttons(keyboard), start=1)]


def buttons(keyboard: Keyboard) -> list[Button]:
    return [button for row in keyboard for button in row]


@dataclass
class _Invite:
    token: str
    for_user: int
    partnership_id: str


@dataclass
class Console:
    """Plays simulated users against a Journey and shows its replies as plain text."""

    journey: Journey
    repo: SqliteRepository
    out_dir: Path
    language: Language = "nl"
    current: int = FIRST
    keyboards: dict[int, Keyboard] = field(default_factory=dict)
    waiting: dict[int, list[str]] = field(default_factory=dict)
    invites: list[_Invite] = field(default_factory=list)

    def hint(self, key: str, /, **values: object) -> str:
        return _HINTS[key][self.language].format(**values)

    def user(self, user_id: int) -> User:
        return User(user_id, self.language)

    def prompt(self) -> str:
        return f"[{NAMES[self.current]}] > "

    async def run(self) -> None:
        out(self.hint("intro"))
        while True:
            try:
                line = await read_line(self.prompt())
            except EOFError:
                out()
                break
            if not await self.step(line.strip()):
                break
        out(self.hint("bye"))

    async def step(self, line: str) -> bool:
        """Act on one line of input; False when the person wants to stop."""
        word, _, rest = line.lower().partition(" ")
        rest = rest.strip()
        if not line:
            return True
        if word in QUIT_WORDS and not rest:
            return False
        # Only the console's own words with a valid target: "Wissel BV" is an organisation.
        if word in SWITCH_WORDS and (not rest or rest in USER_WORDS):
            self.switch(rest)
        elif word == "join" and (not rest or rest in FACILITATOR_WORDS):
            await self.join(facilitator=bool(rest))
        elif line.isdecimal() and self.keyboards.get(self.current):
            await self.tap(int(line))
        elif line.startswith("/"):
            await self.handle(_command(self.user(self.current), line))
        else:
            await self.handle(TextSent(self.user(self.current), line))
        return True

    # --------------------------------------------------------------- playing users

    def switch(self, target: str = "") -> None:
        if target in FACILITATOR_WORDS:
            chosen = FACILITATOR
        elif target in ("1", "2"):
            chosen = int(target)
        else:
            chosen = SECOND if self.current == FIRST else FIRST
        self.current = chosen
        out(self.hint("now_playing", name=NAMES[chosen]))
        for block in self.waiting.pop(chosen, []):
            out(block)

    async def join(self, *, facilitator: bool) -> None:
        """Open the newest unused invite meant for the second partner (or the facilitator)."""
        for invite in reversed(self.invites):
            if (invite.for_user == FACILITATOR) != facilitator:
                continue
            stored = await self.repo.invite(invite.token)
            if stored is None or stored.used_by is not None or stored.revoked:
                continue
            if invite.for_user != self.current:
                self.switch(str(invite.for_user))
            out(f"{self.prompt()}/start {invite.token}")
            await self.handle(CommandSent(self.user(invite.for_user), Command.START, invite.token))
            return
        name = NAMES[FACILITATOR] if facilitator else NAMES[SECOND]
        out(self.hint("no_invite", name=name))

    async def tap(self, number: int) -> None:
        choices = buttons(self.keyboards.get(self.current, ()))
        if not 1 <= number <= len(choices):
            out(self.hint("no_button", count=len(choices)))
            return
        button = choices[number - 1]
        if button.tap is None:
            out(self.hint("link", url=button.url or ""))
            return
        await self.handle(ButtonTapped(self.user(self.current), button.tap))

    async def handle(self, event: Event) -> None:
        actor = event.user.id
        actions = [*await self.journey.handle(event), *await drain(self.repo.outbox)]
        await self.show(actor, actions)
        delivered = any(isinstance(a, SendPhoto) and a.chat_id == actor for a in actions)
        asked = isinstance(event, CommandSent) and event.command in _FILE_COMMANDS
        if delivered and not asked:  # the summary arrived: keep the report and the CSV too
            out(self.hint("files"))
            for command in (Command.REPORT, Command.CSV):
                await self.show(actor, await self.journey.handle(CommandSent(event.user, command)))

    # -------------------------------------------------------------------- showing

    async def show(self, actor: int, actions: Sequence[Action]) -> None:
        for action in actions:
            if isinstance(action, Notice):
                self.deliver(actor, [f"{NOTICE} {plain_text(action.text)}"])
            elif isinstance(action, Edit):
                self.keyboards[actor] = action.keyboard
                text = f"(updated) {plain_text(action.text)}"
                self.deliver(actor, ["", text, *keyboard_lines(action.keyboard)])
            elif isinstance(action, Send):
                # The newest message in reply to a person decides what their number means:
                # after a question without buttons (a name, a note), "3" is text, as typed
                # in Telegram. A notice to the other person keeps their buttons.
                if action.keyboard or action.chat_id == actor:
                    self.keyboards[action.chat_id] = action.keyboard
                block = ["", plain_text(action.text), *keyboard_lines(action.keyboard)]
                self.deliver(action.chat_id, block)
            elif isinstance(action, SendLong):
                self.deliver(action.chat_id, ["", plain_text("\n\n".join(action.blocks))])
            elif isinstance(action, SendLinked):
                self.deliver(action.chat_id, ["", plain_text(action.text(LINKS))])
                if action.invite is not None:
                    await self.notice_invite(action.invite)
            elif isinstance(action, SendPhoto | SendDocument):  # not ClearButtons: no ids here
                self.deliver(action.chat_id, ["", *self.save(action)])
        for user_id, blocks in self.waiting.items():
            if user_id != self.current and blocks:
                out(self.hint("waiting", count=len(blocks), name=NAMES.get(user_id, user_id)))

    def deliver(self, user_id: int, lines: list[str]) -> None:
        text = "\n".join(lines)
        if user_id == self.current:
            out(text)
        else:
            self.waiting.setdefault(user_id, []).append(text)

    def save(self, action: SendPhoto | SendDocument) -> list[str]:
        """Write a picture or document to the output folder; the lines that tell where."""
        if isinstance(action, SendPhoto):
            filename, content = "chart.png", action.png
        else:
            filename, content = action.filename, action.content
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"{action.chat_id}-{Path(filename).name}"
        path.write_bytes(content)
        return [plain_text(action.caption), self.hint("saved", path=path)]

    async def notice_invite(self, token: str) -> None:
        """Remember an invite, and say how to open it as the user who has not joined."""
        invite = await self.repo.invite(token)
        if invite is None:
            return
        if not invite.role.answers:
            target = FACILITATOR
        else:
            target = SECOND if invite.created_by == FIRST else FIRST
        self.invites.append(_Invite(token, target, invite.partnership_id))
        joined = await self.repo.memberships(target)
        if any(m.partnership_id == invite.partnership_id for m in joined):
            return
        extra = " facilitator" if target == FACILITATOR else ""
        out(self.hint("invite", extra=extra, name=NAMES[target], token=token))


def _command(user: User, line: str) -> Event:
    """``/name argument`` as the bot's command handler would see it."""
    name, _, argument = line[1:].partition(" ")
    name = name.split("@", 1)[0].lower()
    try:
        command = Command(name)
    except ValueError:
        return OtherSent(user, "unknown_command")
    return CommandSent(user, command, " ".join(argument.split()))


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot console",
        description="Try the whole canvas in a terminal, playing both partners in turn.",
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=None,
        help="SQLite file to keep the conversation in (default: a temporary file)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("out"),
        help="folder for the picture, report and CSV (default: out/)",
    )
    parser.add_argument("--language", choices=LANGUAGES, default="nl", help="default: nl")
    return parser.parse_args(argv)


@contextmanager
def _database(path: Path | None) -> Iterator[Path]:
    if path is not None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="canvas-console-") as folder:
        yield Path(folder) / "console.sqlite3"


async def _play(database: Path, out_dir: Path, language: Language) -> None:
    repo = await SqliteRepository.open(database)
    try:
        settings = Settings.model_construct(default_language=language)  # defaults, no token
        journey = build_journey(repo, settings, load_canvas(), load_messages())
        await Console(journey, repo, out_dir, language).run()
    finally:
        await repo.close()


def main(argv: list[str]) -> int:
    """Run the console; 0 when the person stops it."""
    options = parse_arguments(argv)
    language: Language = "en" if options.language == "en" else "nl"
    with _database(options.database) as database:
        try:
            asyncio.run(_play(database, options.out, language))
        except KeyboardInterrupt:  # Ctrl-C: the repository was closed on the way out
            out()
            return 130
    return 0
