"""Figures written for readers: values by their kind, the change since the previous period in
words (never only a colour or an arrow), and the chart for a table."""

from __future__ import annotations

import math
from decimal import Decimal

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from markupsafe import Markup

from engage.core import charts
from engage.core.figures import Figure, Kind, Number, Table
from engage.core.money import format_money


def _count(shown: float) -> int:
    """The count that chooses a plural form: the number itself when it is whole (Polish and
    Arabic choose by it: 2 godziny, 5 godzin), and 2 for a fraction ("1.5 hours"; the
    catalogues word their forms to fit a fraction)."""
    return int(shown) if math.isfinite(shown) and shown == int(shown) else 2


def value_text(value: Number | None, kind: Kind, *, suppressed: bool = False) -> str:
    """``value`` as the reader's language writes it: "1,234", "62%", "£1,234.50", "12 days",
    "3.5 hours"; "Not shown" when suppressed and "Not enough data" when there is none."""
    if suppressed:
        return _("Not shown")
    if value is None:
        return _("Not enough data")
    if kind == Kind.PERCENT:
        return _("%(percent)s%%", percent=format_decimal(round(float(value), 1), format="#,##0.#"))
    if kind == Kind.MONEY:
        return format_money(Decimal(value))
    if kind == Kind.DAYS:
        shown = round(float(value), 1)
        # flask-babel passes the count as ``num`` itself: the written number is ``days``.
        return ngettext(
            "%(days)s day",
            "%(days)s days",
            _count(shown),
            days=format_decimal(shown, format="#,##0.#"),
        )
    if kind == Kind.HOURS:
        shown = round(float(value), 1)
        return ngettext(
            "%(hours)s hour",
            "%(hours)s hours",
            _count(shown),
            hours=format_decimal(shown, format="#,##0.#"),
        )
    return format_decimal(value, format="#,##0.##")


def cell_text(value: Number | None, kind: Kind) -> str:
    """A table cell: a missing count is one hidden to protect privacy ("Not shown"); a missing
    share or median is one with nothing to work it out from."""
    return value_text(value, kind, suppressed=value is None and kind == Kind.COUNT)


def figure_text(figure: Figure) -> str:
    return value_text(figure.value, figure.kind, suppressed=figure.suppressed)


def previous_text(figure: Figure) -> str:
    return value_text(figure.previous, figure.kind)


def trend(figure: Figure) -> tuple[str, str]:
    """The change from the previous period as ``(word, css modifier)``: "Up 5 from 40
    (better)", "Down 2 percentage points", "No change"; ("", "") with nothing to compare."""
    if figure.suppressed or figure.value is None or figure.previous is None:
        return "", ""
    change = Decimal(str(figure.value)) - Decimal(str(figure.previous))
    if change == 0:
        return _("No change"), "same"
    size = abs(change)
    if figure.kind == Kind.PERCENT:
        amount = ngettext(
            "%(points)s percentage point",
            "%(points)s percentage points",
            _count(round(float(size), 1)),
            points=format_decimal(round(float(size), 1), format="#,##0.#"),
        )
    else:
        amount = value_text(size, figure.kind)
    going_up = change > 0
    if figure.higher_is_better is None:
        judged = ""
    elif going_up == figure.higher_is_better:
        judged = _("better")
    else:
        judged = _("worse")
    words = _("Up %(amount)s", amount=amount) if going_up else _("Down %(amount)s", amount=amount)
    if judged:
        words = _("%(change)s (%(judgement)s)", change=words, judgement=judged)
    return words, ("up" if going_up else "down")


def chart(table: Table, id_prefix: str) -> Markup:
    """The table's first value column drawn as ``table.chart`` says; Markup("") for none."""
    if not table.chart or not table.rows:
        return Markup("")
    values = [row[1] for row in table.rows]
    numbers = [float(v) for v in values if v is not None]
    top = max(numbers, default=0)
    points = [
        (str(row[0]), None if row[1] is None else float(row[1]), cell_text(row[1], table.kind))
        for row in table.rows
    ]
    if table.kind == Kind.PERCENT:
        top = 100
    if table.chart == "line":
        y_max = _nice_ceiling(top)
        unit = "%" if table.kind == Kind.PERCENT else ""
        return charts.line_chart(
            points, title=table.title, id_prefix=id_prefix, y_max=y_max, y_label=unit
        )
    return charts.bar_chart(points, title=table.title, id_prefix=id_prefix, max_value=top or 1)


def _nice_ceiling(top: float) -> float:
    """A round number at or above ``top`` for a chart's scale (37 -> 40, 1,234 -> 1,500)."""
    if top <= 0:
        return 1
    step = 10 ** (len(str(int(top))) - 1)
    for multiple in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * multiple >= top:
            return step * multiple
    return step * 10
