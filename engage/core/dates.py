"""The partnership's calendar: its time zone and what day it is there.

Every "today" in engage comes from :func:`local_today`, so a page, a form's date check and a
service never disagree about the date around midnight, and tests pin the day in one place
(``monkeypatch.setattr(dates, "local_today", ...)``; callers look it up through this module).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from flask import current_app

from engage.core.db import utcnow


def local_timezone() -> ZoneInfo:
    """The partnership's time zone (``ENGAGE_DEFAULT_TIMEZONE``, Europe/London by default)."""
    return ZoneInfo(current_app.config.get("DEFAULT_TIMEZONE") or "UTC")


def local_today() -> date:
    """Today in the partnership's own time zone."""
    return utcnow().astimezone(local_timezone()).date()


def local_date(moment: datetime) -> date:
    """The partnership's calendar day of an instant (in summer 23:30 UTC is tomorrow there)."""
    return moment.astimezone(local_timezone()).date()


def start_of_day(day: date) -> datetime:
    """The instant (UTC) the partnership's ``day`` begins, for "from this day" queries."""
    return datetime.combine(day, time.min, tzinfo=local_timezone()).astimezone(UTC)


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later (29 February becomes 28 February)."""
    return years_before(day, -years)


def months_after(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (31 January plus one month is the last
    day of February): how long a training completion counts."""
    return day + relativedelta(months=months)


def at_local_time(day: date, clock: time) -> datetime:
    """The instant (UTC) it is ``clock`` on ``day`` in the partnership's zone: what a person
    means by a date and time typed in a form."""
    return datetime.combine(day, clock, tzinfo=local_timezone()).astimezone(UTC)
