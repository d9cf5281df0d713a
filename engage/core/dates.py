"""The partnership's calendar: its time zone and what day it is there.

Every "today" in engage comes from :func:`local_today`, so a page, a form's date check and a
service never disagree about the date around midnight, and tests pin the day in one place
(``monkeypatch.setattr(dates, "local_today", ...)``; callers look it up through this module).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import Float, Integer, case, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

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


# The partnership's days in SQL -----------------------------------------------------------------

#: Offsets are looked for from here on: nothing engage records is older.
_FIRST_YEAR = 1970
_DAY_SECONDS = 86_400


@lru_cache(maxsize=16)
def _offsets(zone_key: str, until_year: int) -> tuple[tuple[datetime, int], ...]:
    """Each stretch of one UTC offset in ``zone_key`` from 1970 to the end of ``until_year``:
    (the UTC second it begins, the offset in seconds), oldest first. Found by looking at every
    day and narrowing a change down to the second; cached, so it is done once."""
    zone = ZoneInfo(zone_key)

    def offset(second: int) -> int:
        moment = datetime.fromtimestamp(second, UTC).astimezone(zone)
        return int(moment.utcoffset().total_seconds())

    second = int(datetime(_FIRST_YEAR, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(until_year + 1, 1, 1, tzinfo=UTC).timestamp())
    stretches = [(second, offset(second))]
    while second < end:
        later = second + _DAY_SECONDS
        if offset(later) != stretches[-1][1]:
            low, high = second, later  # the offset is the old one at low, a new one at high
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == stretches[-1][1] else (low, middle)
            stretches.append((high, offset(high)))
        second = later
    return tuple((datetime.fromtimestamp(begins, UTC), seconds) for begins, seconds in stretches)


def local_day_number(  # noqa: ANN201
    column,  # noqa: ANN001
    *,
    since: date | None = None,
    until: date,
    zone: str | None = None,
):
    """SQL for the partnership's calendar day of the UTC time ``column``, as a whole number of
    days from 1 January 1970: subtract two to count calendar days between two times (sent on
    a Monday and paid on the Wednesday: 2) in the database, without a row coming back.

    The zone's offset at each time is one CASE over the changes of offset (summer time) up to
    the end of ``until``'s year, newest first, so recent times find theirs at once; times
    before ``since`` (when given) take the offset in force on that day, so a caller that asks
    only about times from ``since`` on gets a short CASE. ``zone`` (a zone's key) stands in for
    the partnership's. SQLite and PostgreSQL."""
    zone = zone or current_app.config.get("DEFAULT_TIMEZONE") or "UTC"
    stretches = list(_offsets(zone, until.year))
    if since is not None:
        first = start_of_day(since) - timedelta(days=1)
        older = [stretch for stretch in stretches if stretch[0] <= first]
        stretches = older[-1:] + [stretch for stretch in stretches if stretch[0] > first]
    offset = (
        case(
            *[(column >= begins, seconds) for begins, seconds in reversed(stretches[1:])],
            else_=stretches[0][1],
        )
        if len(stretches) > 1
        else literal(stretches[0][1])
    )
    return _WholeDays(_WholeSeconds(column) + offset)


def day_number(column):  # noqa: ANN001, ANN201
    """SQL for a date column as a whole number of days from 1 January 1970, to compare with
    :func:`local_day_number`."""
    return _WholeDays(_WholeSeconds(column))


class _WholeSeconds(FunctionElement):
    """Whole seconds from 1970 to a UTC time (or a date's midnight), the fraction dropped:
    SQLite's ``strftime('%s')`` would round 23:59:59.9995 up into the next day, so it is
    given the time without its fraction; PostgreSQL's epoch is rounded down."""

    type = Integer()
    inherit_cache = True


#: SQLite 3.38 and newer have ``unixepoch()``, which reads a time about twice as fast as
#: ``strftime('%s')`` (the dashboard reads tens of thousands per page); older ones get the same
#: number the slower way.
_UNIXEPOCH = sqlite3.sqlite_version_info >= (3, 38, 0)


def _sqlite_whole_seconds(column: str) -> str:
    """SQLite's whole seconds since 1970 for the text of a stored time (or a date), its
    fraction cut off first."""
    if _UNIXEPOCH:
        return f"unixepoch(substr({column}, 1, 19))"
    return f"CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER)"


@compiles(_WholeSeconds)
def _whole_seconds(element, compiler, **kw) -> str:  # noqa: ANN001
    return _sqlite_whole_seconds(compiler.process(element.clauses, **kw))


@compiles(_WholeSeconds, "postgresql")
def _whole_seconds_postgresql(element, compiler, **kw) -> str:  # noqa: ANN001
    return f"CAST(floor(EXTRACT(epoch FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


class _WholeDays(FunctionElement):
    """Whole days in a whole number of seconds since 1970 (division of whole numbers rounds
    down on both dialects: the times are after 1970)."""

    type = Integer()
    inherit_cache = True


@compiles(_WholeDays)
def _whole_days(element, compiler, **kw) -> str:  # noqa: ANN001
    return f"(({compiler.process(element.clauses, **kw)}) / {_DAY_SECONDS})"


class epoch_seconds(FunctionElement):  # noqa: N801  (used as a function)
    """SQL for a UTC time column as seconds since 1970 with their fraction, to subtract one
    time from another in the database as exactly as Python would: PostgreSQL's epoch keeps
    the microseconds; on SQLite the stored fraction (``.ffffff``, always written by
    SQLAlchemy) is added to the whole seconds."""

    type = Float()
    inherit_cache = True


@compiles(epoch_seconds)
def _epoch_seconds(element, compiler, **kw) -> str:  # noqa: ANN001
    column = compiler.process(element.clauses, **kw)
    return f"({_sqlite_whole_seconds(column)} + CAST(substr({column}, 20) AS REAL))"


@compiles(epoch_seconds, "postgresql")
def _epoch_seconds_postgresql(element, compiler, **kw) -> str:  # noqa: ANN001
    return f"EXTRACT(epoch FROM {compiler.process(element.clauses, **kw)})"
