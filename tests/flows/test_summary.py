"""The headline of counts, and splitting long Telegram HTML into messages."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from importlib import resources

from bot.split import CAPTION_LIMIT, MESSAGE_LIMIT, split_html, telegram_length
from flows.compare import Comparison, compare
from flows.messages import load_messages, parse_messages
from flows.summary import headline
from tests.flows.test_compare import BUSINESS, CANVAS, SEVENTEEN, SOCIAL, answers, build_canvas

SUMMARY_TOML = resources.files("flows").joinpath("content/summary.toml").read_text("utf-8")
MESSAGES = parse_messages([("summary.toml", SUMMARY_TOML)])
NAMES = {"social_name": "Werkbedrijf <Noord> & Co", "business_name": "Bakkerij De Vries"}
CANVAS_17 = build_canvas(SEVENTEEN)
THEMES_17 = [t.id for t in CANVAS_17.themes]


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ok = True

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.ok = False


def balanced(text: str) -> bool:
    parser = _Balance()
    parser.feed(text)
    parser.close()
    return parser.ok and not parser.stack


def visible(text: str) -> str:
    """The text a reader sees, without tags and whitespace."""
    return "".join(html.unescape(re.sub(r"<[^>]*>", "", text)).split())


def assert_sendable(parts: list[str]) -> None:
    for part in parts:
        assert 0 < telegram_length(part) <= MESSAGE_LIMIT
        assert len(part) <= MESSAGE_LIMIT
        assert balanced(part), part
        assert part == part.strip()
        assert not re.search(r"&(?!#?\w+;)", part), "a cut entity"


def small(social: dict[str, int | None], business: dict[str, int | None]) -> Comparison:
    return compare(CANVAS, answers(SOCIAL, social), answers(BUSINESS, business))


MIXED = small(
    {"selection": 4, "resources": 1, "trust": 5, "value": 3},
    {"selection": 5, "resources": 2, "trust": 2, "value": 3},
)


def test_headline_counts_each_verdict_in_the_singular():
    """The headline names each verdict that occurs, in the singular for one, in Dutch."""
    text = headline(MIXED, MESSAGES, "nl")
    assert text == (
        "🔴 1 verschil in verwachting · 🟢 1 gedeelde sterkte · 🟠 1 gedeelde zorg"
        " · ⚪ 1 thema op één lijn"
    )


def test_headline_says_when_there_is_no_mismatch_and_uses_plurals():
    """Without mismatches the headline says so first; counts above one are plural; a skipped
    theme is counted as skipped and an unanswered one as still open, in English."""
    result = small(
        {"selection": 4, "resources": 5, "trust": None},
        {"selection": 5, "resources": 5, "trust": 4, "value": 4},
    )
    assert headline(result, MESSAGES, "en") == (
        "🔴 No mismatches in expectations · 🟢 2 shared strengths · ⏭ 1 theme skipped"
        " · ⏳ 1 theme still open"
    )


def test_headline_fits_a_caption():
    """The headline of a full canvas with every verdict fits a photo caption."""
    scores = [(5, 1), (4, 5), (1, 2), (3, 3), (None, 2)]
    social = {t: scores[i % 5][0] for i, t in enumerate(THEMES_17)}
    business = {t: scores[i % 5][1] for i, t in enumerate(THEMES_17)}
    result = compare(CANVAS_17, answers(SOCIAL, social), answers(BUSINESS, business))
    for language in ("nl", "en"):
        assert telegram_length(headline(result, MESSAGES, language)) <= CAPTION_LIMIT


def test_split_html_cuts_a_block_too_long_for_one_message_with_tags_balanced():
    """A block over the limit is cut at a word or, without spaces, at a character, tags closed."""
    unbroken = "&amp;" * 1000  # 5000 characters, without a space to cut at
    words = " ".join(["&lt;woord&gt;"] * 125)
    block = f"<blockquote expandable>💬 <b>A</b>: {unbroken}</blockquote>\n<i>{words}</i>"
    parts = split_html([block])
    assert len(parts) >= 2
    assert_sendable(parts)
    seen = "".join(visible(part) for part in parts)
    assert "&" * 1000 in seen
    assert "<woord>" * 125 in seen
    assert any(p.startswith("<blockquote expandable>") for p in parts[1:])


def test_split_html_reopens_the_tags_open_at_a_cut():
    """A cut inside nested tags closes them in one part and opens them again in the next."""
    block = "<b>Vet <i>" + " ".join(f"woord{i}" for i in range(30)) + "</i> einde</b>"
    parts = split_html([block], limit=60)
    assert len(parts) > 2
    assert_sendable(parts)
    assert all(len(part) <= 60 for part in parts)
    assert parts[1].startswith("<b><i>")
    assert "".join(visible(p) for p in parts) == visible(block)


def test_split_html_keeps_blocks_whole_when_they_fit():
    """Blocks are packed whole; a block that does not fit beside others starts a new message."""
    blocks = [f"<b>Blok {i}</b>\n" + "x" * 30 for i in range(5)]
    parts = split_html(blocks, limit=100)
    assert parts == [f"{blocks[0]}\n\n{blocks[1]}", f"{blocks[2]}\n\n{blocks[3]}", blocks[4]]


def test_telegram_length_counts_utf16_code_units():
    """An emoji outside the basic plane counts as two, as Telegram counts it."""
    assert telegram_length("🔴a") == 3
    assert telegram_length("●") == 1


def test_summary_messages_load_beside_the_other_messages():
    """summary.toml merges with messages.toml without a key defined twice."""
    messages = load_messages()
    assert set(MESSAGES.keys()) <= set(messages.keys())
