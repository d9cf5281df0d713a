"""What the home page shows about money: a peer's open claims and earnings, what waits for a
manager's decision, and what is ready for finance to pay."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from engage.extensions import db
from engage.payments import earnings
from engage.payments.claims import services as claim_services
from engage.payments.models import ClaimState, ExpenseClaim
from engage.payments.runs import services as run_services
from engage.payments.time_given import services as time_given
from engage.people.models import Role, User


def home_summary(user: User, today: date) -> dict[str, Any]:
    """What the home page shows about money, for the roles this person holds."""
    summary: dict[str, Any] = {}
    if user.has_role(Role.PEER):
        summary["claims"] = list(
            db.session.scalars(
                select(ExpenseClaim)
                .where(
                    ExpenseClaim.claimant_id == user.id,
                    ExpenseClaim.state.in_(
                        [
                            ClaimState.DRAFT.value,
                            ClaimState.SUBMITTED.value,
                            ClaimState.QUERIED.value,
                            ClaimState.APPROVED.value,
                        ]
                    ),
                )
                .order_by(ExpenseClaim.id.desc())
                .limit(5)
            )
        )
        summary["totals"] = earnings.totals(user.id, today)
    if user.has_role(Role.MANAGER):
        summary["claims_waiting"] = claim_services.waiting_count()
        summary["time_waiting"] = time_given.waiting_count()
    if user.has_role(Role.FINANCE):
        summary["ready"] = run_services.ready_summary()
    return summary
