"""Keeping the cohort estimate: a manager enters, by gender, ethnic group, age and lived
experience, the share of the people the programme is for that they believe is in each group
(from the census, a homelessness count, a service's own records). "Who is involved" sets the
people who took part beside it."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.core import audit
from engage.core.conflicts import ChangedMeanwhile
from engage.core.rules import IllegalMove
from engage.dashboard.models import CohortEstimate, CohortShare
from engage.dashboard.who import DIMENSIONS
from engage.extensions import db

HUNDRED = Decimal(100)


class EstimateError(IllegalMove):
    """An estimate that cannot be saved as it is."""


def newest_number() -> int:
    """The number of the estimate in use (0: none saved yet). One query."""
    return db.session.scalar(select(func.max(CohortEstimate.number))) or 0


def over_hundred(shares: Mapping[tuple[str, str], Decimal]) -> dict[str, Decimal]:
    """The dimensions whose groups add up to more than 100%, with their sum. Lived experience
    is left out: a person can have lived experience of several things."""
    sums: dict[str, Decimal] = {}
    for (dimension, _group), share in shares.items():
        if not DIMENSIONS[dimension].multiple:
            sums[dimension] = sums.get(dimension, Decimal(0)) + share
    return {dimension: total for dimension, total in sums.items() if total > HUNDRED}


def save_estimate(
    actor: object,
    shares: Mapping[tuple[str, str], Decimal],
    *,
    source: str = "",
    seen_number: int,
    submission_key: str | None = None,
) -> tuple[CohortEstimate, bool]:
    """Save a new cohort estimate, which replaces the one in use; returns it and whether it
    is new (False: ``submission_key`` was used before, a second press of the same form, and
    the estimate that press saved is returned unchanged).

    ``shares`` maps (dimension, group) to a share from 0 to 100 with at most one decimal
    place; a group left out has no estimate. ``seen_number`` is the number of the estimate the
    page showed (0: none): if another has been saved since, nothing is saved and
    :class:`ChangedMeanwhile` is raised. Two saves from the same page at the same moment both
    claim the next number, which is unique, so one of them fails and, tried again, is refused
    as stale. Raises :class:`EstimateError` for a group that is not one of the questions'
    answers, a share out of range, or groups of one answer adding up to more than 100%.
    Everything is saved, or nothing. Flushes; the caller commits.
    """
    if submission_key:
        earlier = db.session.scalar(
            select(CohortEstimate).where(CohortEstimate.submission_key == submission_key)
        )
        if earlier is not None:
            return earlier, False
    if newest_number() != seen_number:
        raise ChangedMeanwhile
    for (dimension, group), share in shares.items():
        if dimension not in DIMENSIONS or group not in DIMENSIONS[dimension].groups:
            raise EstimateError(_("That is not one of the groups the questions ask about."))
        if not Decimal(0) <= share <= HUNDRED or share != share.quantize(Decimal("0.1")):
            raise EstimateError(_("Each share is a number from 0 to 100, like 35 or 12.5."))
    if over_hundred(shares):
        raise EstimateError(_("The shares for one question add up to more than 100%."))
    estimate = CohortEstimate(
        number=seen_number + 1,
        source=source.strip(),
        submission_key=submission_key or None,
        shares=[
            CohortShare(dimension=dimension, group=group, share_percent=share)
            for (dimension, group), share in shares.items()
        ],
    )
    db.session.add(estimate)
    db.session.flush()
    # What was entered is about a population, not a person, but it stays out of the log all
    # the same: the estimate's own history is in its table.
    audit.record("cohort_estimate.saved", actor=actor, number=estimate.number)
    return estimate, True
