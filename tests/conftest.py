"""Suite-wide settings."""

from __future__ import annotations

import os

import pytest

from storage import cache

# PTB 22 warns on every RetryAfter unless it may use timedelta; warnings are errors here.
os.environ.setdefault("PTB_TIMEDELTA", "1")


@pytest.fixture(autouse=True)
def check_snapshot_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test checks the repository's snapshot cache: each hit is compared with a fresh
    read of the database, and a difference fails the test (storage/cache.py)."""
    monkeypatch.setattr(cache, "CHECK", True)
