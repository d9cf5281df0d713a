"""What an expenses claim can be for, offered to payments: the opportunities someone was chosen
for."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from engage.core import dates
from engage.extensions import db
from engage.opportunities.models import Interest, Opportunity
from engage.people.models import User


def chosen_opportunities(person: User, today: date) -> list[tuple[str, str, date]]:
    """Opportunities ``person`` was chosen for: ("opportunity:<id>", title, day it was
    offered), newest first, at most 5."""
    chosen = db.session.execute(
        select(Opportunity.id, Opportunity.title, Opportunity.created_at)
        .join(Interest, Interest.opportunity_id == Opportunity.id)
        .where(Interest.user_id == person.id, Interest.selected.is_(True))
        .order_by(Opportunity.id.desc())
        .limit(5)
    ).all()
    return [(f"opportunity:{oid}", title, dates.local_date(made)) for oid, title, made in chosen]
