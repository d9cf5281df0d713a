"""Twenty approvers press "Approve" at the same moment: the request is approved once, and a
fund with room for one request never pays for two. Real threads and a database of their own
(on PostgreSQL too, where only the fund row's lock stops the second approval)."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from engage import create_app
from engage.extensions import db
from engage.fund import services
from engage.fund.models import FundError, FundEvent, FundRequest, State
from engage.people import services as people
from engage.people.models import Role, User
from tests.servers import scratch_database

THREADS = 20


@pytest.fixture
def _rollback():
    """This test builds its own app and database; leave db.session alone."""
    yield


@pytest.fixture
def site(tmp_path):
    with scratch_database(tmp_path, "test_fund_approvals") as url:
        app = create_app(
            {"INSTANCE_PATH": str(tmp_path / "instance"), "SQLALCHEMY_DATABASE_URI": url}
        )
        with app.app_context():
            upgrade()
            worker = people.create_account(actor=None, username="worker", roles={Role.MANAGER})
            for n in range(THREADS):
                people.create_account(actor=None, username=f"approver{n}", roles={Role.FINANCE})
            fund = services.save_fund(
                None,
                None,
                name="Fund",
                purpose="",
                budget=Decimal("1000"),
                budget_from=None,
                budget_to=None,
                single_approval_limit=Decimal("100"),
            )
            services.add_contribution(
                worker,
                fund,
                amount=Decimal("50.00"),
                source="Probation",
                received_on=date(2027, 1, 1),
            )
            for _n in range(THREADS):
                services.submit(
                    worker,
                    fund,
                    person=None,
                    person_ref="Ref",
                    category="travel",
                    barrier="Train to an appointment",
                    amount=Decimal("30.00"),
                    how_it_helps="Keeps the appointment",
                    pay_to="person",
                )
            db.session.commit()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _run(site, work) -> dict[int, str]:  # noqa: ANN001
    start = threading.Barrier(THREADS, timeout=60)
    outcomes: dict[int, str] = {}

    def one(n: int) -> None:
        with site.test_request_context(method="POST"):
            start.wait()  # before any query: on SQLite a POST's first query takes the lock
            try:
                outcomes[n] = work(n)
                db.session.commit()
            except FundError:
                db.session.rollback()
                outcomes[n] = "refused"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == THREADS
    return outcomes


def _approver(n: int) -> User:
    return db.session.scalar(select(User).where(User.username == f"approver{n}"))


def test_twenty_approvers_at_once_approve_one_request_once(site):
    with site.app_context():
        first = db.session.scalar(select(func.min(FundRequest.id)))

    def approve(n: int) -> str:
        return services.approve(_approver(n), db.session.get(FundRequest, first)).value

    outcomes = _run(site, approve)
    assert set(outcomes.values()) == {State.APPROVED.value}
    with site.app_context():
        approvals = db.session.scalar(
            select(func.count())
            .select_from(FundEvent)
            .where(FundEvent.request_id == first, FundEvent.to == State.APPROVED.value)
        )
        assert approvals == 1
        assert db.session.get(FundRequest, first).state_enum == State.APPROVED


def test_twenty_requests_approved_at_once_never_overspend(site):
    with site.app_context():
        ids = list(db.session.scalars(select(FundRequest.id).order_by(FundRequest.id)))

    def approve(n: int) -> str:
        return services.approve(_approver(n), db.session.get(FundRequest, ids[n])).value

    outcomes = _run(site, approve)
    # £50 in the fund, £30 each: exactly one fits.
    assert sorted(outcomes.values()).count(State.APPROVED.value) == 1
    assert list(outcomes.values()).count("refused") == THREADS - 1
    with site.app_context():
        from engage.fund.models import Fund

        fund = db.session.scalar(select(Fund))
        assert services.balance(fund)["available"] == Decimal("20.00")
