"""The HTML report in a real browser: headless Chromium lays it out on a 390-pixel phone screen.

Under CI (``CI=true``) a missing browser fails the test; elsewhere the test skips and says how
to install it. The screenshot stays in the test's temporary folder; its path is printed.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.canvas import Canvas
from flows.chart import render_chart
from flows.compare import Comparison, compare
from flows.messages import load_messages
from flows.reading import Reading
from flows.report import render_report_html
from tests.flows.test_chart_report import (
    AMBITION_BUSINESS,
    AMBITION_NOTES,
    AMBITION_SOCIAL,
    CANVAS_A,
)
from tests.flows.test_compare import BUSINESS, SOCIAL, answers

PHONE_WIDTH = 390
CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=5000",
)
LONG_NAMES = {
    "social_name": "Stichting Werkleerbedrijf De Groene Schakel Noord-Holland <Zuid> & Co",
    "business_name": 'Van Dijk Logistiek, Transport en Warehousing "Internationaal" B.V.',
}
LONG_WORD = "arbeidsmarktintegratiesamenwerkingsovereenkomstvoorwaarden" * 3
# The report goes in an iframe exactly a phone wide; once it has loaded, the script measures it
# and writes the result where --dump-dom shows it. (A headless window has a minimum width.)
FRAME = """<!DOCTYPE html><html><head><meta charset="utf-8">
<style>body {{ margin: 0; }} iframe {{ border: 0; display: block; }}</style></head><body>
<iframe id="page" width="{width}" height="{height}" srcdoc="{page}"></iframe>
<script>
const frame = document.getElementById("page");
frame.addEventListener("load", () => {{
  const doc = frame.contentDocument, root = doc.documentElement;
  let right = 0, widest = "";
  for (const element of doc.body.querySelectorAll("*")) {{
    const edge = element.getBoundingClientRect().right;
    if (edge > right) {{ right = edge; widest = element.tagName + "." + element.className; }}
  }}
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({{viewport: frame.contentWindow.innerWidth,
    scroll: root.scrollWidth, height: Math.ceil(doc.body.getBoundingClientRect().bottom) + 16,
    right: Math.ceil(right), widest}});
  document.body.appendChild(out);
}});
</script></body></html>"""
PROBE_HEIGHT = 30_000  # taller than the report: no scrollbar takes width from the page


def framed(page: str, height: int) -> str:
    return FRAME.format(width=PHONE_WIDTH, height=height, page=html.escape(page, quote=True))


def chromium() -> str:
    for name in CHROMIUM:
        found = shutil.which(name)
        if found:
            return found
    message = "no Chromium to render the report: install it with `apt-get install chromium`"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def long_comparison() -> tuple[Comparison, Canvas]:
    canvas = CANVAS_A
    ids = [t.id for t in canvas.themes]
    pairs = [(5, 1), (4, 5), (1, 2), (3, 3), (None, 2), (2, 4)]
    note = f"Wij <willen> meer & sneller: {LONG_WORD}. " + "Een lange toelichting. " * 25
    social = answers(
        SOCIAL,
        {t: pairs[i % 6][0] for i, t in enumerate(ids)} | AMBITION_SOCIAL,
        {ids[0]: note} | AMBITION_NOTES,
    )
    business = answers(
        BUSINESS,
        {t: pairs[i % 6][1] for i, t in enumerate(ids)} | AMBITION_BUSINESS,
        {ids[0]: "https://example.org/" + LONG_WORD, ids[2]: note, "depth_now": LONG_WORD},
    )
    business = [
        replace(a, score=None, not_yet=True) if a.theme_id == ids[7] else a for a in business
    ]
    return compare(canvas, social, business), canvas


def run(browser: str, profile: Path, *args: str) -> str:
    done = subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def test_report_fits_a_phone_screen_without_sideways_scrolling(tmp_path: Path):
    """On a 390-pixel screen the report with long names and notes is no wider than the screen."""
    browser = chromium()
    comparison, canvas = long_comparison()
    reading = Reading(comparison, canvas, load_messages(), "nl", **LONG_NAMES)
    page = render_report_html(
        reading,
        facilitator=True,
        chart_png=render_chart(reading),
        generated_at=datetime(2026, 11, 2, 14, 5, tzinfo=UTC),
        meeting_at=None,
        incomplete=False,
    ).decode("utf-8")
    (tmp_path / "report.html").write_text(page, encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(framed(page, PROBE_HEIGHT), encoding="utf-8")
    dom = run(browser, tmp_path / "profile", "--window-size=800,900", "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom)
    assert found, "the page did not load in the browser"
    measured = json.loads(html.unescape(found.group(1)))

    height = min(measured["height"], 16_000)
    screen = tmp_path / "screen.html"
    screen.write_text(framed(page, height), encoding="utf-8")
    shot = tmp_path / f"report-{PHONE_WIDTH}px.png"
    size = f"--window-size={PHONE_WIDTH},{height}"
    run(browser, tmp_path / "profile", size, f"--screenshot={shot}", screen.as_uri())
    print(f"screenshot of the report at {PHONE_WIDTH} px: {shot}")  # noqa: T201

    assert measured["viewport"] == PHONE_WIDTH
    assert measured["scroll"] <= PHONE_WIDTH, measured
    assert measured["right"] <= PHONE_WIDTH, measured
    assert shot.stat().st_size > 0
