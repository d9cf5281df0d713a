"""What the home page shows about money: a peer's open claims and earnings, what waits for a
manager's decision, and what is ready for finance to pay."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from engage.extensions import db
from engage.payments import claim_services, run_services, services
from engage.payments.models import ClaimState, ExpenseClaim
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
        summary["totals"] = services.totals(user.id, today)
    if user.has_role(Role.MANAGER):
        summary["claims_waiting"] = claim_services.waiting_count()
        summary["time_waiting"] = services.waiting_counts()["records"]
    if user.has_role(Role.FINANCE):
        summary["ready"] = run_services.ready_summary()
    return summary
