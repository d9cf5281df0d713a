"""Models guard their own states; dates fall in the right week, month and tax year; rates
price time exactly."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from engage.core.spreadsheets import neutralise
from engage.payments.models import (
    CLAIM_TRANSITIONS,
    RECORD_TRANSITIONS,
    ClaimState,
    ExpenseClaim,
    IllegalMove,
    InvolvementRecord,
    Period,
    Rate,
    RecordStatus,
    period_bounds,
    tax_year_label,
)

CLAIM_PAIRS = [(a, b) for a in ClaimState for b in ClaimState]
RECORD_PAIRS = [(a, b) for a in RecordStatus for b in RecordStatus]


@pytest.mark.parametrize(("start", "target"), CLAIM_PAIRS, ids=lambda s: s.value)
def test_every_claim_move_follows_the_table(ctx, start, target):
    claim = ExpenseClaim(state=start.value)
    if target in CLAIM_TRANSITIONS[start]:
        assert claim.move_to(target) == start
        assert claim.state == target.value
    else:
        with pytest.raises(IllegalMove):
            claim.move_to(target)
        assert claim.state == start.value


@pytest.mark.parametrize(("start", "target"), RECORD_PAIRS, ids=lambda s: s.value)
def test_every_record_move_follows_the_table(ctx, start, target):
    record = InvolvementRecord(status=start.value)
    if target in RECORD_TRANSITIONS[start]:
        assert record.move_to(target) == start
    else:
        with pytest.raises(IllegalMove):
            record.move_to(target)
        assert record.status == start.value


def test_a_paid_claim_moves_only_by_a_correction():
    assert CLAIM_TRANSITIONS[ClaimState.PAID] == {ClaimState.APPROVED, ClaimState.REJECTED}
    assert CLAIM_TRANSITIONS[ClaimState.REJECTED] == frozenset()
    assert ClaimState.APPROVED not in CLAIM_TRANSITIONS[ClaimState.DRAFT]


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (date(2026, 12, 2), date(2026, 11, 30), date(2026, 12, 6)),  # a Wednesday
        (date(2026, 11, 30), date(2026, 11, 30), date(2026, 12, 6)),  # Monday starts it
        (date(2026, 12, 6), date(2026, 11, 30), date(2026, 12, 6)),  # Sunday ends it
        (date(2027, 1, 1), date(2026, 12, 28), date(2027, 1, 3)),  # across the new year
    ],
)
def test_weeks_run_monday_to_sunday(day, start, end):
    assert period_bounds(Period.WEEK, day) == (start, end)


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (date(2028, 2, 29), date(2028, 2, 1), date(2028, 2, 29)),
        (date(2026, 2, 1), date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_calendar_months(day, start, end):
    assert period_bounds(Period.MONTH, day) == (start, end)


@pytest.mark.parametrize(
    ("day", "start", "label"),
    [
        (date(2026, 4, 5), date(2025, 4, 6), "2025/26"),  # the last day of a tax year
        (date(2026, 4, 6), date(2026, 4, 6), "2026/27"),  # the first day of the next
        (date(2027, 1, 15), date(2026, 4, 6), "2026/27"),
        (date(2027, 4, 5), date(2026, 4, 6), "2026/27"),
    ],
)
def test_uk_tax_years_start_on_6_april(day, start, label):
    assert period_bounds(Period.TAX_YEAR, day) == (start, date(start.year + 1, 4, 5))
    assert tax_year_label(day) == label


def _rate(unit: str, amount: str, includes_preparation: bool = True) -> Rate:
    return Rate(
        activity="forum_meeting",
        unit=unit,
        amount=Decimal(amount),
        includes_preparation=includes_preparation,
        effective_from=date(2026, 4, 6),
    )


@pytest.mark.parametrize(
    ("unit", "amount", "minutes", "units", "prep", "included", "expected"),
    [
        ("hour", "15.00", 120, None, 0, True, "30.00"),
        ("hour", "15.00", 100, None, 0, True, "25.00"),  # from minutes, not rounded hours
        ("hour", "12.21", 50, None, 0, True, "10.18"),  # half a penny up
        ("hour", "15.00", 120, None, 30, False, "37.50"),  # preparation paid on top
        ("hour", "15.00", 120, None, 30, True, "30.00"),  # preparation already included
        ("half_day", "40.00", 120, None, 0, True, "40.00"),
        ("half_day", "40.00", 300, None, 0, True, "80.00"),  # over four hours: two halves
        ("day", "75.00", 300, None, 0, True, "75.00"),
        ("task", "25.00", None, None, 0, True, "25.00"),
        ("task", "25.00", None, Decimal(3), 0, True, "75.00"),
    ],
)
def test_rates_price_time_to_the_penny(unit, amount, minutes, units, prep, included, expected):
    rate = _rate(unit, amount, included)
    fee = rate.fee(minutes=minutes, units=units, preparation_minutes=prep)
    assert fee == Decimal(expected) and isinstance(fee, Decimal)


def test_a_rate_is_in_force_between_its_dates():
    rate = _rate("hour", "15.00")
    rate.effective_to = date(2026, 9, 30)
    assert not rate.in_force(date(2026, 4, 5))
    assert rate.in_force(date(2026, 4, 6)) and rate.in_force(date(2026, 9, 30))
    assert not rate.in_force(date(2026, 10, 1))


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+44 7700", "-2", "@SUM(A1)", "\tx", "\rx", "＝HYPERLINK()", '=HYPERLINK("http://x")'],
)
def test_formula_starts_are_neutralised(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Sam", "Bus to the Hub", "", 12, Decimal("-3.00"), None])
def test_other_values_are_left_alone(value):
    assert neutralise(value) == value


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (60, "1 hour"),
        (120, "2 hours"),
        (90, "1 hour and 30 minutes"),
        (45, "45 minutes"),
        (1, "1 minute"),
        (0, "0 minutes"),
        (None, ""),
    ],
)
def test_durations_read_as_whole_hours_and_minutes(app, minutes, text):
    from engage.payments.filters import duration

    with app.test_request_context():
        assert duration(minutes) == text
