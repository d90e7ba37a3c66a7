"""Every user-facing string, in Dutch and English, loaded from TOML data at start-up.

Replies use Telegram-style HTML (``<b>``, ``<i>``, ``<a>``): templates may contain those tags,
and every value filled into a template is escaped unless it is ``markupsafe.Markup`` (text that
is already safe, such as another message).
"""

from __future__ import annotations

import html
import string
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources

from markupsafe import Markup
from markupsafe import escape as markup_escape
from pydantic import TypeAdapter, ValidationError

from flows.canvas import LANGUAGES, Language, Text
from flows.errors import ContentError

# Markup (markupsafe's) is the escaped-text type of flows/: the other modules import it here.
__all__ = [
    "Markup",
    "Messages",
    "Template",
    "escape",
    "join",
    "load_messages",
    "parse_messages",
]

MESSAGE_FILES = ("content/messages.toml", "content/summary.toml", "content/report.toml")


def escape(value: object) -> Markup:
    """User text (names, notes) made safe for HTML; ``Markup`` (already safe) stays as it is.

    Quotes stay as they are (unlike ``markupsafe.escape``): values are never put inside an
    attribute, and a notice or button label shows text as it is, without entities.
    """
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=False))  # noqa: S704 (escaped just now)


def _safe(text: str) -> Markup:
    """``Markup(text)`` for a text known to be safe, without markupsafe's checks of the
    argument (an ``__html__`` method, an encoding): what it returns for a plain ``str``."""
    return str.__new__(Markup, text)


def join(separator: str, parts: Iterable[str]) -> Markup:
    """``Markup(separator).join(parts)``, without its calls for a part that is ``Markup``
    already; any other part is escaped by markupsafe, as that join does."""
    return _safe(separator.join([p if isinstance(p, Markup) else markup_escape(p) for p in parts]))


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _plain_pieces(text: str) -> tuple[tuple[str, str | None], ...] | None:
    """(literal text, placeholder name or None) in order; None when a placeholder is more than
    a plain name (a conversion, a format spec, an index or attribute, a positional field)."""
    pieces = []
    for literal, name, spec, conversion in string.Formatter().parse(text):
        if name is not None and (spec or conversion or not name.isidentifier()):
            return None
        pieces.append((literal, name))
    return tuple(pieces)


class Template:
    """One message in one language, parsed once: its literal text between the placeholders.

    ``fill`` gives what ``Markup(text).format_map`` gives with every value escaped (and the
    text as it is, when there are no values), without parsing the text again each time.
    """

    __slots__ = ("_pieces", "_raw", "_whole")

    def __init__(self, text: str) -> None:
        self._raw = _safe(text)  # our own content: HTML written by us
        self._pieces = _plain_pieces(text)
        self._whole = True  # as written: without values, ``fill`` gives the text as it is

    def fill(self, values: Mapping[str, object]) -> Markup:
        if not values and self._whole:
            return self._raw
        if self._pieces is None:
            return self._raw.format_map({k: escape(v) for k, v in values.items()})
        out: list[str] = []
        for literal, name in self._pieces:
            out.append(literal)
            if name is not None:
                value = values[name]
                if isinstance(value, Markup):
                    out.append(value)
                else:  # as ``escape`` does, without a call per value: this runs for every reply
                    text = str(value)
                    if "&" in text or "<" in text or ">" in text:
                        text = html.escape(text, quote=False)
                    out.append(text)
        return _safe("".join(out))

    def partial(self, values: Mapping[str, object]) -> Template:
        """This template with ``values`` filled in and its other placeholders left open:
        ``t.partial(a).fill(b)`` is ``t.fill(a | b)`` for ``b`` that fills the rest. For what
        is the same for everyone (the canvas' words), made once and kept: no person's data."""
        if self._pieces is None:
            raise ValueError("only a template of plain placeholders can be filled in part")
        pieces: list[tuple[str, str | None]] = []
        pending: list[str] = []
        for literal, name in self._pieces:
            pending.append(literal)
            if name is None:
                continue
            if name in values:
                pending.append(escape(values[name]))
            else:
                pieces.append(("".join(pending), name))
                pending = []
        pieces.append(("".join(pending), None))
        made = Template(self._raw)
        made._pieces = tuple(pieces)
        made._whole = False  # filled in part: always formatted, even without values
        return made

    def around(self, before: str, after: str) -> Template:
        """This template with safe text (ours, or ``Markup``) ``before`` and ``after`` it:
        ``t.around(b, a).fill(v)`` is ``b + t.fill(v) + a``, its placeholders still open."""
        if self._pieces is None:
            raise ValueError("only a template of plain placeholders can be put in a frame")
        pieces = list(self._pieces)
        literal, name = pieces[0]
        pieces[0] = (f"{before}{literal}", name)  # a str: ``Markup +`` would escape
        literal, name = pieces[-1]
        pieces[-1] = (f"{literal}{after}", name)
        made = Template(self._raw)
        made._pieces = tuple(pieces)
        made._whole = False  # framed: always formatted, even without values
        return made


class Messages:
    """Look up a message by key and language, filling in escaped values."""

    def __init__(self, entries: dict[str, Text]) -> None:
        for key, text in entries.items():
            expected = _placeholders(text.nl)
            for language in LANGUAGES:
                found = _placeholders(text(language))
                if found != expected:
                    raise ContentError(
                        f"message {key!r}: placeholders differ between languages "
                        f"({sorted(expected)} in nl, {sorted(found)} in {language})"
                    )
        self._entries = entries
        # Parsed once here, not on every call: formatting is most of what a reply costs.
        self._templates = {
            key: (Template(text.nl), Template(text.en)) for key, text in entries.items()
        }

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def keys(self) -> Iterable[str]:
        return self._entries.keys()

    def __call__(self, key: str, language: Language, /, **values: object) -> Markup:
        return self.fill(key, language, values)

    def fill(self, key: str, language: Language, values: Mapping[str, object]) -> Markup:
        """The message with ``values`` filled in: as calling, with the values in a mapping."""
        try:
            nl, en = self._templates[key]
        except KeyError:
            raise ContentError(f"no message {key!r}") from None
        return (nl if language == "nl" else en).fill(values)

    def template(self, key: str, language: Language) -> Template:
        """The parsed message, to fill in part once (``Template.partial``) and keep."""
        try:
            nl, en = self._templates[key]
        except KeyError:
            raise ContentError(f"no message {key!r}") from None
        return nl if language == "nl" else en


_ENTRIES = TypeAdapter(dict[str, Text])


def parse_messages(sources: Iterable[tuple[str, str]]) -> Messages:
    """Merge (name, TOML text) sources into one Messages; a key may appear only once."""
    merged: dict[str, Text] = {}
    for name, raw in sources:
        try:
            entries = _ENTRIES.validate_python(tomllib.loads(raw))
        except tomllib.TOMLDecodeError as exc:
            raise ContentError(f"{name}: not valid TOML: {exc}") from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ContentError(f"{name}: {where}: {first['msg']}") from exc
        for key, text in entries.items():
            if key in merged:
                raise ContentError(f"{name}: message {key!r} is defined twice")
            merged[key] = text
    return Messages(merged)


def load_messages() -> Messages:
    """The messages shipped with the bot."""
    root = resources.files("flows")
    return parse_messages((name, root.joinpath(name).read_text("utf-8")) for name in MESSAGE_FILES)
