"""Benefits thresholds: the weekly, monthly and yearly limits (set by DWP and HMRC, new every
April) that people who asked are warned about before work would take them over."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from engage.core import audit
from engage.core.money import to_money
from engage.extensions import db
from engage.payments.dated import close_before, in_force
from engage.payments.models import (
    IllegalMove,
    Period,
    Threshold,
    period_bounds,
)
from engage.people.models import User


def add_threshold(
    actor: User,
    *,
    label: str,
    period: str,
    amount: Decimal,
    effective_from: date,
    effective_to: date | None = None,
    source_note: str = "",
) -> Threshold:
    """Add a dated threshold. One with the same name and period still open on that date ends
    the day before (thresholds change every April)."""
    Period(period)
    amount = to_money(amount)
    if amount <= 0:
        raise IllegalMove(_("A threshold must be more than £0."))
    if effective_to is not None and effective_to < effective_from:
        raise IllegalMove(_("The end date must be after the start date."))
    same = db.session.scalars(
        select(Threshold).where(
            func.lower(Threshold.label) == label.strip().lower(),
            Threshold.period == period,
            or_(Threshold.effective_to.is_(None), Threshold.effective_to >= effective_from),
        )
    ).all()
    close_before(same, effective_from)
    row = Threshold(
        label=label.strip(),
        period=period,
        amount=amount,
        effective_from=effective_from,
        effective_to=effective_to,
        source_note=source_note.strip(),
        created_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    audit.record("threshold.added", actor=actor, threshold=row.id, amount=str(amount))
    return row


def update_threshold(actor: User, threshold: Threshold, **changes: Any) -> None:
    """Correct a threshold's name, figure, dates or source note."""
    if "amount" in changes:
        changes["amount"] = to_money(changes["amount"])
        if changes["amount"] <= 0:
            raise IllegalMove(_("A threshold must be more than £0."))
    start = changes.get("effective_from", threshold.effective_from)
    end = changes.get("effective_to", threshold.effective_to)
    if end is not None and end < start:
        raise IllegalMove(_("The end date must be after the start date."))
    for name, value in changes.items():
        setattr(threshold, name, value.strip() if isinstance(value, str) else value)
    audit.record("threshold.changed", actor=actor, threshold=threshold.id, fields=sorted(changes))


def thresholds_in_force(on: date) -> list[Threshold]:
    return list(
        db.session.scalars(
            select(Threshold)
            .where(in_force(Threshold, on))
            .order_by(Threshold.period, Threshold.id)
        )
    )


def thresholds_need_checking(today: date) -> bool:
    """True when no threshold has started since the tax year began: April's new figures
    may be missing."""
    start, _end = period_bounds(Period.TAX_YEAR, today)
    newest = db.session.scalar(select(func.max(Threshold.effective_from)))
    return newest is not None and newest < start
