"""Builders for fund tests: a fund with money in, and requests made through the service."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from engage.extensions import db
from engage.fund import services
from engage.fund.models import Fund, FundRequest
from engage.people.models import Role, User

DAY = date(2027, 3, 10)  # a Wednesday


@pytest.fixture
def make_fund(app):
    """A fund holding ``money`` (one contribution), deciding alone up to ``limit``."""

    def make(money: str = "1000.00", limit: str = "100.00") -> int:
        with app.test_request_context():
            fund = services.save_fund(
                None,
                None,
                name="Changing Lives Fund",
                purpose="Practical barriers",
                budget=Decimal("5000"),
                budget_from=None,
                budget_to=None,
                single_approval_limit=Decimal(limit),
            )
            if Decimal(money) > 0:
                services.add_contribution(
                    _user(None) or _admin(),
                    fund,
                    amount=Decimal(money),
                    source="Probation",
                    received_on=date(2027, 1, 5),
                )
            db.session.commit()
            return fund.id

    return make


def _user(user):  # noqa: ANN001, ANN202
    return db.session.get(User, user.id) if user is not None else None


def _admin() -> User:
    from engage.people import services as people

    user = db.session.scalar(db.select(User).where(User.username == "fundadmin"))
    return user or people.create_account(actor=None, username="fundadmin", roles={Role.ADMIN})


@pytest.fixture
def make_request(app):
    """A request to fund ``fund_id`` by ``requester`` for ``amount``, committed; returns its id."""

    def make(fund_id: int, requester, amount: str = "40.00", **values) -> int:  # noqa: ANN001
        with app.test_request_context():
            actor = db.session.get(User, requester.id)
            fund = db.session.get(Fund, fund_id)
            row = services.submit(
                actor,
                fund,
                person=values.pop("person", None),
                person_ref=values.pop("person_ref", "Ref 12"),
                category=values.pop("category", "id"),
                barrier=values.pop("barrier", "Needs a birth certificate to open a bank account"),
                amount=Decimal(amount),
                how_it_helps=values.pop("how_it_helps", "Can get Universal Credit paid in"),
                pay_to=values.pop("pay_to", "supplier"),
                supplier_name=values.pop("supplier_name", "General Register Office"),
                **values,
            )
            db.session.commit()
            return row.id

    return make


def load(request_id: int) -> FundRequest:
    return db.session.get(FundRequest, request_id)


def as_user(user) -> User:  # noqa: ANN001
    return db.session.get(User, user.id)
