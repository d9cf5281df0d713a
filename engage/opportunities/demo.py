"""Demo opportunities: a partner's requests (waiting, accepted, met), the opportunities they
became with peers interested, and one opportunity published directly."""

from __future__ import annotations

import random
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from engage.core.db import utcnow
from engage.extensions import db
from engage.forums.models import Rung
from engage.opportunities.models import ConsultationRequest, Interest, Opportunity
from engage.opportunities.services import KIND_ACTIVITY, RequestKind
from engage.people.models import User


def seed(rng: random.Random, people: dict[str, User], peers: list[User]) -> None:
    zone = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    today = utcnow().astimezone(zone).date()  # the partnership's today
    everyone = [people["peer"], people["peer2"], *peers]
    partner = people["partner"]
    requests = [
        ("Review our new hostel leaflet", "review", True, "accepted"),
        (
            "Join the interview panel for our new outreach lead",
            "interview_panel",
            True,
            "requested",
        ),
        ("Working group on hospital discharge", "working_group", True, "met"),
    ]
    for title, kind, paid, status in requests:
        request = ConsultationRequest(
            organisation_id=partner.organisation_id,
            requested_by_id=partner.id,
            title=title,
            description="We want people with lived experience to shape this from the start.",
            kind=kind,
            needed_by=today + timedelta(days=30),
            effort="About two hours",
            paid=paid,
            status=status,
        )
        db.session.add(request)
        db.session.flush()
        if status in ("accepted", "met"):
            opportunity = Opportunity(
                request_id=request.id,
                title=title,
                description=request.description,
                activity=KIND_ACTIVITY[RequestKind(kind)],
                places=3,
                closes_on=today + timedelta(days=14),
                paid=paid,
                status="open" if status == "accepted" else "completed",
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
                        selected=status == "met",
                        completed_at=utcnow() if status == "met" else None,
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
