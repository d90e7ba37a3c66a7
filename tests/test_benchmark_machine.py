"""The benchmark's line on whether the machine was quiet, from two counter samples."""

from __future__ import annotations

from benchmarks.machine import Sample, quietness, sample


def test_shares_of_the_cpus_time_and_the_verdict() -> None:
    start = Sample(busy=10.0, steal=1.0, total=100.0, ours=5.0)
    quiet = Sample(busy=60.0, steal=1.5, total=200.0, ours=52.0)  # others 3 %, steal 0.5 %
    busy = Sample(busy=80.0, steal=6.0, total=200.0, ours=52.0)  # others 23 %, steal 5 %
    assert "this benchmark 47%" in quietness(start, quiet)
    assert "other processes 3%, taken by the host (steal) 0.5%: quiet" in quietness(start, quiet)
    assert "other processes 23%, taken by the host (steal) 5.0%: NOT quiet" in quietness(
        start, busy
    )


def test_this_machine_can_be_sampled() -> None:
    now = sample()
    assert now is not None  # Linux, as CI
    assert now.total >= now.busy > 0
    assert "not measured" in quietness(None, now)
