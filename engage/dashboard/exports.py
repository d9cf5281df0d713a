"""The dashboard as a spreadsheet: CSV (one table, a section column) and XLSX (one sheet per
section). Numbers stay numbers; every text cell is made formula-safe."""

from __future__ import annotations

import csv
import io
import re

from flask_babel import gettext as _

from engage.core.figures import Period, Section
from engage.core.spreadsheets import neutralise
from engage.dashboard.formatting import value_text


def _plain(value):  # noqa: ANN001, ANN202
    """A number as a number (a Decimal as float for the spreadsheet), anything else as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def _rows(section: Section) -> list[list]:
    """Every figure (value and previous), then every table's rows, of one section."""
    rows: list[list] = []
    for figure in section.figures:
        shown = None if figure.suppressed else figure.value
        rows.append(
            [
                figure.label,
                "",
                _plain(shown)
                if shown is not None
                else value_text(None, figure.kind, suppressed=figure.suppressed),
                _plain(figure.previous),
                figure.how,
            ]
        )
    for table in section.tables:
        for row in table.rows:
            label, *values = row
            for column, value in zip(table.columns, values, strict=False):
                rows.append(
                    [
                        table.title,
                        f"{label} – {column}" if len(table.columns) > 1 else str(label),
                        _plain(value) if value is not None else _("Not shown"),
                        "",
                        table.how,
                    ]
                )
    return rows


def _header() -> list[str]:
    return [
        _("Measure"),
        _("Group"),
        _("This period"),
        _("Previous period"),
        _("How it is counted"),
    ]


def dashboard_csv(sections: list[Section], current: Period, previous: Period | None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("From"), current.start.isoformat(), _("To"), current.end.isoformat()])
    if previous:
        writer.writerow(
            [_("Compared with"), previous.start.isoformat(), _("To"), previous.end.isoformat()]
        )
    writer.writerow([_("Section"), *_header()])
    for section in sections:
        for row in _rows(section):
            writer.writerow([neutralise(section.title), *(neutralise(cell) for cell in row)])
    return out.getvalue().encode("utf-8-sig")  # the BOM tells spreadsheets: UTF-8


def _sheet_name(title: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, and unique in the book."""
    name = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"
    base, n = name, 2
    while name.casefold() in used:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name.casefold())
    return name


def dashboard_xlsx(sections: list[Section], current: Period, previous: Period | None) -> bytes:
    import xlsxwriter  # here, not at the top: only downloads need it

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    bold = book.add_format({"bold": True})
    used: set[str] = set()
    for section in sections:
        sheet = book.add_worksheet(_sheet_name(section.title, used))
        sheet.write_string(0, 0, section.title, bold)
        period = _(
            "From %(start)s to %(end)s",
            start=current.start.isoformat(),
            end=current.end.isoformat(),
        )
        if previous:
            period += " · " + _(
                "compared with %(start)s to %(end)s",
                start=previous.start.isoformat(),
                end=previous.end.isoformat(),
            )
        sheet.write_string(1, 0, period)
        for col, text in enumerate(_header()):
            sheet.write_string(3, col, text, bold)
        for row_no, row in enumerate(_rows(section), start=4):
            for col, cell in enumerate(row):
                if isinstance(cell, int | float) and not isinstance(cell, bool):
                    sheet.write_number(row_no, col, cell)
                else:
                    sheet.write_string(row_no, col, str(neutralise(cell)))
        sheet.set_column(0, 1, 40)
        sheet.set_column(2, 3, 16)
        sheet.set_column(4, 4, 60)
    if not sections:
        book.add_worksheet(_("Dashboard"))
    book.close()
    return out.getvalue()
