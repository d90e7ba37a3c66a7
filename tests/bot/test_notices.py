"""Short notices on a button (answerCallbackQuery) are plain text of at most 200 characters."""

from __future__ import annotations

from flows.actions import Notice
from flows.messages import load_messages
from tests.bot.conftest import Harness

USER = 5151


async def _notice_shown(harness: Harness, text: str) -> str:
    query = harness.updates.callback(USER, "x", message_id=1).callback_query
    assert query is not None
    await harness.app.bot_data.send([Notice(text)], query)
    [answer] = harness.offline.calls_to("answerCallbackQuery")
    harness.offline.assert_no_violations()
    return str(answer.params["text"])


async def test_a_notice_shows_a_name_as_typed(harness: Harness) -> None:
    """A name with '&' and '<' in a notice reaches the toast as typed, not HTML-escaped."""
    name = "A&B <Zorg>"
    notice = load_messages()("other_partnership", "nl", organisation=name)
    shown = await _notice_shown(harness, notice)
    assert name in shown
    assert "&amp;" not in shown


async def test_a_long_notice_is_cut_to_telegrams_limit(harness: Harness) -> None:
    """A notice longer than 200 characters is cut to fit, ending in an ellipsis, not refused."""
    name = "Stichting " + "🌱" * 150
    notice = load_messages()("other_partnership", "en", organisation=name)
    shown = await _notice_shown(harness, notice)
    assert len(shown.encode("utf-16-le")) // 2 <= 200
    assert shown.endswith("…")
    assert shown.startswith("This question belongs to your partnership as Stichting 🌱")
