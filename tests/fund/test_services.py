"""The fund's rules: who decides, two approvers above the limit, never overspending, paying,
the follow-up sent once, and raising a barrier in the register."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engage.changes.models import Item
from engage.core.outbox import Notification
from engage.extensions import db
from engage.fund import services
from engage.fund.models import FundError, State
from engage.payments import earnings
from engage.people.models import Role
from tests.fund.conftest import as_user, load

NOW = datetime(2027, 3, 10, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now(clock):
    clock(NOW)


@pytest.fixture
def people(make_user):
    return {
        "worker": make_user("worker", roles={Role.MANAGER}),
        "approver": make_user("approver", roles={Role.MANAGER}),
        "finance": make_user("fin", roles={Role.FINANCE}),
        "partner": make_user("officer", roles={Role.PARTNER}),
        "peer": make_user("sam"),
    }


def test_request_decision_and_payment(app, people, make_fund, make_request):
    fund_id = make_fund()
    request_id = make_request(fund_id, people["worker"], "40.00")
    with app.test_request_context():
        row = load(request_id)
        assert row.state_enum == State.SUBMITTED
        assert services.approve(as_user(people["approver"]), row) == State.APPROVED
        assert services.balance(row.fund)["available"] == Decimal("960.00")
        assert services.record_paid(as_user(people["finance"]), row, "card", "Receipt 55")
        assert not services.record_paid(as_user(people["finance"]), row, "card", "Receipt 55")
        assert row.state_enum == State.PAID
        balance = services.balance(row.fund)
        assert balance["paid"] == Decimal("40.00") and balance["available"] == Decimal("960.00")


def test_nobody_decides_their_own_request(app, people, make_fund, make_request):
    fund_id = make_fund()
    request_id = make_request(fund_id, people["worker"])
    with app.test_request_context():
        row = load(request_id)
        with pytest.raises(FundError, match="You made this request"):
            services.approve(as_user(people["worker"]), row)
        with pytest.raises(FundError):
            services.decline(as_user(people["worker"]), row, "No")
        assert load(request_id).state_enum == State.SUBMITTED


def test_a_peer_cannot_approve_their_own_request_even_if_staff(
    app, make_user, make_fund, make_request
):
    both = make_user("both", roles={Role.PEER, Role.MANAGER})
    fund_id = make_fund()
    with app.test_request_context():
        me = as_user(both)
    request_id = make_request(fund_id, both, person=None)
    with app.test_request_context(), pytest.raises(FundError):
        services.approve(as_user(both), load(request_id))
    assert me


def test_above_the_limit_two_different_people_approve(app, people, make_fund, make_request):
    fund_id = make_fund(limit="100.00")
    request_id = make_request(fund_id, people["worker"], "480.00", category="home")
    with app.test_request_context():
        row = load(request_id)
        assert services.approve(as_user(people["approver"]), row) == State.PART_APPROVED
        assert services.balance(row.fund)["committed"] == Decimal("0.00")
        with pytest.raises(FundError, match="second person"):
            services.approve(as_user(people["approver"]), row)
        with pytest.raises(FundError, match="You made this request"):
            services.approve(as_user(people["worker"]), row)
        assert services.approve(as_user(people["finance"]), row) == State.APPROVED
        assert services.balance(row.fund)["committed"] == Decimal("480.00")


def test_at_the_limit_one_approver_is_enough(app, people, make_fund, make_request):
    fund_id = make_fund(limit="100.00")
    request_id = make_request(fund_id, people["worker"], "100.00")
    with app.test_request_context():
        assert services.approve(as_user(people["approver"]), load(request_id)) == State.APPROVED


def test_approving_never_overspends_the_fund(app, people, make_fund, make_request):
    fund_id = make_fund(money="50.00")
    first = make_request(fund_id, people["worker"], "30.00")
    second = make_request(fund_id, people["worker"], "30.00")
    with app.test_request_context():
        services.approve(as_user(people["approver"]), load(first))
        with pytest.raises(FundError, match="£20.00 left"):
            services.approve(as_user(people["approver"]), load(second))
        db.session.rollback()
        assert load(second).state_enum == State.SUBMITTED


def test_question_answer_and_decline_with_a_kind_reason(app, people, make_fund, make_request):
    fund_id = make_fund()
    request_id = make_request(fund_id, people["partner"])
    with app.test_request_context():
        row = load(request_id)
        services.ask(as_user(people["approver"]), row, "Is there a cheaper one?")
        assert row.state_enum == State.QUESTION
        with pytest.raises(FundError):
            services.answer(as_user(people["approver"]), row, "Yes")
        services.answer(as_user(people["partner"]), row, "No, this is the cheapest.")
        assert row.state_enum == State.SUBMITTED
        with pytest.raises(FundError, match="kindly"):
            services.decline(as_user(people["approver"]), row, "  ")
        services.decline(as_user(people["approver"]), row, "The Jobcentre can pay for this.")
        db.session.commit()
        assert row.state_enum == State.DECLINED
        with pytest.raises(FundError):
            services.approve(as_user(people["finance"]), row)
        subjects = set(db.session.scalars(select(Notification.subject)))
        assert "A question about your request to the fund" in subjects
        assert "Your request to the fund was not approved" in subjects


def test_withdrawn_by_the_requester_only(app, people, make_fund, make_request):
    fund_id = make_fund()
    request_id = make_request(fund_id, people["worker"])
    with app.test_request_context():
        row = load(request_id)
        with pytest.raises(FundError):
            services.withdraw(as_user(people["approver"]), row)
        services.withdraw(as_user(people["worker"]), row)
        assert row.state_enum == State.WITHDRAWN


def test_the_same_form_twice_makes_one_request(app, people, make_fund, make_request):
    fund_id = make_fund()
    first = make_request(fund_id, people["worker"], submission_key="k-1")
    again = make_request(fund_id, people["worker"], submission_key="k-1")
    assert first == again


def test_fund_payments_are_never_earnings(app, make_fund, make_request, people):
    fund_id = make_fund()
    peer = people["peer"]
    with app.test_request_context():
        person = as_user(peer)
        request_id = make_request(fund_id, peer, "60.00", person=person, person_ref="")
        row = load(request_id)
        services.approve(as_user(people["approver"]), row)
        services.record_paid(as_user(people["finance"]), row, "cash", "Receipt 1")
        db.session.commit()
        totals = earnings.totals(peer.id, NOW.date())
        assert (totals.week, totals.month, totals.tax_year) == (0, 0, 0)


def test_follow_up_is_sent_once_four_weeks_after_payment(app, people, make_fund, make_request):
    fund_id = make_fund()
    request_id = make_request(fund_id, people["worker"])
    with app.test_request_context():
        row = load(request_id)
        services.approve(as_user(people["approver"]), row)
        services.record_paid(as_user(people["finance"]), row, "card", "R1")
        db.session.commit()
        assert services.send_follow_ups(NOW + timedelta(weeks=3)) == 0
        assert services.send_follow_ups(NOW + timedelta(weeks=4)) == 1
        assert services.send_follow_ups(NOW + timedelta(weeks=5)) == 0
        sent = db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.subject == "Did it help?")
        )
        assert sent == 1
        services.answer_follow_up(as_user(people["worker"]), row, True, "They got the flat.")
        assert row.helped is True and row.follow_up == "They got the flat."


def test_a_request_raises_one_anonymised_register_item(app, people, make_fund, make_request):
    fund_id = make_fund()
    request_id = make_request(fund_id, people["worker"], person_ref="Jo Bloggs")
    with app.test_request_context():
        row = load(request_id)
        item = services.raise_in_register(
            as_user(people["approver"]),
            row,
            submission_key="raise-1",
            title="No ID without ID",
            what_happened="A bank needs ID and ID needs money.",
            theme="welfare_benefits",
        )
        assert row.raised_item_id == item.id
        assert item.raised_by_id is None and not item.show_name
        assert row.reference in item.source_note
        assert "Jo" not in item.source_note + item.what_happened + item.title
        assert services.raise_in_register(
            as_user(people["approver"]), row, submission_key="raise-1", title="x",
            what_happened="y", theme="other",
        ).id == item.id  # fmt: skip
        with pytest.raises(FundError):
            services.raise_in_register(
                as_user(people["approver"]), row, title="x", what_happened="y", theme="other"
            )
        assert db.session.scalar(select(func.count()).select_from(Item)) == 1


def test_working_days():
    from datetime import date

    wednesday = date(2027, 3, 10)
    assert services.working_days_between(wednesday, wednesday) == 0
    assert services.working_days_between(wednesday, date(2027, 3, 12)) == 2  # Friday
    assert services.working_days_between(wednesday, date(2027, 3, 15)) == 3  # Monday
    assert services.working_days_between(wednesday, date(2027, 3, 24)) == 10


def test_a_question_after_the_first_approval_starts_the_approvals_again(
    app, people, make_fund, make_request
):
    fund_id = make_fund(limit="100.00")
    request_id = make_request(fund_id, people["worker"], "480.00", category="home")
    with app.test_request_context():
        row = load(request_id)
        services.approve(as_user(people["approver"]), row)
        services.ask(as_user(people["finance"]), row, "Is delivery included?")
        assert row.state_enum == State.QUESTION and row.first_approver_id is None
        services.answer(as_user(people["worker"]), row, "Yes")
        assert services.approve(as_user(people["approver"]), row) == State.PART_APPROVED


def test_the_requester_hears_in_their_language_when_approved_and_when_paid(
    app, people, make_fund, make_request
):
    """The decider's language is not the requester's: each message is written in the
    requester's, and the approval's promise ("we will tell you when we have" paid) is kept."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from engage.people.models import User

    fund_id = make_fund()
    request_id = make_request(fund_id, people["worker"])
    with app.test_request_context():
        db.session.get(User, people["worker"].id).locale = "pl"
        db.session.commit()
        row = load(request_id)
        services.approve(as_user(people["approver"]), row)
        services.record_paid(as_user(people["finance"]), row, "cash", "Receipt 88")
        db.session.commit()
        subjects = list(
            db.session.scalars(
                select(Notification.subject)
                .where(Notification.user_id == people["worker"].id)
                .order_by(Notification.id)
            )
        )
        with force_locale("pl"):
            expected = [
                _("Your request to the fund is approved"),
                _("The fund has paid for your request"),
            ]
        assert expected[0] != "Your request to the fund is approved"  # translated
        assert subjects[-2:] == expected
