"""The combined summary through the real Application names exactly the planted mismatches."""

from __future__ import annotations

import re

from flows.canvas import load_canvas
from tests.bot.conftest import Harness
from tests.bot.test_journey_bot import BUSINESS, SOCIAL, create, join

PLANTED = {"trust": (5, 1), "equality": (2, 4), "synergy": (4, 1)}  # theme id -> scores


async def test_the_summary_names_exactly_the_planted_mismatches(harness: Harness) -> None:
    """Both partners get summary and picture; the mismatches listed are the planted ones."""
    canvas = load_canvas()
    token = await create(harness)
    await join(harness, token)
    for user, side in ((SOCIAL, 0), (BUSINESS, 1)):
        for theme in canvas.themes:
            score = PLANTED.get(theme.id, (4, 4))[side]
            await harness.tap(user, "a:", replace_last=str(score))
    photos = harness.offline.calls_to("sendPhoto")
    assert sorted(int(str(p.params["chat_id"])) for p in photos) == [SOCIAL, BUSINESS]
    for p in photos:
        assert len(str(p.params.get("caption", ""))) <= 1024
    summary = "\n".join(harness.texts_to(SOCIAL))
    assert re.search(r"(?<!\d)3 verschillen in verwachting", summary)
    agenda = summary[summary.index("Agenda voor het gesprek") :]
    titles = re.findall(r"^\d+\. \S+ <b>(.+?)</b>", agenda, re.M)
    expected = {canvas.theme(t).title("nl") for t in PLANTED}  # type: ignore[union-attr]
    assert set(titles) == expected
    assert len(titles) == 3
    # largest gap first: trust (4) and synergy (3) before equality (2)
    assert titles[0] == canvas.theme("trust").title("nl")  # type: ignore[union-attr]
    assert titles[-1] == canvas.theme("equality").title("nl")  # type: ignore[union-attr]
