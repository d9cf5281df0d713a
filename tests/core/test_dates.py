"""The one "today" (the partnership's) and the date bounds every form uses. The day is pinned
or built by hand: nothing here depends on the real date."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import pytest
from wtforms.validators import ValidationError

from engage.core import dates
from engage.core.forms import DateBounds


def test_today_is_the_partnerships_day_not_utcs(ctx, app, monkeypatch):
    # 23:30 UTC on 31 March 2026 is already 1 April in London (summer time).
    monkeypatch.setattr(dates, "utcnow", lambda: datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    monkeypatch.setitem(app.config, "DEFAULT_TIMEZONE", "Europe/London")
    assert dates.local_today() == date(2026, 4, 1)
    monkeypatch.setitem(app.config, "DEFAULT_TIMEZONE", "UTC")
    assert dates.local_today() == date(2026, 3, 31)


def test_years_either_side_of_a_leap_day():
    assert dates.years_before(date(2028, 2, 29), 2) == date(2026, 2, 28)
    assert dates.years_after(date(2028, 2, 29), 1) == date(2029, 2, 28)
    assert dates.years_after(date(2026, 6, 10), 3) == date(2029, 6, 10)


class _Field:
    def __init__(self, data):  # noqa: ANN001
        self.data = data


def _refusal(bounds: DateBounds, day) -> str | None:  # noqa: ANN001
    try:
        bounds(None, _Field(day))
    except ValidationError as error:
        return str(error)
    return None


@pytest.mark.parametrize(
    ("bounds", "fine", "refused", "message"),
    [
        (
            DateBounds.past(2),
            [date(2026, 6, 10), date(2024, 6, 10)],
            [date(2026, 6, 11), date(2024, 6, 9), date(1, 1, 1), date(9999, 12, 31)],
            "Enter a date that is today or in the past, and not more than 2 years ago",
        ),
        (
            DateBounds.past(1),
            [date(2025, 6, 10)],
            [date(2025, 6, 9)],
            "Enter a date that is today or in the past, and not more than 1 year ago",
        ),
        (
            DateBounds.future(5),
            [date(2026, 6, 10), date(2031, 6, 10)],
            [date(2026, 6, 9), date(2031, 6, 11)],
            "Enter a date that is today or later, and not more than 5 years from now",
        ),
        (
            DateBounds.around(5, 5),
            [date(2021, 1, 1), date(2031, 12, 31)],
            [date(2020, 12, 31), date(2032, 1, 1)],
            "Enter a date between 2021 and 2031",
        ),
        (
            DateBounds.around(1, 0),
            [date(2025, 1, 1)],
            [date(2027, 1, 1)],
            "Enter a date in 2025 or 2026",
        ),
        (DateBounds.around(0, 0), [date(2026, 1, 1)], [date(2025, 12, 31)], "Enter a date in 2026"),
        (
            DateBounds.past(2, message="The expense must be from the last 2 years"),
            [],
            [date(1, 1, 1)],
            "The expense must be from the last 2 years",
        ),
    ],
)
def test_date_bounds_say_what_to_type(ctx, pin_today, bounds, fine, refused, message):
    pin_today(date(2026, 6, 10))
    for day in fine:
        assert _refusal(bounds, day) is None, day
    for day in refused:
        assert _refusal(bounds, day) == message, day
    assert _refusal(bounds, None) is None  # empty or unreadable: for the field's other checks


# The partnership's days and times in SQL ---------------------------------------------------------


def _in_sql(expression):  # noqa: ANN001, ANN202
    from sqlalchemy import select

    from engage.extensions import db

    # Compiled afresh each time, so both ways of reading a time on SQLite are really run.
    connection = db.session.connection().execution_options(compiled_cache=None)
    return connection.execute(select(expression)).scalar_one()


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 28, 23, 59, 59, 999999, tzinfo=UTC),  # winter: still 28 March
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # the clocks go forward at 01:00 UTC
        datetime(2026, 3, 31, 22, 30, tzinfo=UTC),  # 23:30 on 31 March in London
        datetime(2026, 3, 31, 23, 30, tzinfo=UTC),  # 00:30 on 1 April in London
        datetime(2026, 6, 30, 22, 59, 59, 999999, tzinfo=UTC),  # the last moment of 30 June
        datetime(2026, 10, 24, 23, 0, tzinfo=UTC),  # midnight on 25 October, summer time
        datetime(2026, 10, 25, 23, 30, tzinfo=UTC),  # winter again: still 25 October
        datetime(2019, 7, 1, 23, 30, tzinfo=UTC),  # years back: 2 July
    ],
)
@pytest.mark.parametrize("unixepoch", [True, False], ids=["unixepoch", "strftime"])
def test_a_times_local_day_in_sql_is_the_one_python_gives(ctx, app, monkeypatch, moment, unixepoch):
    """On SQLite, with unixepoch() (SQLite 3.38 and newer) and without it."""
    from sqlalchemy import literal

    from engage.core.db import UTCDateTime

    if unixepoch and sqlite3.sqlite_version_info < (3, 38, 0):
        pytest.skip("this SQLite has no unixepoch()")
    monkeypatch.setattr(dates, "_UNIXEPOCH", unixepoch)
    monkeypatch.setitem(app.config, "DEFAULT_TIMEZONE", "Europe/London")
    column = literal(moment, UTCDateTime())
    expected = (dates.local_date(moment) - date(1970, 1, 1)).days
    assert _in_sql(dates.local_day_number(column, until=date(2026, 12, 31))) == expected
    # Times before ``since`` are never asked about; those on or after it answer the same.
    if moment.year == 2026 and moment.month >= 3:
        since = date(2026, 3, 28)
        assert _in_sql(dates.local_day_number(column, since=since, until=date(2026, 12, 31))) == (
            expected
        )
    assert _in_sql(dates.day_number(literal(date(2026, 4, 1)))) == 20544
    seconds = _in_sql(dates.epoch_seconds(column))
    assert seconds == pytest.approx(moment.timestamp(), abs=1e-6)
