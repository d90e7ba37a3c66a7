"""Every user-facing string, in Dutch and English, loaded from TOML data at start-up.

Replies use Telegram-style HTML (``<b>``, ``<i>``, ``<a>``): templates may contain those tags,
and every value filled into a template is escaped unless it is ``markupsafe.Markup`` (text that
is already safe, such as another message).
"""

from __future__ import annotations

import html
import string
import tomllib
from collections.abc import Iterable
from importlib import resources

from markupsafe import Markup
from pydantic import TypeAdapter, ValidationError

from flows.canvas import LANGUAGES, Language, Text
from flows.errors import ContentError

# Markup (markupsafe's) is the escaped-text type of flows/: the other modules import it here.
__all__ = ["Markup", "Messages", "escape", "load_messages", "parse_messages"]

MESSAGE_FILES = ("content/messages.toml", "content/summary.toml", "content/report.toml")


def escape(value: object) -> Markup:
    """User text (names, notes) made safe for HTML; ``Markup`` (already safe) stays as it is.

    Quotes stay as they are (unlike ``markupsafe.escape``): values are never put inside an
    attribute, and a notice or button label shows text as it is, without entities.
    """
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=False))  # noqa: S704 (escaped just now)


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


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

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def keys(self) -> Iterable[str]:
        return self._entries.keys()

    def __call__(self, key: str, language: Language, /, **values: object) -> Markup:
        try:
            template = self._entries[key](language)
        except KeyError:
            raise ContentError(f"no message {key!r}") from None
        trusted = Markup(template)  # noqa: S704 (our own content: HTML written by us)
        if not values:
            return trusted
        return trusted.format_map({k: escape(v) for k, v in values.items()})


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
