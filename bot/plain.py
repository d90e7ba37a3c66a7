"""Telegram HTML as plain text, for the console: parsed, not pattern-matched."""

from __future__ import annotations

from html.parser import HTMLParser


class _PlainText(HTMLParser):
    """Collects the text of Telegram HTML; a link keeps its address after its label."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: str | None = None
        self._label: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._label = dict(attrs).get("href") or "", []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            label = "".join(self._label)
            self.parts.append(label if label == self._href else f"{label} ({self._href})")
            self._href = None

    def handle_data(self, data: str) -> None:
        (self._label if self._href is not None else self.parts).append(data)


def plain_text(markup: str) -> str:
    """Telegram HTML as plain text: links keep their address, tags go, entities unescape."""
    parser = _PlainText()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)
