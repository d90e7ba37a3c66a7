"""CPU instructions per answer, ours and the floor: the ratio of (f) without the machine's noise.

On a shared virtual machine the timed ratio of (f) moves by a factor of two from one run to the
next (other processes, the host's steal). Instructions executed do not: callgrind counts them,
the same for the same work whatever else the machine does. They leave out what instructions
cannot show (cache misses, waiting for a thread or the disk), so this is a second figure beside
the timed one, not a replacement.

``python -m benchmarks.instructions`` runs this module five times under
``valgrind --tool=callgrind`` (two at a time), each time with one *extra* step after the same
set-up (partnerships created, ``WARM`` answers of ours recorded for the floor):

* ``none``: nothing more (the base);
* ``ours``: ``EXTRA`` more answers, one by one, through the bot;
* ``ours-build``: the same updates built as the driver builds them, not processed;
* ``floor``: the floor making ``EXTRA`` times the calls one of ours made (benchmarks.run);
* ``floor-build``: the floor's updates built, not processed.

Per answer: ours = (ours - none - (ours-build - none)) / EXTRA, floor likewise. Building an
update is the driver's work, on both sides left out, as (f) leaves it out.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final

from benchmarks.run import THEMES, BenchHarness, Replay, Sides, sequential_us

WARM: Final = 40
EXTRA: Final = 200
PARTNERSHIPS: Final = 12  # 24 partners: 240 answers leave each of them short of finishing
STEPS: Final = ("none", "ours", "ours-build", "floor", "floor-build")
COLLECTED: Final = re.compile(r"Collected : (\d+)")


async def run_step(step: str) -> None:
    """The set-up, then ``step`` (under callgrind, counted as a whole)."""
    with tempfile.TemporaryDirectory(prefix="canvas-instructions-") as folder:
        harness = BenchHarness(Path(folder) / "c.sqlite3", real_chart=False)
        sides = Sides(harness, seed=3)
        async with harness, sides.bare:
            driver = sides.driver
            users = await driver.create_many(range(PARTNERSHIPS))
            per_user = -(-(WARM + EXTRA) // len(users))
            if per_user >= THEMES:
                raise RuntimeError("too few partnerships: someone would finish the canvas")
            turns = [u for _ in range(per_user) for u in users]
            await sides.ours([driver.next_answer(u) for u in turns[:WARM]])
            plans = [sides.plans[i % WARM] for i in range(EXTRA)]
            extra = [driver.next_answer(u) for u in turns[WARM : WARM + EXTRA]]
            if step == "ours":  # as sides.ours, without recording the calls for the floor
                await sequential_us(harness.app, sides.request, extra)
            elif step == "ours-build":
                for build in extra:
                    build()
            elif step in ("floor", "floor-build"):
                sides.plans.clear()
                sides.plans.extend(plans)
                if step == "floor":
                    await sides.floor()
                else:
                    for plan in plans:
                        floor_update(sides, plan)


def floor_update(sides: Sides, plan: Replay) -> object:
    """The update the floor processes for ``plan``, as ``Sides.floor`` builds it."""
    return sides.fixed.callback(plan.user_id, "a:floor:1:x:4", message_id=plan.message_id)


def count(step: str) -> int:
    """Instructions of a whole run with ``step``, from callgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    done = subprocess.run(  # noqa: S603 - this same module under valgrind, our own arguments
        [
            valgrind,
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-m",
            "benchmarks.instructions",
            "--step",
            step,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    found = COLLECTED.search(done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count for {step}: {done.stderr[-500:]}")
    return int(found.group(1))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--step", choices=STEPS, help="run one step (what callgrind runs)")
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if options.step is not None:
        asyncio.run(run_step(options.step))
        return 0
    print(f"five runs under callgrind, two at a time, {EXTRA} answers each (minutes) …")
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = dict(zip(STEPS, pool.map(count, STEPS), strict=True))
    base = counts["none"]

    def per_answer(step: str) -> float:
        return (counts[step] - base - (counts[f"{step}-build"] - base)) / EXTRA

    ours, floor = per_answer("ours"), per_answer("floor")
    print(f"instructions per answer: ours {ours / 1e6:.2f} M, floor {floor / 1e6:.2f} M")
    print(f"ratio: {ours / floor:.2f}x (callgrind; the same count on a busy or a quiet machine)")
    building = (counts["ours-build"] - base) / EXTRA
    print(f"building one of ours' updates, left out: {building / 1e6:.2f} M")
    return 0


if __name__ == "__main__":
    sys.exit(main())
