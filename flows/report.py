"""The comparison as files: a printable HTML report for the meeting, and the answers as CSV.

Both render from ``flows.report_view.prepare``: the summary's agenda and the comparison's
ambitions. The report is a Jinja2 template (``templates/report.html.j2``) with autoescape on:
names and notes go in as plain text.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Sequence
from datetime import datetime
from functools import cache

import jinja2
import markupsafe

from flows.agenda_text import Plain, plain_messages
from flows.canvas import Language
from flows.compare import Comparison
from flows.messages import Messages
from flows.reading import Reading
from flows.report_view import Card, Side, View, prepare
from flows.summary import movement_mark

NOTE_LINES = 12  # ruled lines for notes taken during the meeting
AGREEMENT_LINES = 3  # per agenda item, in the facilitator's copy
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("flows", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["movement"] = movement_mark
    return environment


def render_report_html(
    reading: Reading,
    *,
    facilitator: bool,
    chart_png: bytes,
    generated_at: datetime,
    meeting_at: datetime | None,
    incomplete: bool,
) -> bytes:
    """A self-contained HTML page to read on a phone, print and bring to the meeting (UTF-8).

    The agenda comes first, then the ambitions side by side, the chart and every theme.
    Datetimes are shown as they are given: convert them to the reader's time zone first.
    """

    messages, language = reading.messages, reading.language

    def t(key: str, /, **values: object) -> markupsafe.Markup:
        return markupsafe.Markup(reading(key, **values))  # noqa: S704 (escaped by Messages)

    tp = plain_messages(messages, language)
    view = prepare(reading)
    dated = [t("report_generated", when=_when(generated_at, messages, language))]
    if meeting_at is not None:
        dated.append(t("report_meeting", when=_when(meeting_at, messages, language)))
    page = (
        _environment()
        .get_template("report.html.j2")
        .render(
            view=view,
            t=t,
            tp=tp,
            language=language,
            facilitator=facilitator,
            incomplete=incomplete,
            dated=dated,
            chart_src="data:image/png;base64," + base64.b64encode(chart_png).decode("ascii"),
            note_lines=NOTE_LINES,
            agreement_lines=AGREEMENT_LINES,
            version=reading.canvas.version,
        )
    )
    return page.encode("utf-8")


def _when(moment: datetime, messages: Messages, language: Language) -> str:
    time = f"{moment:%H:%M}"
    if moment.tzname():
        time += f" {moment.tzname()}"
    return plain_messages(messages, language)(
        "report_datetime",
        day=f"{moment.day:02d}",
        month=f"{moment.month:02d}",
        year=moment.year,
        time=time,
    )


# --- CSV ------------------------------------------------------------------------------------


def render_answers_csv(reading: Reading, *, round_: int | None = None) -> bytes:
    """Every answer of both partners, one row per partner and question (UTF-8 with a BOM).

    The state column tells a score from a skip, "not yet relevant" and no answer yet. The
    round is ``round_``, else the round of the answers compared. Dutch spreadsheets expect a
    semicolon between columns, English ones a comma. The ambitions come first.
    """
    language = reading.language
    t = plain_messages(reading.messages, language)
    view = prepare(reading)
    if round_ is None:
        round_ = _round_of(reading.comparison)
    header = [
        t("report_csv_round"),
        t("report_csv_role"),
        t("report_csv_organisation"),
        t("report_csv_phase"),
        t("report_csv_part"),
        t("report_csv_theme_id"),
        t("report_column_theme"),
        t("report_column_statement"),
        t("report_csv_state"),
        t("report_csv_score_only"),
        t("report_csv_scale_word"),
        t("report_csv_note_only"),
        t("report_column_verdict"),
        t("report_csv_gap"),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if language == "nl" else ",", lineterminator="\r\n")
    writer.writerow(_safe(header))
    common: list[str | int] = ["" if round_ is None else round_]
    for ambition in view.ambitions:
        for place, (choice, note) in enumerate(ambition.sides):
            score, state = ambition.scores[place], ambition.states[place]
            writer.writerow(
                _safe(
                    [
                        *common,
                        *_who(view, place),
                        "",
                        "",
                        ambition.id,
                        ambition.title,
                        ambition.question,
                        t(f"report_state_{state.value}"),
                        _blank(score),
                        choice if score is not None else "",
                        note or "",
                        "",
                        "",
                    ]
                )
            )
    for phase in view.phases:
        for card in phase.cards:
            for place, side in enumerate(card.sides):
                row = [*common, *_who(view, place), *_theme(phase.title, card, side, t)]
                writer.writerow(_safe(row))
    return buffer.getvalue().encode("utf-8-sig")


def _who(view: View, place: int) -> list[str | int]:
    return [view.roles[place], view.names[place]]


def _theme(phase: str, card: Card, side: Side, t: Plain) -> list[str | int]:
    return [
        phase,
        card.part,
        card.result.theme.id,
        card.title,
        card.statement,
        t(f"report_state_{side.state.value}"),
        _blank(side.score),
        side.label if side.score is not None else "",
        side.note or "",
        card.outcome,
        _blank(card.result.gap),
    ]


def _round_of(comparison: Comparison) -> int | None:
    """The round of the answers compared (all of one round); None without any answer."""
    for result in comparison.results:
        for answer in (result.social, result.business):
            if answer is not None:
                return answer.round
    return None


def _blank(value: int | None) -> int | str:
    return "" if value is None else value


def _safe(cells: Sequence[str | int]) -> list[str | int]:
    """Cells that a spreadsheet would read as a formula get a leading apostrophe."""
    return [f"'{c}" if isinstance(c, str) and c.startswith(FORMULA_START) else c for c in cells]
