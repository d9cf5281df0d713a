"""Finance figures: money paid by month (in the partnership's own time, added up exactly),
what waits for a decision by age, and time given by activity."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from engage.extensions import db
from engage.payments import analysis
from engage.payments.models import PaymentItem
from engage.people.models import User


def _paid(person: User, kind: str, amount: str, at: datetime, n: list[int]) -> None:
    n[0] += 1
    db.session.add(
        PaymentItem(
            payee_id=person.id,
            kind=kind,
            method="bank",
            amount=Decimal(amount),
            line_key=f"test:{n[0]}",
            paid_at=at,
        )
    )


def test_money_paid_by_month_in_local_time_and_to_the_penny(ctx, make_user):
    person = db.session.get(User, make_user().id)
    n = [0]
    # 23:30 UTC on 31 May is 00:30 on 1 June in London (summer time): June's money.
    _paid(person, "fee", "12.35", datetime(2026, 5, 31, 23, 30, tzinfo=UTC), n)
    _paid(person, "fee", "0.10", datetime(2026, 6, 2, 9, tzinfo=UTC), n)
    _paid(person, "fee", "0.10", datetime(2026, 6, 3, 9, tzinfo=UTC), n)
    _paid(person, "fee", "0.10", datetime(2026, 6, 4, 9, tzinfo=UTC), n)
    _paid(person, "expenses", "4.50", datetime(2026, 5, 31, 22, 30, tzinfo=UTC), n)  # 23:30 BST
    _paid(person, "reversal", "-12.35", datetime(2026, 7, 1, 8, tzinfo=UTC), n)
    _paid(person, "fee", "99.99", datetime(2026, 8, 1, 9, tzinfo=UTC), n)  # after the range
    db.session.flush()
    months = analysis.payments_by_month(date(2026, 5, 1), date(2026, 7, 31))
    assert [(m.month, m.fees, m.expenses, m.corrections) for m in months] == [
        (date(2026, 5, 1), Decimal("0.00"), Decimal("4.50"), Decimal("0.00")),
        (date(2026, 6, 1), Decimal("12.65"), Decimal("0.00"), Decimal("0.00")),
        (date(2026, 7, 1), Decimal("0.00"), Decimal("0.00"), Decimal("-12.35")),
    ]
    assert months[1].total == Decimal("12.65") and isinstance(months[1].fees, Decimal)


def test_a_person_paid_this_year(ctx, make_user):
    person = db.session.get(User, make_user().id)
    other = db.session.get(User, make_user().id)
    n = [0]
    _paid(person, "fee", "30.00", datetime(2026, 4, 6, 9, tzinfo=UTC), n)
    _paid(person, "expenses", "4.50", datetime(2026, 5, 1, 9, tzinfo=UTC), n)
    _paid(person, "reversal", "-30.00", datetime(2026, 5, 2, 9, tzinfo=UTC), n)
    _paid(person, "fee", "15.00", datetime(2026, 4, 5, 9, tzinfo=UTC), n)  # last tax year
    _paid(other, "fee", "45.00", datetime(2026, 6, 1, 9, tzinfo=UTC), n)
    db.session.flush()
    paid = analysis.paid_to(person.id, date(2026, 4, 6), date(2027, 4, 5))
    assert (paid.fees, paid.expenses, paid.corrections, paid.total) == (
        Decimal("30.00"), Decimal("4.50"), Decimal("-30.00"), Decimal("4.50"),
    )  # fmt: skip
    assert len(paid.items) == 3


def test_what_waits_is_counted_by_age(ctx, make_user, make_claim, make_rate, make_record):
    from engage.core.db import utcnow
    from engage.payments.models import ExpenseClaim, InvolvementRecord

    peer = make_user(payment_preference="bank")
    make_rate()
    claims = [make_claim(peer) for _ in range(3)]
    records = [make_record(peer) for _ in range(2)]
    now = utcnow()
    for claim_id, days in zip(claims, (1, 10, 40), strict=True):
        db.session.get(ExpenseClaim, claim_id).submitted_at = now - timedelta(days=days)
    db.session.get(InvolvementRecord, records[0]).created_at = now - timedelta(days=20)
    db.session.flush()
    bands = analysis.approvals_by_age(now.date())
    assert [(b.claims, b.records) for b in bands] == [(1, 1), (1, 0), (0, 1), (1, 0)]


def test_time_given_by_activity(ctx, make_user, make_rate, make_record):
    peer = make_user(payment_preference="bank")
    decliner = make_user(payment_preference="decline")
    make_rate(amount="15.00")
    make_rate("document_review", "25.00", unit="task")
    make_record(peer, minutes=120)
    make_record(decliner, minutes=60)
    make_record(peer, activity="document_review", minutes=None)
    rows = analysis.involvement_by_activity(date(2026, 4, 6), date(2027, 4, 5))
    by_activity = {r.activity: r for r in rows}
    forum = by_activity["forum_meeting"]
    assert (forum.records, forum.hours, forum.fees, forum.declined) == (
        2, Decimal("3.0"), Decimal("30.00"), 1,
    )  # fmt: skip
    assert by_activity["document_review"].fees == Decimal("25.00")
