"""Opportunities' part of a person's data download: the opportunities they said they were
interested in (and whether they were chosen), and the requests for the forum's help they
made for a partner organisation."""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import gettext as _
from sqlalchemy import select

from engage.core.domains import DataFile, personal_data
from engage.extensions import db
from engage.opportunities.models import ConsultationRequest, Interest, Opportunity
from engage.people.models import User


@personal_data(40, tables=("interest", "consultation_request"))
def export(person: User) -> Iterator[DataFile]:
    interests = db.session.execute(
        select(Interest, Opportunity)
        .join(Opportunity, Opportunity.id == Interest.opportunity_id)
        .where(Interest.user_id == person.id)
        .order_by(Interest.id)
    ).all()
    yield DataFile(
        "opportunities-interests",
        _("Opportunities you said you were interested in, what you wrote, and if you were chosen."),
        [
            {
                "opportunity": opportunity.title,
                "said_interested": interest.created_at,
                "your_note": interest.note,
                "chosen": interest.selected,
                "done": interest.completed_at,
                "involvement_payment_recorded": interest.involvement_recorded_at,
            }
            for interest, opportunity in interests
        ],
    )
    requests = db.session.scalars(
        select(ConsultationRequest)
        .where(ConsultationRequest.requested_by_id == person.id)
        .order_by(ConsultationRequest.id)
    )
    yield DataFile(
        "opportunities-requests-you-made",
        _("Requests for the forum's help that you made for your organisation."),
        [
            {
                "title": row.title,
                "description": row.description,
                "kind": row.kind,
                "needed_by": row.needed_by,
                "status": row.status,
                "made": row.created_at,
                "decided": row.decided_at,
                "decision_note": row.decision_note,
            }
            for row in requests
        ],
    )
