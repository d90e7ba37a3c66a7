"""The comparison as files: a printable HTML report for the meeting, and the answers as CSV.

Both render from ``flows.summary.sections``, the same per-theme data as the Telegram summary.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Protocol

from flows.canvas import Canvas, Language
from flows.compare import Comparison
from flows.messages import Markup, Messages
from flows.summary import (
    MARKERS,
    Cell,
    Row,
    Section,
    agenda_rows,
    dots,
    headline,
    movement_mark,
    percent,
    plain,
    sections,
)

NOTE_LINES = 12  # ruled lines for notes taken during the meeting
AGREEMENT_LINES = 3  # per agenda item, in the facilitator's copy
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas

_CSS = """
:root { --ink: #202124; --muted: #5f6368; --rule: #dadce0; --social: #0072b2;
  --business: #b37400; --mismatch: #c0392b; --strength: #1e7d46; --concern: #b35c00; }
* { box-sizing: border-box; }
body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 60rem; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .4rem; border-bottom: 2px solid var(--ink); }
.meta, .alignment, .hint { color: var(--muted); margin: .2rem 0; }
.headline { font-size: 1.1rem; font-weight: 600; margin: .8rem 0; }
.warning { border: 2px solid var(--mismatch); padding: .5rem .8rem; border-radius: 4px; }
figure { margin: 1rem 0; text-align: center; }
figure img { max-width: 100%; max-height: 60rem; }
table { width: 100%; border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .35rem .45rem;
  border-bottom: 1px solid var(--rule); }
th { font-size: .85rem; color: var(--muted); font-weight: 600; }
td.score { white-space: nowrap; }
.dots { letter-spacing: .05em; }
.social { color: var(--social); } .business { color: var(--business); }
.note { white-space: pre-line; margin: 0 0 .3rem; overflow-wrap: anywhere; }
tr.mismatch td:first-child { border-left: 4px solid var(--mismatch); }
tr.shared_strength td:first-child { border-left: 4px solid var(--strength); }
tr.shared_concern td:first-child { border-left: 4px solid var(--concern); }
.mismatch .verdict { color: var(--mismatch); font-weight: 600; }
.shared_concern .verdict { color: var(--concern); font-weight: 600; }
.shared_strength .verdict { color: var(--strength); }
.agenda li { margin: 0 0 1rem; page-break-inside: avoid; break-inside: avoid; }
.question { font-style: italic; margin: .2rem 0; }
.lines div { border-bottom: 1px solid var(--rule); height: 2rem; }
footer { color: var(--muted); font-size: .8rem; margin-top: 2rem; }
@media print {
  @page { size: A4; margin: 15mm; }
  body { font-size: 10pt; max-width: none; padding: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; page-break-after: avoid; }
  thead { display: table-header-group; }
  tr, figure { break-inside: avoid; page-break-inside: avoid; }
  figure img { max-height: 250mm; }
  .notes { break-before: page; page-break-before: always; }
}
"""


def render_report_html(
    comparison: Comparison,
    canvas: Canvas,
    messages: Messages,
    language: Language,
    *,
    social_name: str,
    business_name: str,
    facilitator: bool,
    chart_png: bytes,
    generated_at: datetime,
    meeting_at: datetime | None,
    incomplete: bool,
) -> bytes:
    """A self-contained HTML page to read, print and bring to the meeting (UTF-8).

    Datetimes are shown as they are given: convert them to the reader's time zone first.
    """

    def t(key: str, /, **values: object) -> Markup:
        return messages(key, language, **values)

    names = (social_name, business_name)
    prepared = sections(comparison, canvas, messages, language)
    title = t("report_title", social=social_name, business=business_name)
    dated = [t("report_generated", when=_when(generated_at, messages, language))]
    if meeting_at is not None:
        dated.append(t("report_meeting", when=_when(meeting_at, messages, language)))
    body = [
        f"<header><h1>{title}</h1>",
        *(f'<p class="meta">{line}</p>' for line in dated),
        f'<p class="warning">{t("summary_incomplete")}</p>' if incomplete else "",
        f'<p class="headline">{headline(comparison, messages, language)}</p>',
        f'<p class="hint">{t("summary_movement_legend")}</p>' if comparison.movement else "",
        "</header>",
        _figure(
            chart_png, plain(t("report_chart_alt", social=social_name, business=business_name))
        ),
        *(_section(section, names, t) for section in prepared),
        _agenda(agenda_rows(comparison, prepared), names, t, facilitator=facilitator),
        f'<section class="notes"><h2>{t("report_notes_title")}</h2>{_lines(NOTE_LINES)}</section>',
        f"<footer>{t('report_footer', version=canvas.version)}</footer>",
    ]
    page = (
        f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + "\n</body>\n</html>\n"
    )
    return page.encode("utf-8")


class _Translate(Protocol):
    """The small message lookup, in the reader's language, that the helpers below share."""

    def __call__(self, key: str, /, **values: object) -> Markup: ...


def _when(moment: datetime, messages: Messages, language: Language) -> Markup:
    time = f"{moment:%H:%M}"
    if moment.tzname():
        time += f" {moment.tzname()}"
    return messages(
        "report_datetime",
        language,
        day=f"{moment.day:02d}",
        month=f"{moment.month:02d}",
        year=moment.year,
        time=time,
    )


def _figure(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<figure><img src="data:image/png;base64,{data}" alt="{escape(alt)}"></figure>'


def _section(section: Section, names: tuple[str, str], t: _Translate) -> str:
    alignment = ""
    if section.alignment is not None:
        alignment = t("summary_phase_alignment", percent=percent(section.alignment))
    head = "".join(
        f"<th>{label}</th>"
        for label in (
            t("report_column_theme"),
            t("report_column_statement"),
            f'<span class="social">{escape(names[0])}</span>',
            f'<span class="business">{escape(names[1])}</span>',
            t("report_column_verdict"),
            t("report_column_notes"),
        )
    )
    rows = "\n".join(_row(row, names) for row in section.rows)
    return (
        f"<section><h2>{escape(section.title)}</h2>"
        f'<p class="alignment">{alignment}</p>'
        f"<table><thead><tr>{head}</tr></thead><tbody>\n{rows}\n</tbody></table></section>"
    )


def _row(row: Row, names: tuple[str, str]) -> str:
    verdict = row.result.verdict
    notes = _notes(((names[0], row.social.note), (names[1], row.business.note)))
    return (
        f'<tr class="{verdict.value}"><td><b>{escape(row.title)}</b></td>'
        f"<td>{escape(row.statement)}</td>"
        f'<td class="score social">{_score(row.social)}</td>'
        f'<td class="score business">{_score(row.business)}</td>'
        f'<td class="verdict">{MARKERS[verdict]} {escape(row.verdict_text)}</td>'
        f"<td>{notes}</td></tr>"
    )


def _score(cell: Cell) -> str:
    digit = "" if cell.score is None else f" {cell.score}"
    change = f" {movement_mark(cell.change)}" if cell.change is not None else ""
    return f'<span class="dots">{dots(cell.score)}</span>{digit}{change}<br>{escape(cell.label)}'


def _notes(notes: tuple[tuple[str, str | None], ...]) -> str:
    return "".join(
        f'<p class="note"><b>{escape(name)}</b>: {escape(note)}</p>'
        for name, note in notes
        if note
    )


def _agenda(
    rows: Sequence[Row], names: tuple[str, str], t: _Translate, *, facilitator: bool
) -> str:
    hint_key = "report_for_facilitator" if facilitator else "report_for_partners"
    hint = f'<p class="hint">{t(hint_key)}</p>'
    if not rows:
        intro, items = f"<p>{t('summary_agenda_empty')}</p>{hint}", ""
    else:
        intro = f"<p>{t('report_agenda_intro')}</p>{hint}"
        agreements = f"<p><b>{t('report_agreements')}</b></p>{_lines(AGREEMENT_LINES)}"
        items = "".join(
            f"<li><b>{MARKERS[row.result.verdict]} {escape(row.title)}</b> · "
            f'<span class="social">{escape(names[0])}: {_score(row.social)}</span> · '
            f'<span class="business">{escape(names[1])}: {_score(row.business)}</span>'
            f"{_notes(((names[0], row.social.note), (names[1], row.business.note)))}"
            f'<p class="question">{t("report_opening_question")}: {escape(row.question)}</p>'
            f"{agreements if facilitator else ''}</li>"
            for row in rows
        )
        items = f"<ol>{items}</ol>"
    return f'<section class="agenda"><h2>{t("report_agenda_title")}</h2>{intro}{items}</section>'


def _lines(count: int) -> str:
    return '<div class="lines">' + "<div></div>" * count + "</div>"


# --- CSV ------------------------------------------------------------------------------------


def render_answers_csv(
    comparison: Comparison,
    canvas: Canvas,
    language: Language,
    *,
    messages: Messages,
    social_name: str,
    business_name: str,
) -> bytes:
    """Every theme with both answers, as CSV for a spreadsheet (UTF-8 with a BOM for Excel).

    Dutch spreadsheets expect a semicolon between columns, English ones a comma.
    """

    def t(key: str, /, **values: object) -> str:
        return plain(messages(key, language, **values))

    header = [
        t("report_csv_phase"),
        t("report_csv_part"),
        t("report_csv_theme_id"),
        t("report_column_theme"),
        t("report_column_statement"),
        t("report_csv_score", name=social_name),
        t("report_csv_note", name=social_name),
        t("report_csv_score", name=business_name),
        t("report_csv_note", name=business_name),
        t("report_column_verdict"),
        t("report_csv_gap"),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if language == "nl" else ",", lineterminator="\r\n")
    writer.writerow(_safe(header))
    for section in sections(comparison, canvas, messages, language):
        for row in section.rows:
            writer.writerow(_safe(_csv_row(section, row)))
    return buffer.getvalue().encode("utf-8-sig")


def _csv_row(section: Section, row: Row) -> list[str | int]:
    return [
        section.title,
        row.part,
        row.result.theme.id,
        row.title,
        row.statement,
        _blank(row.social.score),
        row.social.note or "",
        _blank(row.business.score),
        row.business.note or "",
        row.verdict,
        _blank(row.result.gap),
    ]


def _blank(value: int | None) -> int | str:
    return "" if value is None else value


def _safe(cells: list[str] | list[str | int]) -> list[str | int]:
    """Cells that a spreadsheet would read as a formula get a leading apostrophe."""
    return [f"'{c}" if isinstance(c, str) and c.startswith(FORMULA_START) else c for c in cells]
