"""One reader's view of a compared pair: the comparison, the canvas and the texts in the
reader's language, with both partners' names. The chat summary, the picture, the report and
the CSV all render from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.agenda_text import Names
from flows.canvas import Canvas, Language
from flows.compare import Comparison
from flows.messages import Markup, Messages


@dataclass(frozen=True, slots=True)
class Reading:
    """A compared pair as shown in one language."""

    comparison: Comparison
    canvas: Canvas
    messages: Messages
    language: Language
    social_name: str
    business_name: str

    @property
    def names(self) -> Names:
        return Names(self.social_name, self.business_name)

    def __call__(self, key: str, /, **values: object) -> Markup:
        """The message ``key`` in the reader's language (HTML)."""
        return self.messages(key, self.language, **values)
