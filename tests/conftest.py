"""Shared fixtures. Every test runs inside a transaction that is rolled back at the end, on
SQLite by default or on PostgreSQL when ``ENGAGE_TEST_DATABASE_URL`` is set.

The schema is built by running the real migrations, so a model change without a migration
fails here.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import event, text
from sqlalchemy.orm import scoped_session, sessionmaker

from engage import create_app
from engage.core import generation, security
from engage.core.db import clock_at
from engage.core.security import hash_password
from engage.extensions import db, limiter
from engage.people import services
from engage.people.models import ConsentPurpose, Role, User
from tests.senders import RecordingSender

TEST_DATABASE_URL = os.environ.get("ENGAGE_TEST_DATABASE_URL")
PASSWORD = "correct horse battery"

#: engage's own argon2 settings, as production hashes passwords (tests/core/test_core.py
#: checks them), and argon2 at its lowest cost for the tests in this process.
PRODUCTION_HASHER = security._hasher
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_FAST_DUMMY_HASH = FAST_HASHER.hash("engage-no-such-account")


def reset_postgres_schema(app: Flask) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    url = TEST_DATABASE_URL or f"sqlite:///{instance / 'test.db'}"
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
            "BASE_URL": "http://localhost",
        }
    )
    with app.app_context():
        if url.startswith("postgresql"):
            reset_postgres_schema(app)
        upgrade()
        db.session.remove()
        db.engine.dispose()
    yield app


@pytest.fixture(autouse=True)
def _rollback(app: Flask) -> Iterator[None]:
    """Bind every session of this test to one outer transaction, rolled back afterwards.

    Each request still gets its own session (scoped to its app context) and its commits
    become savepoints, so the code under test commits exactly as it does in production.
    It swaps the shared ``db.session``: tests that run a live server in another thread
    (tests/browser) override this fixture with one that does nothing.
    """
    with app.app_context():
        # A reader's BEGIN: holding SQLite's write lock for the whole test would shut out the
        # few tests that open connections of their own.
        connection = db.engine.connect().execution_options(sqlite_begin="DEFERRED")
        transaction = connection.begin()
    original = db.session
    db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
        scopefunc=_app_ctx_id,
    )
    limiter.reset()
    # Kept figures belong to the data of the test that kept them, which is rolled back (and
    # the data generation they were kept at with it).
    generation.forget_kept(app)
    app.extensions.pop("engage.kept_pdfs", None)
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
        db.session = original
        transaction.rollback()
        connection.close()


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash and check passwords in this process with argon2 at its lowest cost.

    argon2 is slow on purpose (about a second on a busy machine), and most tests sign in at
    least once. Each hash carries its own settings, so signing in, wrong passwords and
    unknown accounts work exactly as they do in production, only cheaper. Servers the tests
    start in processes of their own (tests/servers.py, tests/browser) keep the real cost.
    """
    monkeypatch.setattr(security, "_hasher", FAST_HASHER)
    monkeypatch.setattr(security, "_DUMMY_HASH", _FAST_DUMMY_HASH)


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context for model and service tests that do not make requests."""
    with app.test_request_context():
        yield


@pytest.fixture
def clock(app: Flask):
    """Pin engage's clock to one instant: ``clock(datetime(2027, 3, 1, 12, tzinfo=UTC))``;
    call it again to move the clock.

    A test that needs "now" (a form that refuses past dates, a page that splits past from
    future) pins it, so it proves the same thing on every day it runs. Every "now" in engage is
    ``engage.core.db.utcnow`` (column defaults such as ``created_at`` included) and every
    "today" is ``engage.core.dates.local_today``, which reads it: ``clock_at`` moves both.
    """
    with ExitStack() as pins:

        def pin(instant: datetime) -> datetime:
            assert instant.tzinfo is not None, "pin an aware instant"
            pins.enter_context(clock_at(instant))
            return instant

        yield pin


@pytest.fixture
def pin_today(app: Flask, clock):
    """Make the partnership's "today" a fixed day for this test, at noon there:
    ``pin_today(date(...))``."""

    def pin(day: date) -> date:
        zone = ZoneInfo(app.config["DEFAULT_TIMEZONE"])
        clock(datetime.combine(day, time(12), tzinfo=zone))
        return day

    return pin


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def make_user(app: Flask):
    """Build and commit a user; returns it detached with its columns loaded."""
    counter = iter(range(1, 10_000))

    def make(
        username: str | None = None,
        roles: set[Role] | None = None,
        password: str | None = PASSWORD,
        email: str | None = None,
        contact_consent: bool = True,
        **profile: object,
    ) -> User:
        """``contact_consent``: a peer has agreed to be contacted about forums, meetings and
        chances to get involved (without it the outbox holds their invitations back)."""
        with app.test_request_context():
            username = username or f"person{next(counter)}"
            user = services.create_account(
                actor=None,
                username=username,
                roles=roles or {Role.PEER},
                preferred_name=str(profile.pop("preferred_name", username.title())),
                email=email,
                password=None if password == PASSWORD else password,
            )
            if password == PASSWORD:
                # Hash the shared test password once per run.
                user.password_hash = _password_hash()
            for name, value in profile.items():
                setattr(user.profile if hasattr(user.profile, name) else user, name, value)
            if contact_consent and Role.PEER in user.role_set:
                services.give_consent(user, user, ConsentPurpose.CONTACT)
            db.session.commit()
            user = db.session.get(User, user.id)
            _ = user.profile, user.roles
            db.session.refresh(user)
            _ = user.profile, user.roles
            db.session.expunge(user)
            return user

    return make


@pytest.fixture
def sent_messages(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list:
    """Send every e-mail and text through a recording sender; returns what it was handed
    (:class:`engage.core.outbox.Message`, secrets merged in, as the recipient reads it)."""
    monkeypatch.setitem(app.config, "EMAIL_SENDER", "tests.senders:RecordingSender")
    monkeypatch.setitem(app.config, "TEXT_SENDER", "tests.senders:RecordingSender")
    RecordingSender.sent.clear()
    yield RecordingSender.sent
    RecordingSender.sent.clear()


@pytest.fixture
def quiet_peers(app: Flask, make_user) -> dict[str, User]:
    """Three peers with e-mail: "agreed" to be contacted, "withdrawn" (agreed, then withdrew
    consent to contact) and "paused" (agreed, then paused their involvement)."""

    made = {
        name: make_user(name, email=f"{name}@example.org", preferred_name=name.title())
        for name in ("agreed", "withdrawn", "paused")
    }
    with app.test_request_context():
        withdrawn = db.session.get(User, made["withdrawn"].id)
        services.withdraw_consent(withdrawn, withdrawn, ConsentPurpose.CONTACT)
        paused = db.session.get(User, made["paused"].id)
        services.set_paused(paused, paused, True)
        db.session.commit()
    return made


def outbox_statuses(subject_start: str) -> dict[str, str]:
    """Username -> status of the messages whose subject starts with ``subject_start`` (inside
    an app context)."""
    from engage.core.outbox import Notification

    rows = db.session.execute(
        db.select(User.username, Notification.status)
        .join(User, User.id == Notification.user_id)
        .where(Notification.subject.startswith(subject_start))
    ).all()
    return dict(rows)


def csrf_token(client: FlaskClient, url: str = "/login") -> str:
    """The CSRF token from a form page, as a browser would send it back."""
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, "no CSRF token on " + url
    return match.group(1)


def sign_in(client: FlaskClient, login: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token})


def post(client: FlaskClient, url: str, data: dict | None = None, form_url: str | None = None):
    """POST like a browser: fetch the form page first for its CSRF token."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, form_url or url))
    return client.post(url, data=data)


def confirm_it_is_you(client: FlaskClient, password: str = PASSWORD, code: str | None = None):
    """Type the password (and code) again at /confirm-it-is-you, as before changing bank
    details, an email address or a password, or downloading a payment run."""
    data = {"password": password, "next": "/me"}
    if code is not None:
        data["code"] = code
    return post(client, "/confirm-it-is-you", data)


@pytest.fixture
def confirmed(client: FlaskClient):
    """``confirmed()``: the signed-in test client has just confirmed it is them."""

    def confirm(password: str = PASSWORD, code: str | None = None, on=None):  # noqa: ANN001
        response = confirm_it_is_you(on or client, password, code)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return response

    return confirm


@pytest.fixture
def signed_in(client: FlaskClient, make_user):
    """Sign in as a new user with the given roles: ``signed_in(Role.MANAGER)``."""

    def login_as(*roles: Role, **kwargs: object) -> User:
        user = make_user(roles=set(roles) or {Role.PEER}, **kwargs)
        response = sign_in(client, user.username)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return user

    return login_as


def count_queries(app: Flask, client: FlaskClient, url: str) -> int:
    """How many SQL statements a GET of ``url`` runs (savepoint bookkeeping not counted)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    transaction_control = ("SAVEPOINT", "RELEASE", "ROLLBACK")
    return len([s for s in statements if not s.lstrip().upper().startswith(transaction_control)])
