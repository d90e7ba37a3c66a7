"""The shipped canvas content, and how parse_canvas names a bad entry."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from flows.canvas import (
    LANGUAGES,
    Ambition,
    Canvas,
    Part,
    Text,
    Theme,
    load_canvas,
    parse_canvas,
)
from flows.errors import ContentError

PHASES = ("orientation", "integration", "transformation")
PART_ORDER = (Part.PARTNERSHIP, Part.RESOURCES, Part.VALUE)
FORBIDDEN = re.compile(r"[<>&{}]")
STATEMENT_MAX = 160
QUESTION_MAX = 200

TITLE_AND_STATEMENT_MAX = 200
GIST_MAX = 70
NEXT_STEP_MAX = 160
OPTION_LABEL_MAX = 20  # a button on a phone
OPTION_EXPLAIN_MAX = 100  # one plain line
TAPS_MAX = 24  # ambitions plus statements, one tap each

# Every theme CANVAS-NOTES.md lists, plus the report's lenses the canvas adds (direction of
# resources, doorstroom), by the id it has in the shipped canvas, and its phase. Knowing each
# other's ambitions is asked by the ambitions below and talked through under "goals".
EXPECTED_THEMES = {
    "selection": "orientation",
    "resources": "orientation",
    "direction": "orientation",
    "complement": "orientation",
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
    "progression": "transformation",
    "change": "transformation",
    "synergy": "transformation",
}

# The two expectations the report's model compares first, asked before the statements.
DEPTH_OPTIONS = ("transaction", "integration", "transformation")
EXPECTED_AMBITIONS = {
    "depth_now": ("depth", DEPTH_OPTIONS),
    "depth_goal": ("depth", DEPTH_OPTIONS),
    "impact": ("impact", ("employee", "organisation", "society")),
}

# A statement names the partnership, both partners or the two of them together, so that a gap
# between the partners' scores is a difference in how they see this partnership.
ABOUT_THE_PARTNERSHIP = {
    "nl": re.compile(r"samenwerking|beide partners|elkaar|\bsamen\b", re.IGNORECASE),
    "en": re.compile(r"partnership|both partners|each other|\btogether\b|each partner", re.I),
}
# Words that push toward agreeing ("echt", "really") have no place in a statement.
LEADING = re.compile(r"\b(echt|werkelijk|natuurlijk|really|truly|genuinely|of course)\b", re.I)
# "we"/"wij" alone may mean one organisation or both; a statement says "samen"/"together".
WE = {"nl": re.compile(r"\b(we|wij)\b", re.I), "en": re.compile(r"\bwe\b", re.I)}
TOGETHER = {"nl": re.compile(r"\bsamen\b", re.I), "en": re.compile(r"\btogether\b", re.I)}

DOCS = Path(__file__).resolve().parents[2] / "docs"
CANVAS_MAP = DOCS / "canvas-map.md"
MAP_ID = re.compile(r"`([a-z][a-z0-9_]*)`")

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
gist = { nl = "is het eens", en = "agrees" }
next_step = { nl = "Praat erover.", en = "Talk about it." }

[[themes]]
id = "beta"
phase = "second"
part = "value"
title = { nl = "Bèta", en = "Beta" }
statement = { nl = "Wij ook.", en = "We too." }
question = { nl = "Hoe?", en = "How?" }
gist = { nl = "doet ook mee", en = "joins in" }
next_step = { nl = "Begin.", en = "Start." }
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
    return {
        "title": theme.title,
        "statement": theme.statement,
        "question": theme.question,
        "gist": theme.gist,
        "next_step": theme.next_step,
    }


def _ambition_texts(ambition: Ambition) -> dict[str, Text]:
    texts = {"title": ambition.title, "question": ambition.question}
    for option in ambition.options:
        texts[f"{option.id}.label"] = option.label
        texts[f"{option.id}.explain"] = option.explain
    return texts


def _map_ids() -> set[str]:
    """The canvas ids named in the last column of every table row of docs/canvas-map.md."""
    ids: set[str] = set()
    for line in CANVAS_MAP.read_text("utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and len(cells) >= 2:
            ids |= set(MAP_ID.findall(cells[-1]))
    return ids


# ------------------------------------------------------------------ the shipped canvas


def test_shipped_canvas_fits_the_tap_budget(canvas: Canvas) -> None:
    """Ambitions plus statements take at most 24 taps, with 15 to 21 statements."""
    assert 15 <= len(canvas.themes) <= TAPS_MAX - len(canvas.ambitions)
    assert len(canvas.ambitions) + len(canvas.themes) <= TAPS_MAX
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


def test_ambitions_are_depth_now_and_in_two_years_and_impact(canvas: Canvas) -> None:
    """The ambitions are depth now, depth in two years and impact, with the agreed option ids."""
    found = {a.id: (a.kind, tuple(o.id for o in a.options)) for a in canvas.ambitions}
    assert found == EXPECTED_AMBITIONS
    assert [a.id for a in canvas.ambitions] == list(EXPECTED_AMBITIONS)


def test_ambition_lookup_and_option_by_score(canvas: Canvas) -> None:
    """ambition() finds each ambition by id, and option() maps a 1-based score to its choice."""
    for ambition in canvas.ambitions:
        assert canvas.ambition(ambition.id) is ambition
        assert ambition.option(1) is ambition.options[0]
        assert ambition.option(len(ambition.options)) is ambition.options[-1]
        assert ambition.option(0) is None
        assert ambition.option(len(ambition.options) + 1) is None
        assert ambition.option(None) is None
    assert canvas.ambition("selection") is None


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
    for ambition in canvas.ambitions:
        texts += [(f"{ambition.id}.{k}", t) for k, t in _ambition_texts(ambition).items()]
    for theme in canvas.themes:
        texts += [(f"{theme.id}.{name}", text) for name, text in _texts(theme).items()]
    assert len(texts) > 5 * len(canvas.themes)
    for where, text in texts:
        for language in LANGUAGES:
            value = text(language)
            assert value.strip(), f"{where}.{language} is empty"
            assert not FORBIDDEN.search(value), f"{where}.{language}: {value!r}"
        same_word = where.endswith(("title", "label"))
        assert text("nl") != text("en") or same_word, f"{where} untranslated"


def test_theme_texts_fit_on_a_phone(canvas: Canvas) -> None:
    """Titles have 1-4 words; statement, title plus statement, question, gist, step are short."""
    for theme in canvas.themes:
        for language in LANGUAGES:
            where = f"{theme.id}.{language}"
            title, statement = theme.title(language), theme.statement(language)
            assert 1 <= len(title.split()) <= 4, where
            assert len(statement) <= STATEMENT_MAX, where
            assert len(title) + len(statement) <= TITLE_AND_STATEMENT_MAX, where
            assert len(theme.question(language)) <= QUESTION_MAX, where
            assert len(theme.gist(language)) <= GIST_MAX, where
            assert len(theme.next_step(language)) <= NEXT_STEP_MAX, where


def test_ambition_texts_fit_on_a_phone(canvas: Canvas) -> None:
    """Ambition questions fit a message, option labels a button, and each explanation a line."""
    for ambition in canvas.ambitions:
        for language in LANGUAGES:
            where = f"{ambition.id}.{language}"
            assert 1 <= len(ambition.title(language).split()) <= 4, where
            assert len(ambition.question(language)) <= QUESTION_MAX, where
            assert ambition.question(language).endswith("?"), where
            for option in ambition.options:
                assert len(option.label(language)) <= OPTION_LABEL_MAX, f"{where}.{option.id}"
                explain = option.explain(language)
                assert len(explain) <= OPTION_EXPLAIN_MAX, f"{where}.{option.id}"
                assert explain.endswith("."), f"{where}.{option.id}"
                assert "\n" not in explain, f"{where}.{option.id}"


def test_statements_are_one_sentence_and_questions_ask(canvas: Canvas) -> None:
    """Each statement is a single sentence ending in a full stop; each question asks one."""
    for theme in canvas.themes:
        for language in LANGUAGES:
            statement = theme.statement(language)
            assert statement.endswith("."), f"{theme.id}.{language}"
            assert not re.search(r"[.?!]\s", statement), f"{theme.id}.{language}"
            assert theme.question(language).endswith("?"), f"{theme.id}.{language}"


def test_every_statement_is_about_the_partnership(canvas: Canvas) -> None:
    """Each statement names the partnership or both partners, never one side's 'we' alone."""
    for theme in canvas.themes:
        for language in LANGUAGES:
            where = f"{theme.id}.{language}"
            statement = theme.statement(language)
            assert ABOUT_THE_PARTNERSHIP[language].search(statement), where
            if WE[language].search(statement):
                assert TOGETHER[language].search(statement), where


def test_statements_use_no_leading_words(canvas: Canvas) -> None:
    """No statement pushes toward agreeing with words such as 'echt' or 'really'."""
    for theme in canvas.themes:
        for language in LANGUAGES:
            assert not LEADING.search(theme.statement(language)), f"{theme.id}.{language}"


def test_gist_reads_after_an_organisation_name(canvas: Canvas) -> None:
    """Each gist is a lower-case phrase without end stop; each next step is a full sentence."""
    for theme in canvas.themes:
        for language in LANGUAGES:
            where = f"{theme.id}.{language}"
            gist = theme.gist(language)
            assert gist[0].islower(), where
            assert gist[-1].isalnum(), where
            step = theme.next_step(language)
            assert step[0].isupper(), where
            assert step.endswith("."), where


def test_canvas_map_names_only_ids_of_the_canvas(canvas: Canvas) -> None:
    """Every id docs/canvas-map.md names is a statement or ambition of the shipped canvas."""
    named = _map_ids()
    known = canvas.theme_ids | {a.id for a in canvas.ambitions}
    assert named, "no ids found in the map's table"
    assert named - known == set()


def test_canvas_map_covers_every_statement_and_ambition(canvas: Canvas) -> None:
    """Every statement and ambition of the shipped canvas appears in docs/canvas-map.md."""
    known = canvas.theme_ids | {a.id for a in canvas.ambitions}
    assert known - _map_ids() == set()


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


def test_theme_without_gist_names_the_field(raw: str, canvas: Canvas) -> None:
    """A theme without a gist is rejected with the path to the missing gist."""
    block = _block(raw, "trust")
    lines = block.splitlines(keepends=True)
    kept = "".join(line for line in lines if not line.startswith("gist."))
    assert kept != block
    message = _error(_replace_once(raw, block, kept))
    assert f"themes.{canvas.position('trust')}[id=trust].gist: Field required" in message


def test_ambition_with_a_repeated_option_id_is_rejected(raw: str) -> None:
    """An ambition that offers the same option id twice is rejected, naming the id."""
    bad = _replace_once(raw, 'id = "society"', 'id = "employee"')
    message = _error(bad)
    assert "ambitions.2[id=impact]" in message
    assert "duplicate option id" in message


def test_depth_ambitions_with_different_options_are_rejected(raw: str) -> None:
    """The depth now and in two years must offer the same options, or they cannot be compared."""
    head, goal = raw.split('id = "depth_goal"\n')
    goal = goal.replace('id = "transaction"', 'id = "exchange"', 1)
    message = _error(head + 'id = "depth_goal"\n' + goal)
    assert "ambition 'depth_goal'" in message
    assert "'exchange'" in message


def test_ambition_id_may_not_repeat_a_theme_id(raw: str) -> None:
    """An ambition whose id is already a theme's is rejected, naming the id."""
    bad = _replace_once(raw, 'id = "impact"', 'id = "trust"')
    assert "ambition 'trust': id used twice" in _error(bad)
