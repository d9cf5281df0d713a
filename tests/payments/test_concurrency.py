"""Twenty people pressing at once: the same claim form sent 20 times, a draft sent 20 times,
and the same payment run made 20 times, all at the same moment, through the real pages, on a
database of their own (SQLite, or PostgreSQL with ENGAGE_TEST_DATABASE_URL). Each gives exactly
one result, and every press gets a normal answer.

These tests commit for real, so they use their own app and database, not the rolled-back
session the other tests share.
"""

from __future__ import annotations

import os
import re
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from engage import create_app
from engage.core import dates
from engage.extensions import db
from engage.payments import claim_services
from engage.payments.models import ClaimState, ExpenseClaim, PaymentEvent, PaymentItem, PaymentRun
from engage.people import services as people
from engage.people.models import Role, User
from tests.conftest import PASSWORD

ATTEMPTS = 20


@pytest.fixture(autouse=True)
def _rollback():
    """Replace the shared rolled-back session (tests/conftest.py): these tests commit."""
    yield


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    base = os.environ.get("ENGAGE_TEST_DATABASE_URL")
    instance = tmp_path_factory.mktemp("concurrency")
    drop = None
    if base:
        name = f"test_concurrency_{os.getpid()}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)

        def drop():
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        url = f"sqlite:///{instance / 'concurrency.db'}"
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": ATTEMPTS + 5, "max_overflow": 10}
            if base
            else {},
            "SECRET_KEY": "concurrency-tests-" + "x" * 30,
            "LOGIN_LIMIT_PER_ACCOUNT": "1000 per minute",
            "LOGIN_LIMIT_PER_ADDRESS": "1000 per minute",
        }
    )
    with app.app_context():
        upgrade()
        for username, roles in (
            ("sam", {Role.PEER}),
            ("priya", {Role.MANAGER}),
            ("mo", {Role.FINANCE}),
        ):
            user = people.create_account(
                actor=None,
                username=username,
                roles=roles,
                preferred_name=username.title(),
                password=PASSWORD,
            )
            user.profile.payment_preference = "bank"
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if drop:
        drop()


def _signed_in(app, username: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"login": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    return client


def _copies(app, client):
    """ATTEMPTS test clients sharing ``client``'s signed-in session and form token, like one
    person's many clicks (taken after the form page was read, which sets the token)."""
    cookie = client.get_cookie("engage")
    clients = []
    for _ in range(ATTEMPTS):
        copy = app.test_client()
        copy.set_cookie(cookie.key, cookie.value)
        clients.append(copy)
    return clients


def _all_at_once(clients, url: str, data: dict) -> list[int]:
    """POST ``data`` to ``url`` from every client at the same moment; returns the statuses."""
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def press(client):
        try:
            barrier.wait()
            statuses.append(client.post(url, data=dict(data)).status_code)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=press, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return statuses


def _hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)


def test_the_same_claim_sent_20_times_at_once_makes_one(live_app):
    first = _signed_in(live_app, "sam")
    page = first.get("/claims/new").get_data(as_text=True)
    clients = _copies(live_app, first)
    data = {
        "csrf_token": _hidden(page, "csrf_token"),
        "submission_key": _hidden(page, "submission_key"),
        "kind": "bus",
        "when": "today",
        "amount": "3.20",
        "method": "bank",
        "send": "Send claim",
    }
    statuses = _all_at_once(clients, "/claims/new", data)
    assert statuses == [303] * ATTEMPTS
    with live_app.app_context():
        claims = db.session.scalars(
            sa.select(ExpenseClaim).where(ExpenseClaim.submission_key == data["submission_key"])
        ).all()
        assert len(claims) == 1
        assert len(claims[0].lines) == 1 and claims[0].total == Decimal("3.20")
        sent = db.session.scalars(
            sa.select(PaymentEvent).where(
                PaymentEvent.claim_id == claims[0].id, PaymentEvent.to_state == "submitted"
            )
        ).all()
        assert len(sent) == 1


def test_a_draft_sent_20_times_at_once_is_sent_once(live_app):
    with live_app.test_request_context():
        sam = db.session.scalar(sa.select(User).where(User.username == "sam"))
        draft, _made = claim_services.quick_claim(
            sam,
            sam,
            method="bank",
            kind="train",
            amount=Decimal("8.00"),
            spent_on=dates.local_today() - timedelta(days=2),
            send=False,
        )
        db.session.commit()
        claim_id = draft.id
    first = _signed_in(live_app, "sam")
    page = first.get(f"/claims/{claim_id}").get_data(as_text=True)
    clients = _copies(live_app, first)
    statuses = _all_at_once(
        clients, f"/claims/{claim_id}/submit", {"csrf_token": _hidden(page, "csrf_token")}
    )
    assert statuses == [303] * ATTEMPTS
    with live_app.app_context():
        assert db.session.get(ExpenseClaim, claim_id).state == ClaimState.SUBMITTED.value
        sent = db.session.scalars(
            sa.select(PaymentEvent).where(
                PaymentEvent.claim_id == claim_id, PaymentEvent.to_state == "submitted"
            )
        ).all()
        assert len(sent) == 1


def test_the_same_payment_run_made_20_times_at_once_is_made_once(live_app):
    with live_app.test_request_context():
        sam = db.session.scalar(sa.select(User).where(User.username == "sam"))
        priya = db.session.scalar(sa.select(User).where(User.username == "priya"))
        made = []
        for amount in ("2.50", "7.25", "11.00"):
            claim, _new = claim_services.quick_claim(
                sam,
                sam,
                method="bank",
                kind="bus",
                amount=Decimal(amount),
                spent_on=dates.local_today() - timedelta(days=1),
            )
            claim_services.approve(priya, claim)
            made.append(claim.id)
        db.session.commit()
    first = _signed_in(live_app, "mo")
    page = first.get("/payments/runs/new").get_data(as_text=True)
    clients = _copies(live_app, first)
    data = {
        "csrf_token": _hidden(page, "csrf_token"),
        "key": _hidden(page, "key"),
        "items": [f"claim:{claim_id}" for claim_id in made],
    }

    barrier = threading.Barrier(ATTEMPTS)
    statuses: list[int] = []

    def press(client):
        barrier.wait()
        statuses.append(client.post("/payments/runs/new", data=data).status_code)

    threads = [threading.Thread(target=press, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [303] * ATTEMPTS
    with live_app.app_context():
        runs = db.session.scalars(sa.select(PaymentRun).where(PaymentRun.key == data["key"])).all()
        assert len(runs) == 1
        items = db.session.scalars(
            sa.select(PaymentItem).where(PaymentItem.claim_id.in_(made))
        ).all()
        assert len(items) == 3 and {i.run_id for i in items} == {runs[0].id}
        assert runs[0].total == Decimal("20.75")
