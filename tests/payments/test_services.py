"""Payments use cases: rates chosen by date, records priced once and never changed by the
card, what counts as earnings and when, threshold warnings, attendance becoming records, and
the claims' rules."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from engage.core import dates
from engage.core.signals import involvement_given
from engage.extensions import db
from engage.payments import earnings, permissions, rate_card, thresholds
from engage.payments.claims import services as claim_services
from engage.payments.models import (
    ClaimState,
    IllegalMove,
    InvolvementRecord,
    RecordStatus,
)
from engage.payments.time_given import services as time_given
from engage.people.models import Role, User
from tests.payments.conftest import DAY, NOW, claim, record


def _user(make_user, **kwargs) -> User:
    return db.session.get(User, make_user(**kwargs).id)


# The rate card -----------------------------------------------------------------------------


def test_the_rate_in_force_on_the_day_is_chosen(ctx, make_rate):
    make_rate(amount="15.00", effective_from=date(2026, 4, 6))
    make_rate(amount="16.50", effective_from=date(2026, 10, 1))
    assert rate_card.rate_for("forum_meeting", date(2026, 4, 5)) is None
    assert rate_card.rate_for("forum_meeting", date(2026, 4, 6)).amount == Decimal("15.00")
    assert rate_card.rate_for("forum_meeting", date(2026, 9, 30)).amount == Decimal("15.00")
    assert rate_card.rate_for("forum_meeting", date(2026, 10, 1)).amount == Decimal("16.50")
    assert rate_card.rate_for("forum_meeting", date(2030, 1, 1)).amount == Decimal("16.50")
    assert rate_card.rate_for("board_seat", date(2026, 6, 1)) is None
    first = rate_card.rate_for("forum_meeting", date(2026, 6, 1))
    assert first.effective_to == date(2026, 9, 30)  # closed the day before the change


def test_a_new_rate_cannot_start_on_or_before_an_existing_one(ctx, make_rate, admin):
    make_rate(effective_from=date(2026, 10, 1))
    actor = db.session.get(User, admin.id)
    for start in (date(2026, 10, 1), date(2026, 4, 6)):
        with pytest.raises(IllegalMove, match="already one from 1 Oct 2026"):
            rate_card.add_rate(
                actor,
                activity="forum_meeting",
                unit="hour",
                amount=Decimal("20"),
                includes_preparation=True,
                effective_from=start,
            )


def test_changing_the_card_never_changes_past_records(ctx, make_user, make_rate, make_record):
    peer = make_user(payment_preference="bank")
    make_rate(amount="15.00", effective_from=date(2026, 4, 6))
    before = make_record(peer, on=date(2026, 9, 1), minutes=120)
    make_rate(amount="20.00", effective_from=date(2026, 10, 1))
    after = make_record(peer, on=date(2026, 10, 2), minutes=120)
    assert record(before).amount == Decimal("30.00") and record(before).unit_amount == Decimal("15")
    assert record(after).amount == Decimal("40.00")
    rate = record(before).rate
    assert rate_card.rate_in_use(rate)
    with pytest.raises(IllegalMove, match="Payments already use this rate"):
        rate_card.correct_rate(
            db.session.get(User, record(before).person_id),
            rate,
            unit="hour",
            amount=Decimal("99"),
            includes_preparation=True,
            note="",
        )
    assert record(before).amount == Decimal("30.00")


# Involvement records ----------------------------------------------------------------------


def test_declining_is_kept_at_nothing_with_the_fee_remembered(
    ctx, make_user, make_rate, make_record
):
    peer = make_user(payment_preference="decline")
    make_rate()
    row = record(make_record(peer))
    assert row.status == RecordStatus.DECLINED.value and row.method == "declined"
    assert row.amount == Decimal("0.00") and row.fee == Decimal("30.00")
    time_given.accept_record(_user(make_user), row)
    assert row.status == RecordStatus.PENDING.value and row.amount == Decimal("30.00")
    assert row.method is None  # they still have not said how to be paid


def test_declining_and_accepting_are_the_same_one_step(ctx, make_user, make_rate, make_record):
    peer = _user(make_user, payment_preference="bank")
    make_rate()
    row = record(make_record(peer))
    time_given.decline_record(peer, row)
    assert (row.status, row.amount, row.method) == ("declined", Decimal("0.00"), "declined")
    time_given.decline_record(peer, row)  # a double click changes nothing
    time_given.accept_record(peer, row)
    assert (row.status, row.amount, row.method) == ("pending", Decimal("30.00"), "bank")


def test_a_record_is_made_once_per_source(ctx, make_user, make_rate, make_record):
    peer = make_user(payment_preference="bank")
    make_rate()
    first = make_record(peer, source="meeting:7", source_key="meeting:7:person:1")
    again = make_record(peer, source="meeting:7", source_key="meeting:7:person:1")
    assert first == again
    assert db.session.scalar(db.select(db.func.count(InvolvementRecord.id))) == 1


def test_without_a_rate_a_record_waits_and_cannot_be_approved(
    ctx, make_user, make_rate, make_record
):
    peer = make_user(payment_preference="bank")
    manager = _user(make_user, roles={Role.MANAGER})
    row = record(make_record(peer, activity="peer_research"))
    assert row.rate_id is None and row.amount == Decimal("0.00")
    with pytest.raises(IllegalMove, match="There is no rate for this activity"):
        time_given.approve_record(manager, row)
    assert not time_given.reprice(manager, row)
    make_rate(activity="peer_research", amount="20.00", unit="task")
    assert time_given.reprice(manager, row)
    assert row.amount == Decimal("20.00")
    time_given.approve_record(manager, row)
    assert row.status == "approved" and row.decided_by_id == manager.id


def test_payment_in_kind_is_paid_when_approved(ctx, make_user, make_rate, make_record):
    peer = make_user(payment_preference="bank")
    manager = _user(make_user, roles={Role.MANAGER})
    make_rate()
    row = record(make_record(peer, method="in_kind"))
    time_given.approve_record(manager, row)
    assert row.status == "paid" and row.paid_at is not None
    from engage.payments.models import PaymentItem

    [item] = db.session.scalars(db.select(PaymentItem)).all()
    assert item.record_id == row.id and item.method == "in_kind" and item.run_id is None


def test_rejecting_time_needs_a_reason(ctx, make_user, make_rate, make_record):
    peer = make_user(payment_preference="bank")
    manager = _user(make_user, roles={Role.MANAGER})
    make_rate()
    row = record(make_record(peer))
    with pytest.raises(IllegalMove):
        time_given.reject_record(manager, row, "  ")
    time_given.reject_record(manager, row, "Recorded twice by mistake.")
    assert row.status == "rejected" and row.reason == "Recorded twice by mistake."


def test_attendance_becomes_a_record_for_peers_only(ctx, app, make_user, make_rate):
    make_rate()
    peer = _user(make_user, payment_preference="cash")
    staff = _user(make_user, roles={Role.MANAGER})
    for person in (peer, staff, peer):  # the peer twice: a register saved again
        involvement_given.send(
            app,
            person=person,
            activity="forum_meeting",
            on=DAY,
            minutes=90,
            source="meeting:3",
            actor=staff,
        )
    rows = db.session.scalars(db.select(InvolvementRecord)).all()
    assert [(r.person_id, r.amount, r.method) for r in rows] == [
        (peer.id, Decimal("22.50"), "cash")
    ]


def test_unpaid_opportunities_are_recorded_as_unpaid_time(ctx, app, make_user):
    peer = _user(make_user, payment_preference="bank")
    involvement_given.send(
        app,
        person=peer,
        activity="document_review",
        on=DAY,
        minutes=None,
        source="opportunity:7",
        actor=None,
        description="Help choose survey questions",
        paid=False,
    )
    [row] = db.session.scalars(db.select(InvolvementRecord)).all()
    assert row.status == "voluntary" and row.amount == Decimal("0.00")
    assert row.description == "Help choose survey questions"


# Earnings --------------------------------------------------------------------------------


def _earn(make_record, peer, on: date, minutes: int = 60) -> int:
    return make_record(peer, on=on, minutes=minutes)


def test_earnings_add_up_by_week_month_and_tax_year(ctx, make_user, make_rate, make_record):
    peer = make_user(payment_preference="bank")
    make_rate(amount="10.00", effective_from=date(2025, 4, 6))
    _earn(make_record, peer, date(2026, 4, 5))  # last day of 2025/26
    _earn(make_record, peer, date(2026, 4, 6))  # first day of 2026/27, a Monday
    _earn(make_record, peer, date(2026, 4, 12))  # the Sunday of that week
    _earn(make_record, peer, date(2026, 4, 13))  # the next Monday
    _earn(make_record, peer, date(2026, 4, 30))
    _earn(make_record, peer, date(2026, 5, 1))
    totals = earnings.totals(peer.id, date(2026, 4, 8))
    assert totals.week == Decimal("20.00")  # 6th and 12th
    assert totals.month == Decimal("50.00")  # 5, 6, 12, 13 and 30 April
    assert totals.tax_year == Decimal("50.00")  # all but the 5 April one
    assert totals.tax_year_start == date(2026, 4, 6)
    months = dict(earnings.monthly_earnings(peer.id, date(2026, 4, 6), date(2027, 4, 5)))
    assert months[date(2026, 4, 1)] == Decimal("40.00") and months[date(2026, 5, 1)] == Decimal(
        "10.00"
    )
    assert len(months) == 13  # April to April, every month shown, even empty ones


def test_what_counts_as_earnings(ctx, make_user, make_rate, make_record, make_claim):
    peer = _user(make_user, payment_preference="bank")
    manager = _user(make_user, roles={Role.MANAGER})
    make_rate(amount="10.00")
    waiting = record(_earn(make_record, peer, DAY))
    approved = record(_earn(make_record, peer, DAY))
    time_given.approve_record(manager, approved)
    declined = record(_earn(make_record, peer, DAY))
    time_given.decline_record(peer, declined)
    rejected = record(_earn(make_record, peer, DAY))
    time_given.reject_record(manager, rejected, "Not this one")
    voucher = record(make_record(peer, on=DAY, minutes=60, method="voucher"))
    in_kind = record(make_record(peer, on=DAY, minutes=60, method="in_kind"))
    time_given.approve_record(manager, in_kind)
    make_claim(peer, amount="40.00", state="approved", decider=manager, spent_on=DAY)
    assert {waiting.status, voucher.status} == {"pending"}
    # Fees waiting and approved, a voucher and payment in kind count; declined, rejected and
    # the £40 of expenses do not.
    assert earnings.earnings(peer.id, DAY, DAY) == Decimal("40.00")


# Warnings --------------------------------------------------------------------------------


@pytest.fixture
def limit(ctx, admin):
    actor = db.session.get(User, admin.id)
    return thresholds.add_threshold(
        actor,
        label="ESA permitted work weekly limit",
        period="week",
        amount=Decimal("195.50"),
        effective_from=date(2025, 4, 7),
        source_note="DWP permitted work rules, 2025/26",
    )


def test_a_warning_shows_the_numbers_before_work_crosses_a_limit(
    limit, make_user, make_rate, make_record
):
    peer = _user(make_user, payment_preference="bank", benefits_warnings=True)
    make_rate(amount="15.00")
    make_record(peer, on=DAY, minutes=600)  # £150 this week already
    assert earnings.warnings_for(peer, DAY, Decimal("45.00")) == []  # £195 is not over £195.50
    [warning] = earnings.warnings_for(peer, DAY, Decimal("45.51"))
    assert warning.threshold.label == "ESA permitted work weekly limit"
    assert (warning.already, warning.this_work, warning.total) == (
        Decimal("150.00"),
        Decimal("45.51"),
        Decimal("195.51"),
    )
    assert warning.over_by == Decimal("0.01") and not warning.already_over
    assert (warning.start, warning.end) == (date(2026, 6, 8), date(2026, 6, 14))
    # The following week starts again from nothing.
    assert earnings.warnings_for(peer, DAY + timedelta(days=7), Decimal("100")) == []


def test_only_people_who_asked_are_warned(limit, make_user, make_rate, make_record):
    peer = _user(make_user, payment_preference="bank", benefits_warnings=False)
    make_rate(amount="15.00")
    make_record(peer, on=DAY, minutes=900)
    assert earnings.warnings_for(peer, DAY, Decimal("100")) == []


def test_a_record_being_approved_is_not_counted_twice(limit, make_user, make_rate, make_record):
    peer = _user(make_user, payment_preference="bank", benefits_warnings=True)
    make_rate(amount="15.00")
    make_record(peer, on=DAY, minutes=600)  # £150
    new = record(make_record(peer, on=DAY, minutes=240))  # £60, waiting
    found = earnings.warnings_for_records([new])
    [warning] = found[new.id]
    assert (warning.already, warning.this_work, warning.total) == (
        Decimal("150.00"),
        Decimal("60.00"),
        Decimal("210.00"),
    )


def test_thresholds_are_dated(limit, admin, make_user, make_rate, make_record):
    actor = db.session.get(User, admin.id)
    thresholds.add_threshold(
        actor,
        label="ESA permitted work weekly limit",
        period="week",
        amount=Decimal("300.00"),
        effective_from=date(2026, 4, 6),
    )
    assert limit.effective_to == date(2026, 4, 5)  # the old figure ends
    peer = _user(make_user, payment_preference="bank", benefits_warnings=True)
    make_rate(amount="15.00", effective_from=date(2025, 4, 6))
    assert earnings.warnings_for(peer, date(2026, 3, 2), Decimal("200")) != []
    assert earnings.warnings_for(peer, DAY, Decimal("200")) == []


def test_thresholds_that_look_out_of_date_are_flagged(limit):
    assert not thresholds.thresholds_need_checking(date(2026, 3, 1))
    assert thresholds.thresholds_need_checking(date(2026, 5, 1))


# Claims ----------------------------------------------------------------------------------


def test_nobody_decides_their_own_claim_or_one_they_entered(ctx, make_user, make_claim):
    both = _user(make_user, roles={Role.PEER, Role.MANAGER})
    other_manager = _user(make_user, roles={Role.MANAGER})
    finance = _user(make_user, roles={Role.FINANCE})
    peer = _user(make_user, roles={Role.PEER})
    own = claim(make_claim(both))
    assert not permissions.can_decide_claim(both, own)
    assert permissions.can_decide_claim(other_manager, own)
    assert permissions.can_decide_claim(finance, own)
    entered, _made = claim_services.quick_claim(
        other_manager,
        peer,
        method="bank",
        kind="bus",
        amount=Decimal("2"),
        spent_on=dates.local_date(NOW),
    )
    assert not permissions.can_decide_claim(other_manager, entered)
    assert permissions.can_decide_claim(both, entered)
    assert not permissions.can_decide_claim(peer, own)


def test_the_claim_services_refuse_the_claimant_and_whoever_entered_it(ctx, make_user, make_claim):
    """Four eyes in the services themselves, not only in the pages' permissions."""
    both = _user(make_user, roles={Role.PEER, Role.MANAGER})
    other_manager = _user(make_user, roles={Role.MANAGER})
    peer = _user(make_user, roles={Role.PEER})
    own = claim(make_claim(both))
    entered, _made = claim_services.quick_claim(
        other_manager,
        peer,
        method="bank",
        kind="bus",
        amount=Decimal("2"),
        spent_on=dates.local_date(NOW),
    )
    for actor, row, why in ((both, own, "your own claim"), (other_manager, entered, "entered")):
        with pytest.raises(IllegalMove, match=why):
            claim_services.approve(actor, row)
        with pytest.raises(IllegalMove, match=why):
            claim_services.reject(actor, row, "Not needed.")
        with pytest.raises(IllegalMove, match=why):
            claim_services.query(actor, row, "Which bus?")
        assert row.state_enum == ClaimState.SUBMITTED and row.decided_by_id is None
    claim_services.approve(other_manager, own)
    assert own.state_enum == ClaimState.APPROVED


def test_nobody_approves_or_rejects_their_own_time(ctx, make_user, make_rate, make_record):
    """Four eyes in the time-given services, not only in the pages' permissions."""
    both = _user(make_user, roles={Role.PEER, Role.MANAGER}, payment_preference="bank")
    other_manager = _user(make_user, roles={Role.MANAGER})
    make_rate()
    row = record(make_record(both))
    with pytest.raises(IllegalMove, match="your own time"):
        time_given.approve_record(both, row)
    with pytest.raises(IllegalMove, match="your own time"):
        time_given.reject_record(both, row, "Recorded twice by mistake.")
    done = time_given.approve_many(both, [row])
    assert done.own == [row] and not done.approved
    assert row.status == "pending" and row.decided_by_id is None
    time_given.approve_record(other_manager, row)
    assert row.status == "approved"


def test_a_taxi_needs_a_reason_and_mileage_a_rate(ctx, make_user):
    peer = _user(make_user)
    draft = claim_services.start_claim(peer, peer, method="bank")
    with pytest.raises(IllegalMove, match="Say why you needed a taxi"):
        claim_services.add_line(peer, draft, kind="taxi", spent_on=DAY, amount=Decimal("9"))
    with pytest.raises(IllegalMove, match="no mileage rate"):
        claim_services.add_line(peer, draft, kind="mileage", spent_on=DAY, miles=Decimal("4"))
    assert draft.lines == [] and draft.total == Decimal("0.00")


def test_a_reason_is_kept_only_for_a_taxi(ctx, make_user):
    """The reason question shows only for a taxi; one typed before choosing a bus is dropped."""
    peer = _user(make_user)
    draft = claim_services.start_claim(peer, peer, method="bank")
    bus = claim_services.add_line(
        peer, draft, kind="bus", spent_on=DAY, amount=Decimal("2"), reason="Bad knee"
    )
    taxi = claim_services.add_line(
        peer, draft, kind="taxi", spent_on=DAY, amount=Decimal("9"), reason="Bad knee"
    )
    assert (bus.reason, taxi.reason) == ("", "Bad knee")


def test_a_sent_claim_cannot_change_and_a_decided_one_cannot_move_back(ctx, make_user, make_claim):
    peer = _user(make_user)
    manager = _user(make_user, roles={Role.MANAGER})
    sent = claim(make_claim(peer))
    with pytest.raises(IllegalMove):
        claim_services.add_line(peer, sent, kind="bus", spent_on=DAY, amount=Decimal("1"))
    claim_services.reject(manager, sent, "Claimed twice")
    with pytest.raises(IllegalMove):
        claim_services.approve(manager, sent)
    assert sent.state == ClaimState.REJECTED.value


def test_answering_a_question_sends_the_claim_back_for_a_decision(ctx, make_user, make_claim):
    peer = _user(make_user, email="p@example.org")
    manager = _user(make_user, roles={Role.MANAGER})
    queried = claim(make_claim(peer, state="queried", decider=manager))
    assert queried.question == "Was this a return ticket?"
    claim_services.answer(peer, queried, "Yes")
    assert queried.state == "submitted" and queried.answer == "Yes"
