"""The chart (PNG), the printable HTML report and the CSV export of a comparison."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import struct
from datetime import UTC, datetime
from html.parser import HTMLParser

from flows.chart import render_chart
from flows.compare import Comparison, compare
from flows.report import render_answers_csv, render_report_html
from tests.flows.test_compare import (
    BUSINESS,
    CANVAS,
    SEVENTEEN,
    SOCIAL,
    answers,
    build_canvas,
)
from tests.flows.test_summary import MESSAGES

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NAMES = {"social_name": "Werkbedrijf <Noord> & Co", "business_name": 'Bakkerij "De Vries"'}
CANVAS_17 = build_canvas(SEVENTEEN)
VOID = {"meta", "img", "br", "link", "input", "hr"}


def comparison_17() -> Comparison:
    """Every verdict, a skipped answer and notes, on a canvas of 17 themes."""
    ids = [t.id for t in CANVAS_17.themes]
    pairs = [(5, 1), (4, 5), (1, 2), (3, 3), (None, 2), (2, 4)]
    social = {t: pairs[i % 6][0] for i, t in enumerate(ids)}
    business = {t: pairs[i % 6][1] for i, t in enumerate(ids)}
    return compare(
        CANVAS_17,
        answers(SOCIAL, social, {ids[0]: "Wij <willen> meer & sneller"}),
        answers(BUSINESS, business, {ids[0]: "=1+1 is twee"}),
    )


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    length, kind = struct.unpack(">I4s", png[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_chart_is_a_portrait_png_of_phone_width():
    """The chart is a PNG about a phone screen wide, taller than wide and well under 1 MB."""
    png = render_chart(comparison_17(), CANVAS_17, "nl", **NAMES)
    width, height = png_size(png)
    assert 800 <= width <= 2000
    assert height > width
    assert len(png) < 1_000_000


def test_chart_grows_with_the_number_of_themes():
    """A canvas with more themes gives a taller chart of the same width."""
    small = render_chart(compare(CANVAS, [], []), CANVAS, "en", **NAMES)
    large = render_chart(comparison_17(), CANVAS_17, "en", **NAMES)
    assert png_size(small)[0] == png_size(large)[0]
    assert png_size(small)[1] < png_size(large)[1]


def test_chart_draws_names_it_cannot_spell_without_warnings():
    """An emoji in an organisation name is left out rather than drawn as a missing glyph."""
    png = render_chart(
        comparison_17(), CANVAS_17, "nl", social_name="🌱 Groen", business_name="Bouw 🏗️ BV"
    )
    assert png.startswith(PNG_SIGNATURE)


async def test_chart_renders_in_worker_threads():
    """Charts render correctly in worker threads, several at once, as the bot runs them."""
    result = comparison_17()
    pngs = await asyncio.gather(
        *(
            asyncio.to_thread(render_chart, result, CANVAS_17, language, **NAMES)
            for language in ("nl", "en", "nl")
        )
    )
    assert [png_size(png)[0] for png in pngs] == [png_size(pngs[0])[0]] * 3
    assert pngs[0] == pngs[2]


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.images: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs)["src"] or "")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def report(facilitator: bool = True, incomplete: bool = False, png: bytes = b"png") -> bytes:
    return render_report_html(
        comparison_17(),
        CANVAS_17,
        MESSAGES,
        "nl",
        facilitator=facilitator,
        chart_png=PNG_SIGNATURE + png,
        generated_at=datetime(2026, 11, 2, 14, 5, tzinfo=UTC),
        meeting_at=datetime(2026, 11, 9, 10, 0, tzinfo=UTC),
        incomplete=incomplete,
        **NAMES,
    )


def parse(page: bytes) -> _Page:
    parser = _Page()
    parser.feed(page.decode("utf-8"))
    parser.close()
    assert not parser.errors
    assert not parser.stack
    return parser


def test_report_is_a_well_formed_page_with_the_chart_embedded():
    """The report parses as HTML with balanced tags and carries the chart as a data URI."""
    page = report(png=b"chart-bytes")
    parsed = parse(page)
    expected = base64.b64encode(PNG_SIGNATURE + b"chart-bytes").decode("ascii")
    assert parsed.images == [f"data:image/png;base64,{expected}"]
    assert page.startswith(b"<!DOCTYPE html>")
    assert b'<meta charset="utf-8">' in page
    assert b"@media print" in page


def test_report_escapes_names_and_notes():
    """Organisation names and notes appear escaped, so a note can never add markup."""
    page = report().decode("utf-8")
    assert "<willen>" not in page
    assert "Wij &lt;willen&gt; meer &amp; sneller" in page
    assert "Werkbedrijf &lt;Noord&gt; &amp; Co" in page
    assert (
        'alt="Grafiek: de scores van Werkbedrijf &lt;Noord&gt; &amp; Co en Bakkerij &quot;' in page
    )
    text = "".join(parse(page.encode("utf-8")).text)
    assert "Wij <willen> meer & sneller" in text


def test_report_has_headline_phase_tables_agenda_and_notes_area():
    """The report holds the headline, a table per phase, the agenda with questions, and dates."""
    page = report().decode("utf-8")
    assert "<title>Samenwerkingscanvas: Werkbedrijf &lt;Noord&gt; &amp; Co en Bakkerij" in page
    assert "verschillen in verwachting" in page
    assert page.count("<table>") == 3
    assert "Wij zijn klaar voor ori0." in page
    assert "Openingsvraag: Wat vraagt ori0 van ons?" in page
    assert "Gemaakt op 02-11-2026 om 14:05 UTC" in page
    assert "Gesprek gepland op 09-11-2026 om 10:00 UTC" in page
    assert "Aantekeningen tijdens het gesprek" in page
    assert "Nog niet compleet" not in page


def test_facilitator_copy_has_room_for_agreements():
    """Only the facilitator's copy has guidance and lines for agreements under each agenda item."""
    facilitator = report(facilitator=True).decode("utf-8")
    partner = report(facilitator=False).decode("utf-8")
    assert "Afspraken en acties" in facilitator
    assert "Voor de begeleider" in facilitator
    assert "Afspraken en acties" not in partner
    assert "Lees dit overzicht" in partner


def test_report_says_when_it_is_incomplete():
    """An incomplete comparison is flagged at the top of the report."""
    page = report(incomplete=True).decode("utf-8")
    assert page.index("Nog niet compleet") < page.index("<figure>")


def read_csv(data: bytes, delimiter: str) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def test_csv_has_a_row_per_theme_with_both_answers():
    """The CSV has a header and one row per theme with scores, notes, verdict and gap."""
    data = render_answers_csv(comparison_17(), CANVAS_17, "en", messages=MESSAGES, **NAMES)
    header, *rows = read_csv(data, ",")
    assert header == [
        "Phase",
        "Part",
        "Theme id",
        "Theme",
        "Statement",
        "Score Werkbedrijf <Noord> & Co",
        "Note Werkbedrijf <Noord> & Co",
        'Score Bakkerij "De Vries"',
        'Note Bakkerij "De Vries"',
        "Outcome",
        "Gap (points)",
    ]
    assert len(rows) == 17
    assert rows[0][:6] == [
        "Phase orientation",
        "Partnership",
        "ori0",
        "Theme ori0",
        "We are ready for ori0.",
        "5",
    ]
    assert rows[0][6] == "Wij <willen> meer & sneller"
    assert rows[0][9:] == ["Mismatched expectations", "4"]
    assert rows[4][5] == ""  # skipped
    assert rows[4][9:] == ["Skipped", ""]


def test_csv_neutralises_formula_injection():
    """Cells starting with =, +, - or @ get an apostrophe, so a spreadsheet shows them as text."""
    result = compare(
        CANVAS,
        answers(SOCIAL, {"trust": 5}, {"trust": '=HYPERLINK("http://x")'}),
        answers(BUSINESS, {"trust": 1}, {"trust": "@SUM(A1)"}),
    )
    data = render_answers_csv(
        result, CANVAS, "nl", messages=MESSAGES, social_name="+31 Zorg", business_name="-Bouw"
    )
    header, *rows = read_csv(data, ";")
    trust = next(row for row in rows if row[2] == "trust")
    assert trust[6] == '\'=HYPERLINK("http://x")'
    assert trust[8] == "'@SUM(A1)"
    assert trust[5] == "5"
    assert header[5] == "Score +31 Zorg"  # not at the start of the cell: harmless
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
