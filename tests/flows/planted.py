"""A small canvas v2 (ambitions, gists, next steps) and a planted pair, for the agenda tests.

Shared by test_agenda.py, test_chat_summary.py and the momentum tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from flows.canvas import Canvas, parse_canvas
from flows.model import Answer
from tests.flows.conftest import CANVAS_HEADER

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
SOCIAL, BUSINESS = 1, 2
SOCIAL_NAME, BUSINESS_NAME = "De Groene Schakel", "Van Dijk Logistiek"

_PHASES = """
[[phases]]
id = "orientation"
title = {nl = "Oriëntatie", en = "Orientation"}
intro = {nl = "De basis.", en = "The basis."}
[[phases]]
id = "integration"
title = {nl = "Integratie", en = "Integration"}
intro = {nl = "Organiseren.", en = "Organising."}
[[phases]]
id = "transformation"
title = {nl = "Transformatie", en = "Transformation"}
intro = {nl = "Borgen.", en = "Securing."}
"""


def _options(*options: tuple[str, str, str]) -> str:
    """An ambition's options as TOML: (id, nl label, en label) each."""
    rows = [
        f'  {{id = "{id_}", label = {{nl = "{nl}", en = "{en}"}}, '
        f'explain = {{nl = "Uitleg {nl}.", en = "About {en}."}}}},'
        for id_, nl, en in options
    ]
    return "options = [\n" + "\n".join(rows) + "\n]"


_DEPTH = _options(
    ("transaction", "Transactie", "Transaction"),
    ("integration", "Integratie", "Integration"),
    ("transformation", "Transformatie", "Transformation"),
)
_IMPACT = _options(
    ("employee", "Medewerker", "Employee"),
    ("organisation", "Organisatie", "Organisation"),
    ("society", "Samenleving", "Society"),
)


def _ambition(id_: str, kind: str, title: str, options: str) -> str:
    return (
        f'[[ambitions]]\nid = "{id_}"\nkind = "{kind}"\n'
        f'title = {{nl = "{title}", en = "{id_}"}}\n'
        f'question = {{nl = "Vraag {title}?", en = "Question {id_}?"}}\n{options}\n'
    )


_AMBITIONS = (
    _ambition("depth_now", "depth", "Diepte nu", _DEPTH)
    + _ambition("depth_goal", "depth", "Diepte over twee jaar", _DEPTH)
    + _ambition("impact", "impact", "Impact", _IMPACT)
)

# (id, phase, part, nl title, nl gist, en gist, has a next step)
_THEMES = [
    ("selection", "orientation", "partnership", "Selectie", "past bij de ander", "fits the other"),
    (
        "goals",
        "orientation",
        "value",
        "Gedeelde doelen",
        "ziet al concrete doelen",
        "already sees concrete goals",
    ),
    (
        "resources",
        "orientation",
        "resources",
        "Middelen",
        "weet wat ieder inbrengt",
        "knows what each brings",
    ),
    (
        "agreements",
        "integration",
        "partnership",
        "Afspraken",
        "heeft de afspraken vastgelegd",
        "has recorded the agreements",
    ),
    (
        "trust",
        "integration",
        "partnership",
        "Vertrouwen",
        "vertrouwt de ander",
        "trusts the other",
    ),
    (
        "investment",
        "integration",
        "resources",
        "Investering",
        "investeert al tijd en geld",
        "already invests time and money",
    ),
    (
        "visibility",
        "integration",
        "value",
        "Zichtbaarheid",
        "wil samen naar buiten treden",
        "wants to go public together",
    ),
    (
        "system",
        "transformation",
        "resources",
        "Systeempartners",
        "betrekt gemeente en UWV",
        "involves the municipality and UWV",
    ),
    (
        "synergy",
        "transformation",
        "value",
        "Synergie",
        "ziet dat één plus één drie is",
        "sees one and one make three",
    ),
]


def _theme(theme: tuple[str, str, str, str, str, str]) -> str:
    id_, phase, part, title, gist_nl, gist_en = theme
    step = (
        f'next_step = {{nl = "Volgende stap voor {title.lower()}.", en = "Next step for {id_}."}}'
    )
    return (
        f'[[themes]]\nid = "{id_}"\nphase = "{phase}"\npart = "{part}"\n'
        f'title = {{nl = "{title}", en = "{id_.title()}"}}\n'
        f'statement = {{nl = "Stelling {title}.", en = "Statement {id_}."}}\n'
        f'question = {{nl = "Hoe staat het met {title.lower()}?", en = "How is {id_}?"}}\n'
        f'gist = {{nl = "{gist_nl}", en = "{gist_en}"}}\n{step}'
    )


CANVAS_V2: Canvas = parse_canvas(
    CANVAS_HEADER + _PHASES + _AMBITIONS + "\n".join(_theme(t) for t in _THEMES)
)
THEME_IDS = [t.id for t in CANVAS_V2.themes]

DEPTH = {"transaction": 1, "integration": 2, "transformation": 3}
IMPACT = {"employee": 1, "organisation": 2, "society": 3}

Score = int | None | str  # a score, None for a skip, "not_yet" for not yet relevant


def pair_answers(
    user_id: int,
    scores: Mapping[str, Score],
    notes: Mapping[str, str] | None = None,
    round_: int = 1,
) -> list[Answer]:
    """One partner's answers: per theme or ambition id a score, None (skip) or "not_yet"."""
    notes = notes or {}
    found = []
    for theme, score in scores.items():
        not_yet = score == "not_yet"
        value = None if not_yet or score is None else int(score)
        found.append(
            Answer("p1", round_, user_id, theme, "test.1", value, notes.get(theme), NOW, not_yet)
        )
    return found


def ambitions(now: str, goal: str, impact: str) -> dict[str, Score]:
    return {"depth_now": DEPTH[now], "depth_goal": DEPTH[goal], "impact": IMPACT[impact]}


# The planted pair: both see the partnership as transactional now (orientation); the social
# enterprise aims for transformation, the business for integration; impact differs too.
PLANTED_SOCIAL: dict[str, Score] = {
    **ambitions("transaction", "transformation", "society"),
    "selection": 4,
    "goals": 2,
    "resources": 5,
    "agreements": 1,
    "trust": 4,
    "investment": 2,
    "visibility": "not_yet",
    "system": 5,
    "synergy": 4,
}
PLANTED_BUSINESS: dict[str, Score] = {
    **ambitions("transaction", "integration", "organisation"),
    "selection": 5,
    "goals": 5,
    "resources": 4,
    "agreements": 2,
    "trust": 2,
    "investment": 4,
    "visibility": 5,
    "system": None,
    "synergy": 4,
}
PLANTED_NOTES_SOCIAL = {
    "goals": "We weten nog niet wat Van Dijk precies wil bereiken met de leerwerkplekken.",
    "trust": "Goed contact met de planner, afspraken worden nagekomen.",
    "agreements": "Er is alleen een offerte, geen samenwerkingsovereenkomst.",
}
PLANTED_NOTES_BUSINESS = {
    "goals": "Drie mensen per jaar laten doorstromen naar een vaste baan.",
    "trust": "Twee keer te laat geleverd zonder bericht vooraf.",
    "visibility": "We willen dit graag in ons jaarverslag zetten.",
}
