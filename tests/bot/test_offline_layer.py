"""The offline Bot API layer rejects what Telegram would reject and drives a real Application."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from tests.support.botapi import BotApiViolation, Spec, load_spec, parse_html
from tests.support.offline import OfflineRequest, OfflineViolation
from tests.support.updates import UpdateFactory

USER = 4242
App: TypeAlias = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec()


def keyboard(callback_data: str) -> dict[str, object]:
    return {"inline_keyboard": [[{"text": "Go", "callback_data": callback_data}]]}


# -- the checker --------------------------------------------------------------------------------


def test_valid_calls_pass(spec: Spec) -> None:
    """Well-formed calls of the methods the bot uses produce no violations."""
    html = '<b>Hi</b> &amp; <i>welcome</i>, <a href="https://x.nl/?a=1&amp;b=2">link</a>'
    assert spec.check("sendMessage", {"chat_id": USER, "text": "x" * 4096}) == []
    assert spec.check("sendMessage", {"chat_id": "42", "text": html, "parse_mode": "HTML"}) == []
    assert not spec.check(
        "sendMessage", {"chat_id": 1, "text": "a", "reply_markup": keyboard("b")}
    )
    assert not spec.check("answerCallbackQuery", {"callback_query_id": "1", "text": "x" * 200})
    assert not spec.check(
        "setMyCommands", {"commands": [{"command": "start", "description": "Go"}]}
    )
    assert not spec.check("getMe", {})


def test_text_over_4096_characters_is_rejected(spec: Spec) -> None:
    """A 4097-character message text breaks the 1-4096 limit."""
    problems = spec.check("sendMessage", {"chat_id": USER, "text": "x" * 4097})
    assert problems == ["sendMessage.text: 4097 characters, must be 1-4096 characters"]


def test_empty_text_is_rejected(spec: Spec) -> None:
    """Empty, blank or tag-only text is rejected: Telegram needs at least one visible character."""
    assert spec.check("sendMessage", {"chat_id": USER, "text": ""})
    assert spec.check("sendMessage", {"chat_id": USER, "text": "  \n"})
    assert spec.check("sendMessage", {"chat_id": USER, "text": "<b></b>", "parse_mode": "HTML"})


def test_html_length_counts_visible_characters(spec: Spec) -> None:
    """Under parse_mode HTML the limit counts text after tags are stripped and entities decoded."""
    text = "<b>" + "&amp;" * 4096 + "</b>"
    assert spec.check("sendMessage", {"chat_id": USER, "text": text, "parse_mode": "HTML"}) == []
    too_long = {"chat_id": USER, "text": text + "!", "parse_mode": "HTML"}
    assert spec.check("sendMessage", too_long) == [
        "sendMessage.text: 4097 characters, must be 1-4096 characters"
    ]


def test_callback_data_over_64_bytes_is_rejected(spec: Spec) -> None:
    """33 two-byte characters (66 bytes) exceed callback_data's 64-byte limit."""
    params = {"chat_id": USER, "text": "Pick", "reply_markup": keyboard("é" * 33)}
    [problem] = spec.check("sendMessage", params)
    assert problem.endswith("callback_data: 66 bytes, must be 1-64 bytes")
    assert spec.check("sendMessage", {**params, "reply_markup": keyboard("é" * 32)}) == []


def test_button_needs_exactly_one_action(spec: Spec) -> None:
    """An inline button with no action, or two, is rejected."""
    for button in ({"text": "a"}, {"text": "a", "url": "https://x.nl", "callback_data": "b"}):
        markup = {"inline_keyboard": [[button]]}
        [problem] = spec.check("sendMessage", {"chat_id": 1, "text": "t", "reply_markup": markup})
        assert "exactly one of" in problem


def test_unknown_method_is_rejected(spec: Spec) -> None:
    """A method the Bot API does not have is rejected; names match case-insensitively."""
    assert spec.check("sendMessages", {}) == ["unknown method 'sendMessages'"]
    assert spec.check("SENDMESSAGE", {"chat_id": 1, "text": "t"}) == []


def test_missing_required_param_is_rejected(spec: Spec) -> None:
    """A call without a required parameter is rejected, and so is an unknown one."""
    assert spec.check("sendMessage", {"text": "hi"}) == [
        "sendMessage: required field 'chat_id' is missing"
    ]
    assert spec.check("sendMessage", {"chat_id": 1, "text": "hi", "txt": "x"}) == [
        "sendMessage: unknown field 'txt'"
    ]


def test_unclosed_html_tag_is_rejected(spec: Spec) -> None:
    """HTML with an unclosed <b> is rejected."""
    problems = spec.check("sendMessage", {"chat_id": 1, "text": "<b>hi", "parse_mode": "HTML"})
    assert problems == ["sendMessage.text: unclosed tag <b>"]


def test_bare_ampersand_in_html_is_rejected(spec: Spec) -> None:
    """A bare '&' under parse_mode HTML is rejected; without parse_mode it is plain text."""
    params = {"chat_id": 1, "text": "Tom & Jerry", "parse_mode": "HTML"}
    assert spec.check("sendMessage", params) == [
        "sendMessage.text: bare '&' at offset 4, escape it as &amp;"
    ]
    assert spec.check("sendMessage", {"chat_id": 1, "text": "Tom & Jerry"}) == []


def test_html_parser_enforces_telegram_rules() -> None:
    """Only Telegram's tags, properly nested, with entities decoded, pass the HTML parser."""
    assert parse_html("<b>a <i>b</i></b> &lt;3 &#128512;") == ("a b <3 😀", [])
    assert parse_html("<b><i>x</b></i>")[1][0].startswith("end tag </b> does not match")
    assert parse_html("a<br>b")[1] == ["unsupported tag <br>"]
    assert parse_html("1 < 2")[1] == ["bare '<' at offset 2, escape it as &lt;"]
    assert parse_html("<code><b>x</b></code>")[1]
    assert parse_html('<span class="x">s</span>')[1]
    assert parse_html('<pre><code class="language-python">x</code></pre>')[1] == []


def test_set_my_commands_limits(spec: Spec) -> None:
    """setMyCommands rejects bad command names, empty descriptions and more than 100 commands."""
    bad = [{"command": "Start", "description": ""}, {"command": "x" * 33, "description": "d"}]
    assert len(spec.check("setMyCommands", {"commands": bad})) == 3
    many = [{"command": f"c{i}", "description": "d"} for i in range(101)]
    assert spec.check("setMyCommands", {"commands": many}) == [
        "setMyCommands.commands: 101 items, at most 100 allowed"
    ]


def test_require_raises_with_every_violation(spec: Spec) -> None:
    """Spec.require raises BotApiViolation naming the method and all problems."""
    with pytest.raises(BotApiViolation, match="sendMessage") as caught:
        spec.require("sendMessage", {"text": "", "bogus": 1})
    assert len(caught.value.violations) == 3


# -- the offline request ------------------------------------------------------------------------


@pytest.fixture
async def app() -> AsyncIterator[App]:
    application = (
        ApplicationBuilder()
        .token("123:ABC")
        .request(OfflineRequest())
        .get_updates_request(OfflineRequest())
        .build()
    )
    async with application:
        yield application


def offline(app: App) -> OfflineRequest:
    request = app.bot.request
    assert isinstance(request, OfflineRequest)
    return request


async def test_bot_call_violation_raises(app: App) -> None:
    """A direct bot call Telegram would reject raises an AssertionError and is remembered."""
    with pytest.raises(OfflineViolation, match="4097 characters"):
        await app.bot.send_message(USER, "x" * 4097)
    assert len(offline(app).violations) == 1
    assert offline(app).calls_to("sendMessage") == []


async def test_unexpected_method_fails(app: App) -> None:
    """A valid method with no canned response fails as an unexpected network call."""
    with pytest.raises(AssertionError, match="unexpected network call 'sendChatAction'"):
        await app.bot.send_chat_action(USER, "typing")
    assert len(offline(app).violations) == 1
    offline(app).telegram.respond("sendChatAction", True)
    assert await app.bot.send_chat_action(USER, "typing") is True


async def test_uploads_are_recorded(app: App) -> None:
    """sendPhoto/sendDocument record the uploaded bytes and file name."""
    message = await app.bot.send_document(USER, b"%PDF-1", filename="canvas.pdf", caption="Hier")
    [call] = offline(app).calls_to("sendDocument")
    assert {k: f.data for k, f in call.files.items()} == {"document": b"%PDF-1"}
    assert call.files["document"].filename == "canvas.pdf"
    assert message.document is not None
    assert message.document.file_name == "canvas.pdf"
    assert message.caption == "Hier"


async def test_injected_failures(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """fail_next and raise_network_error_next make PTB raise the matching errors, then recover."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # else RetryAfter() itself warns (PTB 22.2+)
    requests = offline(app)
    requests.telegram.fail_next("sendMessage", 400, "Bad Request: message text is empty")
    requests.telegram.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    requests.telegram.fail_next(
        "sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7
    )
    requests.raise_network_error_next("sendMessage")
    requests.raise_network_error_next("sendMessage", timed_out=True)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await app.bot.send_message(USER, "a")
    with pytest.raises(Forbidden):
        await app.bot.send_message(USER, "b")
    with pytest.raises(RetryAfter) as flood:
        await app.bot.send_message(USER, "c")
    assert flood.value.retry_after == dt.timedelta(seconds=7)
    with pytest.raises(NetworkError):
        await app.bot.send_message(USER, "d")
    with pytest.raises(TimedOut):
        await app.bot.send_message(USER, "e")
    await app.bot.send_message(USER, "f")
    assert [c.error is None for c in requests.calls_to("sendMessage")] == [False] * 5 + [True]
    assert requests.sent_texts(USER) == ["f"]


async def test_concurrent_calls_get_distinct_ids(app: App) -> None:
    """Many concurrent sends are all recorded, each answered with its own message_id."""
    messages = await asyncio.gather(*(app.bot.send_message(USER, str(i)) for i in range(50)))
    assert len({m.message_id for m in messages}) == 50
    assert sorted(offline(app).sent_texts(), key=int) == [str(i) for i in range(50)]


# -- a real Application -------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    buttons = InlineKeyboardMarkup([[InlineKeyboardButton("Begin", callback_data="begin")]])
    await update.message.reply_text(
        f"<b>Welkom</b> {' '.join(context.args or [])}",
        parse_mode=ParseMode.HTML,
        reply_markup=buttons,
    )


async def test_application_reply_is_recorded(app: App) -> None:
    """A CommandHandler's reply_text through a real Application is validated and recorded."""
    app.add_handler(CommandHandler("start", start))
    updates = UpdateFactory(app.bot)
    await app.process_update(updates.command(USER, "/start", args="canvas"))
    requests = offline(app)
    assert requests.violations == []
    [call] = requests.calls_to("sendMessage")
    assert call.params == {
        "chat_id": USER,
        "text": "<b>Welkom</b> canvas",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "Begin", "callback_data": "begin"}]]},
    }
    assert [c.method for c in requests.calls] == ["getMe", "sendMessage"]


async def test_application_oversize_reply_fails(app: App) -> None:
    """An oversize reply from a handler reaches the error handler and the violations list."""

    async def shout(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text("A" * 5000)

    errors: list[object] = []

    async def on_error(_: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    app.add_handler(CommandHandler("shout", shout))
    app.add_error_handler(on_error)
    await app.process_update(UpdateFactory(app.bot).command(USER, "shout"))
    [violation] = offline(app).violations
    assert errors == [violation]
    assert "5000 characters, must be 1-4096" in str(violation)
    assert offline(app).sent_texts() == []


async def test_callback_answer_and_edit(app: App) -> None:
    """A button press is answered and its message edited, both as valid recorded calls."""

    async def pressed(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Opgeslagen")
        await query.edit_message_text(f"Gekozen: {query.data}")

    app.add_handler(CallbackQueryHandler(pressed))
    await app.process_update(UpdateFactory(app.bot).callback(USER, "begin", message_id=77))
    requests = offline(app)
    assert requests.violations == []
    [answer] = requests.calls_to("answerCallbackQuery")
    assert answer.params == {"callback_query_id": "1", "text": "Opgeslagen"}
    [edit] = requests.calls_to("editMessageText")
    assert edit.params == {"chat_id": USER, "message_id": 77, "text": "Gekozen: begin"}


def test_update_factories_build_bound_updates(app: App) -> None:
    """Every factory yields an Update bound to the bot, with increasing update ids."""
    make = UpdateFactory(app.bot)
    updates = [
        make.text_message(USER, "hoi"),
        make.sticker(USER),
        make.photo(USER, caption="foto"),
        make.voice(USER),
        make.location(USER),
        make.contact(USER),
        make.document(USER),
        make.edited_message(USER, "hoi!", message_id=1),
    ]
    assert [u.update_id for u in updates] == list(range(1, 9))
    messages = [u.effective_message for u in updates if u.effective_message]
    assert all(m.get_bot() is app.bot for m in messages)
    with_attachment = [m.effective_attachment is not None for m in messages]
    assert with_attachment == [False, True, True, True, True, True, True, False]
    assert updates[-1].edited_message is not None
    assert updates[0].effective_chat is not None
    assert updates[0].effective_chat.id == USER
    assert updates[0].effective_user is not None
    assert updates[0].effective_user.language_code == "nl"
