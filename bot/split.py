"""Telegram's length limits: count as Telegram counts, and pack HTML blocks into messages.

Telegram limits a message's text to 4,096 characters and a caption to 1,024, counted in UTF-16
code units. flows/ hands over long texts whole (as blocks); this module cuts them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from telegram.constants import MessageLimit

MESSAGE_LIMIT = MessageLimit.MAX_TEXT_LENGTH
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH

_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)[^>]*>")
_FINER = (
    re.compile(r"[^\n]*\n|[^\n]+"),  # lines
    re.compile(r"(?:<[^>]*>|[^\s<])+\s*|\s+"),  # words (tags whole) with their trailing space
    re.compile(r"<[^>]*>|&#?\w+;|.", re.DOTALL),  # tags, entities, characters
)


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: in UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def split_html(blocks: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pack blocks of Telegram HTML into as few messages as fit within ``limit``.

    A block that does not fit beside others starts a new message; only a block too long for a
    message on its own is split, at a line, else a word, else a character (never inside a tag
    or an entity), closing the tags open at the cut and opening them again after it.
    """
    packer = _Packer(limit)
    for block in blocks:
        packer.add(block + "\n\n", level=0)
    packer.flush()
    return packer.parts


def _open_after(stack: tuple[tuple[str, str], ...], piece: str) -> tuple[tuple[str, str], ...]:
    """The tags still open after ``piece``, as (name, opening tag), outermost first."""
    opened = list(stack)
    for match in _TAG.finditer(piece):
        closing, name = match.group(1), match.group(2).lower()
        if not closing:
            opened.append((name, match.group(0)))
        elif any(n == name for n, _ in opened):
            index = max(i for i, (n, _) in enumerate(opened) if n == name)
            del opened[index:]
    return tuple(opened)


def _closing(stack: tuple[tuple[str, str], ...]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


class _Packer:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self._buffer: list[str] = []
        self._size = 0
        self._stack: tuple[tuple[str, str], ...] = ()
        self._has_text = False

    def add(self, piece: str, level: int) -> None:
        if not self._has_text and not _TAG.sub("", piece).strip():
            self._append(piece)  # only tags or space: they go with the text that follows
        elif self._fits(piece, self._size):
            self._append(piece)
        elif level < len(_FINER) and not self._fits(piece, self._reopen_size()):
            for finer in _FINER[level].findall(piece):  # too long for any message: cut it
                self.add(finer, level + 1)
        else:
            self.flush()
            self._append(piece)

    def flush(self) -> None:
        if self._has_text:
            self.parts.append("".join(self._buffer).rstrip() + _closing(self._stack))
        reopen = "".join(tag for _, tag in self._stack)
        self._buffer, self._size, self._has_text = [reopen], telegram_length(reopen), False

    def _fits(self, piece: str, after: int) -> bool:
        """Whether ``piece`` fits after ``after`` code units, with the tags it leaves open."""
        closing = _closing(_open_after(self._stack, piece))
        return after + telegram_length(piece) + telegram_length(closing) <= self.limit

    def _reopen_size(self) -> int:
        """The size a new message starts with: the open tags, opened again."""
        return sum(telegram_length(tag) for _, tag in self._stack)

    def _append(self, piece: str) -> None:
        if not self._has_text:
            piece = piece.lstrip()  # no message starts with space
        self._buffer.append(piece)
        self._size += telegram_length(piece)
        self._stack = _open_after(self._stack, piece)
        self._has_text = self._has_text or bool(_TAG.sub("", piece).strip())


def fit_caption(caption: str) -> str:
    """A caption cut to Telegram's limit (summary captions are one line; rarely needed)."""
    if telegram_length(caption) <= CAPTION_LIMIT:
        return caption
    return split_html([caption], CAPTION_LIMIT)[0]
