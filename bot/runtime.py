"""The interpreter's garbage collector, set for a long-running bot.

CPython's defaults (a young-generation collection every 700 net allocations) suit short
scripts. A bot answering updates allocates a few thousand objects per update, nearly all
short-lived: with the defaults many of them are still alive at a collection, are promoted,
and swell the oldest generation until a full collection walks every object the process
holds (PTB, Pydantic, matplotlib and the snapshot cache: 100 ms and more, seen in the
benchmark, in the middle of someone's answer).

``settle_after_start()`` is called once the application is built, before it serves:
everything alive then (modules, classes, the application) is moved out of the collector's
sight with ``gc.freeze()``, so a full collection walks only what came later; and the young
generation is allowed to grow to ``THRESHOLD[0]`` objects, so an update's temporaries die
young instead of being promoted. ``python -m bot`` and the benchmark call it; the tests,
which build hundreds of applications in one process, do not (frozen objects are never
freed).
"""

from __future__ import annotations

import gc
from typing import Final

# (young, middle, old): collections of the next older generation per collection of this one.
THRESHOLD: Final = (20_000, 50, 100)


def settle_after_start() -> None:
    """Collect once, freeze what lives now, and set ``THRESHOLD``."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLD)
