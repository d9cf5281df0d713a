"""Builders for the peer roles and recruitment tests. Every test here runs at a pinned "now"
(``NOW``), so "renewal in 30 days" and "waiting 12 days" mean the same on every day the tests
run."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from engage.extensions import db
from engage.mentoring import checks, services, supervision
from engage.mentoring.models import (
    Application,
    CheckLevel,
    ContactWay,
    DbsOutcome,
    PeerRole,
    RiskDecisionKind,
    RoleHeld,
    Stage,
    SupervisionKind,
)
from engage.people.models import Role, User
from tests.conftest import csrf_token

#: "Now" for these tests: Monday 1 March 2027, 12:00 in the UK.
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
TODAY = NOW.date()

#: Why a manager makes someone active although the role's training is not recorded for them
#: (a new account has none): tests about other things give it, so activation goes ahead.
GOING_AHEAD = "They did the courses with us before they had an account; certificates seen."

#: An application as the /join form sends it (the role is filled in by the test).
JOIN = {
    "name": "Tomasz",
    "what_draws": "Someone helped me once. I want to do the same.",
    "availability": "Weekday mornings",
    "access_needs": "Easy read, please",
    "contact_way": "email",
    "email": "tomasz@example.org",
}


@pytest.fixture(autouse=True)
def _now(clock):
    clock(NOW)


@pytest.fixture
def manager(make_user):
    return make_user("manager", roles={Role.MANAGER}, email="manager@example.org")


@pytest.fixture
def roles(app, manager) -> dict[str, int]:
    """Two courses and three roles: "mentor" (enhanced DBS, paid), "champion" (no check,
    voluntary) and "closed" (not open for applications). Returns the roles' ids by key."""
    with app.test_request_context():
        actor = db.session.get(User, manager.id)
        safeguarding = services.save_course(
            actor, None, name="Safeguarding", description="", valid_months=36, is_active=True
        )
        boundaries = services.save_course(
            actor, None, name="Boundaries", description="", valid_months=None, is_active=True
        )
        made = {
            "mentor": services.save_role(
                actor,
                None,
                name="Peer mentor",
                description="Walk alongside someone.",
                check_level=CheckLevel.ENHANCED,
                paid=True,
                is_active=True,
                courses=[safeguarding, boundaries],
            ),
            "champion": services.save_role(
                actor,
                None,
                name="Involvement champion",
                description="Welcome new people to forums.",
                check_level=CheckLevel.NONE,
                paid=False,
                is_active=True,
                courses=[boundaries],
            ),
            "closed": services.save_role(
                actor,
                None,
                name="Old role",
                description="Not offered now.",
                check_level=CheckLevel.NONE,
                paid=False,
                is_active=False,
                courses=[],
            ),
        }
        db.session.commit()
        return {key: role.id for key, role in made.items()}


@pytest.fixture
def make_application(app, roles):
    """``make_application(role="champion", **details)``: an application made as /join makes
    it, committed; returns its id. ``role=None`` is "not sure yet"."""

    def make(role: str | None = "champion", **details) -> int:
        with app.test_request_context():
            values = {
                "name": "Tomasz",
                "contact_way": ContactWay.EMAIL,
                "email": "tomasz@example.org",
            } | details
            application, _made = services.apply(
                role=db.session.get(PeerRole, roles[role]) if role else None, **values
            )
            db.session.commit()
            return application.id

    return make


@pytest.fixture
def move_along(app, manager):
    """``move_along(application_id, *stages)``: move it through each stage in turn (a DBS
    check is recorded where the role needs one), committed."""

    def move(application_id: int, *stages: Stage) -> None:
        with app.test_request_context():
            actor = db.session.get(User, manager.id)
            application = db.session.get(Application, application_id)
            for stage in stages:
                if stage == Stage.INDUCTION and application.role.check_level != "none":
                    checks.record_check(
                        actor,
                        application,
                        level=application.role.check_level_enum,
                        certificate_date=TODAY - timedelta(days=3),
                        outcome=DbsOutcome.CLEAR,
                        renewal_date=TODAY + timedelta(days=3 * 365),
                    )
                services.move(actor, application, stage, reason="Testing the reasons")
            db.session.commit()

    return move


#: The stages on the way to training, in order.
TO_TRAINING = (
    Stage.CONVERSATION,
    Stage.REFERENCES,
    Stage.CHECKS,
    Stage.INDUCTION,
    Stage.TRAINING,
)


@pytest.fixture
def disclosed(app, manager, make_application, move_along):
    """An application for the mentor role at "checks", with a DBS check where information
    was disclosed and a decision to go ahead with support. Returns its id."""
    application_id = make_application("mentor", name="Beth", email="beth@example.org")
    move_along(application_id, Stage.CONVERSATION, Stage.REFERENCES, Stage.CHECKS)
    with app.test_request_context():
        actor = db.session.get(User, manager.id)
        application = db.session.get(Application, application_id)
        check = checks.record_check(
            actor,
            application,
            level=CheckLevel.ENHANCED,
            certificate_date=TODAY - timedelta(days=10),
            outcome=DbsOutcome.DISCLOSED,
            renewal_date=TODAY + timedelta(days=30),
        )
        checks.record_decision(
            actor,
            check,
            decision=RiskDecisionKind.PROCEED_WITH_SUPPORT,
            review_date=TODAY + timedelta(days=90),
        )
        db.session.commit()
    return application_id


def join_data(client, role_id: int | str, **changes) -> dict:
    """What /join sends, with a fresh CSRF token and submission key from the form page."""
    import re

    page = client.get("/join").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page)
    data = dict(JOIN, role=str(role_id), csrf_token=csrf_token(client, "/join"))
    data["submission_key"] = key.group(1) if key else ""
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def send_join(client, role_id: int | str, **changes):
    return client.post("/join", data=join_data(client, role_id, **changes))


def applications(app) -> list[Application]:
    with app.app_context():
        rows = list(db.session.scalars(db.select(Application).order_by(Application.id)))
        for row in rows:
            _ = row.role, row.moves
        return rows


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


# Supervision and the passport ------------------------------------------------------------------


@pytest.fixture
def role_holder(app, make_user, roles):
    """``role_holder(username, role="mentor", since=day(-200), **user)``: a peer who holds a
    peer role from ``since`` (as becoming active records it), committed; returns the user."""

    def make(username: str = "sam", role: str = "mentor", since: date | None = None, **user):
        person = make_user(username, roles={Role.PEER}, **user)
        with app.test_request_context():
            db.session.add(
                RoleHeld(user_id=person.id, role_id=roles[role], from_date=since or day(-200))
            )
            db.session.commit()
        return person

    return make


@pytest.fixture
def log_session(app, manager):
    """``log_session(person, notes=..., held_on=..., minutes=..., kind=..., supervisor=...)``:
    a session logged through the service by the manager, committed; returns its id."""

    def make(person, supervisor=None, **values) -> int:
        with app.test_request_context():
            actor = db.session.get(User, manager.id)
            session = supervision.log_session(
                actor,
                db.session.get(User, person.id),
                supervisor=db.session.get(User, (supervisor or manager).id),
                kind=values.pop("kind", SupervisionKind.SUPERVISION),
                held_on=values.pop("held_on", day(-7)),
                minutes=values.pop("minutes", 60),
                notes=values.pop("notes", ""),
            )
            db.session.commit()
            return session.id

    return make
