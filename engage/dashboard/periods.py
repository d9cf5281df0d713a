"""The periods a dashboard reader picks: quick picks by name, or any two dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from engage.core import settings
from engage.core.figures import Period, financial_year_start, quarter_start
from engage.extensions import db

#: The runtime setting holding the day the programme started (ISO date), for "programme to
#: date"; without it, the day of the first forum meeting.
PROGRAMME_START_SETTING = "dashboard.programme_start"

QUICK_PICKS = {
    "quarter": _l("This quarter"),
    "last-half": _l("Last half-year"),
    "financial-year": _l("This financial year"),
    "last-12-months": _l("Last 12 months"),
    "programme": _l("Programme to date"),
}
DEFAULT_PICK = "quarter"


@dataclass(frozen=True)
class Chosen:
    """The period asked for, the one it is compared with (None: nothing before it), and the
    quick pick it came from ("" for two dates typed in)."""

    current: Period
    previous: Period | None
    pick: str


def programme_start(today: date) -> date:
    raw = settings.get(PROGRAMME_START_SETTING)
    try:
        return min(date.fromisoformat(str(raw).strip()), today)
    except (TypeError, ValueError):
        pass
    from engage.core import dates
    from engage.forums.models import Meeting

    first = db.session.scalar(select(func.min(Meeting.starts_at)))
    return min(dates.local_date(first), today) if first else today.replace(month=1, day=1)


def quick_pick(name: str, today: date) -> Chosen:
    """The quick pick ``name`` on ``today``, with the period it is compared with.

    - **This quarter**: from the 1st of this calendar quarter (also the financial year's
      quarters: April, July, October, January) to today; against the same days of the quarter
      before.
    - **Last half-year**: the last whole half of the financial year (1 April to 30 September,
      or 1 October to 31 March), when the survey rounds run; against the half before.
    - **This financial year**: from 1 April to today; against the same days a year before.
    - **Last 12 months**: the 12 whole months before this one; against the 12 before those.
    - **Programme to date**: from the programme's start to today; nothing to compare with.
    """
    if name == "quarter":
        current = Period(quarter_start(today), today)
        return Chosen(current, current.before(months=3), name)
    if name == "last-half":
        fy = financial_year_start(today)
        half = fy if today < fy + relativedelta(months=6) else fy + relativedelta(months=6)
        current = Period(half - relativedelta(months=6), half - timedelta(days=1))
        return Chosen(current, current.before(), name)
    if name == "financial-year":
        current = Period(financial_year_start(today), today)
        return Chosen(current, current.before(months=12), name)
    if name == "last-12-months":
        this_month = today.replace(day=1)
        current = Period(this_month - relativedelta(months=12), this_month - timedelta(days=1))
        return Chosen(current, current.before(), name)
    if name == "programme":
        return Chosen(Period(programme_start(today), today), None, name)
    raise ValueError(f"not a quick pick: {name!r}")


def typed(start: date, end: date) -> Chosen:
    """Two dates typed in: compared with the whole months, or days, just before."""
    current = Period(start, end)
    return Chosen(current, current.before(), "")
