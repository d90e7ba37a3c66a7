"""Check Bot API calls against the machine-readable spec in ``shared/telegram-bot-api/api.json``.

Pure Python, no PTB: the same checker backs the in-process ``OfflineRequest`` and a future HTTP
fake of the Bot API. Values may arrive natively (``int``, ``dict``, ...) or the way they travel
in a form post (``"42"``, ``"true"``, JSON-encoded objects); both are accepted where Telegram
accepts them. Limits are read from the spec's field descriptions ("1-4096 characters after
entities parsing", "1-64 bytes", "At most 100 ..."), so they follow the spec, not this file.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPEC_ENV = "BOT_API_SPEC"
DEFAULT_SPEC_PATH = (
    Path(__file__).resolve().parents[2].parent / "shared" / "telegram-bot-api" / "api.json"
)

_LIMIT = re.compile(r"(\d+)-(\d+) (characters|bytes)")
_AFTER_PARSING = re.compile(r"after entit(?:y|ies) parsing")
_AT_MOST = re.compile(r"\bAt most (\d+)\b")
_REQUIRED_IF = re.compile(
    r"[Rr]equired if (\w+)(?: and (\w+))? (?:is not|are not|isn't|aren't) specified"
)
_ONLY_CHARS = re.compile(
    r"[Cc]an contain only (lowercase )?English letters, digits and underscores"
)
_EXACTLY_ONE = re.compile(r"Exactly one of the fields (other than )?(.+?) must be used")
_INTEGER = re.compile(r"-?\d+")
_CONSTANT = re.compile(r"(?:must be|always) \"?(\w+)\"?$")  # "Scope type, must be chat"


@dataclass(frozen=True)
class UploadedFile:
    """A file sent as a multipart part (what the spec calls ``InputFile``)."""

    filename: str
    data: bytes
    mimetype: str = "application/octet-stream"


class BotApiViolation(AssertionError):  # noqa: N818 - the name the suite uses
    """A Bot API call that Telegram would reject; lists every problem found."""

    def __init__(self, method: str, params: Mapping[str, object], violations: Sequence[str]):
        self.method = method
        self.params = dict(params)
        self.violations = list(violations)
        lines = "\n".join(f"  - {v}" for v in self.violations)
        super().__init__(f"Bot API violation in {method}({_short(self.params)}):\n{lines}")


@dataclass(frozen=True)
class Field:
    name: str
    types: tuple[str, ...]
    required: bool
    description: str


@dataclass(frozen=True)
class Definition:
    """A method or a type: its fields, description and (for abstract types) subtypes."""

    name: str
    fields: dict[str, Field]
    description: str
    subtypes: tuple[str, ...] = ()
    returns: tuple[str, ...] = ()


def _definition(raw: Mapping[str, Any]) -> Definition:
    fields = {
        f["name"]: Field(f["name"], tuple(f["types"]), bool(f["required"]), f["description"])
        for f in raw.get("fields", ())
    }
    return Definition(
        name=raw["name"],
        fields=fields,
        description=" ".join(raw.get("description", ())),
        subtypes=tuple(raw.get("subtypes", ())),
        returns=tuple(raw.get("returns", ())),
    )


class Spec:
    """The Bot API as data; :meth:`check` lists what Telegram would reject in a call."""

    def __init__(self, raw: Mapping[str, Any]):
        methods: dict[str, Any] = raw["methods"]
        types: dict[str, Any] = raw["types"]
        self.version = str(raw.get("version", "?"))
        # Telegram matches method names case-insensitively ("sendmessage" works too).
        self.methods = {name.lower(): _definition(m) for name, m in methods.items()}
        self.types = {name: _definition(t) for name, t in types.items()}

    def method(self, name: str) -> Definition | None:
        return self.methods.get(name.lower())

    def check(self, method: str, params: Mapping[str, object]) -> list[str]:
        """Return every violation in a call of ``method`` with ``params`` (empty means OK)."""
        definition = self.method(method)
        if definition is None:
            return [f"unknown method {method!r}"]
        out: list[str] = []
        self._check_object(definition, params, definition.name, out)
        return out

    def require(self, method: str, params: Mapping[str, object]) -> None:
        """Raise :class:`BotApiViolation` unless the call is valid."""
        if violations := self.check(method, params):
            raise BotApiViolation(method, params, violations)

    # -- objects and values -------------------------------------------------------------------

    def _check_object(
        self, definition: Definition, obj: Mapping[str, object], where: str, out: list[str]
    ) -> None:
        fields = definition.fields
        out.extend(f"{where}: unknown field {k!r}" for k in obj if k not in fields)
        for field in fields.values():
            value = obj.get(field.name)
            if value is None:
                if field.required:
                    out.append(f"{where}: required field {field.name!r} is missing")
                elif (condition := _REQUIRED_IF.search(field.description)) and not any(
                    obj.get(other) is not None for other in condition.groups() if other
                ):
                    out.append(f"{where}: {field.name!r} is missing ({condition.group(0)})")
                continue
            if field.required and value == "":
                out.append(f"{where}: required field {field.name!r} is empty")
                continue
            if field.name == "reply_markup" and _decoded(value) == {}:
                continue  # "no markup"; PTB sends {} for InlineKeyboardMarkup([])
            problems = self._check_types(field.types, value, f"{where}.{field.name}")
            out.extend(problems)
            if not problems:
                out.extend(_check_limits(field, _decoded(value), obj, f"{where}.{field.name}"))
        if exactly := _EXACTLY_ONE.search(definition.description):
            named = set(re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", exactly.group(2)))
            group = [n for n in fields if (n not in named) == bool(exactly.group(1))]
            present = [n for n in group if obj.get(n) is not None]
            if len(present) != 1:
                out.append(f"{where}: exactly one of {group} must be used, got {present}")

    def _check_types(self, types: Sequence[str], value: object, where: str) -> list[str]:
        """Problems of the best-fitting alternative among ``types`` (empty if one fits)."""
        tried: list[tuple[int, int, list[str]]] = []
        for type_name in types:
            problems = self._check_type(type_name, value, where)
            if not problems:
                return []
            tried.append((self._misfit(type_name, value), len(problems), problems))
        return min(tried, key=lambda t: t[:2])[2] if tried else []

    def _misfit(self, type_name: str, value: object) -> int:
        """How clearly ``value`` is not a ``type_name`` (foreign keys, wrong discriminator)."""
        definition, obj = self.types.get(type_name), _decoded(value)
        if definition is None or not isinstance(obj, dict):
            return 0
        if definition.subtypes:
            return min(self._misfit(sub, obj) for sub in definition.subtypes)
        foreign = sum(key not in definition.fields for key in obj)
        wrong_kind = any(
            (constant := _constant(field)) and obj.get(field.name) != constant
            for field in definition.fields.values()
        )
        return foreign + 100 * wrong_kind

    def _check_type(self, type_name: str, value: object, where: str) -> list[str]:
        def wrong() -> list[str]:  # built only on failure: repr of big values is costly
            return [f"{where}: expected {type_name}, got {type(value).__name__} {_short(value)}"]

        if type_name.startswith("Array of "):
            items = _decoded(value)
            if not isinstance(items, list):
                return wrong()
            item_type = type_name.removeprefix("Array of ")
            return [
                problem
                for i, item in enumerate(items)
                for problem in self._check_types((item_type,), item, f"{where}[{i}]")
            ]
        if scalar := _SCALARS.get(type_name):
            return [] if scalar(value) else wrong()
        definition = self.types.get(type_name)
        if definition is None:
            return []  # a type the spec does not describe: nothing to check
        if definition.subtypes:
            return self._check_types(definition.subtypes, value, where)
        obj = _decoded(value)
        if not isinstance(obj, dict):
            return wrong()
        out: list[str] = []
        self._check_object(definition, obj, f"{where}<{type_name}>", out)
        return out


def _check_limits(
    field: Field, value: object, siblings: Mapping[str, object], where: str
) -> list[str]:
    description = field.description
    out: list[str] = []
    at_most = _AT_MOST.search(description)
    if isinstance(value, list) and at_most and len(value) > int(at_most.group(1)):
        out.append(f"{where}: {len(value)} items, at most {at_most.group(1)} allowed")
    if not isinstance(value, str):
        return out
    text = value
    if _AFTER_PARSING.search(description):
        mode = siblings.get(f"{field.name}_parse_mode", siblings.get("parse_mode"))
        if isinstance(mode, str) and mode.lower() == "html":
            text, problems = parse_html(value)
            out.extend(f"{where}: {problem}" for problem in problems)
    if limit := _LIMIT.search(description):
        low, high, unit = int(limit.group(1)), int(limit.group(2)), limit.group(3)
        size = len(text.encode()) if unit == "bytes" else len(text)
        # Telegram trims whitespace, so "   " is as empty as "".
        if size > high or (low > 0 and not text.strip()) or size < low:
            out.append(f"{where}: {size} {unit}, must be {low}-{high} {unit}")
    if (constant := _constant(field)) and text != constant:
        out.append(f"{where}: must be {constant!r}, got {text!r}")
    if (only := _ONLY_CHARS.search(description)) and not re.fullmatch(
        r"[a-z0-9_]*" if only.group(1) else r"\w*", text, re.ASCII
    ):
        out.append(f"{where}: {text!r} breaks the rule '{only.group(0)}'")
    return out


# -- HTML parse mode ----------------------------------------------------------------------------

_TAG = re.compile(
    r"""<(/?)([a-zA-Z][\w-]*)((?:\s+[\w-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*>"""
)
_ATTR = re.compile(r"""([\w-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_MARKUP = {"&": _ENTITY, "<": _TAG}  # what may follow each character that starts markup
_FORMATTING = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del"})
_FORMATTING |= {"span", "tg-spoiler"}
_REQUIRED_ATTR = {"a": "href", "tg-emoji": "emoji-id", "span": "class"}
_TAGS = _FORMATTING | {"a", "code", "pre", "blockquote", "tg-emoji"}


_STARTS = re.compile(r"[&<]")  # the characters that start markup


def parse_html(text: str) -> tuple[str, list[str]]:
    """Parse Telegram's HTML parse mode: the visible text and the problems Telegram reports."""
    text = str.__str__(text)  # plain: each index of a markupsafe.Markup makes a new Markup
    plain: list[str] = []
    problems: list[str] = []
    stack: list[str] = []
    pos = 0
    while (start := _STARTS.search(text, pos)) is not None:
        at = start.start()
        plain.append(text[pos:at])  # plain text up to the next markup character
        char = text[at]
        found = _MARKUP[char].match(text, at)
        if found is None:
            problems.append(f"bare {char!r} at offset {at}, escape it as {html.escape(char)}")
            plain.append(char)
            pos = at + 1
            continue
        if char == "&":
            plain.append(html.unescape(found.group(0)))
        else:
            problems.extend(_tag_problems(found, stack))
        pos = found.end()
    plain.append(text[pos:])
    problems.extend(f"unclosed tag <{name}>" for name in reversed(stack))
    return "".join(plain), problems


def _tag_problems(tag: re.Match[str], stack: list[str]) -> list[str]:
    closing, name = tag.group(1) == "/", tag.group(2).lower()
    if name not in _TAGS:
        return [f"unsupported tag <{tag.group(1)}{name}>"]
    if closing:
        if not stack or stack[-1] != name:
            expected = f"</{stack[-1]}>" if stack else "no end tag"
            return [f"end tag </{name}> does not match, expected {expected}"]
        stack.pop()
        return []
    attrs = {k.lower(): (v or "").strip("\"'") for k, v in _ATTR.findall(tag.group(3))}
    problems = []
    if (attr := _REQUIRED_ATTR.get(name)) and not attrs.get(attr):
        problems.append(f"<{name}> needs a {attr} attribute")
    if name == "span" and attrs.get("class") != "tg-spoiler":
        problems.append('<span> is only supported as <span class="tg-spoiler">')
    if any(t in ("code", "pre") for t in stack) and not (name == "code" and stack[-1] == "pre"):
        problems.append(f"<{name}> inside <{stack[-1]}>: code and pre cannot contain entities")
    elif name in ("a", "tg-emoji", "code", "pre") and any(t in ("a", "tg-emoji") for t in stack):
        problems.append(f"<{name}> cannot be nested in <{stack[-1]}>")
    if name == "blockquote" and "blockquote" in stack:
        problems.append("blockquotes cannot be nested")
    stack.append(name)
    return problems


# -- helpers ------------------------------------------------------------------------------------


def _decoded(value: object) -> object:
    """Objects and arrays travel JSON-encoded in form posts; decode them, leave the rest."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _constant(field: Field) -> str | None:
    """The fixed value of a subtype's discriminator (``type``, ``source``, ``status``)."""
    if field.name not in ("type", "source", "status"):
        return None
    match = _CONSTANT.search(field.description)
    return match.group(1) if match else None


def _is_float(value: object) -> bool:
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return isinstance(value, int | float) and not isinstance(value, bool)


# Scalars as Telegram takes them: natively in JSON bodies, as strings in form posts.
_SCALARS: dict[str, Callable[[object], bool]] = {
    "String": lambda v: isinstance(v, str),
    "Integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, str) and _INTEGER.fullmatch(v) is not None)
    ),
    "Float": _is_float,
    "Boolean": lambda v: isinstance(v, bool) or v in ("true", "false"),
    "InputFile": lambda v: (
        isinstance(v, UploadedFile) or (isinstance(v, str) and v.startswith("attach://"))
    ),
}


def _short(value: object, limit: int = 400) -> str:
    def shorten(v: object) -> object:
        if isinstance(v, str) and len(v) > 60:
            return f"{v[:50]}...(+{len(v) - 50} chars)"
        if isinstance(v, dict):
            return {k: shorten(x) for k, x in v.items()}
        if isinstance(v, list):
            return [shorten(x) for x in v]
        if isinstance(v, UploadedFile):
            return f"<file {v.filename}, {len(v.data)} bytes>"
        return v

    text = repr(shorten(value))
    return text if len(text) <= limit else f"{text[:limit]}..."


@functools.cache
def _load(path: Path) -> Spec:
    return Spec(json.loads(path.read_text(encoding="utf-8")))


def load_spec(path: str | Path | None = None) -> Spec:
    """Load (once per path) the spec from ``path``, ../shared beside the repo, or $BOT_API_SPEC."""
    if path is None:
        path = DEFAULT_SPEC_PATH
        if not path.exists() and (env := os.environ.get(SPEC_ENV)):
            path = Path(env)
    path = Path(path).resolve()
    if not path.exists():
        raise FileNotFoundError(f"Bot API spec not found at {path}; set {SPEC_ENV}")
    return _load(path)
