"""The dashboard's "Involvement and money" section: each measure on a small hand-built set of
rows whose answer is worked out by hand below, the period's edges in the partnership's time
(31 March 2026 is already summer time in London: the clocks went forward on 29 March), the
financial year's first day, what partners may see, and a query count that does not grow.

Rows are added directly (not through the services) so each one's status, day and moment of
payment is exactly what the arithmetic in the test says.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event

from engage.core.figures import Kind, Period
from engage.extensions import db
from engage.forums.models import Forum, Meeting
from engage.payments import measures
from engage.payments.models import ExpenseClaim, InvolvementRecord, PaymentItem
from engage.people.models import Role
from tests.conftest import sign_in

#: The first quarter of the 2026/27 financial year, and the quarter before it.
Q1 = Period(date(2026, 4, 1), date(2026, 6, 30))
Q4 = Period(date(2026, 1, 1), date(2026, 3, 31))

_keys = itertools.count(1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def add_record(person_id: int, status: str, on: date, minutes: int | None, **values):
    values.setdefault("activity", "forum_meeting")
    record = InvolvementRecord(
        person_id=person_id, status=status, activity_date=on, minutes=minutes, **values
    )
    db.session.add(record)
    db.session.flush()
    return record


def add_payment(person_id: int, kind: str, amount: str, paid_at: datetime | None, **values):
    values.setdefault("method", "bank")
    item = PaymentItem(
        payee_id=person_id,
        kind=kind,
        amount=Decimal(amount),
        paid_at=paid_at,
        line_key=f"test:{next(_keys)}",
        **values,
    )
    db.session.add(item)
    db.session.flush()
    return item


def add_claim(person_id: int, sent: datetime | None, paid: datetime | None, **values):
    values.setdefault("state", "paid")
    claim = ExpenseClaim(
        claimant_id=person_id, submitted_at=sent, paid_at=paid, total=Decimal("5.00"), **values
    )
    db.session.add(claim)
    db.session.flush()
    return claim


@pytest.fixture
def people(ctx, make_user):
    return [make_user().id, make_user().id]


def test_hours_count_time_given_on_the_periods_days(people):
    ann, ben = people
    add_record(ann, "approved", date(2026, 4, 1), 120)  # the financial year's first day
    add_record(ann, "paid", date(2026, 6, 30), 90, activity="board_seat")  # the last day
    add_record(ben, "voluntary", date(2026, 5, 15), 60, activity="training")  # unpaid: time
    add_record(ann, "declined", date(2026, 5, 20), 30)  # declined: still time given
    add_record(ann, "declined", date(2026, 6, 2), 60, activity="document_review")
    add_record(ben, "declined", date(2026, 6, 3), 30)
    add_record(ben, "paid", date(2026, 5, 5), None)  # no time recorded: a record, 0 hours
    add_record(ann, "pending", date(2026, 5, 1), 600)  # not approved yet
    add_record(ann, "rejected", date(2026, 5, 1), 600)
    add_record(ann, "cancelled", date(2026, 5, 1), 600)
    add_record(ann, "approved", date(2026, 3, 31), 90)  # last financial year
    add_record(ann, "declined", date(2026, 3, 31), 45)  # last financial year
    add_record(ann, "approved", date(2026, 7, 1), 600)  # after the period

    time = measures.time_given(Q1)
    # 120 + 90 + 60 + 30 + 60 + 30 = 390 minutes = 6.5 hours, from 7 records (one of them
    # with no time recorded).
    assert time.hours == Decimal("6.5") and time.records == 7
    by_activity = time.hours_by_activity()
    # Forum meetings 120 + 30 + 30 = 180 minutes; board 90; training 60; document review 60.
    assert by_activity["forum_meeting"] == Decimal("3.0")
    assert by_activity["board_seat"] == Decimal("1.5")
    assert by_activity["training"] == Decimal("1.0")
    assert by_activity["document_review"] == Decimal("1.0")
    assert by_activity["interview_panel"] == Decimal("0.0")  # every activity, zeros shown
    # Declined: Ann twice (20 May, 2 June), Ben once: 3 payments by 2 people.
    assert (time.declined, time.declined_people) == (3, 2)

    before = measures.time_given(Q4)
    # 31 March: 90 + 45 = 135 minutes = 2.25 hours, 2.3 rounded half up.
    assert before.hours == Decimal("2.3") and before.records == 2
    assert (before.declined, before.declined_people) == (1, 1)

    nothing = measures.time_given(Period(date(2025, 1, 1), date(2025, 1, 31)))
    assert nothing.hours == Decimal("0.0") and nothing.records == 0 and nothing.declined == 0


def _money(people) -> None:
    """The ledger of test_money_paid_by_month_and_activity."""
    ann, ben = people
    forum = Forum(name="Money forum")
    db.session.add(forum)
    db.session.flush()
    meeting = Meeting(
        forum_id=forum.id,
        starts_at=utc(2026, 5, 20, 10),
        ends_at=utc(2026, 5, 20, 12),
        activity="forum_meeting",
    )
    db.session.add(meeting)
    db.session.flush()
    forum_time = add_record(ann, "paid", date(2026, 3, 30), 120)
    board_time = add_record(ben, "paid", date(2026, 5, 1), 120, activity="board_seat")
    review = add_record(ben, "paid", date(2026, 6, 1), 60, activity="document_review")
    # 23:30 UTC on 31 March is 00:30 on 1 April in London (summer time): April's money.
    first = add_payment(ann, "fee", "30.00", utc(2026, 3, 31, 23, 30), record_id=forum_time.id)
    # 22:30 UTC on 31 March is 23:30 there: still March, the quarter before.
    add_payment(ann, "fee", "99.00", utc(2026, 3, 31, 22, 30), record_id=forum_time.id)
    add_payment(ben, "fee", "20.00", utc(2026, 5, 15, 9), method="voucher", record_id=board_time.id)
    meeting_claim = add_claim(ann, utc(2026, 5, 21, 9), utc(2026, 6, 2, 9), meeting_id=meeting.id)
    add_payment(ann, "expenses", "4.50", utc(2026, 6, 2, 9), claim_id=meeting_claim.id)
    other_claim = add_claim(ben, utc(2026, 5, 21, 9), utc(2026, 6, 3, 9))
    add_payment(ben, "expenses", "7.25", utc(2026, 6, 3, 9), claim_id=other_claim.id)
    # April's fee reversed in June: it nets out in June, as a fee for a forum meeting.
    add_payment(
        ann, "reversal", "-30.00", utc(2026, 6, 10, 9), record_id=forum_time.id,
        reverses_id=first.id,
    )  # fmt: skip
    # 22:59 UTC on 30 June is 23:59 there: June. 23:30 UTC is 1 July there: after the period.
    add_payment(ben, "fee", "12.35", utc(2026, 6, 30, 22, 59), method="cash", record_id=review.id)
    add_payment(ben, "fee", "50.00", utc(2026, 6, 30, 23, 30), record_id=review.id)
    add_payment(ben, "fee", "80.00", None, record_id=review.id)  # in a run, not paid yet


def test_money_paid_by_month_and_activity(people):
    _money(people)
    money = measures.money_paid(Q1)
    pounds = {
        month: {k: Decimal(v) / 100 for k, v in row.items()}
        for month, row in money.by_month.items()
    }
    assert pounds == {
        date(2026, 4, 1): {"fees": Decimal("30"), "vouchers": 0, "expenses": 0},
        date(2026, 5, 1): {"fees": 0, "vouchers": Decimal("20"), "expenses": 0},
        # -30.00 + 12.35 = -17.65 in fees; 4.50 + 7.25 = 11.75 in expenses.
        date(2026, 6, 1): {"fees": Decimal("-17.65"), "vouchers": 0, "expenses": Decimal("11.75")},
    }
    # Fees 30.00 - 30.00 + 12.35 = 12.35; vouchers 20.00; expenses 11.75; in all 44.10.
    assert money.total("fees") == Decimal("12.35")
    assert money.total("vouchers") == Decimal("20.00")
    assert money.total("expenses") == Decimal("11.75")
    assert money.total() == Decimal("44.10")
    assert isinstance(money.total(), Decimal)
    # Forum meetings: 30.00 - 30.00 in fees, 4.50 expenses for the meeting's claim.
    assert money.by_activity["forum_meeting"] == {"fees": 0, "vouchers": 0, "expenses": 450}
    assert money.by_activity["board_seat"] == {"fees": 0, "vouchers": 2000, "expenses": 0}
    assert money.by_activity["document_review"] == {"fees": 1235, "vouchers": 0, "expenses": 0}
    assert money.by_activity["none"] == {"fees": 0, "vouchers": 0, "expenses": 725}
    assert money.by_activity["training"] == {"fees": 0, "vouchers": 0, "expenses": 0}

    before = measures.money_paid(Q4)
    assert list(before.by_month) == [
        date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1),
    ]  # fmt: skip
    assert before.total("fees") == Decimal("99.00") and before.total() == Decimal("99.00")


def test_a_period_that_starts_inside_a_month_puts_its_first_days_in_that_month(people):
    ann, _ben = people
    add_payment(ann, "fee", "10.00", utc(2026, 4, 15, 9))
    add_payment(ann, "fee", "1.00", utc(2026, 4, 14, 9))  # before the period
    add_payment(ann, "expenses", "2.00", utc(2026, 5, 14, 9))
    money = measures.money_paid(Period(date(2026, 4, 15), date(2026, 5, 14)))
    assert list(money.by_month) == [date(2026, 4, 1), date(2026, 5, 1)]
    assert money.by_month[date(2026, 4, 1)]["fees"] == 1000
    assert money.by_month[date(2026, 5, 1)]["expenses"] == 200
    assert money.total() == Decimal("12.00")


def _claims(people) -> None:
    """The claims of test_claims_paid_within_14_days_and_the_median."""
    ann, ben = people
    add_claim(ann, utc(2026, 5, 1, 9), utc(2026, 5, 15, 9))  # 14 days: on time
    # Paid 23:30 UTC on 15 May, 00:30 on 16 May in London: 15 days, late.
    add_claim(ann, utc(2026, 5, 1, 9), utc(2026, 5, 15, 23, 30))
    # Sent 23:30 UTC on 30 March, 00:30 on 31 March there; paid 1 April: 1 day.
    add_claim(ben, utc(2026, 3, 30, 23, 30), utc(2026, 4, 1, 10))
    add_claim(ben, utc(2026, 6, 1, 10), utc(2026, 6, 1, 12))  # paid the same day: 0 days
    # Paid 23:30 UTC on 31 March = 00:30 on 1 April there: this quarter; 25 March to 1 April.
    add_claim(ann, utc(2026, 3, 25, 10), utc(2026, 3, 31, 23, 30))
    # Paid 22:30 UTC on 31 March = 23:30 there: the quarter before; 1 to 31 March, 30 days.
    add_claim(ben, utc(2026, 3, 1, 10), utc(2026, 3, 31, 22, 30))
    add_claim(ann, utc(2026, 5, 1, 9), None, state="approved")  # not paid yet
    add_claim(ann, utc(2026, 5, 1, 9), None, state="submitted")
    add_claim(ann, None, None, state="draft")


def test_claims_paid_within_14_days_and_the_median(people):
    _claims(people)
    claims = measures.claims_paid(Q1)
    # Days: 14, 15, 1, 0 and 7; 4 of 5 within 14 days = 80%; sorted 0, 1, 7, 14, 15: median 7.
    assert sorted(claims.days) == [0, 1, 7, 14, 15]
    assert (claims.on_time, claims.count) == (4, 5)
    assert claims.percent_on_time == 80.0 and claims.median_days == 7.0
    before = measures.claims_paid(Q4)
    assert before.days == [30] and before.percent_on_time == 0.0 and before.median_days == 30.0
    none = measures.claims_paid(Period(date(2025, 1, 1), date(2025, 1, 31)))
    assert none.percent_on_time is None and none.median_days is None


def test_an_even_number_of_claims_has_a_median_between_the_middle_two(people):
    ann, _ben = people
    add_claim(ann, utc(2026, 5, 1, 9), utc(2026, 5, 3, 9))  # 2 days
    add_claim(ann, utc(2026, 5, 1, 9), utc(2026, 5, 6, 9))  # 5 days
    # (2 + 5) / 2 = 3.5
    assert measures.claims_paid(Q1).median_days == 3.5


def test_the_section_compares_with_the_quarter_before_and_keeps_money_from_partners(people):
    _money(people)
    _claims(people)
    section = measures.involvement_and_money_section(Q1, Q4)
    assert section.key == "involvement-and-money"
    figures = {f.key: f for f in section.figures}
    # Hours: _money's paid records (30 March is Q4: 2 hours; 1 May 2 hours and 1 June 1 hour).
    assert (figures["involvement_hours"].value, figures["involvement_hours"].previous) == (
        Decimal("3.0"), Decimal("2.0"),
    )  # fmt: skip
    assert figures["involvement_hours"].kind == Kind.HOURS
    assert (figures["involvement_payments"].value, figures["involvement_payments"].previous) == (
        Decimal("12.35"), Decimal("99.00"),
    )  # fmt: skip
    assert figures["vouchers"].value == Decimal("20.00")
    assert figures["vouchers"].previous == Decimal("0.00")
    assert figures["expenses"].value == Decimal("11.75")
    # _money's two claims were paid too: 21 May to 2 June (12 days) and to 3 June (13 days).
    # Days 0, 1, 7, 12, 13, 14, 15: median 12; within 14 days: 6 of 7 = 85.7%.
    assert figures["claims_paid_on_time"].value == 85.7
    assert figures["claims_paid_on_time"].previous == 0.0
    assert figures["claims_paid_on_time"].detail == "6 of 7 claims"
    assert figures["median_days_to_pay"].value == 12.0
    assert figures["median_days_to_pay"].higher_is_better is False
    assert figures["payments_declined"].value == 0
    assert figures["payments_declined"].detail == ""  # no "by 0 people"
    assert all(f.kind == Kind.MONEY for f in section.figures[1:4])
    # Partners see hours and how quickly claims are paid: never money, never declines.
    public = section.public_only()
    assert {f.key for f in public.figures} == {
        "involvement_hours",
        "claims_paid_on_time",
        "median_days_to_pay",
    }
    assert [t.key for t in public.tables] == ["hours_by_activity"]
    tables = {t.key: t for t in section.tables}
    by_month = tables["money_by_month"]
    assert by_month.chart == "line" and by_month.kind == Kind.MONEY
    assert by_month.rows == [
        ("April 2026", Decimal("30.00"), Decimal("30.00"), Decimal("0.00"), Decimal("0.00")),
        ("May 2026", Decimal("20.00"), Decimal("0.00"), Decimal("20.00"), Decimal("0.00")),
        ("June 2026", Decimal("-5.90"), Decimal("-17.65"), Decimal("0.00"), Decimal("11.75")),
    ]
    by_activity = {row[0]: row[1:] for row in tables["money_by_activity"].rows}
    assert by_activity["Forum meeting"] == (
        Decimal("4.50"), Decimal("0.00"), Decimal("0.00"), Decimal("4.50"),
    )  # fmt: skip
    assert by_activity["Expenses not for a meeting or opportunity"][0] == Decimal("7.25")
    assert by_activity["Training"] == (Decimal("0.00"),) * 4  # every activity, zeros shown
    assert len(by_activity) == 9  # eight activities and the expenses for none


def test_partners_see_hours_but_no_money_on_the_dashboard(app, client, make_user):
    manager = make_user(roles={Role.MANAGER})
    partner = make_user(roles={Role.PARTNER})
    with app.test_request_context():
        _money([make_user().id, make_user().id])
        db.session.commit()
    url = "/dashboard?start=2026-04-01&end=2026-06-30"
    sign_in(client, manager.username)
    page = client.get(url).get_data(as_text=True)
    assert "Involvement payments made" in page and "£12.35" in page
    assert "Money paid by month" in page and "Payments declined" in page
    other = app.test_client()
    sign_in(other, partner.username)
    page = other.get(url).get_data(as_text=True)
    assert "Hours of involvement" in page and "Expense claims paid within 14 days" in page
    for hidden in ("Involvement payments made", "Shopping vouchers given", "Expenses paid back"):
        assert hidden not in page
    assert "Money paid by" not in page and "Payments declined" not in page
    assert "£" not in page.split('id="section-involvement-and-money"')[1].split("</section>")[0]


def test_without_a_previous_period_nothing_is_compared(people):
    _claims(people)
    section = measures.involvement_and_money_section(Q1, None)
    assert all(f.previous is None for f in section.figures)


def test_the_section_takes_the_same_queries_whatever_the_amount_of_data(people, app):
    def queries() -> int:
        statements = []

        def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            measures.involvement_and_money_section(Q1, Q4)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(
            [s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))]
        )

    _money(people)
    _claims(people)
    few = queries()
    for n in range(30):
        who = people[n % 2]
        record = add_record(who, ["paid", "declined", "voluntary"][n % 3], date(2026, 5, 1 + n), 60)
        add_payment(who, "fee", "15.00", utc(2026, 5, 1 + n % 28, 9), record_id=record.id)
        add_claim(who, utc(2026, 4, 1 + n, 9), utc(2026, 5, 1 + n, 9))
    assert queries() == few == 3 * 2
