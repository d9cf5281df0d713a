"""Survey results as spreadsheets: the figures (CSV and XLSX), and for managers the raw
answers with nothing that identifies anyone.

Every text cell that a spreadsheet could take for a formula is neutralised
(``engage.core.spreadsheets``); XLSX cells are written as strings, never formulas.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from engage.core.spreadsheets import neutralise
from engage.extensions import db
from engage.surveys.models import Answer, SurveyRound
from engage.surveys.results import Measure, QuestionResult


def filename(round_: SurveyRound, what: str, extension: str, today: date) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", round_.title.lower()).strip("-")[:60] or "survey"
    return f"{slug}-{what}-{today.isoformat()}.{extension}"


def _result_rows(questions: list[QuestionResult]) -> list[list[object]]:
    rows: list[list[object]] = []
    for result in questions:
        if result.hidden:
            rows.append([result.label, _("Not shown: too few answers"), "", "", ""])
            continue
        agreeing = "" if result.positive is None else result.positive
        for share in result.shares:
            rows.append([result.label, share.label, share.count, share.percent, agreeing])
        if result.number:
            rows.append([result.label, _("Median"), result.number["median"], "", ""])
        rows.append([result.label, _("Prefer not to say"), result.prefer_not, "", agreeing])
    return rows


def _header() -> list[str]:
    return [_("Question"), _("Answer"), _("People"), _("Per cent"), _("Per cent agreeing")]


def results_csv(questions: list[QuestionResult]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_header())
    for row in _result_rows(questions):
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue().encode("utf-8-sig")  # the BOM tells spreadsheets: UTF-8


def results_xlsx(
    round_: SurveyRound, questions: list[QuestionResult], trend: list[Measure]
) -> bytes:
    """Sheet "Answers": every question's answers; sheet "Trend": each measure by round."""
    import xlsxwriter  # here, not at the top: only downloads need it

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet(_("Answers"))
    sheet.write_string(0, 0, round_.title, bold)
    for col, text in enumerate(_header()):
        sheet.write_string(2, col, text, bold)
    for row_no, row in enumerate(_result_rows(questions), start=3):
        for col, cell in enumerate(row):
            if isinstance(cell, int | float) and not isinstance(cell, bool):
                sheet.write_number(row_no, col, cell)
            else:
                sheet.write_string(row_no, col, str(cell))
    sheet.set_column(0, 1, 40)
    sheet.set_column(2, 4, 14)
    sheet = book.add_worksheet(_("Trend"))
    for col, text in enumerate([_("Measure"), _("Round"), _("People"), _("Per cent")]):
        sheet.write_string(0, col, text, bold)
    row_no = 1
    for measure in trend:
        for point in measure.points:
            sheet.write_string(row_no, 0, measure.question_label)
            sheet.write_string(row_no, 1, point.label)
            sheet.write_number(row_no, 2, point.answered)
            if point.percent is None:
                sheet.write_string(row_no, 3, _("Not shown: too few answers"))
            else:
                sheet.write_number(row_no, 3, point.percent)
            row_no += 1
    sheet.set_column(0, 1, 40)
    book.close()
    return out.getvalue()


def raw_answers_csv(round_: SurveyRound, language: str) -> bytes:
    """One row per response, one column per question: no names, dates or groups, and rows in
    the order of their random keys, which says nothing about when anyone answered."""
    import pandas as pd  # here, not at the top: a worker that never exports never loads it

    definition = round_.definition
    frame = pd.DataFrame.from_records(
        db.session.execute(
            select(Answer.response_id, Answer.question_id, Answer.value, Answer.text).where(
                Answer.round_id == round_.id
            )
        ).all(),
        columns=["response", "question", "value", "text"],
    )
    out = io.StringIO()
    writer = csv.writer(out)
    questions = definition.questions
    writer.writerow([_("Response")] + [q.label(language) for q in questions])
    if not frame.empty:
        frame["shown"] = frame["text"].where(frame["text"].notna(), frame["value"])
        table = frame.pivot(index="response", columns="question", values="shown").sort_index()
        for number, (_key, row) in enumerate(table.iterrows(), start=1):
            cells = []
            for question in questions:
                value = row.get(question.id)
                if value is None or (isinstance(value, float) and pd.isna(value)):
                    cells.append("")
                elif question.type in ("agree", "single"):
                    cells.append(question.option_label(value, language))
                elif question.type == "multiple":
                    cells.append(
                        "; ".join(question.option_label(v, language) for v in value.split(","))
                    )
                else:
                    cells.append(value)
            writer.writerow([number] + [neutralise(cell) for cell in cells])
    return out.getvalue().encode("utf-8-sig")
