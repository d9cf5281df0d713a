"""The periods a dashboard reader picks, and the period each is compared with."""

from __future__ import annotations

from datetime import date

import pytest

from engage.core import settings
from engage.core.figures import Period, financial_year_start, quarter_start
from engage.dashboard import periods


def test_a_period_counts_both_of_its_days() -> None:
    assert Period(date(2026, 4, 1), date(2026, 4, 1)).days == 1
    assert Period(date(2026, 4, 1), date(2026, 6, 30)).days == 91  # 30 + 31 + 30
    with pytest.raises(ValueError):
        Period(date(2026, 4, 2), date(2026, 4, 1))


def test_whole_months_compare_with_the_whole_months_before() -> None:
    april_to_june = Period(date(2026, 4, 1), date(2026, 6, 30))
    assert april_to_june.whole_months() == 3
    assert april_to_june.before() == Period(date(2026, 1, 1), date(2026, 3, 31))
    # March before: February's last day, in a leap year and not.
    assert Period(date(2028, 3, 1), date(2028, 3, 31)).before() == Period(
        date(2028, 2, 1), date(2028, 2, 29)
    )
    assert Period(date(2027, 3, 1), date(2027, 3, 31)).before() == Period(
        date(2027, 2, 1), date(2027, 2, 28)
    )


def test_other_periods_compare_with_as_many_days_before() -> None:
    ten_days = Period(date(2026, 3, 5), date(2026, 3, 14))
    assert ten_days.whole_months() is None
    assert ten_days.before() == Period(date(2026, 2, 23), date(2026, 3, 4))


def test_months_lists_every_month_the_period_touches() -> None:
    assert Period(date(2026, 11, 15), date(2027, 1, 2)).months() == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]


@pytest.mark.parametrize(
    ("day", "start"),
    [
        (date(2026, 3, 31), date(2025, 4, 1)),  # the last day of a financial year
        (date(2026, 4, 1), date(2026, 4, 1)),  # the first day of the next
        (date(2027, 1, 15), date(2026, 4, 1)),
    ],
)
def test_the_financial_year_starts_on_1_april(day: date, start: date) -> None:
    assert financial_year_start(day) == start


def test_quarters_start_in_january_april_july_and_october() -> None:
    assert quarter_start(date(2026, 3, 31)) == date(2026, 1, 1)
    assert quarter_start(date(2026, 4, 1)) == date(2026, 4, 1)
    assert quarter_start(date(2026, 12, 7)) == date(2026, 10, 1)


def test_this_quarter_is_compared_with_the_same_days_of_the_last() -> None:
    chosen = periods.quick_pick("quarter", date(2026, 12, 7))
    assert chosen.current == Period(date(2026, 10, 1), date(2026, 12, 7))
    assert chosen.previous == Period(date(2026, 7, 1), date(2026, 9, 7))


def test_last_half_year_is_the_last_whole_half_of_the_financial_year() -> None:
    # In December: April to September just ended.
    chosen = periods.quick_pick("last-half", date(2026, 12, 7))
    assert chosen.current == Period(date(2026, 4, 1), date(2026, 9, 30))
    assert chosen.previous == Period(date(2025, 10, 1), date(2026, 3, 31))
    # In May: October to March.
    assert periods.quick_pick("last-half", date(2026, 5, 2)).current == Period(
        date(2025, 10, 1), date(2026, 3, 31)
    )
    # On 1 October the half that ended yesterday.
    assert periods.quick_pick("last-half", date(2026, 10, 1)).current == Period(
        date(2026, 4, 1), date(2026, 9, 30)
    )


def test_this_financial_year_against_the_same_days_a_year_before() -> None:
    chosen = periods.quick_pick("financial-year", date(2026, 4, 1))
    assert chosen.current == Period(date(2026, 4, 1), date(2026, 4, 1))
    assert chosen.previous == Period(date(2025, 4, 1), date(2025, 4, 1))
    chosen = periods.quick_pick("financial-year", date(2026, 3, 31))
    assert chosen.current == Period(date(2025, 4, 1), date(2026, 3, 31))
    assert chosen.previous == Period(date(2024, 4, 1), date(2025, 3, 31))


def test_last_12_months_are_whole_months() -> None:
    chosen = periods.quick_pick("last-12-months", date(2026, 12, 7))
    assert chosen.current == Period(date(2025, 12, 1), date(2026, 11, 30))
    assert chosen.previous == Period(date(2024, 12, 1), date(2025, 11, 30))


def test_programme_to_date_has_nothing_before_it(ctx) -> None:
    settings.put(periods.PROGRAMME_START_SETTING, "2025-06-01")
    chosen = periods.quick_pick("programme", date(2026, 12, 7))
    assert chosen.current == Period(date(2025, 6, 1), date(2026, 12, 7))
    assert chosen.previous is None
    # A start after today (a typing slip) is read as today.
    settings.put(periods.PROGRAMME_START_SETTING, "2030-01-01")
    assert periods.quick_pick("programme", date(2026, 12, 7)).current.start == date(2026, 12, 7)


def test_an_unknown_quick_pick_is_refused() -> None:
    with pytest.raises(ValueError):
        periods.quick_pick("forever", date(2026, 12, 7))
