"""Helpers each domain's demo data uses to tell a believable story in time: a step made "as if"
at a past moment, and moments on the partnership's clock. The demo itself is assembled above
the domains (``engage.demo``); each domain adds its part (``engage.core.domains.demo_step``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

from engage.core.dates import local_timezone
from engage.core.db import clock_at, utcnow
from engage.extensions import db


@contextmanager
def happened_at(moment: datetime) -> Iterator[None]:
    """Make a demo step as if it happened at ``moment``: the history, dates and messages it
    leaves say so (``clock_at``). Column defaults are read at a flush, so what was made before
    is flushed first, and what the step made is flushed before the clock moves on."""
    db.session.flush()
    with clock_at(moment):
        yield
        db.session.flush()


def local_moment(day: date, hour: int, minute: int = 0) -> datetime:
    """That day at that time in the partnership's zone, as UTC, never later than now."""
    moment = datetime.combine(day, time(hour, minute), local_timezone()).astimezone(UTC)
    return min(moment, utcnow())


#: How far back the demo's programme history goes: long enough for a year's trend and the
#: year before it to compare with (the dashboard's "last 12 months" and "programme to date").
HISTORY_MONTHS = 18


def history_start(today: date) -> date:
    """The first day of the demo's programme history: ``HISTORY_MONTHS`` months before
    ``today`` (the same day of the month, or the month's last day if it has fewer)."""
    month = today.month - 1 - HISTORY_MONTHS
    year, month = today.year + month // 12, month % 12 + 1
    for day in range(today.day, 27, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return date(year, month, min(today.day, 28))


def months_between(first: date, last: date) -> list[date]:
    """The first day of each month from ``first``'s month to ``last``'s, in order."""
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return months
