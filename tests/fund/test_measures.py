"""The fund's dashboard section: requests, money approved and paid, median days to a
decision and the share who said it helped; only the count of requests is public."""

from __future__ import annotations

from datetime import UTC, date, datetime

from engage.core.figures import Period
from engage.extensions import db
from engage.fund import services
from engage.fund.measures import fund_section
from engage.people.models import Role
from tests.fund.conftest import as_user, load


def test_the_section_counts_the_period(app, clock, make_user, make_fund, make_request):
    worker = make_user("worker", roles={Role.MANAGER})
    approver = make_user("approver", roles={Role.FINANCE})
    clock(datetime(2027, 3, 1, 10, tzinfo=UTC))
    fund_id = make_fund()
    paid = make_request(fund_id, worker, "40.00")
    declined = make_request(fund_id, worker, "25.00")
    make_request(fund_id, worker, "10.00")  # still waiting
    with app.test_request_context():
        clock(datetime(2027, 3, 3, 10, tzinfo=UTC))  # two days later
        services.approve(as_user(approver), load(paid))
        services.decline(as_user(approver), load(declined), "Ask the Jobcentre")
        services.record_paid(as_user(approver), load(paid), "card", "R1")
        services.answer_follow_up(as_user(worker), load(paid), True, "Got the flat")
        db.session.commit()
        section = fund_section(Period(date(2027, 3, 1), date(2027, 3, 31)), None)
    figures = {f.key: f for f in section.figures}
    assert figures["fund_requests"].value == 3 and figures["fund_requests"].public
    assert str(figures["fund_approved"].value) == "40.00"
    assert str(figures["fund_paid"].value) == "40.00"
    assert figures["fund_days_to_decision"].value == 2.0
    assert figures["fund_helped"].value == 100.0
    public = {f.key for f in section.public_only().figures}
    assert public == {"fund_requests"}  # money and outcomes are never public
