"""Builders for the opportunities tests. Every test here runs at a pinned "now" (``NOW``), so
"closed yesterday" and "needed by 2031" mean the same on every day the tests run."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from engage.extensions import db
from engage.opportunities import services
from engage.opportunities.models import Opportunity
from engage.people.models import Organisation, Role, User

#: "Now" for these tests: Monday 1 March 2027, 12:00 in the UK.
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
TODAY = NOW.date()

#: A partner's request as the form sends it.
REQUEST = {
    "title": "Review our hostel leaflet",
    "kind": "review",
    "description": "A new leaflet for people arriving at the hostel.",
    "needed_by": "2031-03-31",
    "effort": "about two hours",
    "paid": "yes",
}


@pytest.fixture(autouse=True)
def _now(clock):
    clock(NOW)


@pytest.fixture
def org(app):
    with app.app_context():
        row = Organisation(name="City Council")
        db.session.add(row)
        db.session.commit()
        return row.id


@pytest.fixture
def people(make_user, org):
    """A partner (with an organisation), a manager and two peers."""
    return {
        "partner": make_user(
            "partner", roles={Role.PARTNER}, email="p@example.org", organisation_id=org
        ),
        "manager": make_user("manager", roles={Role.MANAGER}),
        "ann": make_user("ann", roles={Role.PEER}, email="ann@example.org", preferred_name="Ann"),
        "bob": make_user("bob", roles={Role.PEER}, email="bob@example.org", preferred_name="Bob"),
    }


@pytest.fixture
def make_request(app):
    """``make_request(partner, **changes)``: a consultation request made through the services
    and committed; returns its id."""

    def make(partner: User, **changes) -> int:
        with app.test_request_context():
            actor = db.session.get(User, partner.id)
            values = dict(REQUEST, needed_by=date(2031, 3, 31), paid=True) | changes
            row = services.make_request(actor, **values)
            db.session.commit()
            return row.id

    return make


@pytest.fixture
def publish(app):
    """``publish(manager, **details)``: an opportunity published through the services and
    committed; returns its id."""

    def make(manager: User, **details) -> int:
        with app.test_request_context():
            actor = db.session.get(User, manager.id)
            values = {
                "title": "Interview panel for a support worker",
                "description": "Sit on the panel on a Tuesday morning.",
                "activity": "interview_panel",
                "places": 1,
                "paid": True,
            } | details
            opportunity = services.publish(actor, **values)
            db.session.commit()
            return opportunity.id

    return make


@pytest.fixture
def interested(app):
    """``interested(opportunity_id, *users)``: each says they are interested, committed."""

    def make(opportunity_id: int, *users: User) -> None:
        with app.test_request_context():
            opportunity = db.session.get(Opportunity, opportunity_id)
            for user in users:
                services.express_interest(db.session.get(User, user.id), opportunity, "note")
            db.session.commit()

    return make
