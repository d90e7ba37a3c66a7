"""The comparison's shared marks in the reader's language: verdict markers, the headline.

The chat summary (``flows.chat_summary``), the picture's caption and the report use them.
"""

from __future__ import annotations

from flows.canvas import Language
from flows.compare import Comparison, Verdict
from flows.messages import Markup, Messages

MARKERS = {
    Verdict.MISMATCH: "🔴",
    Verdict.SHARED_STRENGTH: "🟢",
    Verdict.SHARED_CONCERN: "🟠",
    Verdict.ALIGNED: "⚪",
    Verdict.NOT_YET: "⏸",
    Verdict.SKIPPED: "⏭",
    Verdict.INCOMPLETE: "⏳",
}
NO_SCORE = "—"


def movement_mark(change: int | None) -> str:
    """A score's change since the previous round: "↑1", "↓2", "=" or "" (unknown)."""
    if change is None:
        return ""
    if change == 0:
        return "="
    return f"↑{change}" if change > 0 else f"↓{-change}"


def headline(comparison: Comparison, messages: Messages, language: Language) -> Markup:
    """The counts in one line, e.g. "🔴 3 verschillen in verwachting · 🟢 5 gedeelde sterktes"."""
    counts = comparison.counts
    parts = []
    for verdict in Verdict:
        count = counts[verdict]
        if count == 0 and verdict is not Verdict.MISMATCH:
            continue
        form = "zero" if count == 0 else "one" if count == 1 else "other"
        text = messages(f"summary_count_{verdict.value}_{form}", language, count=count)
        parts.append(f"{MARKERS[verdict]} {text}")
    return Markup(" · ".join(parts))
