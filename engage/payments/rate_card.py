"""The rate card (what an hour, half day or task of each activity pays, from a date) and the
mileage rate for expenses. Records and claims keep the amount they were made with."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from engage.core import audit
from engage.core.money import to_money
from engage.extensions import db
from engage.payments.dated import close_before, in_force
from engage.payments.models import (
    ZERO,
    Activity,
    IllegalMove,
    InvolvementRecord,
    MileageRate,
    Rate,
    Unit,
)
from engage.people.models import User


def rate_for(activity: str, on: date) -> Rate | None:
    """The rate card's line for ``activity`` in force on ``on``, or None."""
    return db.session.scalar(
        select(Rate)
        .where(Rate.activity == activity, in_force(Rate, on))
        .order_by(Rate.effective_from.desc())
        .limit(1)
    )


def add_rate(
    actor: User,
    *,
    activity: str,
    unit: str,
    amount: Decimal,
    includes_preparation: bool,
    effective_from: date,
    note: str = "",
) -> Rate:
    """Add a rate from a date. The rate in force until then ends the day before; records
    already made keep the amount they were made with."""
    Activity(activity), Unit(unit)  # refuse unknown keys
    amount = to_money(amount)
    if amount <= 0:
        raise IllegalMove(_("A rate must be more than £0."))
    current = db.session.scalars(
        select(Rate).where(
            Rate.activity == activity,
            or_(Rate.effective_to.is_(None), Rate.effective_to >= effective_from),
        )
    ).all()
    close_before(current, effective_from)
    rate = Rate(
        activity=activity,
        unit=unit,
        amount=amount,
        includes_preparation=includes_preparation,
        effective_from=effective_from,
        note=note.strip(),
        created_by_id=actor.id,
    )
    db.session.add(rate)
    db.session.flush()
    audit.record(
        "rate.added",
        actor=actor,
        rate=rate.id,
        activity=activity,
        amount=str(amount),
        effective_from=effective_from.isoformat(),
    )
    return rate


def rate_in_use(rate: Rate) -> bool:
    return bool(
        db.session.scalar(
            select(func.count(InvolvementRecord.id)).where(InvolvementRecord.rate_id == rate.id)
        )
    )


def correct_rate(
    actor: User, rate: Rate, *, unit: str, amount: Decimal, includes_preparation: bool, note: str
) -> None:
    """Put right a mistake in a rate nobody has been paid at yet. A rate already used stays
    as it is: add a new rate from a date instead."""
    if rate_in_use(rate):
        raise IllegalMove(
            _("Payments already use this rate, so it cannot change. Add a new rate from a date.")
        )
    Unit(unit)
    amount = to_money(amount)
    if amount <= 0:
        raise IllegalMove(_("A rate must be more than £0."))
    rate.unit, rate.amount = unit, amount
    rate.includes_preparation, rate.note = includes_preparation, note.strip()
    audit.record("rate.corrected", actor=actor, rate=rate.id, amount=str(amount))


def end_rate(actor: User, rate: Rate, last_day: date) -> None:
    """Stop paying for an activity after ``last_day``."""
    if last_day < rate.effective_from:
        raise IllegalMove(_("The last day cannot be before the rate starts."))
    # Periods never overlap: the last day must come before the next rate starts.
    following = db.session.scalar(
        select(Rate.effective_from)
        .where(
            Rate.activity == rate.activity,
            Rate.id != rate.id,
            Rate.effective_from > rate.effective_from,
            Rate.effective_from <= last_day,
        )
        .order_by(Rate.effective_from)
        .limit(1)
    )
    if following is not None:
        raise IllegalMove(
            _(
                "Another rate starts on %(date)s. Choose a last day before then.",
                date=format_date(following),
            )
        )
    rate.effective_to = last_day
    audit.record("rate.ended", actor=actor, rate=rate.id, last_day=last_day.isoformat())


def mileage_rate(on: date) -> MileageRate | None:
    return db.session.scalar(
        select(MileageRate)
        .where(in_force(MileageRate, on))
        .order_by(MileageRate.effective_from.desc())
        .limit(1)
    )


def add_mileage_rate(
    actor: User, *, per_mile: Decimal, effective_from: date, note: str = ""
) -> MileageRate:
    if per_mile <= 0:
        raise IllegalMove(_("A mileage rate must be more than £0."))
    current = db.session.scalars(
        select(MileageRate).where(
            or_(MileageRate.effective_to.is_(None), MileageRate.effective_to >= effective_from)
        )
    ).all()
    close_before(current, effective_from)
    row = MileageRate(
        per_mile=per_mile, effective_from=effective_from, note=note.strip(), created_by_id=actor.id
    )
    db.session.add(row)
    db.session.flush()
    audit.record("mileage_rate.added", actor=actor, per_mile=str(per_mile))
    return row


def projected_fee(
    activity: str, on: date, minutes: int | None = None, preparation_minutes: int = 0
) -> Decimal:
    """What a piece of work would pay at the rate in force on ``on`` (0 with no rate)."""
    rate = rate_for(activity, on)
    if rate is None:
        return ZERO
    return rate.fee(minutes=minutes, units=None, preparation_minutes=preparation_minutes)
