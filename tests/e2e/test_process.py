"""The bot as a real process, started as the README starts it, against a fake Bot API server.

Everything goes over HTTP on 127.0.0.1: the bot long-polls the fake server, users are played
by pushing updates into it, and every call the bot makes is checked against the Bot API spec.
"""

from __future__ import annotations

import itertools
import re
import signal
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest

from flows.canvas import load_canvas
from tests.e2e.conftest import REPO_ROOT, BotProcess, Bots, Person
from tests.support.fake_server import Call, FakeBotApi

pytestmark = pytest.mark.e2e

SOCIAL, BUSINESS = 6001, 6002
THEMES = len(load_canvas().questions)
AMBITIONS = {a.id for a in load_canvas().ambitions}
QUESTION = re.compile(rf"^(\d+)/{THEMES} · ", re.MULTILINE)


def question(number: int) -> str:
    """The line that starts question ``number`` as the user sees it."""
    return f"{number}/{THEMES} · "


def onboard(server: FakeBotApi, bot: BotProcess) -> tuple[Person, Person]:
    """The social enterprise starts a partnership; the business joins by its invite link."""
    social = Person(server, SOCIAL, "nl", bot)
    business = Person(server, BUSINESS, "en", bot)
    social.command("/start", expect="Welkom bij het Samenwerkingscanvas")
    social.say("De Korrel", expect="Wat is De Korrel in deze samenwerking?")
    social.tap("o:social", expect=question(1))
    [invite] = [t for t in server.sent_texts(SOCIAL) if "partner, de reguliere" in t]
    match = re.search(r"https://t\.me/\w+\?start=([\w-]+)", invite)
    assert match, invite
    business.command("/start", match.group(1), expect="invited to the partnership with De Korrel")
    since = server.mark()
    business.say("Jansen BV", expect=question(1))
    server.wait_for_text(SOCIAL, "Jansen BV (reguliere onderneming) doet nu mee", since=since)
    return social, business


def answer(*plans: tuple[Person, int, int, int]) -> None:
    """Each ``(person, first, last, score)`` taps ``score`` under questions first..last.

    People answer side by side, as partners do: each round everyone taps, then everyone waits
    for the tapped card to become their next question (or, after the canvas's last question,
    to show the choice). The bot handles different users concurrently, so this also
    exercises that.
    """
    for step in itertools.count():
        pending = [
            (person, first + step, person.press("a:", f":{option(first + step, score)}"))
            for person, first, last, score in plans
            if first + step <= last
        ]
        if not pending:
            return
        for person, number, tapped in pending:
            if number < THEMES:
                person.wait_edit(tapped, question(number + 1))
            else:
                person.wait_edit(tapped, "✅")


def option(number: int, score: int) -> int:
    """The button to tap under question ``number``: ``score``, or an ambition's last option
    when it has fewer (every ambition has three)."""
    return min(score, 3) if number <= len(AMBITIONS) else score


def statement_scores(answers: dict[str, tuple[int | None, str | None]]) -> set[int | None]:
    return {score for theme, (score, _) in answers.items() if theme not in AMBITIONS}


def both_done(server: FakeBotApi, social: Person, business: Person) -> None:
    """Both partners are told, exactly once each, that they have both finished."""
    # The done message or the summary's lead, whichever tells it: never both.
    social.wait_message(0, "🎉 Jullie zijn allebei klaar")
    business.wait_message(0, "🎉 You have both finished")
    assert sum("🎉 Jullie zijn allebei klaar" in t for t in server.sent_texts(SOCIAL)) == 1
    assert sum("🎉 You have both finished" in t for t in server.sent_texts(BUSINESS)) == 1


def questions_shown(server: FakeBotApi, chat_id: int) -> list[int]:
    """The question numbers the bot showed in ``chat_id``, sent or edited into a card, in
    order (the last card's edit showing the last answer included)."""
    calls = [
        c
        for c in server.calls
        if c.method in ("sendMessage", "editMessageText") and c.ok and c.chat_id == chat_id
    ]
    return [int(m.group(1)) for c in calls if (m := QUESTION.search(c.text))]


def stored(database: Path) -> dict[int, dict[str, tuple[int | None, str | None]]]:
    """Per user: theme -> (score, note), read straight from the SQLite file."""
    with closing(sqlite3.connect(database)) as db:
        rows = db.execute("SELECT user_id, theme_id, score, note FROM answers").fetchall()
    out: dict[int, dict[str, tuple[int | None, str | None]]] = {}
    for user_id, theme_id, score, note in rows:
        out.setdefault(user_id, {})[theme_id] = (score, note)
    return out


def finished(database: Path) -> dict[int, bool]:
    with closing(sqlite3.connect(database)) as db:
        rows = db.execute("SELECT user_id, finished_at FROM members").fetchall()
    return {user_id: finished_at is not None for user_id, finished_at in rows}


def confirmed(server: FakeBotApi, bot: BotProcess) -> None:
    """Wait until the bot has confirmed every update so far (a getUpdates with a later
    offset), so that a kill now cannot make Telegram deliver any of them again."""
    last = max(u for c in server.calls_to("getUpdates") for u in _update_ids(c))
    server.wait_for(
        lambda c: c.method == "getUpdates" and _offset(c) > last, check=bot.check, timeout=15
    )


def _update_ids(call: Call) -> list[int]:
    result = call.result if isinstance(call.result, list) else []
    return [int(u["update_id"]) for u in result]


def _offset(call: Call) -> int:
    offset = call.params.get("offset")
    return offset if isinstance(offset, int) else 0


def test_two_partners_complete_the_canvas_through_the_real_process(
    server: FakeBotApi, bots: Bots
) -> None:
    """Two partners onboard, answer every theme, add a note, change an answer via /review
    and are both told they are done (after which the round is locked), all through
    `python -m bot` and the HTTP Bot API."""
    bot = bots.start()
    social, business = onboard(server, bot)

    answer((social, 1, 2, 4), (business, 1, 2, 2))
    social.tap("n:", expect="Typ je toelichting")
    since = server.mark()
    social.say("Stages lopen goed.", expect=question(3))  # the open question, shown again
    server.wait_for_text(SOCIAL, "Toelichting bij", since=since)
    # /review reads the answers with their notes; a change shows the current answer first
    # and then returns to the open question.
    since = server.mark()
    pick = social.command("/review", expect="Tik op een vraag")
    server.wait_for_text(SOCIAL, "📝 Stages lopen goed.", since=since)
    first = pick.buttons()[0]
    assert first.startswith("e:")
    social.tap(first, expect="Je antwoord nu:")
    since = server.mark()
    social.tap("c:", ":1", expect="Jouw antwoord: Transactie", edited=True)
    server.wait_for_text(SOCIAL, question(3), since=since)
    # Both tap their last answer at the same moment: the summary must still come once.
    answer((social, 3, THEMES, 4), (business, 3, THEMES, 2))
    both_done(server, social, business)

    social.command("/review", expect="Deze ronde is afgesloten")
    status = social.command("/status", expect=f"De Korrel: {THEMES}/{THEMES}")
    assert f"Jansen BV: {THEMES}/{THEMES}" in status.text

    assert bot.stop() == 0
    server.assert_clean()
    answers = stored(bots.database)
    assert len(answers[SOCIAL]) == len(answers[BUSINESS]) == THEMES
    changed = first.rsplit(":", 1)[1]
    assert answers[SOCIAL][changed] == (1, None)
    # Every statement 4, every ambition its last option (3) but the one changed to 1.
    assert Counter(score for score, _ in answers[SOCIAL].values()) == {
        4: THEMES - len(AMBITIONS),
        3: len(AMBITIONS) - 1,
        1: 1,
    }
    assert [note for _, note in answers[SOCIAL].values() if note] == ["Stages lopen goed."]
    assert {score for score, _ in answers[BUSINESS].values()} == {2}
    assert finished(bots.database) == {SOCIAL: True, BUSINESS: True}
    for photo in server.calls_to("sendPhoto"):
        assert all(f.data.startswith(b"\x89PNG") for f in photo.files.values())
    logs = bot.logs()
    assert "Traceback" not in logs
    assert " ERROR " not in logs


def test_a_killed_process_loses_nothing_and_repeats_nothing(
    server: FakeBotApi, bots: Bots
) -> None:
    """SIGKILL halfway through, a new process on the same database finishes the journey:
    every confirmed answer is kept and no question is sent twice unless a user resumes."""
    first = bots.start()
    social, business = onboard(server, first)
    answer((social, 1, 7, 5), (business, 1, 4, 1))
    confirmed(server, first)
    assert first.kill() == -signal.SIGKILL
    before = stored(bots.database)
    assert (len(before[SOCIAL]), len(before[BUSINESS])) == (7, 4)

    second = bots.start()
    social.bot = business.bot = second
    business.command("/resume", expect=question(5))
    # The social enterprise taps question 8, sent by the killed process, as if nothing happened.
    answer((social, 8, THEMES, 5), (business, 5, THEMES, 1))
    both_done(server, social, business)
    status = business.command("/status", expect=f"De Korrel: {THEMES}/{THEMES}")
    assert f"Jansen BV: {THEMES}/{THEMES}" in status.text
    assert second.stop() == 0

    server.assert_clean()
    # Each question once, the business's fifth again on /resume; the last card's answer.
    assert questions_shown(server, SOCIAL) == [*range(1, THEMES + 1), THEMES]
    assert questions_shown(server, BUSINESS) == [1, 2, 3, 4, 5, *range(5, THEMES + 1), THEMES]
    for chat_id in (SOCIAL, BUSINESS):
        repeats = Counter(server.sent_texts(chat_id)) - Counter(set(server.sent_texts(chat_id)))
        assert not repeats, repeats
        edits = server.calls_to("editMessageText", chat_id)
        assert len(edits) == THEMES  # one edit of the card per answer
    after = stored(bots.database)
    for user_id, answers in before.items():
        assert answers.items() <= after[user_id].items()
    assert statement_scores(after[SOCIAL]) == {5}
    assert statement_scores(after[BUSINESS]) == {1}
    assert (len(after[SOCIAL]), len(after[BUSINESS])) == (THEMES, THEMES)
    assert finished(bots.database) == {SOCIAL: True, BUSINESS: True}


def test_without_a_token_the_process_refuses_to_start(server: FakeBotApi, bots: Bots) -> None:
    """Without TELEGRAM_BOT_TOKEN the process exits with code 2 and one line naming it."""
    bot = bots.start(ready=False, TELEGRAM_BOT_TOKEN=_unset_token())
    assert bot.popen.wait(timeout=30) == 2
    stderr = bot.stderr_path.read_text()
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "Traceback" not in stderr
    assert server.calls == []


def _unset_token() -> str | None:
    """Leave the token out; if the repo's .env sets one, an empty value must override it."""
    dotenv = REPO_ROOT / ".env"
    lines = dotenv.read_text().splitlines() if dotenv.exists() else []
    return "" if any(line.strip().startswith("TELEGRAM_BOT_TOKEN") for line in lines) else None


def test_the_token_never_appears_in_the_log(server: FakeBotApi, bots: Bots) -> None:
    """At LOG_LEVEL=DEBUG, through start-up, a failing call and shutdown, the log never
    shows the bot token, nor the names users typed."""
    bot = bots.start(LOG_LEVEL="DEBUG")
    person = Person(server, SOCIAL, "nl", bot)
    person.command("/start", expect="naam van jouw organisatie")
    server.fail_next("sendMessage", 400, "Bad Request: can't parse entities: injected")
    since = server.mark()
    server.push_text(SOCIAL, "De Korrel")
    server.wait_for(lambda c: c.injected, since=since, check=bot.check)
    person.command("/resume", expect="Wat is De Korrel")
    assert bot.stop() == 0

    logs = bot.logs()
    assert " DEBUG " in logs  # the level took effect (PTB's own stays at INFO: it logs
    # request parameters, which hold names and notes)
    assert "De Korrel" not in logs
    assert "parse entities: injected" in logs  # the failure was logged
    assert server.token not in logs
    assert server.token.split(":", 1)[1] not in logs
    server.assert_clean()
