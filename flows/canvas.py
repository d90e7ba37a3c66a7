"""The canvas as data: phases, CVC parts, themes, the answer scale, in Dutch and English.

The content lives in ``content/canvas.toml``; these Pydantic models validate it at start-up,
so that a bad entry stops the bot with a message naming it.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from functools import cached_property
from importlib import resources
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from flows.errors import ContentError

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,15}$")]


class Part(StrEnum):
    """The three parts of the Collaborative Value Creation model (Austin & Seitanidi)."""

    PARTNERSHIP = "partnership"
    RESOURCES = "resources"
    VALUE = "value"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Frozen):
    """One piece of user-facing text in every supported language."""

    nl: NonEmpty
    en: NonEmpty

    def __call__(self, language: Language) -> str:
        return self.nl if language == "nl" else self.en


class Phase(_Frozen):
    id: Identifier
    title: Text
    intro: Text


class Theme(_Frozen):
    """One theme of the canvas: a statement to score and a question to reflect on."""

    id: Identifier
    phase: Identifier
    part: Part
    title: Text
    statement: Text
    question: Text
    # For the meeting agenda: what agreeing with the statement means, as a short verb phrase
    # after an organisation's name ("ziet al concrete doelen"), and a concrete next step drawn
    # from the report's practice.
    gist: Text
    next_step: Text


class Option(_Frozen):
    """One choice of an ambition question, with one plain line that explains it."""

    id: Identifier
    label: Text
    explain: Text


class Ambition(_Frozen):
    """One of the two ambitions the report compares first, asked before the statements.

    ``kind`` groups the questions: ``depth`` (how deep the collaboration goes: asked for now
    and for about two years ahead) and ``impact`` (the level of impact that matters most).
    The answer is stored like a statement's, its score the chosen option's place (1-based).
    """

    id: Identifier
    kind: Literal["depth", "impact"]
    title: Text
    question: Text
    options: tuple[Option, ...] = Field(min_length=2, max_length=5)

    @model_validator(mode="after")
    def _check_options(self) -> Self:
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate option id in {ids}")
        return self

    def option(self, score: int | None) -> Option | None:
        """The option a stored score names; None for no score or one out of range."""
        if score is None or not 1 <= score <= len(self.options):
            return None
        return self.options[score - 1]


class Canvas(_Frozen):
    """The whole canvas. Ambitions and themes are kept in the order they are asked."""

    version: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z._-]{1,16}$")]
    phases: tuple[Phase, ...] = Field(min_length=1)
    parts: dict[Part, Text]
    scale: tuple[Text, Text, Text, Text, Text]
    ambitions: tuple[Ambition, ...] = ()
    themes: tuple[Theme, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_references(self) -> Self:
        phase_ids = [p.id for p in self.phases]
        if len(set(phase_ids)) != len(phase_ids):
            raise ValueError(f"duplicate phase id in {phase_ids}")
        missing_parts = set(Part) - set(self.parts)
        if missing_parts:
            raise ValueError(f"parts without a title: {sorted(missing_parts)}")
        seen: set[str] = set()
        last_phase = 0
        for theme in self.themes:
            if theme.id in seen:
                raise ValueError(f"theme {theme.id!r}: duplicate id")
            seen.add(theme.id)
            if theme.phase not in phase_ids:
                raise ValueError(f"theme {theme.id!r}: unknown phase {theme.phase!r}")
            index = phase_ids.index(theme.phase)
            if index < last_phase:
                raise ValueError(f"theme {theme.id!r}: themes must be listed phase by phase")
            last_phase = index
        depth_options: tuple[str, ...] | None = None
        for ambition in self.ambitions:
            if ambition.id in seen:
                raise ValueError(f"ambition {ambition.id!r}: id used twice")
            seen.add(ambition.id)
            if ambition.kind == "depth":
                # "now" and "in two years" are compared option by option: same choices, same order
                options = tuple(o.id for o in ambition.options)
                if depth_options is not None and options != depth_options:
                    raise ValueError(
                        f"ambition {ambition.id!r}: depth options {list(options)} differ from "
                        f"the first depth ambition's {list(depth_options)}"
                    )
                depth_options = options
        empty = [p.id for p in self.phases if not any(t.phase == p.id for t in self.themes)]
        if empty:
            raise ValueError(f"phases without themes: {empty}")
        return self

    @cached_property
    def _by_id(self) -> dict[str, Theme]:
        return {t.id: t for t in self.themes}

    @cached_property
    def _phase_by_id(self) -> dict[str, Phase]:
        return {p.id: p for p in self.phases}

    @cached_property
    def theme_ids(self) -> frozenset[str]:
        return frozenset(self._by_id)

    @cached_property
    def _position(self) -> dict[str, int]:
        return {t.id: i for i, t in enumerate(self.themes)}

    @cached_property
    def _ambition_by_id(self) -> dict[str, Ambition]:
        return {a.id: a for a in self.ambitions}

    def ambition(self, ambition_id: str) -> Ambition | None:
        return self._ambition_by_id.get(ambition_id)

    def theme(self, theme_id: str) -> Theme | None:
        return self._by_id.get(theme_id)

    def phase(self, phase_id: str) -> Phase:
        return self._phase_by_id[phase_id]

    def position(self, theme_id: str) -> int:
        """Zero-based place of a theme in the order of asking."""
        return self._position[theme_id]

    @cached_property
    def questions(self) -> tuple[Ambition | Theme, ...]:
        """Everything a partner answers, in the order of asking: the ambitions, then themes."""
        return (*self.ambitions, *self.themes)

    @cached_property
    def question_ids(self) -> frozenset[str]:
        return frozenset(q.id for q in self.questions)

    @cached_property
    def question_order(self) -> tuple[str, ...]:
        """The ids of ``questions``, in the order of asking."""
        return tuple(q.id for q in self.questions)

    @cached_property
    def _question_by_id(self) -> dict[str, Ambition | Theme]:
        return {q.id: q for q in self.questions}

    def question(self, question_id: str) -> Ambition | Theme | None:
        """The ambition or theme with this id."""
        return self._question_by_id.get(question_id)

    @cached_property
    def _number(self) -> dict[str, int]:
        return {q.id: place for place, q in enumerate(self.questions, start=1)}

    def number(self, question_id: str) -> int:
        """One-based place of an ambition or theme among all questions ("3/24")."""
        return self._number[question_id]

    @cached_property
    def _themes_in(self) -> dict[str, tuple[Theme, ...]]:
        return {p.id: tuple(t for t in self.themes if t.phase == p.id) for p in self.phases}

    def themes_in(self, phase_id: str) -> tuple[Theme, ...]:
        return self._themes_in.get(phase_id, ())

    def next_open(self, answered: set[str] | frozenset[str]) -> Theme | None:
        """The first theme, in order of asking, without an answer; None when all are done."""
        for theme in self.themes:
            if theme.id not in answered:
                return theme
        return None


def parse_canvas(raw: str, source: str = "canvas.toml") -> Canvas:
    """Parse and validate canvas TOML; raise ContentError that names the bad entry."""
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return Canvas.model_validate(data)
    except ValidationError as exc:
        raise ContentError(f"{source}: {_describe(exc, data)}") from exc


def load_canvas() -> Canvas:
    """The canvas shipped with the bot."""
    raw = resources.files("flows").joinpath("content/canvas.toml").read_text("utf-8")
    return parse_canvas(raw)


def _describe(exc: ValidationError, data: dict[str, object]) -> str:
    """Each error with its place; a theme or phase is named by its id, not its index."""
    described = []
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        if len(loc) > 1 and loc[0] in ("themes", "phases", "ambitions") and loc[1].isdigit():
            entries = data.get(loc[0])
            index = int(loc[1])
            if isinstance(entries, list) and index < len(entries):
                entry = entries[index]
                if isinstance(entry, dict) and "id" in entry:
                    loc[1] = f"{loc[1]}[id={entry['id']}]"
        where = ".".join(loc) or "(top level)"
        described.append(f"{where}: {error['msg']}")
    return "; ".join(described)
