"""The comparison as Telegram HTML messages: headline, theme blocks, agenda and splitting."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from importlib import resources

import pytest

from bot.split import CAPTION_LIMIT, MESSAGE_LIMIT, split_html, telegram_length
from flows.canvas import Language
from flows.compare import Comparison, compare
from flows.messages import load_messages, parse_messages
from flows.summary import headline
from flows.summary import render_summary as summary_blocks
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


def render_summary(*args: object, **kwargs: object) -> list[str]:
    """The summary as the bot sends it: flows' blocks packed into messages by bot/."""
    return split_html(summary_blocks(*args, **kwargs))  # type: ignore[arg-type]


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
    """Without mismatches the headline says so first; counts above one are plural, in English."""
    result = small(
        {"selection": 4, "resources": 5, "trust": None, "value": 5},
        {"selection": 5, "resources": 5, "trust": 4, "value": 4},
    )
    assert headline(result, MESSAGES, "en") == (
        "🔴 No mismatches in expectations · 🟢 3 shared strengths · ⏳ 1 theme still open"
    )


def test_headline_fits_a_caption():
    """The headline of a full canvas with every verdict fits a photo caption."""
    scores = [(5, 1), (4, 5), (1, 2), (3, 3), (None, 2)]
    social = {t: scores[i % 5][0] for i, t in enumerate(THEMES_17)}
    business = {t: scores[i % 5][1] for i, t in enumerate(THEMES_17)}
    result = compare(CANVAS_17, answers(SOCIAL, social), answers(BUSINESS, business))
    for language in ("nl", "en"):
        assert telegram_length(headline(result, MESSAGES, language)) <= CAPTION_LIMIT


def test_summary_shows_each_theme_with_both_scores_and_its_verdict():
    """A small canvas fits one message with every theme, both scores and the verdict marked."""
    (text,) = render_summary(MIXED, CANVAS, MESSAGES, "nl", **NAMES)
    assert "Werkbedrijf &lt;Noord&gt; &amp; Co" in text
    assert "Nog niet compleet" not in text
    assert "<b><u>Fase orientation</u></b>" in text
    assert "🔴 <b>Thema trust</b> · <i>Verschil in verwachting (3 punten uit elkaar)</i>" in text
    assert "Werkbedrijf &lt;Noord&gt; &amp; Co: ●●●●● helemaal eens" in text
    assert "Bakkerij De Vries: ●●○○○ oneens" in text
    assert "🟢 <b>Thema selection</b> · <i>Gedeelde sterkte</i>" in text
    assert "50% van de beantwoorde thema's zonder verschil in verwachting" in text
    assert_sendable([text])


def test_summary_marks_skipped_and_unanswered_themes():
    """A skipped answer and a missing one are told apart and the theme is marked still open."""
    result = small({"selection": None}, {"selection": 4})
    (text,) = render_summary(result, CANVAS, MESSAGES, "en", **NAMES)
    assert "⏳ <b>Theme selection</b> · <i>Still open</i>" in text
    assert "Werkbedrijf &lt;Noord&gt; &amp; Co: — skipped" in text
    assert "Bakkerij De Vries: — not answered yet" in text


def test_summary_says_first_when_it_is_incomplete():
    """With ``incomplete`` the first message opens with a clear warning."""
    parts = render_summary(MIXED, CANVAS, MESSAGES, "nl", incomplete=True, **NAMES)
    assert parts[0].startswith("⚠️ <b>Nog niet compleet.</b>")


def test_summary_ends_with_a_numbered_agenda_with_opening_questions():
    """The agenda lists mismatches, then shared concerns, numbered, each with its question."""
    (text,) = render_summary(MIXED, CANVAS, MESSAGES, "en", **NAMES)
    agenda = text[text.index("Agenda for the conversation") :]
    assert agenda.index("1. 🔴 <b>Theme trust</b>") < agenda.index("2. 🟠 <b>Theme resources</b>")
    assert "Werkbedrijf &lt;Noord&gt; &amp; Co: 5 · Bakkerij De Vries: 2" in agenda
    assert "❓ <i>What does trust ask?</i>" in agenda


def test_summary_without_agenda_items_says_so():
    """When nothing needs discussing, the agenda says so instead of listing nothing."""
    result = small({"selection": 4}, {"selection": 4})
    (text,) = render_summary(result, CANVAS, MESSAGES, "nl", **NAMES)
    assert "Geen verschillen in verwachting en geen gedeelde zorgen" in text


def test_notes_are_escaped():
    """Notes with <, > and & reach Telegram escaped, never as markup."""
    note = "<script>alert('x')</script> & <b>vet</b> 3 > 2"
    result = compare(
        CANVAS,
        answers(SOCIAL, {"trust": 5}, {"trust": note}),
        answers(BUSINESS, {"trust": 1}, {"trust": "A&B"}),
    )
    (text,) = render_summary(result, CANVAS, MESSAGES, "nl", **NAMES)
    assert "<script>" not in text
    assert "<b>vet</b>" not in text
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;vet&lt;/b&gt; 3 &gt; 2" in text
    assert "<b>Bakkerij De Vries</b>: A&amp;B</blockquote>" in text
    assert_sendable([text])


def test_movement_since_the_previous_round_is_shown_with_a_legend():
    """With a previous round each score shows how it moved, and the first message explains it."""
    previous = (answers(SOCIAL, {"trust": 3, "value": 3}), answers(BUSINESS, {"trust": 4}))
    result = compare(
        CANVAS,
        answers(SOCIAL, {"trust": 4, "value": 3}, round_=2),
        answers(BUSINESS, {"trust": 2, "value": 3}, round_=2),
        previous,
    )
    (text,) = render_summary(result, CANVAS, MESSAGES, "nl", **NAMES)
    assert "Co: ●●●●○ eens ↑1" in text
    assert "Bakkerij De Vries: ●●○○○ oneens ↓2" in text
    assert "Co: ●●●○○ neutraal =" in text
    assert "Bakkerij De Vries: ●●●○○ neutraal\n" in text  # no earlier score: no movement
    assert "vorige ronde" in text


def test_no_movement_marks_without_a_previous_round():
    """Without a previous round there are no arrows and no legend for them."""
    (text,) = render_summary(MIXED, CANVAS, MESSAGES, "nl", **NAMES)
    assert not re.search("[↑↓]", text.replace("↑ en ↓", ""))
    assert "vorige ronde" not in text


def test_long_summary_is_split_between_theme_blocks():
    """Many long notes spread over several messages, each within limits, no theme block cut."""
    note = "Wij <willen> meer & beter samenwerken, en dat kost tijd. " * 17  # ~1000 characters
    notes = {t: f"{t}: {note}"[:1000].rstrip() for t in THEMES_17}
    social = answers(SOCIAL, dict.fromkeys(THEMES_17, 4), notes)
    business = answers(BUSINESS, dict.fromkeys(THEMES_17, 1), notes)
    result = compare(CANVAS_17, social, business)
    parts = render_summary(result, CANVAS_17, MESSAGES, "nl", **NAMES)
    assert len(parts) > 3
    assert_sendable(parts)
    order = []
    for theme in THEMES_17:
        (home,) = [i for i, part in enumerate(parts) if f"<b>Thema {theme}</b> · <i>" in part]
        assert parts[home].count(html.escape(notes[theme], quote=False)) == 2
        order.append(home)
    assert order == sorted(order)
    (agenda,) = [i for i, part in enumerate(parts) if "Agenda voor het gesprek" in part]
    assert agenda >= order[-1]


def test_a_theme_block_too_long_for_one_message_is_split_with_tags_balanced():
    """Notes that make one block exceed the limit are cut at a word or character, tags closed."""
    unbroken = "&" * 1000  # 5000 characters once escaped, without a space to cut at
    words = " ".join(["<woord>"] * 125)  # 999 characters, 1749 once escaped
    result = compare(
        CANVAS,
        answers(SOCIAL, {"trust": 5}, {"trust": unbroken}),
        answers(BUSINESS, {"trust": 1}, {"trust": words}),
    )
    parts = render_summary(result, CANVAS, MESSAGES, "nl", **NAMES)
    assert len(parts) >= 2
    assert_sendable(parts)
    seen = "".join(visible(part) for part in parts)
    assert unbroken in seen
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


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_message_needed_exists_in_both_languages(language: Language):
    """Summaries with every verdict, movement and the incomplete note render in both languages."""
    scores = [(5, 1), (4, 5), (1, 2), (3, 3), (None, 2), (2, 2), (4, 4)]
    social = {t: scores[i % 7][0] for i, t in enumerate(THEMES_17)}
    business = {t: scores[i % 7][1] for i, t in enumerate(THEMES_17)}
    previous = (answers(SOCIAL, dict.fromkeys(THEMES_17, 3)), [])
    result = compare(CANVAS_17, answers(SOCIAL, social), answers(BUSINESS, business), previous)
    parts = render_summary(result, CANVAS_17, MESSAGES, language, incomplete=True, **NAMES)
    assert_sendable(parts)
    assert "{" not in "".join(parts)


def test_summary_messages_load_beside_the_other_messages():
    """summary.toml merges with messages.toml without a key defined twice."""
    if not resources.files("flows").joinpath("content/messages.toml").is_file():
        pytest.skip("content/messages.toml is not written yet")
    messages = load_messages()
    assert set(MESSAGES.keys()) <= set(messages.keys())
