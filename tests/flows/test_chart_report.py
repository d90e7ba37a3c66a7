"""The chart (PNG), the printable HTML report and the CSV export of a comparison."""

from __future__ import annotations

import asyncio
import base64
import csv
import html
import io
import re
import struct
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser

import markupsafe

from flows.agenda_text import Names, topics
from flows.canvas import Ambition, Canvas, Language, Option, Text
from flows.chart import chart_figure, render_chart
from flows.chat_summary import render_detail
from flows.compare import Comparison, compare
from flows.messages import load_messages
from flows.model import Answer
from flows.reading import Reading
from flows.report import render_answers_csv, render_report_html
from tests.flows.test_compare import (
    BUSINESS,
    CANVAS,
    SEVENTEEN,
    SOCIAL,
    answers,
    build_canvas,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NAMES = {"social_name": "Werkbedrijf <Noord> & Co", "business_name": 'Bakkerij "De Vries"'}
CANVAS_17 = build_canvas(SEVENTEEN)
VOID = {"meta", "img", "br", "link", "input", "hr"}
MESSAGES = load_messages()


IDS_17 = [t.id for t in CANVAS_17.themes]
NOT_YET_THEME = IDS_17[7]  # the business found it not yet relevant; the social enterprise: 4
UNANSWERED_THEME = IDS_17[-1]  # the business has not answered it yet


def option(id_: str, nl: str) -> Option:
    return Option(id=id_, label=Text(nl=nl, en=id_), explain=Text(nl="Uitleg.", en="Explain."))


DEPTH = Ambition(
    id="depth_now",
    kind="depth",
    title=Text(nl="Samenwerking nu", en="Partnership now"),
    question=Text(nl="Hoe diep gaat het nu?", en="How deep now?"),
    options=(option("transaction", "Transactie"), option("integration", "Integratie")),
)
IMPACT = Ambition(
    id="impact",
    kind="impact",
    title=Text(nl="Impactniveau", en="Impact level"),
    question=Text(nl="Welke impact telt?", en="Which impact counts?"),
    options=(option("micro", "Medewerker"), option("macro", "Samenleving")),
)


# The ambitions the report compares first: the depth now differs, the impact is the same.
CANVAS_A = CANVAS_17.model_copy(update={"ambitions": (DEPTH, IMPACT)})
AMBITION_SOCIAL = {"depth_now": 1, "impact": 2}
AMBITION_BUSINESS = {"depth_now": 2, "impact": 2}
AMBITION_NOTES = {"depth_now": "Wij <starten> net"}


def not_yet(answers: list[Answer], theme_id: str) -> list[Answer]:
    return [replace(a, score=None, not_yet=True) if a.theme_id == theme_id else a for a in answers]


def comparison_17(round_: int = 1, *, ambitions: bool = True) -> Comparison:
    """Every verdict, a skip, a 'not yet relevant', an open theme and notes, on 17 themes;
    with ``ambitions`` also two ambition questions, the first answered differently."""
    pairs = [(5, 1), (4, 5), (1, 2), (3, 3), (None, 2), (2, 4)]
    social: dict[str, int | None] = {t: pairs[i % 6][0] for i, t in enumerate(IDS_17)}
    business: dict[str, int | None] = {
        t: pairs[i % 6][1] for i, t in enumerate(IDS_17) if t != UNANSWERED_THEME
    }
    notes = {IDS_17[0]: "Wij <willen> meer & sneller"}
    if ambitions:
        social |= AMBITION_SOCIAL
        business |= AMBITION_BUSINESS
        notes |= AMBITION_NOTES
    return compare(
        CANVAS_A if ambitions else CANVAS_17,
        answers(SOCIAL, social, notes, round_),
        not_yet(answers(BUSINESS, business, {IDS_17[0]: "=1+1 is twee"}, round_), NOT_YET_THEME),
    )


def shown(
    comparison: Comparison, canvas: Canvas, language: Language = "nl", **names: str
) -> Reading:
    """The comparison as a reader in ``language`` sees it, with ``NAMES`` unless named."""
    chosen = names or NAMES
    return Reading(
        comparison,
        canvas,
        MESSAGES,
        language,
        chosen["social_name"],
        chosen["business_name"],
    )


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    length, kind = struct.unpack(">I4s", png[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def chart_texts(comparison: Comparison, language: Language = "nl", **names: str) -> list[str]:
    figure = chart_figure(shown(comparison, CANVAS_17, language, **names))
    found = [text.get_text() for text in figure.findobj(match=lambda a: hasattr(a, "get_text"))]
    return [text for text in found if text]


def test_chart_legend_names_roles_and_says_what_the_bands_mean():
    """The legend names each role with its organisation and words the bands, without a Δ."""
    texts = chart_texts(comparison_17())
    assert "sociale onderneming: Werkbedrijf <Noord> & Co" in texts
    assert 'reguliere onderneming: Bakkerij "De Vries"' in texts
    assert "verschil van 2 of meer" in texts
    assert "gedeelde sterkte" in texts
    assert "gedeelde zorg" in texts
    assert not [text for text in texts if "Δ" in text]
    english = chart_texts(comparison_17(), "en")
    assert "difference of 2 or more" in english
    assert "social enterprise: Werkbedrijf <Noord> & Co" in english


def test_chart_shows_skips_not_yet_relevant_and_open_themes_in_words():
    """An answer without a score is drawn with its state, one label per such answer."""
    texts = chart_texts(comparison_17())
    skipped = sum(1 for i in range(17) if i % 6 == 4)
    assert texts.count("overgeslagen") == skipped
    assert texts.count("nog niet aan de orde") == 1
    assert texts.count("nog niet beantwoord") == 1


def test_chart_wraps_long_names_instead_of_cutting_them_short():
    """A long organisation name takes a second legend line and makes the chart taller."""
    name = "Stichting Werkleerbedrijf De Groene Schakel Noord-Holland"
    long = {"social_name": name, "business_name": "B"}
    short = {"social_name": "A", "business_name": "B"}
    tall = png_size(render_chart(shown(comparison_17(), CANVAS_17, **long)))
    low = png_size(render_chart(shown(comparison_17(), CANVAS_17, **short)))
    assert tall[1] > low[1]
    labels = {t for t in chart_texts(comparison_17(), **long) if t.startswith("sociale")}
    assert {label.replace("\n", " ") for label in labels} == {f"sociale onderneming: {name}"}
    assert all("\n" in label for label in labels)


def test_chart_is_a_portrait_png_of_phone_width():
    """The chart is a PNG about a phone screen wide, taller than wide and well under 1 MB."""
    png = render_chart(shown(comparison_17(), CANVAS_17))
    width, height = png_size(png)
    assert 800 <= width <= 2000
    assert height > width
    assert len(png) < 1_000_000


def test_chart_grows_with_the_number_of_themes():
    """A canvas with more themes gives a taller chart of the same width."""
    small = render_chart(shown(compare(CANVAS, [], []), CANVAS, "en"))
    large = render_chart(shown(comparison_17(), CANVAS_17, "en"))
    assert png_size(small)[0] == png_size(large)[0]
    assert png_size(small)[1] < png_size(large)[1]


def test_chart_draws_names_it_cannot_spell_without_warnings():
    """An emoji in an organisation name is left out rather than drawn as a missing glyph."""
    png = render_chart(
        shown(comparison_17(), CANVAS_17, social_name="🌱 Groen", business_name="Bouw 🏗️ BV")
    )
    assert png.startswith(PNG_SIGNATURE)


async def test_chart_renders_in_worker_threads():
    """Charts render correctly in worker threads, several at once, as the bot runs them."""
    result = comparison_17()
    pngs = await asyncio.gather(
        *(
            asyncio.to_thread(render_chart, shown(result, CANVAS_17, language))
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


def report(
    facilitator: bool = True,
    incomplete: bool = False,
    png: bytes = b"png",
    comparison: Comparison | None = None,
) -> str:
    return render_report_html(
        shown(comparison or comparison_17(), CANVAS_A),
        facilitator=facilitator,
        chart_png=PNG_SIGNATURE + png,
        generated_at=datetime(2026, 11, 2, 14, 5, tzinfo=UTC),
        meeting_at=datetime(2026, 11, 9, 10, 0, tzinfo=UTC),
        incomplete=incomplete,
    ).decode("utf-8")


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
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
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page


def test_report_escapes_names_and_notes():
    """Organisation names and notes appear escaped, so a note can never add markup."""
    page = report()
    assert "<willen>" not in page
    assert "<Noord>" not in page
    assert "<starten>" not in page
    assert "Wij &lt;willen&gt; meer &amp; sneller" in page
    assert "Werkbedrijf &lt;Noord&gt; &amp; Co" in page
    assert (
        'alt="Grafiek: de scores van Werkbedrijf &lt;Noord&gt; &amp; Co en Bakkerij &#34;' in page
    )
    text = "".join(parse(page).text)
    assert "Wij <willen> meer & sneller" in text
    assert "Wij <starten> net" in text


def test_report_puts_the_agenda_first_then_ambitions_chart_and_detail():
    """The agenda comes right after the title, before the strengths, the ambitions, the chart,
    the per-theme detail and the notes area."""
    page = report()
    order = [
        page.index("<h1>"),
        page.index("Agenda voor het gesprek"),
        page.index('<ol class="agenda">'),
        page.index("Gedeelde sterktes: Thema ori1"),
        page.index("Jullie ambities naast elkaar"),
        page.index("<figure>"),
        page.index("Alle thema"),
        page.index("Aantekeningen tijdens het gesprek"),
    ]
    assert order == sorted(order)
    head = page[page.index("<body>") : page.index('<ol class="agenda">')]
    assert "<ul" not in head
    assert "Voor de begeleider" not in head


def agenda_of(page: str) -> str:
    return page[page.index('<ol class="agenda">') : page.index("</ol>")]


def test_report_lists_exactly_the_chat_summarys_agenda_in_its_order():
    """The report's agenda items are the summary's topics, in order, ambitions first; the
    detail behind the chat button names the same titles in the same order."""
    comparison = comparison_17()
    found = topics(comparison, MESSAGES, "nl", Names(NAMES["social_name"], NAMES["business_name"]))
    agenda = agenda_of(report(comparison=comparison))
    titles = [html.unescape(t) for t in re.findall(r"<h3>(.*?)</h3>", agenda)]
    assert titles == [topic.title for topic in found]
    assert titles[0] == "Ambities"
    assert len(titles) == comparison.agenda_size
    detail = render_detail(shown(comparison, CANVAS_A))
    places = [
        detail.index(f"<b>{n}. {html.escape(t, quote=False)}</b>") for n, t in enumerate(titles, 1)
    ]
    assert places == sorted(places)


def test_report_agenda_items_say_who_sees_what_with_notes_question_and_step():
    """Each agenda item carries the summary's sentence, both partners' notes by name, the
    opening question fitting the difference and the next step."""
    comparison = comparison_17()
    found = topics(comparison, MESSAGES, "nl", Names(NAMES["social_name"], NAMES["business_name"]))
    agenda = agenda_of(report(comparison=comparison))
    for topic in found:
        assert markupsafe.escape(topic.sentence) in agenda
        assert markupsafe.escape(topic.question) in agenda
    first = agenda[agenda.index("Thema ori0") :]
    social, business = (markupsafe.escape(name) for name in NAMES.values())
    assert f"<b>{social}</b>: “Wij &lt;willen&gt; meer &amp; sneller”" in first
    assert f"<b>{business}</b>: “=1+1 is twee”" in first
    assert f"<b>{social}</b>: “Wij &lt;starten&gt; net”" in agenda[: agenda.index("Thema")]


def test_report_shows_the_comparisons_ambitions_side_by_side():
    """Both partners' choices from the comparison stand side by side; a comparison without
    ambitions leaves the section and the agenda item out."""
    page = report()
    section = page[page.index("Jullie ambities naast elkaar") : page.index("<figure>")]
    assert section.index("Transactie") < section.index("Integratie")
    assert section.count("Samenleving") == 2
    bare = report(comparison=comparison_17(ambitions=False))
    assert "Jullie ambities naast elkaar" not in bare
    assert "<h3>Jullie ambities</h3>" not in bare


def test_report_has_no_wide_table_and_prints_on_a4():
    """Themes are stacked cards rather than a wide table; print styles set A4 and page breaks."""
    page = report()
    assert "<table" not in page
    assert page.count('<article class="card') == 17
    assert "@media print" in page
    assert "size: A4" in page
    assert "break-before: page" in page


def test_report_names_each_state_of_an_answer():
    """A skip, 'not yet relevant' and an open theme each show in words in the theme's card,
    and its outcome and the counts tell them apart as the chat summary does."""
    page = report()

    def card(theme_id: str) -> str:
        start = page.index(f"<h4>Thema {theme_id}</h4>")
        return page[start : page.index("</article>", start)]

    assert "nog niet aan de orde" in card(NOT_YET_THEME)
    assert "overgeslagen" in card(IDS_17[4])
    assert "nog niet beantwoord" in card(UNANSWERED_THEME)
    assert "Nog open" in card(UNANSWERED_THEME)
    assert "Nog niet aan de orde" in card(NOT_YET_THEME)
    assert "Overgeslagen" in card(IDS_17[4])
    assert "Niet door allebei gescoord" not in page


def test_report_says_so_when_there_are_no_shared_strengths():
    """A pair without any shared strength is told so instead of given a list."""
    result = compare(
        CANVAS_17,
        answers(SOCIAL, dict.fromkeys(IDS_17, 3)),
        answers(BUSINESS, dict.fromkeys(IDS_17, 3)),
    )
    page = report(comparison=result)
    assert "Nog geen gedeelde sterktes" in page
    assert "Gedeelde sterktes:" not in page


def test_facilitator_copy_has_room_for_agreements():
    """Only the facilitator's copy has guidance and lines for agreements under each agenda item."""
    facilitator = report(facilitator=True)
    partner = report(facilitator=False)
    assert "Afspraken en acties" in facilitator
    assert "Voor de begeleider" in facilitator
    assert "Afspraken en acties" not in partner
    assert "Lees dit overzicht" in partner


def test_report_says_when_it_is_incomplete():
    """An incomplete comparison is flagged at the top of the report, dates in the header."""
    page = report(incomplete=True)
    assert page.index("Nog niet compleet") < page.index("Agenda voor het gesprek")
    assert "Nog niet compleet" not in report()
    assert "Gemaakt op 02-11-2026 om 14:05 UTC" in page
    assert "Gesprek gepland op 09-11-2026 om 10:00 UTC" in page


def read_csv(data: bytes, delimiter: str) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def test_csv_has_a_row_per_partner_and_theme_with_round_role_and_state():
    """Each theme has one row per partner, with the round, the role, the organisation and the
    state of the answer; ambitions come first."""
    data = render_answers_csv(shown(comparison_17(round_=3), CANVAS_A, "en"))
    header, *rows = read_csv(data, ",")
    assert header == [
        "Round",
        "Role",
        "Organisation",
        "Phase",
        "Part",
        "Theme id",
        "Theme",
        "Statement",
        "Answer",
        "Score",
        "Score in words",
        "Note",
        "Outcome",
        "Gap (points)",
    ]
    assert len(rows) == 2 * 2 + 2 * 17
    assert [row[5] for row in rows[:4]] == ["depth_now"] * 2 + ["impact"] * 2
    assert rows[0][8:12] == ["scored", "1", "transaction", "Wij <starten> net"]
    themes = rows[4:]
    assert {row[0] for row in rows} == {"3"}
    assert [row[1] for row in themes[:2]] == ["social enterprise", "regular business"]
    assert themes[0][2] == "Werkbedrijf <Noord> & Co"
    assert themes[0][3:10] == [
        "Phase orientation",
        "Partnership",
        "ori0",
        "Theme ori0",
        "We are ready for ori0.",
        "scored",
        "5",
    ]
    assert themes[0][10:] == [
        "strongly agree",
        "Wij <willen> meer & sneller",
        "Mismatched expectations (4 points apart)",
        "4",
    ]


def test_csv_tells_skipped_not_yet_relevant_and_unanswered_apart():
    """The state column says which answers were skipped, not yet relevant or not given yet."""
    data = render_answers_csv(shown(comparison_17(), CANVAS_17))
    _, *rows = read_csv(data, ";")
    state = {(row[5], row[1]): row[8] for row in rows}
    assert state[IDS_17[4], "sociale onderneming"] == "overgeslagen"
    assert state[NOT_YET_THEME, "reguliere onderneming"] == "nog niet aan de orde"
    assert state[NOT_YET_THEME, "sociale onderneming"] == "gescoord"
    assert state[UNANSWERED_THEME, "reguliere onderneming"] == "nog niet beantwoord"
    skipped = next(r for r in rows if r[5] == IDS_17[4] and r[1] == "sociale onderneming")
    assert skipped[9:11] == ["", ""]


def test_csv_neutralises_formula_injection():
    """Cells starting with =, +, - or @ get an apostrophe, so a spreadsheet shows them as text."""
    result = compare(
        CANVAS,
        answers(SOCIAL, {"trust": 5}, {"trust": '=HYPERLINK("http://x")'}),
        answers(BUSINESS, {"trust": 1}, {"trust": "@SUM(A1)"}),
    )
    data = render_answers_csv(shown(result, CANVAS, social_name="+31 Zorg", business_name="-Bouw"))
    _, *rows = read_csv(data, ";")
    social, business = (row for row in rows if row[5] == "trust")
    assert social[11] == '\'=HYPERLINK("http://x")'
    assert business[11] == "'@SUM(A1)"
    assert social[2] == "'+31 Zorg"
    assert business[2] == "'-Bouw"
    assert social[9] == "5"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_report_agenda_item_carries_the_themes_next_step():
    """Each agenda item shows its own theme's next step, escaped, once."""
    step = Text(nl="Leg afspraken vast in een <overleg>.", en="Record agreements.")
    first = CANVAS_17.themes[0].model_copy(update={"next_step": step})
    canvas = CANVAS_17.model_copy(update={"themes": (first, *CANVAS_17.themes[1:])})
    comparison = compare(
        canvas,
        answers(SOCIAL, {IDS_17[0]: 5, IDS_17[6]: 5}),
        answers(BUSINESS, {IDS_17[0]: 1, IDS_17[6]: 1}),
    )
    page = render_report_html(
        shown(comparison, canvas),
        facilitator=False,
        chart_png=PNG_SIGNATURE,
        generated_at=datetime(2026, 11, 2, 14, 5, tzinfo=UTC),
        meeting_at=None,
        incomplete=False,
    ).decode("utf-8")
    assert page.count("Mogelijke volgende stap") == 2  # two themes on the agenda
    assert page.count("Leg afspraken vast in een &lt;overleg&gt;.") == 1
    assert canvas.themes[6].next_step is not None
    assert page.count(canvas.themes[6].next_step.nl) == 1


def test_report_gives_an_all_neutral_pair_no_praise():
    """A pair that answered 3 everywhere is told their answers say little yet, not praised."""
    neutral = dict.fromkeys(IDS_17, 3)
    result = compare(CANVAS_17, answers(SOCIAL, neutral), answers(BUSINESS, neutral))
    page = report(comparison=result)
    assert "Jullie antwoorden zeggen nog weinig" in page
    assert "vertrekpunt" not in page
    strong = dict.fromkeys(IDS_17, 4)
    praised = report(
        comparison=compare(CANVAS_17, answers(SOCIAL, strong), answers(BUSINESS, strong)),
    )
    assert "Geen verschillen in verwachting en geen gedeelde zorgen" in praised
    assert "zeggen nog weinig" not in praised


def test_csv_ambition_rows_tell_a_skip_from_no_answer_yet():
    """An ambition one partner skipped reads "skipped", one not answered yet reads so too."""
    result = compare(
        CANVAS_A,
        answers(SOCIAL, {"depth_now": None, "impact": 2}),
        answers(BUSINESS, {"depth_now": 2}),
    )
    data = render_answers_csv(shown(result, CANVAS_A))
    _, *rows = read_csv(data, ";")
    state = {(row[5], row[1]): row[8:11] for row in rows[:4]}
    assert state["depth_now", "sociale onderneming"] == ["overgeslagen", "", ""]
    assert state["depth_now", "reguliere onderneming"] == ["gescoord", "2", "Integratie"]
    assert state["impact", "reguliere onderneming"] == ["nog niet beantwoord", "", ""]
