"""`python -m bot` settles the garbage collector once the application is built."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

import bot.__main__ as entry
from bot.context import CanvasApp
from bot.runtime import THRESHOLD
from bot.settings import Settings


@pytest.fixture
def restored_gc() -> Iterator[None]:
    """Whatever the test does to the collector is undone (the suite builds many apps)."""
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_the_bot_freezes_start_up_objects_before_it_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When polling starts, start-up's objects are frozen and the young generation is wide."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "canvas.sqlite3"))
    seen: list[tuple[int, tuple[int, int, int]]] = []

    def serve(app: CanvasApp, settings: Settings) -> None:
        seen.append((gc.get_freeze_count(), gc.get_threshold()))

    monkeypatch.setattr(entry, "run", serve)
    gc.unfreeze()
    assert entry.main([]) == 0
    [(frozen, threshold)] = seen
    assert frozen > 10_000  # modules, classes and the application
    assert threshold == THRESHOLD
