"""The combined summary through the real Application: phone first, the planted mismatches."""

from __future__ import annotations

import re

from flows.canvas import load_canvas
from tests.bot.conftest import Harness
from tests.bot.test_journey_bot import BUSINESS, SOCIAL, create, join
from tests.support.botapi import parse_html

PLANTED = {"trust": (5, 1), "equality": (2, 4), "synergy": (4, 1)}  # theme id -> scores


async def test_the_first_message_names_the_planted_mismatches_largest_first(
    harness: Harness,
) -> None:
    """Each partner gets a first message of at most 1,000 characters with the planted mismatches
    as the top three, largest gap first, then the picture: no more than three messages."""
    canvas = load_canvas()
    token = await create(harness)
    await join(harness, token)
    for user, side in ((SOCIAL, 0), (BUSINESS, 1)):
        # The ambitions alike (the first option: a transaction, so the orientation phase,
        # where none of the planted themes is, weighs no theme more), then the statements.
        for theme in canvas.questions:
            if user == BUSINESS and theme is canvas.questions[-1]:
                before = len(harness.offline.calls)
            score = PLANTED.get(theme.id, (1, 1) if canvas.ambition(theme.id) else (4, 4))[side]
            await harness.tap(user, "a:", replace_last=str(score))
    photos = harness.offline.calls_to("sendPhoto")
    assert sorted(int(str(p.params["chat_id"])) for p in photos) == [SOCIAL, BUSINESS]
    for p in photos:
        assert len(str(p.params.get("caption", ""))) <= 1024
    delivered = [c for c in harness.offline.calls[before:] if c.params.get("chat_id") == SOCIAL]
    assert len(delivered) <= 3
    (first,) = [t for t in harness.texts_to(SOCIAL) if "Bespreek eerst" in t]
    assert len(parse_html(first)[0]) <= 1000
    assert re.search(r"(?<!\d)3 verschillen in verwachting", first)
    titles = re.findall(r"^\S+ \d\. <b>(.+?)</b>", first, re.M)
    title = {t: canvas.theme(t).title("nl") for t in PLANTED}  # type: ignore[union-attr]
    assert titles == [title["trust"], title["synergy"], title["equality"]]
