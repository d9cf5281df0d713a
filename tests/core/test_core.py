"""Cross-cutting rails: audit log, security headers, errors, migrations, CLI (the outbox has
test_outbox.py)."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from sqlalchemy import text

from engage import create_app
from engage.cli import production_problems
from engage.core import audit
from engage.core.audit import AuditEntry
from engage.core.security import is_safe_next
from engage.extensions import db


def test_audit_log_is_append_only(ctx):
    entry = audit.record("test.done", actor=None)
    db.session.commit()
    entry.action = "changed"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    # The database refuses it too, underneath the application.
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("UPDATE audit_entry SET action = 'x'"))
    db.session.rollback()


def test_passwords_are_hashed_with_argon2id_at_full_cost():
    """The tests hash with argon2 at its lowest cost to be quick (tests/conftest.py); engage
    itself hashes at OWASP's cost or more (argon2id, 19 MiB, two passes)."""
    from argon2 import Type

    from tests.conftest import PRODUCTION_HASHER

    assert PRODUCTION_HASHER.type is Type.ID
    assert PRODUCTION_HASHER.memory_cost >= 19 * 1024
    assert PRODUCTION_HASHER.time_cost >= 2
    assert PRODUCTION_HASHER.verify(PRODUCTION_HASHER.hash("a long password"), "a long password")


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "HX-Request" in response.headers["Vary"]
    # One inline script only, GOV.UK's first line of the body, let through by its hash.
    scripts = re.findall(r"<script>(.*?)</script>", response.get_data(as_text=True), re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp


def test_session_cookie_flags():
    app = create_app({"ENV": "production", "SECRET_KEY": "x" * 40, "INSTANCE_PATH": "/tmp/p"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/me", True),
        ("//evil.example", False),
        ("https://evil.example", False),
        ("/\\evil.example", False),
        ("javascript:alert(1)", False),
        ("", False),
    ],
)
def test_safe_next(target, safe):
    assert is_safe_next(target) is safe


def test_friendly_error_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_unexpected_errors_show_no_stack_trace(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom-for-test")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internals" not in body and "Traceback" not in body
    assert "Sorry, there is a problem" in body


def test_production_refuses_the_development_key(app):
    with app.app_context():
        app.config["SECRET_KEY"] = "engage-development-secret-key-do-not-use-in-production"
        try:
            assert production_problems(app)
        finally:
            app.config["SECRET_KEY"] = "test-secret-key-that-is-long-enough-for-tests"


def test_models_match_migrations(app):
    """A model change without a migration is caught here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []


def test_audit_entries_record_on_behalf(ctx, make_user):
    from engage.people.models import User

    staff = db.session.get(User, make_user().id)
    peer = db.session.get(User, make_user().id)
    entry = audit.record("profile.viewed", actor=staff, subject=peer)
    assert entry.on_behalf is True
    assert audit.record("x", actor=peer, subject=peer).on_behalf is False
    db.session.flush()
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id))) >= 2


def test_production_app_refuses_the_development_key(tmp_path):
    with pytest.raises(RuntimeError, match="ENGAGE_SECRET_KEY"):
        create_app({"ENV": "production", "INSTANCE_PATH": str(tmp_path)})


def test_ids_too_big_for_the_database_are_not_found(client, signed_in):
    from engage.people.models import Role

    signed_in(Role.MANAGER)
    for url in ("/people/99999999999999999999999", "/register/2147483648", "/claims/2147483648"):
        assert client.get(url).status_code == 404, url


def test_production_answers_only_to_its_own_host_name(tmp_path):
    app = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "x" * 40,
            "INSTANCE_PATH": str(tmp_path),
            "BASE_URL": "https://engage.example.org",
            "TRUSTED_HOSTS": "internal.example.net, .health.example.net",
        }
    )
    client = app.test_client()
    for host in ("engage.example.org", "internal.example.net", "lb.health.example.net"):
        answer = client.get("/login", base_url=f"https://{host}")
        assert answer.status_code == 200, host
    for host in ("evil.example.com", "engage.example.org.evil.com", "example.org"):
        answer = client.get("/login", base_url=f"https://{host}")
        assert answer.status_code == 400, host
        assert host not in answer.get_data(as_text=True)
    reset = client.post("/password/forgot", base_url="https://evil.example.com")
    assert reset.status_code == 400


def test_development_answers_to_any_host_name(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.test_client().get("/healthz", base_url="http://192.168.1.20:5000").status_code in (
        200,
        503,
    )


def test_behind_a_proxy_each_visitor_keeps_their_own_address(tmp_path):
    """With ENGAGE_PROXY_COUNT the forwarded address is the visitor's (sign-in and /join
    limits count it); without, a forwarded header is never believed."""
    from flask import request

    from engage import create_app

    def seen(proxies: int) -> str:
        app = create_app(
            {
                "INSTANCE_PATH": str(tmp_path / str(proxies)),
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/proxy{proxies}.db",
                "SECRET_KEY": "x" * 40,
                "PROXY_COUNT": proxies,
            }
        )
        app.add_url_rule("/_address", "address", lambda: request.remote_addr)
        answer = app.test_client().get(
            "/_address",
            headers={"X-Forwarded-For": "203.0.113.9"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
        )
        return answer.get_data(as_text=True)

    assert seen(1) == "203.0.113.9"
    assert seen(0) == "10.0.0.1"


@pytest.mark.parametrize(
    ("path", "writes"),
    [
        ("/claims/5", True),  # a staff member seeing a claim is audited
        ("/claims/5/receipts/2", True),
        ("/people/3", True),  # someone else's profile: audited
        ("/me", False),  # one's own: nothing to record
        ("/people/3/passport", True),
        ("/me/passport", False),
        ("/payments/runs/1.csv", True),
        ("/", False),
        ("/claims", False),
    ],
)
def test_pages_that_write_when_read_say_so(app, path, writes):
    """On SQLite such a page takes the write lock as it begins (engage.core.db), so it never
    meets "database is locked" after someone else wrote."""
    from engage.core.db import _view_writes

    with app.test_request_context(path):
        assert _view_writes() is writes
