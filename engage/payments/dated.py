"""Dated settings (rates, mileage rates, thresholds): each row holds from one day to another,
and the rows for one thing never overlap, so on any day exactly one is in force."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import or_

from engage.payments.models import IllegalMove


def in_force(model: Any, on: date):  # noqa: ANN201 (an SQL condition)
    """SQL: the rows of ``model`` in force on ``on``."""
    return (model.effective_from <= on) & (
        or_(model.effective_to.is_(None), model.effective_to >= on)
    )


def close_before(rows: Iterable[Any], starts: date) -> None:
    """End the rows still open on ``starts`` the day before, so periods never overlap.

    A row that starts on or after ``starts`` cannot be closed that way: that is refused.
    """
    for row in rows:
        if row.effective_from >= starts:
            raise IllegalMove(
                _(
                    "There is already one from %(date)s. Choose a later date, or correct that "
                    "one instead.",
                    date=format_date(row.effective_from),
                )
            )
        if row.effective_to is None or row.effective_to >= starts:
            row.effective_to = starts - timedelta(days=1)
