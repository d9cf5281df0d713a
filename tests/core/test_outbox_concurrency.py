"""A message is sent at most once, however many deliver it at the same moment: threads that
deliver the same messages, `engage outbox send` running beside them, and twenty managers
approving one claim at once, each message handed to the sender exactly once and no press
answered with an error. On a database of their own (SQLite, or PostgreSQL with
ENGAGE_TEST_DATABASE_URL), committed for real.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from engage import create_app
from engage.core import dates, outbox
from engage.core.links import secret_url
from engage.core.outbox import Kind, Notification
from engage.extensions import db
from engage.payments.claims import services as claim_services
from engage.people import services as people
from engage.people.models import ConsentPurpose, Role, User
from tests.conftest import PASSWORD
from tests.senders import RecordingSender

THREADS = 8
MESSAGES = 40
PRESSES = 20


@pytest.fixture(autouse=True)
def _rollback():
    """Replace the shared rolled-back session (tests/conftest.py): these tests commit."""
    yield


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    base = os.environ.get("ENGAGE_TEST_DATABASE_URL")
    instance = tmp_path_factory.mktemp("outbox-concurrency")
    drop = None
    if base:
        name = f"test_outbox_concurrency_{os.getpid()}"
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
        url = f"sqlite:///{instance / 'outbox.db'}"
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": PRESSES + 5, "max_overflow": 10}
            if base
            else {},
            "SECRET_KEY": "outbox-concurrency-" + "x" * 30,
            "BASE_URL": "http://localhost",
            "EMAIL_SENDER": "tests.senders:RecordingSender",
            "TEXT_SENDER": "tests.senders:RecordingSender",
            "LOGIN_LIMIT_PER_ACCOUNT": "1000 per minute",
            "LOGIN_LIMIT_PER_ADDRESS": "1000 per minute",
        }
    )
    with app.app_context():
        upgrade()
        for username, roles in (("sam", {Role.PEER}), ("priya", {Role.MANAGER})):
            user = people.create_account(
                actor=None,
                username=username,
                roles=roles,
                preferred_name=username.title(),
                email=f"{username}@example.org",
                password=PASSWORD,
            )
            people.give_consent(user, user, ConsentPurpose.CONTACT)
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if drop:
        drop()


@pytest.fixture
def recorder(monkeypatch):
    RecordingSender.sent.clear()
    # A slow sender widens the window in which two deliverers could both send one message.
    monkeypatch.setattr(RecordingSender, "delay", 0.005)
    yield RecordingSender.sent
    RecordingSender.sent.clear()


def _at_once(work, count: int) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait()
            work(n)
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_messages_delivered_by_many_at_once_are_each_sent_once(live_app, recorder):
    with live_app.test_request_context():
        sam = db.session.scalar(sa.select(User).where(User.username == "sam"))
        ids = []
        for n in range(MESSAGES):
            link = secret_url("people.reset_password", token=f"token-{n}-" + "x" * 30)
            note = outbox.queue(
                kind=Kind.ACCOUNT, user=sam, subject=f"Message {n}", body=f"{link}", secrets=[link]
            )
            ids.append(note.id)
        db.session.commit()
        db.session.info.pop("outbox_committed", None)  # delivered by the threads below
        db.session.remove()

    def deliver(n: int) -> None:
        with live_app.app_context():
            if n % 4 == 3:
                outbox.retry_failed()  # `engage outbox send` running at the same moment
            else:
                outbox.deliver(list(reversed(ids)) if n % 2 else ids)
            db.session.remove()

    assert _at_once(deliver, THREADS) == []
    assert Counter(m.id for m in recorder) == {note_id: 1 for note_id in ids}
    assert all(m.body.startswith("http://localhost/password/reset/token-") for m in recorder)
    with live_app.app_context():
        rows = db.session.scalars(sa.select(Notification).where(Notification.id.in_(ids))).all()
        assert {(row.status, row.attempts, row.secret_values) for row in rows} == {
            ("sent", 1, None)
        }
        assert outbox.retry_failed() == 0
    assert len(recorder) == MESSAGES


def test_twenty_approvals_of_one_claim_at_once_send_one_message_and_no_error(live_app, recorder):
    with live_app.test_request_context():
        sam = db.session.scalar(sa.select(User).where(User.username == "sam"))
        claim, _made = claim_services.quick_claim(
            sam,
            sam,
            method="cash",
            kind="bus",
            amount=Decimal("3.40"),
            spent_on=dates.local_today() - timedelta(days=1),
        )
        db.session.commit()
        claim_id = claim.id
        RecordingSender.sent.clear()  # what sending the claim told anyone
    manager = live_app.test_client()
    page = manager.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    manager.post("/login", data={"login": "priya", "password": PASSWORD, "csrf_token": token})
    page = manager.get(f"/claims/{claim_id}").get_data(as_text=True)
    form = {
        "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1),
        "version": re.search(r'name="version"[^>]*value="([^"]+)"', page).group(1),
    }
    cookie = manager.get_cookie("engage")
    statuses: list[int] = []

    def approve(n: int) -> None:
        client = live_app.test_client()
        client.set_cookie(cookie.key, cookie.value)
        statuses.append(client.post(f"/claims/{claim_id}/approve", data=form).status_code)

    assert _at_once(approve, PRESSES) == []
    assert statuses == [303] * PRESSES
    approved = [m for m in recorder if m.subject == "Your expenses claim is approved"]
    assert len(approved) == 1 and approved[0].to_address == "sam@example.org"
    with live_app.app_context():
        rows = db.session.scalars(
            sa.select(Notification).where(Notification.subject == "Your expenses claim is approved")
        ).all()
        assert [row.status for row in rows] == ["sent"]
        assert outbox.retry_failed() == 0
    assert len([m for m in recorder if m.subject == "Your expenses claim is approved"]) == 1
