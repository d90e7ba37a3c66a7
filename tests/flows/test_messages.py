"""A message parsed once at start-up fills in exactly what markupsafe's formatting would."""

from __future__ import annotations

import string

import pytest

from flows.canvas import LANGUAGES
from flows.messages import Markup, Template, escape, join, load_messages

MESSAGES = load_messages()
# Values as the features pass them: user text with HTML's special characters, numbers, and
# Markup (another message, already safe), which must go in unescaped.
VALUES: dict[str, object] = {
    "plain": 'Jansen & Zn <b>"BV"</b>',
    "number": 7,
    "markup": Markup("<b>Kop</b> &amp; staart"),
}


def reference(text: str, values: dict[str, object]) -> Markup:
    """What ``Messages`` returned before templates were parsed once: markupsafe formatting."""
    trusted = Markup(text)
    if not values:
        return trusted
    return trusted.format_map({k: escape(v) for k, v in values.items()})


def names(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


@pytest.mark.parametrize("kind", sorted(VALUES))
def test_every_shipped_message_fills_in_as_markupsafe_would(kind: str) -> None:
    """For every message in both languages, with each kind of value in every placeholder,
    the parsed template gives the same text, and the same type, as markupsafe's format_map."""
    checked = 0
    for key in sorted(MESSAGES.keys()):
        for language in LANGUAGES:
            text = str(MESSAGES(key, language))
            values = dict.fromkeys(names(text), VALUES[kind])
            filled = Template(text).fill(values)
            assert filled == reference(text, values), (key, language)
            assert type(filled) is Markup
            checked += 1
    assert checked > 500


@pytest.mark.parametrize(
    "text",
    [
        "{a} and {b}, {a} again",
        "{{literal}} braces, {a}}}",
        "no placeholder at all",
        "{a!r} converted",
        "{a:>12} padded",
        "{a[0]} indexed",
        "{} positional",
        "",
    ],
)
def test_templates_beyond_plain_names_fill_in_as_markupsafe_would(text: str) -> None:
    """Escaped braces, conversions, format specs and indexes: the same text as markupsafe;
    unused values are ignored, and no values leave the text as it is."""
    for values in ({"a": "<x>", "b": Markup("<i>y</i>"), "unused": "&"}, {}):
        try:
            expected: Markup | type[Exception] = reference(text, values)
        except (IndexError, KeyError, TypeError, ValueError) as exc:
            expected = type(exc)
        if isinstance(expected, Markup):
            assert Template(text).fill(values) == expected
        else:
            with pytest.raises(expected):
                Template(text).fill(values)


def test_a_missing_value_raises_key_error_naming_it() -> None:
    """As with format_map: a placeholder without a value is a KeyError with its name."""
    with pytest.raises(KeyError, match="title"):
        Template("Saved: {title} ({count})").fill({"count": 1})


@pytest.mark.parametrize("separator", ["\n\n", "\n", ""])
def test_join_is_markupsafes_join(separator: str) -> None:
    """``join`` gives what ``Markup(separator).join`` gives: Markup parts as they are, any
    other part escaped as markupsafe escapes it (quotes too), the result Markup."""
    for parts in (
        [Markup("<b>a</b>"), Markup("b &amp; c")],
        [Markup("<i>x</i>"), "<y> & 'q' \"d\""],
        [],
        ["only"],
    ):
        joined = join(separator, parts)
        assert joined == Markup(separator).join(parts)
        assert type(joined) is Markup


@pytest.mark.parametrize("kind", sorted(VALUES))
def test_a_message_filled_in_part_then_in_full_is_the_message_filled_at_once(kind: str) -> None:
    """For every shipped message, and every way to fill its placeholders in two steps (the
    first ones, then the rest): the same text as filling all of them in one go."""
    split = 0
    for key in sorted(MESSAGES.keys()):
        for language in LANGUAGES:
            template = MESSAGES.template(key, language)
            placeholders = sorted(set(names(str(MESSAGES(key, language)))))
            values = dict.fromkeys(placeholders, VALUES[kind])
            whole = template.fill(values)
            for cut in range(len(placeholders) + 1):
                first = {name: values[name] for name in placeholders[:cut]}
                rest = {name: values[name] for name in placeholders[cut:]}
                assert template.partial(first).fill(rest) == whole, (key, language, cut)
                split += 1
    assert split > 1000


def test_a_message_filled_in_part_still_needs_the_rest() -> None:
    """What the first step left open must be given: a missing value is a KeyError naming it;
    a template beyond plain names cannot be filled in part."""
    template = Template("{a} and {b}").partial({"a": "<1>"})
    assert template.fill({"b": 2}) == Markup("&lt;1&gt; and 2")
    with pytest.raises(KeyError, match="b"):
        template.fill({})
    with pytest.raises(ValueError, match="in part"):
        Template("{a!r}").partial({"a": 1})
