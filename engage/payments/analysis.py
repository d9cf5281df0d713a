"""Figures for finance and the programme dashboard: what someone has been paid, what waits
for a decision and for how long, and totals by month and by activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, select, union_all

from engage.core import dates, generation
from engage.core.money import from_pennies, sum_in_pennies, to_money
from engage.extensions import db
from engage.payments.models import (
    ZERO,
    ClaimState,
    ExpenseClaim,
    InvolvementRecord,
    ItemKind,
    PaymentItem,
    RecordStatus,
)

#: Ages of what waits for a decision, in days: (up to, label).
AGE_BANDS = [
    (7, _l("Up to a week")),
    (14, _l("1 to 2 weeks")),
    (28, _l("2 to 4 weeks")),
    (None, _l("Over 4 weeks")),
]


def _start_of(day: date) -> datetime:
    """Midnight at the start of ``day`` in the partnership's zone, as UTC."""
    return dates.start_of_day(day)


@dataclass(frozen=True)
class AgeBand:
    label: str
    claims: int
    records: int


def approvals_by_age(today: date) -> list[AgeBand]:
    """Claims waiting for a decision (by when they were sent) and time waiting for approval
    (by when it was recorded), counted in age bands. Two grouped queries, however many."""
    cutoffs = [
        (_start_of(today - timedelta(days=days - 1)) if days is not None else None)
        for days, _label in AGE_BANDS
    ]

    def band(column):
        whens = [(column >= cutoff, index) for index, cutoff in enumerate(cutoffs) if cutoff]
        return case(*whens, else_=len(AGE_BANDS) - 1)

    claim_band = band(ExpenseClaim.submitted_at)
    claims = dict(
        db.session.execute(
            select(claim_band, func.count(ExpenseClaim.id))
            .where(ExpenseClaim.state.in_([ClaimState.SUBMITTED.value, ClaimState.QUERIED.value]))
            .group_by(claim_band)
        ).all()
    )
    record_band = band(InvolvementRecord.created_at)
    records = dict(
        db.session.execute(
            select(record_band, func.count(InvolvementRecord.id))
            .where(InvolvementRecord.status == RecordStatus.PENDING.value)
            .group_by(record_band)
        ).all()
    )
    return [
        AgeBand(str(label), claims.get(index, 0), records.get(index, 0))
        for index, (_days, label) in enumerate(AGE_BANDS)
    ]


@dataclass
class MonthTotals:
    month: date
    fees: Decimal = ZERO
    expenses: Decimal = ZERO
    corrections: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.fees + self.expenses + self.corrections


def _months(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def payments_by_month(start: date, end: date) -> list[MonthTotals]:
    """Money paid out in each calendar month from ``start`` to ``end``: involvement payments,
    expenses and corrections, by the day they were paid (in the partnership's time zone).

    One query, whatever the number of payments: a sum by kind over each month's range of the
    ``paid_at`` index, the months joined with UNION ALL (each payment is read once and never
    compared with every month's start, which took twice as long), added up exactly in pennies.
    """
    months = _months(start, end)
    if not months:
        return []
    by_month = {m: MonthTotals(m) for m in months}
    bounds = [_start_of(m) for m in months[1:]] + [_start_of(end + timedelta(days=1))]
    starts = [_start_of(start), *bounds[:-1]]
    rows = db.session.execute(
        union_all(
            *[
                select(literal(i), PaymentItem.kind, sum_in_pennies(PaymentItem.amount))
                .where(PaymentItem.paid_at >= low, PaymentItem.paid_at < high)
                .group_by(PaymentItem.kind)
                for i, (low, high) in enumerate(zip(starts, bounds, strict=True))
            ]
        )
    )
    for index, kind, pennies in rows:
        totals = by_month[months[index]]
        amount = from_pennies(pennies)
        if kind == ItemKind.FEE.value:
            totals.fees += amount
        elif kind == ItemKind.EXPENSES.value:
            totals.expenses += amount
        else:
            totals.corrections += amount
    return [by_month[m] for m in months]


@dataclass(frozen=True)
class ActivityTotals:
    activity: str
    records: int
    hours: Decimal
    fees: Decimal
    declined: int


def involvement_by_activity(start: date, end: date) -> list[ActivityTotals]:
    """Time given from ``start`` to ``end`` by activity: how many records, hours, the fees
    earned (waiting, approved or paid) and how many people declined payment. Kept until a
    record changes (``engage.core.generation``): it reads a whole tax year's records."""
    return list(
        generation.kept(
            ("involvement_by_activity", start, end), lambda: tuple(_by_activity(start, end))
        )
    )


def _by_activity(start: date, end: date) -> list[ActivityTotals]:
    earning = InvolvementRecord.status.in_(
        [RecordStatus.PENDING.value, RecordStatus.APPROVED.value, RecordStatus.PAID.value]
    )
    rows = db.session.execute(
        select(
            InvolvementRecord.activity,
            func.count(InvolvementRecord.id),
            func.coalesce(func.sum(InvolvementRecord.minutes), 0),
            func.coalesce(func.sum(case((earning, InvolvementRecord.amount), else_=0)), 0),
            func.count(case((InvolvementRecord.status == RecordStatus.DECLINED.value, 1))),
        )
        .where(
            InvolvementRecord.activity_date >= start,
            InvolvementRecord.activity_date <= end,
            InvolvementRecord.status.not_in(
                [RecordStatus.REJECTED.value, RecordStatus.CANCELLED.value]
            ),
        )
        .group_by(InvolvementRecord.activity)
        .order_by(InvolvementRecord.activity)
    ).all()
    return [
        ActivityTotals(
            activity,
            count,
            (Decimal(minutes) / 60).quantize(Decimal("0.1")),
            to_money(fees),
            declined,
        )
        for activity, count, minutes, fees, declined in rows
    ]


@dataclass(frozen=True)
class PaidToPerson:
    fees: Decimal
    expenses: Decimal
    corrections: Decimal
    items: list[PaymentItem]

    @property
    def total(self) -> Decimal:
        return self.fees + self.expenses + self.corrections


def paid_to(person_id: int, start: date, end: date) -> PaidToPerson:
    """Every payment made to one person from ``start`` to ``end``, by the day it was paid,
    with totals for their time (earnings), expenses (never earnings) and corrections."""
    items = list(
        db.session.scalars(
            select(PaymentItem)
            .where(
                PaymentItem.payee_id == person_id,
                PaymentItem.paid_at >= _start_of(start),
                PaymentItem.paid_at < _start_of(end + timedelta(days=1)),
            )
            .order_by(PaymentItem.paid_at, PaymentItem.id)
        )
    )
    fees = sum((i.amount for i in items if i.kind == ItemKind.FEE.value), ZERO)
    expenses = sum((i.amount for i in items if i.kind == ItemKind.EXPENSES.value), ZERO)
    corrections = sum((i.amount for i in items if i.kind == ItemKind.REVERSAL.value), ZERO)
    return PaidToPerson(to_money(fees), to_money(expenses), to_money(corrections), items)
