"""Was the machine quiet? CPU time over the run: ours, other processes', the host's steal.

Read from /proc/stat (all CPUs: user, nice, system, idle, iowait, irq, softirq, steal) and
``os.times()`` (this process and its waited-for children) at the start and at the end. On a
virtual machine *steal* is time a CPU of ours was ready to run but the host ran something
else: a busy host slows every figure of the run without showing in the load average.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

STAT: Final = Path("/proc/stat")
TICKS: Final = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Sample:
    busy: float  # seconds of all CPUs spent running something of this machine (not idle)
    steal: float  # seconds the host held a ready CPU of ours
    total: float  # busy + idle + iowait + steal
    ours: float  # this process and its children, user + system


def sample() -> Sample | None:
    """The counters now; None where /proc/stat is not there (not Linux)."""
    try:
        fields = STAT.read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (int(f) / TICKS for f in fields[1:9])
    busy = user + nice + system + irq + softirq
    times = os.times()
    ours = times.user + times.system + times.children_user + times.children_system
    return Sample(busy, steal, busy + idle + iowait + steal, ours)


def quietness(start: Sample | None, end: Sample | None) -> str:
    """One line: shares of the CPUs' time over the run, and whether that makes it quiet."""
    if start is None or end is None or end.total <= start.total:
        return "the machine: not measured (no /proc/stat)"
    total = end.total - start.total
    ours = (end.ours - start.ours) / total
    others = max(0.0, (end.busy - start.busy) / total - ours)
    steal = (end.steal - start.steal) / total
    quiet = "quiet" if others < 0.05 and steal < 0.02 else "NOT quiet"
    return (
        f"the machine during the run ({os.cpu_count()} CPUs): this benchmark {ours:.0%} of their "
        f"time, other processes {others:.0%}, taken by the host (steal) {steal:.1%}: {quiet} "
        f"(quiet: others < 5 %, steal < 2 %)"
    )
