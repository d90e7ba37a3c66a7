"""The chat summary, phone first: the first message, the detail behind the button."""

from __future__ import annotations

import re

import pytest

from flows.agenda_text import Names, topics
from flows.canvas import Language
from flows.chat_summary import (
    FIRST_LIMIT,
    first_message,
    render_detail,
    visible_length,
)
from flows.compare import Comparison, compare
from flows.messages import escape, load_messages
from flows.reading import Reading
from tests.flows.planted import (
    BUSINESS,
    BUSINESS_NAME,
    CANVAS_V2,
    PLANTED_BUSINESS,
    PLANTED_NOTES_BUSINESS,
    PLANTED_NOTES_SOCIAL,
    PLANTED_SOCIAL,
    SOCIAL,
    SOCIAL_NAME,
    THEME_IDS,
    Score,
    ambitions,
    pair_answers,
)
from tests.flows.test_summary import balanced, visible

MESSAGES = load_messages()
NAMES = {"social_name": SOCIAL_NAME, "business_name": BUSINESS_NAME}
SAME = ambitions("integration", "integration", "organisation")
PRAISE = ("mooi", "fijn", "goed vertrekpunt", "sterk samen", "good place", "strong together")


def pair(
    social: dict[str, Score],
    business: dict[str, Score],
    notes: tuple[dict[str, str], dict[str, str]] = ({}, {}),
) -> Comparison:
    return compare(
        CANVAS_V2,
        pair_answers(SOCIAL, social, notes[0]),
        pair_answers(BUSINESS, business, notes[1]),
    )


PLANTED = pair(PLANTED_SOCIAL, PLANTED_BUSINESS, (PLANTED_NOTES_SOCIAL, PLANTED_NOTES_BUSINESS))


def shown(comparison: Comparison, language: Language = "nl", **names: str) -> Reading:
    """The comparison as a reader in ``language`` sees it, with ``NAMES`` unless named."""
    chosen = names or NAMES
    return Reading(
        comparison,
        CANVAS_V2,
        MESSAGES,
        language,
        chosen["social_name"],
        chosen["business_name"],
    )


def first(comparison: Comparison, language: Language = "nl", **names: str) -> str:
    return first_message(shown(comparison, language, **names), detail_button=True)


def detail(comparison: Comparison, language: Language = "nl", **names: str) -> str:
    return render_detail(shown(comparison, language, **names))


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_first_message_holds_ambitions_and_the_top_three_within_1000(
    language: Language,
) -> None:
    """A planted pair's first message fits 1,000 characters and holds both ambitions, the
    counts, the top three agenda items in order, and what to do next."""
    text = first(PLANTED, language)
    assert visible_length(text) <= FIRST_LIMIT
    assert balanced(text)
    word = {"nl": "transformatie", "en": "transformation"}[language]
    assert f"{SOCIAL_NAME}: {'transactie' if language == 'nl' else 'transaction'} → {word}" in text
    agenda = topics(PLANTED, MESSAGES, language, Names(SOCIAL_NAME, BUSINESS_NAME))
    titles = re.findall(r"^\S+ (\d)\. <b>(.+?)</b>", text, re.M)
    assert titles == [(str(n), t.title) for n, t in enumerate(agenda[:3], start=1)]
    assert [t.item for t in agenda[:1]] == [None]  # the ambitions open the agenda
    assert len(agenda) == 5
    assert agenda[3].title not in text  # the fourth item is behind the button
    assert "/report" in text


def test_the_planted_pair_reads_as_planned_in_dutch() -> None:
    """The Dutch first message names who sees what in plain words, and the skipped theme is
    counted as skipped, not as still open."""
    text = first(PLANTED)
    assert "Van Dijk Logistiek ziet al concrete doelen, De Groene Schakel nog niet." in text
    assert "Geen van beide heeft de afspraken vastgelegd" in text
    assert "overgeslagen" in text
    assert "nog open" not in text
    assert "🟢 <b>Sterk samen:</b> Selectie, Middelen, Synergie" in text


def test_every_agenda_item_names_both_organisations_and_carries_both_notes() -> None:
    """With notes on every theme, each of the five items names both and shows both notes."""
    notes_social = {t: f"Noot van de sociale onderneming over {t}." for t in THEME_IDS}
    notes_business = {t: f"Noot van het bedrijf over {t}." for t in THEME_IDS}
    social = {**ambitions("transaction", "integration", "employee"), **dict.fromkeys(THEME_IDS, 5)}
    business = {**SAME, **dict.fromkeys(THEME_IDS, 2), "visibility": "not_yet"}
    comparison = pair(social, business, (notes_social, notes_business))
    agenda = topics(comparison, MESSAGES, "nl", Names(SOCIAL_NAME, BUSINESS_NAME))
    assert len(agenda) == 5
    text = detail(comparison)
    blocks = text.split("\n\n")[1:6]
    for topic, block in zip(agenda, blocks, strict=True):
        assert SOCIAL_NAME in topic.sentence
        assert BUSINESS_NAME in topic.sentence
        assert topic.question
        if topic.item is not None:
            theme = topic.item.theme.id
            assert topic.social_note == notes_social[theme]
            assert topic.business_note == notes_business[theme]
            assert notes_social[theme] in block
            assert notes_business[theme] in block
            assert "Volgende stap" in block


def test_the_detail_holds_questions_next_steps_and_every_theme() -> None:
    """Behind the button: the opening question per direction, the next step, a line per theme."""
    text = detail(PLANTED)
    assert balanced(text)
    assert "Laat eerst De Groene Schakel vertellen wat er nog ontbreekt" in text
    assert "Volgende stap: Volgende stap voor gedeelde doelen." in text
    assert "None" not in text
    for theme in CANVAS_V2.themes:
        assert f" {theme.title('nl')}: " in text
    assert "⏸ Zichtbaarheid: ⏸ · 5" in text
    assert "⏭ Systeempartners: 5 · —" in text


def test_an_all_neutral_pair_gets_no_praise_and_is_told_what_to_talk_about() -> None:
    """Every answer 3: the pair hears that their answers say little yet and where to start."""
    everything = {**SAME, **dict.fromkeys(THEME_IDS, 3)}
    comparison = pair(everything, everything)
    for language in ("nl", "en"):
        text = first(comparison, language).lower()
        assert not any(word in text for word in PRAISE), text
    text = first(comparison)
    assert "Jullie antwoorden zeggen nog weinig" in text
    assert "te beginnen bij Afspraken, Vertrouwen en Investering" in text  # their phase first


def test_a_pair_without_strengths_is_never_told_it_has_a_fine_start() -> None:
    """Differences and no strengths: the first message says there are no shared strengths yet."""
    comparison = pair({**SAME, "goals": 5, "trust": 1}, {**SAME, "goals": 1, "trust": 3})
    text = first(comparison)
    assert "Nog geen gedeelde sterktes" in text
    assert "vertrekpunt" not in text


def test_a_pair_with_only_strengths_is_told_to_build_on_them() -> None:
    """No differences and no concerns, but shared strengths: named, and what to talk about."""
    comparison = pair({**SAME, "goals": 5, "trust": 4}, {**SAME, "goals": 4, "trust": 4})
    text = first(comparison)
    assert "Bespreek wat jullie gedeelde sterktes mogelijk maakt" in text
    assert "Gedeelde doelen, Vertrouwen" in text


def test_long_names_and_notes_still_fit_and_are_escaped() -> None:
    """Names of 100 characters and notes of 1,000 with markup: both messages fit, escaped."""
    long_social = "Stichting <Werk> & Meer " * 5
    long_business = "Logistiek & Transport Van Dijk " * 4
    note = "Wij <willen> meer & beter samenwerken, en dat kost tijd. " * 17
    notes = (dict.fromkeys(THEME_IDS, note[:1000]), dict.fromkeys(THEME_IDS, note[:1000]))
    social = {
        **ambitions("transaction", "transformation", "society"),
        **dict.fromkeys(THEME_IDS, 5),
    }
    business = {**SAME, **dict.fromkeys(THEME_IDS, 1)}
    comparison = pair(social, business, notes)
    names = {"social_name": long_social, "business_name": long_business}
    for language in ("nl", "en"):
        text = first(comparison, language, **names)
        assert visible_length(text) <= FIRST_LIMIT
        assert balanced(text)
        assert "<Werk>" not in text
        assert "&lt;Werk&gt;" in text
        full = detail(comparison, language, **names)
        assert balanced(full)
        assert "<willen>" not in full
        # No Telegram limit in flows/: the notes stay whole, bot/ splits the blocks.
        assert escape(note[:1000].strip()) in full


def test_the_first_message_shows_what_moved_since_the_previous_round() -> None:
    """With a previous round one line says how many themes came closer and where scores went."""
    before = (
        pair_answers(SOCIAL, {**SAME, "goals": 5, "trust": 4}),
        pair_answers(BUSINESS, {**SAME, "goals": 1, "trust": 4}),
    )
    comparison = compare(
        CANVAS_V2,
        pair_answers(SOCIAL, {**SAME, "goals": 4, "trust": 4}, round_=2),
        pair_answers(BUSINESS, {**SAME, "goals": 3, "trust": 2}, round_=2),
        before,
    )
    text = first(comparison)
    assert "1 thema's dichter bij elkaar, 1 verder uit elkaar; 1 scores omhoog, 2 omlaag" in text


def test_an_interim_first_message_says_so_and_offers_no_detail() -> None:
    """An incomplete round's first message opens with a warning and promises the summary later."""
    text = first_message(shown(PLANTED), incomplete=True, detail_button=False)
    assert text.startswith("⚠️ <b>Tussenstand:</b>")
    assert "zodra jullie allebei klaar zijn" in text
    assert visible_length(text) <= FIRST_LIMIT


def test_visible_length_counts_what_telegram_counts() -> None:
    """Tags are left out, an entity counts once and an emoji outside the basic plane twice."""
    assert visible_length("<b>A&amp;B</b> 🔴") == 6
    assert visible("<i>a b</i>") == "ab"


def test_with_long_names_the_top_three_still_name_both_sides_in_full_sentences() -> None:
    """When gists do not fit, each top item falls back to a compact sentence that still names
    both organisations, rather than losing its second half."""
    names = {
        "social_name": "Stichting Werkbedrijf De Groene Schakel",
        "business_name": "Van Dijk Logistiek en Transport B.V.",
    }
    lead = "🎉 Jullie zijn allebei klaar: " + " en ".join(names.values()) + ". Tot zo."
    text = first_message(shown(PLANTED, **names), lead=lead, detail_button=True)
    assert visible_length(text) <= FIRST_LIMIT
    lines = [line for line in text.splitlines() if re.match(r"^\S+ [23]\. <b>", line)]
    assert len(lines) == 2
    for line in lines:
        assert line.endswith(".")
        assert "…." not in line
    assert any("Stichting Werkbedrijf" in line and "Van Dijk" in line for line in lines)
