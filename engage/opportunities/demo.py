"""Demo opportunities: a partner's requests (waiting, accepted, met), the opportunities they
became with peers interested, and one opportunity published directly."""

from __future__ import annotations

import random
from datetime import timedelta

from engage.core import dates
from engage.core.db import utcnow
from engage.extensions import db
from engage.forums.models import Rung
from engage.opportunities.models import (
    ConsultationRequest,
    Interest,
    Opportunity,
    OpportunityStatus,
    RequestKind,
    RequestStatus,
)
from engage.opportunities.services import KIND_ACTIVITY
from engage.people.models import User


def seed(rng: random.Random, people: dict[str, User], peers: list[User]) -> None:
    today = dates.local_today()
    everyone = [people["peer"], people["peer2"], *peers]
    partner = people["partner"]
    # Seeded in the state each would have reached, without replaying how it got there.
    requests = [
        ("Review our new hostel leaflet", RequestKind.REVIEW, True, RequestStatus.ACCEPTED),
        (
            "Join the interview panel for our new outreach lead",
            RequestKind.INTERVIEW_PANEL,
            True,
            RequestStatus.REQUESTED,
        ),
        (
            "Working group on hospital discharge",
            RequestKind.WORKING_GROUP,
            True,
            RequestStatus.MET,
        ),
    ]
    for title, kind, paid, status in requests:
        request = ConsultationRequest(
            organisation_id=partner.organisation_id,
            requested_by_id=partner.id,
            title=title,
            description="We want people with lived experience to shape this from the start.",
            kind=kind.value,
            needed_by=today + timedelta(days=30),
            effort="About two hours",
            paid=paid,
            status=status.value,
        )
        db.session.add(request)
        db.session.flush()
        if status in (RequestStatus.ACCEPTED, RequestStatus.MET):
            opportunity = Opportunity(
                request_id=request.id,
                title=title,
                description=request.description,
                activity=KIND_ACTIVITY[kind],
                places=3,
                closes_on=today + timedelta(days=14),
                paid=paid,
                status=(
                    OpportunityStatus.OPEN
                    if status == RequestStatus.ACCEPTED
                    else OpportunityStatus.COMPLETED
                ).value,
                rung=Rung.CO_DESIGN.value,
            )
            db.session.add(opportunity)
            db.session.flush()
            for person in everyone[:4]:
                db.session.add(
                    Interest(
                        opportunity_id=opportunity.id,
                        user_id=person.id,
                        note="I have been through this myself.",
                        selected=status == RequestStatus.MET,
                        completed_at=utcnow() if status == RequestStatus.MET else None,
                    )
                )
    db.session.add(
        Opportunity(
            title="Help us choose the questions for the next survey",
            description="Two hours at the Hub with lunch. Paid at the forum rate.",
            activity="forum_meeting",
            places=6,
            closes_on=today + timedelta(days=21),
            paid=True,
            rung=Rung.CO_PRODUCTION.value,
        )
    )
