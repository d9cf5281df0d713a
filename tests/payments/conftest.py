"""Builders for payments tests. Each commits through the services and returns ids, so tests
load fresh rows in their own request or context.

Every payments test runs at ``NOW``: pages say "this week", "this month" and "this tax year",
and records are dated ``DAY``, so the real date must not decide what a test sees.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from PIL import Image

from engage.core import dates
from engage.extensions import db
from engage.payments import bank_details, rate_card
from engage.payments.claims import receipts
from engage.payments.claims import services as claim_services
from engage.payments.models import ExpenseClaim, InvolvementRecord
from engage.payments.time_given import services as time_given
from engage.people.models import Role, User
from tests.conftest import csrf_token, sign_in

#: A date well inside the 2026/27 tax year, for rates and records (a Wednesday).
DAY = date(2026, 6, 10)
#: "Now" for every payments test: noon in the UK on the Friday of DAY's week.
NOW = datetime(2026, 6, 12, 11, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now(clock):
    clock(NOW)


def photo_bytes(size=(40, 30), colour=(200, 120, 40), fmt="JPEG") -> bytes:
    """A small real picture, as a phone would send (JPEG by default)."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def admin(make_user):
    return make_user("ratesadmin", roles={Role.ADMIN, Role.FINANCE})


@pytest.fixture
def manager(make_user):
    """A manager, who approves time and claims."""
    return make_user("boss", roles={Role.MANAGER}, preferred_name="Bea Boss")


def give_bank_details(
    app,
    person,
    account_name: str = "A Person",
    sort_code: str = "123456",
    account_number: str = "87654321",
    roll_number: str = "",
) -> None:
    """Give ``person`` (a User) bank details, as they would themselves."""
    with app.test_request_context():
        user = db.session.get(User, person.id)
        bank_details.set_bank_details(
            user,
            user,
            account_name=account_name,
            sort_code=sort_code,
            account_number=account_number,
            roll_number=roll_number,
        )
        db.session.commit()


def switch_to(client, username: str) -> None:
    """Sign out whoever is signed in, and sign in as ``username``."""
    if client.get("/").status_code == 200:
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert sign_in(client, username).status_code == 303


@pytest.fixture
def make_rate(app, admin):
    """Add a rate to the card: ``make_rate("forum_meeting", "15.00", unit="hour")``."""

    def make(
        activity: str = "forum_meeting",
        amount: str = "15.00",
        unit: str = "hour",
        effective_from: date = date(2026, 4, 6),
        includes_preparation: bool = True,
    ) -> int:
        with app.test_request_context():
            rate = rate_card.add_rate(
                db.session.get(User, admin.id),
                activity=activity,
                unit=unit,
                amount=Decimal(amount),
                includes_preparation=includes_preparation,
                effective_from=effective_from,
            )
            db.session.commit()
            return rate.id

    return make


@pytest.fixture
def make_record(app):
    """Record time given by ``person`` (a User or id) through the service; returns its id."""

    def make(person, activity="forum_meeting", on: date = DAY, minutes=120, **kwargs) -> int:
        with app.test_request_context():
            user = db.session.get(User, getattr(person, "id", person))
            record = time_given.record_involvement(
                None, user, activity=activity, on=on, minutes=minutes, **kwargs
            )
            db.session.commit()
            return record.id

    return make


@pytest.fixture
def make_claim(app):
    """A claim by ``claimant`` with one bus fare; ``send=False`` keeps it as a draft.

    ``state`` moves it on through the real services: "queried", "approved", "rejected".
    ``decider`` (a User) makes those decisions.
    """

    def make(
        claimant,
        amount: str = "4.50",
        kind: str = "bus",
        send: bool = True,
        state: str | None = None,
        decider=None,
        with_receipt: bool = True,
        spent_on: date | None = None,
        method: str = "bank",
    ) -> int:
        with app.test_request_context():
            user = db.session.get(User, getattr(claimant, "id", claimant))
            files = []
            if with_receipt:
                files = [receipts.store(user, user, photo_bytes(), "ticket.jpg")]
            claim, _made = claim_services.quick_claim(
                user,
                user,
                method=method,
                kind=kind,
                spent_on=spent_on or dates.local_today() - timedelta(days=1),
                amount=Decimal(amount),
                reason="Bad knee" if kind == "taxi" else "",
                purpose="Expert Citizen Forum",
                receipts=files,
                send=send,
            )
            if state:
                who = db.session.get(User, decider.id)
                if state == "queried":
                    claim_services.query(who, claim, "Was this a return ticket?")
                elif state in ("approved", "paid"):
                    claim_services.approve(who, claim)
                elif state == "rejected":
                    claim_services.reject(who, claim, "No receipt and no ticket number.")
            db.session.commit()
            return claim.id

    return make


def claim(claim_id: int) -> ExpenseClaim:
    return db.session.get(ExpenseClaim, claim_id)


def record(record_id: int) -> InvolvementRecord:
    return db.session.get(InvolvementRecord, record_id)
