"""The audit log's search and download (issue 13)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from engage.core import audit
from engage.core.audit import AuditEntry
from engage.core.db import clock_at
from engage.extensions import db
from engage.people.models import Role, User
from tests.conftest import count_queries


@pytest.fixture
def log(app, make_user):
    """Two people, one manager, and entries on three days (Europe/London, winter: UTC)."""
    ana = make_user("ana", email="ana@example.org")
    ben = make_user("ben")
    mo = make_user("mo", roles={Role.MANAGER}, email="mo@example.org")
    with app.test_request_context():
        people = {u.username: db.session.get(User, u.id) for u in (ana, ben, mo)}
        entries = [
            (datetime(2026, 1, 5, 10, tzinfo=UTC), "supervision.recorded", "mo", "ana", {}),
            (datetime(2026, 1, 6, 10, tzinfo=UTC), "supervision.signed", "mo", "ben", {}),
            (datetime(2026, 1, 7, 23, 30, tzinfo=UTC), "profile.viewed", "mo", "ana", {}),
            (
                datetime(2026, 1, 7, 9, tzinfo=UTC),
                "profile.changed",
                "ana",
                "ana",
                {"note": '=HYPERLINK("http://evil")'},
            ),
        ]
        for at, action, actor, subject, detail in entries:
            with clock_at(at):
                audit.record(action, actor=people[actor], subject=people[subject], **detail)
                db.session.flush()  # the time is set when the row is written
        db.session.commit()
    return people


def page(client, query: str = "") -> str:
    response = client.get("/admin/audit" + query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def actions_shown(html: str) -> list[str]:
    known = ["supervision.recorded", "supervision.signed", "profile.viewed", "profile.changed"]
    body = html.split("<tbody", 1)[1] if "<tbody" in html else ""
    return [a for a in known if f">{a}" in body]


def test_filter_by_person_username_or_email(client, signed_in, log):
    signed_in(Role.ADMIN)
    assert actions_shown(page(client, "?person=ana")) == [
        "supervision.recorded",
        "profile.viewed",
        "profile.changed",
    ]
    assert actions_shown(page(client, "?person=ANA@example.org")) == actions_shown(
        page(client, "?person=ana")
    )
    assert actions_shown(page(client, "?person=ben")) == ["supervision.signed"]
    assert "Nothing matches this search" in page(client, "?person=nobody")


def test_filter_by_actor(client, signed_in, log):
    signed_in(Role.ADMIN)
    assert actions_shown(page(client, "?actor=ana")) == ["profile.changed"]
    assert len(actions_shown(page(client, "?actor=mo@example.org"))) == 3


def test_filter_by_action_exact_or_prefix(client, signed_in, log):
    signed_in(Role.ADMIN)
    assert actions_shown(page(client, "?action=supervision.signed")) == ["supervision.signed"]
    assert actions_shown(page(client, "?action=supervision.")) == [
        "supervision.recorded",
        "supervision.signed",
    ]
    # "supervision" without the dot is an exact action, which nobody used.
    assert actions_shown(page(client, "?action=supervision")) == []
    html = page(client)
    assert '<option value="supervision.">' in html
    assert '<option value="profile.viewed">' in html


def test_filter_by_the_partnerships_days(client, signed_in, log, app):
    signed_in(Role.ADMIN)
    assert actions_shown(page(client, "?from=2026-01-06&to=2026-01-06")) == ["supervision.signed"]
    assert actions_shown(page(client, "?from=2026-01-07")) == ["profile.viewed", "profile.changed"]
    assert actions_shown(page(client, "?to=2026-01-05")) == ["supervision.recorded"]


def test_filters_combine(client, signed_in, log):
    signed_in(Role.ADMIN)
    query = "?person=ana&actor=mo&action=supervision.&from=2026-01-01&to=2026-01-31"
    assert actions_shown(page(client, query)) == ["supervision.recorded"]
    assert actions_shown(page(client, "?person=ana&actor=ana")) == ["profile.changed"]


@pytest.mark.parametrize(
    "query, message",
    [
        ("?from=2026-01-07&to=2026-01-05", "same as or after the first day"),
        ("?from=yesterday", "Enter a real date"),
        ("?to=2026-02-30", "Enter a real date"),
        ("?from=99999-01-01", "Enter a real date"),
        ("?from=0001-01-01", "Enter a real date"),
        ("?action=%27;DROP%20TABLE", "Choose an action from the list"),
        ("?person=" + "a" * 300, "too long"),
    ],
)
def test_garbage_is_refused_kindly(client, signed_in, log, query, message):
    signed_in(Role.ADMIN)
    html = page(client, query)
    assert message in html


def test_odd_input_is_never_a_server_error(client, signed_in, log):
    signed_in(Role.ADMIN)
    for query in [
        "?person=%00",
        "?action=%25",
        "?from[]=1",
        "?page=-1&to=%ff",
        "?action=_.",
        "?endpoint=x&_scheme=javascript&from=bad",
    ]:
        assert client.get("/admin/audit" + query).status_code == 200
        assert client.get("/admin/audit.csv" + query).status_code in (200, 303)


def test_paging_keeps_the_filters(client, signed_in, log, app):
    signed_in(Role.ADMIN)
    with app.test_request_context():
        ben = db.session.scalar(db.select(User).where(User.username == "ben"))
        for _ in range(60):
            audit.record("profile.viewed", actor=None, subject=ben)
        db.session.commit()
    html = page(client, "?person=ben&action=profile.viewed")
    assert "Page 1 of 2" in html
    assert "person=ben" in html.split('rel="next"')[0].rsplit("href=", 1)[1]


def test_the_search_runs_a_bounded_number_of_queries(app, client, signed_in, log):
    signed_in(Role.ADMIN)
    few = count_queries(app, client, "/admin/audit?person=ana")
    with app.test_request_context():
        ana = db.session.scalar(db.select(User).where(User.username == "ana"))
        mo = db.session.scalar(db.select(User).where(User.username == "mo"))
        for _ in range(30):
            audit.record("profile.viewed", actor=mo, subject=ana)
        db.session.commit()
    assert count_queries(app, client, "/admin/audit?person=ana") == few


def read_csv(response) -> list[list[str]]:
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_download_has_the_same_filters_and_is_formula_safe(client, signed_in, log):
    signed_in(Role.ADMIN)
    html = page(client, "?person=ana&action=profile.")
    assert "/admin/audit.csv?person=ana&amp;action=profile." in html
    rows = read_csv(client.get("/admin/audit.csv?person=ana&action=profile."))
    assert rows[0] == ["When (UTC)", "Who", "What", "On behalf", "Whose data"]
    body = rows[1:]
    assert [r[2] for r in body] == ["profile.changed", "profile.viewed"]  # newest written first
    assert body[1][0] == "2026-01-07 23:30:00"
    assert body[0][1] == "ana" and body[1][1] == "mo" and body[1][4] == "ana"
    assert "HYPERLINK" not in str(rows)  # an entry's detail stays in the log
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in body for cell in row)


def test_formula_looking_text_is_neutralised(client, signed_in, app, make_user):
    evil = make_user("evil", email="evil@example.org")
    with app.test_request_context():
        audit.record("=cmd|' /C calc'!A0", actor=db.session.get(User, evil.id))
        db.session.commit()
    signed_in(Role.ADMIN)
    rows = read_csv(client.get("/admin/audit.csv?actor=evil"))
    assert rows[1][2] == "'=cmd|' /C calc'!A0"


def test_the_download_is_audited_with_its_filters(client, signed_in, log, app):
    admin = signed_in(Role.ADMIN)
    client.get("/admin/audit.csv?person=ana&from=2026-01-06&to=2026-01-31")
    with app.app_context():
        entry = db.session.scalar(
            db.select(AuditEntry).where(AuditEntry.action == "audit.exported")
        )
        assert entry.actor_id == admin.id
        filters = {"person": "ana", "from": "2026-01-06", "to": "2026-01-31"}
        assert entry.detail_dict["filters"] == filters
        assert entry.detail_dict["rows"] == 2


def test_a_download_with_bad_filters_goes_back_to_the_search(client, signed_in, log, app):
    signed_in(Role.ADMIN)
    response = client.get("/admin/audit.csv?from=2026-01-07&to=2026-01-01")
    assert response.status_code in (302, 303)
    assert "/admin/audit?" in response.headers["Location"]
    with app.app_context():
        assert not db.session.scalar(
            db.select(AuditEntry).where(AuditEntry.action == "audit.exported")
        )


@pytest.mark.parametrize("role", [Role.PEER, Role.MANAGER, Role.FINANCE, Role.PARTNER, Role.BOARD])
def test_only_admins_search_or_download(client, signed_in, log, role):
    signed_in(role)
    assert client.get("/admin/audit?person=ana").status_code in (403, 404)
    assert client.get("/admin/audit.csv?person=ana").status_code in (403, 404)


def test_signed_out_people_are_sent_to_sign_in(client, log):
    assert client.get("/admin/audit.csv").status_code in (302, 303)


def test_a_download_is_bounded(client, signed_in, log, app, monkeypatch):
    from engage.admin import audit_search

    monkeypatch.setattr(audit_search, "EXPORT_LIMIT", 2)
    signed_in(Role.ADMIN)
    rows = read_csv(client.get("/admin/audit.csv?actor=mo"))
    assert len(rows) == 1 + 2
    with app.app_context():
        entry = db.session.scalar(
            db.select(AuditEntry).where(AuditEntry.action == "audit.exported")
        )
        assert entry.detail_dict["rows"] == 2 and entry.detail_dict["limited"] is True
