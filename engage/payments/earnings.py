"""Earnings, benefits-aware: what counts as earnings by week, month and tax year, and warnings
for people who asked, before work would take them over a threshold. A warning is never a block."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select

from engage.core.money import to_money
from engage.extensions import db
from engage.payments.models import (
    EARNING_STATUSES,
    ZERO,
    InvolvementRecord,
    Period,
    RecordStatus,
    Threshold,
    period_bounds,
)
from engage.payments.thresholds import thresholds_in_force
from engage.people.models import User


def _earning_filter(person_id: int):
    return (
        (InvolvementRecord.person_id == person_id)
        & InvolvementRecord.status.in_([s.value for s in EARNING_STATUSES])
        & (InvolvementRecord.amount > 0)
    )


def earnings(
    person_id: int, start: date, end: date, exclude_record_id: int | None = None
) -> Decimal:
    """What counts as earnings for ``person_id`` from ``start`` to ``end`` (inclusive), by the
    day the time was given: fees, vouchers and payment in kind waiting, approved or paid.
    Expenses are never earnings; declined and rejected time counts £0."""
    query = select(func.coalesce(func.sum(InvolvementRecord.amount), 0)).where(
        _earning_filter(person_id),
        InvolvementRecord.activity_date >= start,
        InvolvementRecord.activity_date <= end,
    )
    if exclude_record_id is not None:
        query = query.where(InvolvementRecord.id != exclude_record_id)
    return to_money(db.session.scalar(query) or 0)


@dataclass(frozen=True)
class Totals:
    """A person's earnings for the week, month and tax year around a day."""

    on: date
    week: Decimal
    month: Decimal
    tax_year: Decimal
    week_start: date
    month_start: date
    tax_year_start: date
    tax_year_end: date


def totals(person_id: int, on: date) -> Totals:
    week = period_bounds(Period.WEEK, on)
    month = period_bounds(Period.MONTH, on)
    year = period_bounds(Period.TAX_YEAR, on)
    return Totals(
        on=on,
        week=earnings(person_id, *week),
        month=earnings(person_id, *month),
        tax_year=earnings(person_id, *year),
        week_start=week[0],
        month_start=month[0],
        tax_year_start=year[0],
        tax_year_end=year[1],
    )


def monthly_earnings(person_id: int, start: date, end: date) -> list[tuple[date, Decimal]]:
    """Earnings per calendar month from ``start`` to ``end``: (first day of month, total)."""
    rows = db.session.execute(
        select(InvolvementRecord.activity_date, InvolvementRecord.amount).where(
            _earning_filter(person_id),
            InvolvementRecord.activity_date >= start,
            InvolvementRecord.activity_date <= end,
        )
    ).all()
    by_month: dict[date, Decimal] = {}
    month = start.replace(day=1)
    while month <= end:
        by_month[month] = ZERO
        month = (month + timedelta(days=32)).replace(day=1)
    for on, amount in rows:
        key = on.replace(day=1)
        by_month[key] = by_month.get(key, ZERO) + amount
    return sorted(by_month.items())


@dataclass(frozen=True)
class Warning:
    """Work that would take someone over a threshold they asked to be warned about."""

    person: User
    threshold: Threshold
    start: date
    end: date
    already: Decimal  # earnings in the period before this work
    this_work: Decimal
    total: Decimal

    @property
    def over_by(self) -> Decimal:
        return self.total - self.threshold.amount

    @property
    def already_over(self) -> bool:
        return self.already > self.threshold.amount


def warnings_for(
    person: User,
    on: date,
    extra: Decimal,
    exclude_record_id: int | None = None,
    thresholds: list[Threshold] | None = None,
) -> list[Warning]:
    """Thresholds that ``extra`` of new earnings on ``on`` would take ``person`` over.

    Only for people who asked to be warned. Never a block: the caller shows the numbers.
    ``exclude_record_id`` leaves out a waiting record that ``extra`` stands for (so a record
    being approved is not counted twice).
    """
    if not (person.profile and person.profile.benefits_warnings) or extra <= 0:
        return []
    found = []
    for threshold in thresholds if thresholds is not None else thresholds_in_force(on):
        if not threshold.in_force(on):
            continue
        start, end = period_bounds(threshold.period_enum, on)
        already = earnings(person.id, start, end, exclude_record_id=exclude_record_id)
        total = already + extra
        if total > threshold.amount:
            found.append(Warning(person, threshold, start, end, already, to_money(extra), total))
    return found


def _batched_warnings(
    wanted: list[tuple[Any, User, date, Decimal, int | None]],
) -> dict[Any, list[Warning]]:
    """Warnings for many pieces of work at once, in two queries whatever their number: the
    thresholds in force, and the earnings rows of everyone concerned.

    ``wanted`` holds (key, person, day, extra, record id to leave out); the result maps each
    key to its warnings, worked out exactly as :func:`warnings_for` does.
    """
    wanted = [
        w
        for w in wanted
        if w[3] > 0 and w[1].profile is not None and w[1].profile.benefits_warnings
    ]
    if not wanted:
        return {}
    days = {w[2] for w in wanted}
    every = list(
        db.session.scalars(
            select(Threshold)
            .where(
                Threshold.effective_from <= max(days),
                or_(Threshold.effective_to.is_(None), Threshold.effective_to >= min(days)),
            )
            .order_by(Threshold.period, Threshold.id)
        )
    )
    spans = {
        (w[0], threshold.id): period_bounds(threshold.period_enum, w[2])
        for w in wanted
        for threshold in every
        if threshold.in_force(w[2])
    }
    rows: dict[int, list[tuple[int, date, Decimal]]] = {}
    if spans:
        starts, ends = zip(*spans.values(), strict=True)
        for record_id, person_id, on, amount in db.session.execute(
            select(
                InvolvementRecord.id,
                InvolvementRecord.person_id,
                InvolvementRecord.activity_date,
                InvolvementRecord.amount,
            ).where(
                InvolvementRecord.person_id.in_({w[1].id for w in wanted}),
                InvolvementRecord.status.in_([s.value for s in EARNING_STATUSES]),
                InvolvementRecord.amount > 0,
                InvolvementRecord.activity_date >= min(starts),
                InvolvementRecord.activity_date <= max(ends),
            )
        ):
            rows.setdefault(person_id, []).append((record_id, on, amount))
    found: dict[Any, list[Warning]] = {}
    for key, person, _on, extra, exclude in wanted:
        found[key] = []
        for threshold in every:
            if (key, threshold.id) not in spans:
                continue
            start, end = spans[(key, threshold.id)]
            already = to_money(
                sum(
                    (
                        amount
                        for record_id, day, amount in rows.get(person.id, ())
                        if start <= day <= end and record_id != exclude
                    ),
                    ZERO,
                )
            )
            total = already + extra
            if total > threshold.amount:
                found[key].append(
                    Warning(person, threshold, start, end, already, to_money(extra), total)
                )
    return found


def warnings_for_records(records: list[InvolvementRecord]) -> dict[int, list[Warning]]:
    """Warnings for each waiting record in a list (an approval queue), by record id.

    The number of queries does not grow with the number of records."""
    return _batched_warnings(
        [
            (r.id, r.person, r.activity_date, r.amount, r.id)
            for r in records
            if r.status == RecordStatus.PENDING.value
        ]
    )


def warnings_for_people(people: list[User], on: date, extra: Decimal) -> dict[int, list[Warning]]:
    """Warnings, by person id, for offering each of ``people`` work worth ``extra`` on ``on``
    (choosing people for an opportunity). The number of queries does not grow with them."""
    return _batched_warnings([(p.id, p, on, extra, None) for p in people])
