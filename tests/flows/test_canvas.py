"""The shipped canvas content, and how parse_canvas names a bad entry."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from flows.canvas import LANGUAGES, Canvas, Part, Text, Theme, load_canvas, parse_canvas
from flows.errors import ContentError

PHASES = ("orientation", "integration", "transformation")
PART_ORDER = (Part.PARTNERSHIP, Part.RESOURCES, Part.VALUE)
FORBIDDEN = re.compile(r"[<>&{}]")
STATEMENT_MAX = 160
QUESTION_MAX = 200

# Every theme CANVAS-NOTES.md lists, by the id it has in the shipped canvas, and its phase.
EXPECTED_THEMES = {
    "selection": "orientation",
    "resources": "orientation",
    "complement": "orientation",
    "ambitions": "orientation",
    "goals": "orientation",
    "motivation": "orientation",
    "agreements": "integration",
    "formalisation": "integration",
    "trust": "integration",
    "openness": "integration",
    "flexibility": "integration",
    "investment": "integration",
    "equality": "integration",
    "economic_value": "integration",
    "social_value": "integration",
    "visibility": "integration",
    "securing": "transformation",
    "system": "transformation",
    "change": "transformation",
    "synergy": "transformation",
}

MINIMAL = """
version = "t1"
scale = [
    { nl = "Helemaal oneens", en = "Strongly disagree" },
    { nl = "Oneens", en = "Disagree" },
    { nl = "Neutraal", en = "Neutral" },
    { nl = "Eens", en = "Agree" },
    { nl = "Helemaal eens", en = "Strongly agree" },
]

[[phases]]
id = "first"
title = { nl = "Eerste", en = "First" }
intro = { nl = "Begin.", en = "Start." }

[[phases]]
id = "second"
title = { nl = "Tweede", en = "Second" }
intro = { nl = "Verder.", en = "Onwards." }

[parts]
partnership = { nl = "Partnerschap", en = "Partnership" }
resources = { nl = "Middelen", en = "Resources" }
value = { nl = "Waardecreatie", en = "Value creation" }

[[themes]]
id = "alpha"
phase = "first"
part = "partnership"
title = { nl = "Alfa", en = "Alpha" }
statement = { nl = "Wij eens.", en = "We agree." }
question = { nl = "Waarom?", en = "Why?" }

[[themes]]
id = "beta"
phase = "second"
part = "value"
title = { nl = "Bèta", en = "Beta" }
statement = { nl = "Wij ook.", en = "We too." }
question = { nl = "Hoe?", en = "How?" }
"""


@pytest.fixture(scope="module")
def raw() -> str:
    return resources.files("flows").joinpath("content/canvas.toml").read_text("utf-8")


@pytest.fixture(scope="module")
def canvas() -> Canvas:
    return load_canvas()


def _split(raw: str) -> tuple[str, list[str]]:
    """The text before the first theme, and each [[themes]] block with its header."""
    head, *blocks = raw.split("[[themes]]\n")
    return head, ["[[themes]]\n" + block for block in blocks]


def _block(raw: str, theme_id: str) -> str:
    _, blocks = _split(raw)
    (found,) = [b for b in blocks if f'\nid = "{theme_id}"\n' in b]
    return found


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"expected exactly one {old!r} in the shipped canvas"
    return text.replace(old, new)


def _error(raw: str) -> str:
    with pytest.raises(ContentError) as info:
        parse_canvas(raw)
    return str(info.value)


def _texts(theme: Theme) -> dict[str, Text]:
    return {"title": theme.title, "statement": theme.statement, "question": theme.question}


# ------------------------------------------------------------------ the shipped canvas


def test_shipped_canvas_loads_with_fifteen_to_twenty_themes(canvas: Canvas) -> None:
    """The canvas shipped with the bot validates and holds 15 to 20 themes."""
    assert 15 <= len(canvas.themes) <= 20
    assert canvas.version


def test_shipped_canvas_has_the_three_phases_in_order(canvas: Canvas) -> None:
    """The phases are orientation, integration and transformation, in that order."""
    assert tuple(p.id for p in canvas.phases) == PHASES
    assert [canvas.phase(p).title("nl") for p in PHASES] == [
        "Oriëntatie",
        "Integratie",
        "Transformatie",
    ]


def test_every_phase_has_themes_of_all_three_parts_in_order(canvas: Canvas) -> None:
    """Each phase has partnership, resources and value themes, grouped in that order."""
    for phase in PHASES:
        parts = [t.part for t in canvas.themes_in(phase)]
        assert set(parts) == set(Part), phase
        assert parts == sorted(parts, key=PART_ORDER.index), phase


def test_shipped_canvas_covers_every_theme_of_the_notes(canvas: Canvas) -> None:
    """Every theme the canvas notes list is present, in the phase the notes suggest."""
    placed = {t.id: t.phase for t in canvas.themes}
    assert {k: placed.get(k) for k in EXPECTED_THEMES} == EXPECTED_THEMES


def test_theme_ids_are_unique_and_lookups_work(canvas: Canvas) -> None:
    """Theme ids are unique, and theme() and position() find each theme by its id."""
    ids = [t.id for t in canvas.themes]
    assert len(set(ids)) == len(ids)
    for index, theme in enumerate(canvas.themes):
        assert canvas.theme(theme.id) is theme
        assert canvas.position(theme.id) == index
    assert canvas.theme("no_such_theme") is None


def test_every_text_has_both_languages_and_no_markup(canvas: Canvas) -> None:
    """Every user-facing text has Dutch and English and none of the characters < > & { }."""
    texts: list[tuple[str, Text]] = [("scale", label) for label in canvas.scale]
    texts += [(f"part {p}", t) for p, t in canvas.parts.items()]
    for phase in canvas.phases:
        texts += [(f"{phase.id}.title", phase.title), (f"{phase.id}.intro", phase.intro)]
    for theme in canvas.themes:
        texts += [(f"{theme.id}.{name}", text) for name, text in _texts(theme).items()]
    for where, text in texts:
        for language in LANGUAGES:
            value = text(language)
            assert value.strip(), f"{where}.{language} is empty"
            assert not FORBIDDEN.search(value), f"{where}.{language}: {value!r}"
        assert text("nl") != text("en") or where.endswith("title"), f"{where} untranslated"


def test_theme_texts_fit_on_a_phone(canvas: Canvas) -> None:
    """Titles have 1-4 words, statements at most 160 and questions at most 200 characters."""
    for theme in canvas.themes:
        for language in LANGUAGES:
            where = f"{theme.id}.{language}"
            assert 1 <= len(theme.title(language).split()) <= 4, where
            assert len(theme.statement(language)) <= STATEMENT_MAX, where
            assert len(theme.question(language)) <= QUESTION_MAX, where


def test_statements_are_one_sentence_and_questions_ask(canvas: Canvas) -> None:
    """Each statement is a single sentence ending in a full stop; each question asks one."""
    for theme in canvas.themes:
        for language in LANGUAGES:
            statement = theme.statement(language)
            assert statement.endswith("."), f"{theme.id}.{language}"
            assert not re.search(r"[.?!]\s", statement), f"{theme.id}.{language}"
            assert theme.question(language).endswith("?"), f"{theme.id}.{language}"


def test_scale_runs_from_strongly_disagree_to_strongly_agree(canvas: Canvas) -> None:
    """The answer scale has the report's five Likert labels from 1 to 5 in both languages."""
    assert [label("nl").lower() for label in canvas.scale] == [
        "helemaal oneens",
        "oneens",
        "neutraal",
        "eens",
        "helemaal eens",
    ]
    assert [label("en").lower() for label in canvas.scale] == [
        "strongly disagree",
        "disagree",
        "neutral",
        "agree",
        "strongly agree",
    ]


def test_shipped_text_splits_into_one_block_per_theme(raw: str, canvas: Canvas) -> None:
    """The test helpers see exactly one [[themes]] block per theme of the shipped canvas."""
    _, blocks = _split(raw)
    assert len(blocks) == len(canvas.themes)
    assert parse_canvas(raw) == canvas


# ------------------------------------------------------------------ errors name the entry


def test_minimal_hand_written_canvas_parses() -> None:
    """The small hand-written canvas the error tests start from is itself valid."""
    canvas = parse_canvas(MINIMAL)
    assert [t.id for t in canvas.themes] == ["alpha", "beta"]


def test_unknown_phase_names_the_theme_and_the_phase(raw: str) -> None:
    """A theme whose phase is not defined is rejected with its id and the bad phase."""
    block = _block(raw, "trust")
    bad = _replace_once(raw, block, block.replace('phase = "integration"', 'phase = "nowhere"'))
    message = _error(bad)
    assert "'trust'" in message
    assert "unknown phase 'nowhere'" in message


def test_duplicate_theme_id_names_the_id(raw: str) -> None:
    """A second theme with an id already used is rejected, naming that id."""
    block = _block(raw, "openness")
    bad = _replace_once(raw, block, block.replace('id = "openness"', 'id = "trust"'))
    message = _error(bad)
    assert "'trust'" in message
    assert "duplicate id" in message


def test_missing_english_text_names_the_field(raw: str, canvas: Canvas) -> None:
    """A theme statement without English is rejected with the path to the missing text."""
    block = _block(raw, "equality")
    lines = block.splitlines(keepends=True)
    kept = "".join(line for line in lines if not line.startswith("statement.en"))
    assert kept != block
    message = _error(_replace_once(raw, block, kept))
    assert f"themes.{canvas.position('equality')}[id=equality].statement.en" in message
    assert "Field required" in message


def test_missing_english_in_hand_written_canvas_names_the_field() -> None:
    """An inline text with only Dutch is rejected with the path to the missing English."""
    bad = _replace_once(MINIMAL, '{ nl = "Hoe?", en = "How?" }', '{ nl = "Hoe?" }')
    assert "themes.1[id=beta].question.en: Field required" in _error(bad)


def test_scale_with_four_entries_is_rejected(raw: str) -> None:
    """A scale with four labels instead of five is rejected, naming the scale."""
    bad = _replace_once(raw, '    { nl = "Neutraal", en = "Neutral" },\n', "")
    message = _error(bad)
    assert "scale" in message
    assert "themes" not in message


def test_invalid_toml_is_reported_as_such() -> None:
    """Text that is not TOML is rejected with the source name and the parser's position."""
    with pytest.raises(ContentError) as info:
        parse_canvas(MINIMAL + '\n[[themes]\nid = "gamma"\n', source="broken.toml")
    message = str(info.value)
    assert message.startswith("broken.toml: not valid TOML")
    assert "line" in message


def test_themes_out_of_phase_order_name_the_first_misplaced_theme(raw: str) -> None:
    """A theme listed before a theme of an earlier phase is rejected, naming the latter."""
    head, blocks = _split(raw)
    reordered = head + blocks[-1].rstrip("\n") + "\n\n" + "".join(blocks[:-1])
    first = parse_canvas(raw).themes[0].id
    message = _error(reordered)
    assert f"theme '{first}': themes must be listed phase by phase" in message


def test_phase_without_themes_is_rejected() -> None:
    """A phase that no theme belongs to is rejected, naming the phase."""
    bad = _replace_once(MINIMAL, 'phase = "second"', 'phase = "first"')
    assert "phases without themes: ['second']" in _error(bad)
