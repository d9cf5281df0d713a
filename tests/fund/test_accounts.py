"""The fund's accounts from SQL aggregates: the same figures as adding up every request by
hand, the latest ledger lines with an exact count, and a query count that does not grow."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from engage.core import dates
from engage.extensions import db
from engage.fund import accounts as fund_accounts
from engage.fund.models import COMMITTED, Category, Contribution, Fund, FundRequest, State
from engage.people.models import Role
from tests.conftest import count_queries, sign_in

#: Requests are sent from here on, over more than a year: months, both sides of the clocks
#: changing, and times near midnight (a different day in London than in UTC).
FIRST = datetime(2026, 1, 1, 9, tzinfo=UTC)


def _seed(app, fund_id: int, requester_id: int, count: int, seed: int) -> None:
    """``count`` requests in every state and kind of thing, with amounts to the penny, and as
    many contributions, all inserted directly (the services would take a month of clicks)."""
    rng = random.Random(seed)
    states = list(State)
    categories = list(Category)
    with app.app_context():
        for n in range(count):
            state = states[n % len(states)]
            sent = FIRST + timedelta(days=rng.randrange(400), minutes=rng.randrange(24 * 60))
            decided = paid = follow_up = None
            helped = None
            if state in (*COMMITTED, State.DECLINED):
                decided = sent + timedelta(days=rng.randrange(6), minutes=rng.randrange(24 * 60))
            if state == State.PAID:
                paid = decided + timedelta(days=rng.randrange(9), minutes=rng.randrange(24 * 60))
                if n % 3:
                    follow_up = paid + timedelta(days=30)
                    helped = (True, False, None)[n % 4 % 3]
            db.session.add(
                FundRequest(
                    fund_id=fund_id,
                    requester_id=requester_id,
                    category=categories[(n * 7 + seed) % len(categories)].value,
                    barrier="In the way",
                    amount=Decimal(rng.randrange(100, 30000)) / 100,
                    how_it_helps="Helps",
                    pay_to="supplier",
                    state=state.value,
                    submitted_at=sent,
                    decided_at=decided,
                    paid_at=paid,
                    follow_up_sent_at=follow_up,
                    helped=helped,
                )
            )
            db.session.add(
                Contribution(
                    fund_id=fund_id,
                    amount=Decimal(rng.randrange(1000, 90000)) / 100,
                    source=f"Giver {seed}-{n}",
                    received_on=date(2026, 1, 1) + timedelta(days=rng.randrange(400)),
                )
            )
        db.session.commit()


def _by_hand(fund: Fund) -> dict:
    """The figures worked out in Python from every request, as the accounts once were."""
    rows = db.session.scalars(db.select(FundRequest).where(FundRequest.fund_id == fund.id)).all()
    committed = [r for r in rows if r.state in COMMITTED]
    categories: dict[str, list] = {}
    for r in committed:
        row = categories.setdefault(r.category, [0, Decimal("0.00")])
        row[0] += 1
        row[1] += r.amount
    months: dict[date, Decimal] = {}
    for r in rows:
        if r.paid_at is not None:
            month = dates.local_date(r.paid_at).replace(day=1)
            months[month] = months.get(month, Decimal("0.00")) + r.amount

    def median(values: list[int]) -> float | None:
        return float(statistics.median(values)) if values else None

    def days(later: datetime, earlier: datetime) -> int:
        return (dates.local_date(later) - dates.local_date(earlier)).days

    return {
        "by_category": [
            (Category(k).label, *categories[k])
            for k in (c.value for c in Category)
            if k in categories
        ],
        "by_month": sorted(months.items()),
        "by_state": [(s, n) for s in State if (n := sum(1 for r in rows if r.state == s.value))],
        "median_days_to_decision": median(
            [days(r.decided_at, r.submitted_at) for r in rows if r.decided_at]
        ),
        "median_days_to_payment": median(
            [days(r.paid_at, r.submitted_at) for r in rows if r.paid_at]
        ),
        "helped": sum(1 for r in rows if r.helped is True),
        "not_helped": sum(1 for r in rows if r.helped is False),
        "asked": sum(1 for r in rows if r.follow_up_sent_at is not None),
        "promised_in_budget_period": sum(
            (
                r.amount
                for r in committed
                if r.decided_at
                and fund.budget_from <= dates.local_date(r.decided_at) <= fund.budget_to
            ),
            Decimal("0.00"),
        ),
    }


def test_the_figures_from_sql_are_those_added_up_by_hand(app, make_user, make_fund, pin_today):
    pin_today(date(2027, 6, 1))  # after every request was paid
    fund_id = make_fund()
    worker = make_user("worker", roles={Role.MANAGER})
    _seed(app, fund_id, worker.id, 300, seed=1)
    with app.test_request_context():
        fund = db.session.get(Fund, fund_id)
        fund.budget_from, fund.budget_to = date(2026, 3, 29), date(2026, 10, 25)  # summer time
        figures = fund_accounts.accounts(fund)
        expected = _by_hand(fund)
        for name, value in expected.items():
            assert getattr(figures, name) == value, name
        assert len(figures.by_month) > 12 and figures.median_days_to_payment is not None
        # Every ledger line: money in, and each request approved or paid.
        paid_or_approved = sum(n for s, n in expected["by_state"] if s in COMMITTED)
        assert figures.ledger_count == len(figures.ledger) == 301 + paid_or_approved
        assert [line.on for line in figures.ledger] == sorted(line.on for line in figures.ledger)
        # The latest 100 are the last 100 of them all.
        latest = fund_accounts.accounts(fund, ledger_limit=100)
        assert latest.ledger == figures.ledger[-100:]
        assert latest.ledger_count == figures.ledger_count


def test_a_median_of_an_even_number_of_requests_is_halfway(app):
    assert fund_accounts._median([(3, 1), (1, 1)]) == 2.0
    assert fund_accounts._median([(5, 2), (1, 1), (9, 1)]) == 5.0
    assert fund_accounts._median([(2, 1), (4, 1), (1, 0)]) == 3.0
    assert fund_accounts._median([]) is None


def test_the_accounts_page_makes_the_same_queries_for_20_and_60_requests(
    app, client, make_user, make_fund, monkeypatch
):
    from engage.fund import routes as fund_routes

    monkeypatch.setattr(fund_routes, "LEDGER_SHOWN", 30)
    fund_id = make_fund()
    worker = make_user("worker", roles={Role.MANAGER})
    make_user("fin", roles={Role.FINANCE})
    sign_in(client, "fin")
    _seed(app, fund_id, worker.id, 20, seed=2)
    client.get("/fund/accounts")  # warm up anything loaded once per process
    small = count_queries(app, client, "/fund/accounts")
    _seed(app, fund_id, worker.id, 40, seed=3)
    assert count_queries(app, client, "/fund/accounts") == small
    with app.app_context():
        lines = fund_accounts.accounts(db.session.get(Fund, fund_id)).ledger_count
    page = client.get("/fund/accounts").get_data(as_text=True)
    assert lines > 60
    assert f"the latest 30 of {lines} lines" in page
