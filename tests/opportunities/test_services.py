"""Opportunities services on their own: counting partners' requests for the dashboard."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from engage.core.db import utcnow
from engage.extensions import db
from engage.opportunities import services
from engage.opportunities.models import ConsultationRequest
from engage.people.models import Organisation, Role, User
from tests.opportunities.conftest import TODAY


def test_requests_are_counted_on_the_partnerships_calendar_day(app, clock, people, make_request):
    # 00:30 on 1 April 2027 in the UK is still 31 March in UTC: the request is April's.
    clock(datetime(2027, 3, 31, 23, 30, tzinfo=UTC))
    make_request(people["partner"])
    with app.app_context():
        assert services.request_counts(date(2027, 4, 1), date(2027, 4, 30)).requested == 1
        assert services.request_counts(date(2027, 3, 1), date(2027, 3, 31)).requested == 0


def test_request_counts_by_organisation_and_period(app, make_user, people, make_request):
    other_org = None
    with app.app_context():
        row = Organisation(name="NHS Trust")
        db.session.add(row)
        db.session.commit()
        other_org = row.id
    nhs = make_user("nhs", roles={Role.PARTNER}, organisation_id=other_org)
    old = make_request(people["partner"], title="Last year")
    make_request(people["partner"], title="This year")
    declined = make_request(nhs, title="Declined")
    accepted = make_request(nhs, title="Accepted")
    with app.test_request_context():
        manager = db.session.get(User, people["manager"].id)
        db.session.get(ConsultationRequest, old).created_at = utcnow() - timedelta(days=400)
        services.decline_request(manager, db.session.get(ConsultationRequest, declined), "No")
        row = db.session.get(ConsultationRequest, accepted)
        services.accept_request(manager, row, **services.prefill(row))
        db.session.commit()
    with app.app_context():
        counts = services.request_counts(TODAY - timedelta(days=30), TODAY)
    assert (counts.requested, counts.accepted, counts.declined, counts.met) == (3, 1, 1, 0)
    assert counts.by_organisation["City Council"].requested == 1
    assert counts.by_organisation["NHS Trust"].requested == 2
    assert counts.by_organisation["NHS Trust"].accepted == 1
