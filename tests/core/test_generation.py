"""The data generation (engage.core.generation): every committed change of the records moves
one counter on, and figures worked out from the records are kept only while it stands still."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from engage import create_app
from engage.core import audit, generation
from engage.core.settings import Setting
from engage.extensions import db
from engage.mentoring.models import PeerRole, RoleHeld
from engage.people.models import Role
from tests.conftest import count_queries, sign_in

TODAY = date(2026, 12, 7)
DASHBOARD = "/dashboard?period=last-12-months"


@pytest.fixture(autouse=True)
def _today(pin_today) -> None:
    pin_today(TODAY)


def test_a_committed_change_moves_the_counter_on(ctx) -> None:
    before = generation.current()
    db.session.add(Setting(key="test.generation", value="1"))
    db.session.commit()
    assert generation.current() == before + 1


def test_a_change_rolled_back_leaves_it_where_it_was(ctx) -> None:
    before = generation.current()
    db.session.add(Setting(key="test.generation", value="1"))
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert generation.current() == before


def test_reading_and_writing_only_the_audit_log_leave_it(ctx) -> None:
    before = generation.current()
    db.session.get(Setting, "anything")
    db.session.commit()
    audit.record("test.read", actor=None)
    db.session.commit()
    assert generation.current() == before


def test_a_bulk_update_moves_it_on(ctx) -> None:
    db.session.add(Setting(key="test.generation", value="1"))
    db.session.commit()
    before = generation.current()
    db.session.execute(update(Setting).where(Setting.key == "test.generation").values(value="2"))
    db.session.commit()
    assert generation.current() == before + 1


def _active_peers(page: str) -> str:
    row = re.search(r'id="figure-active_peers">.*?engage-figure__value">([^<]+)<', page, re.S)
    assert row, "the dashboard shows active peers"
    return row.group(1).strip()


def _peers_holding_a_role(make_user, n: int) -> None:
    role = PeerRole(name=f"Kept role {n}")
    db.session.add(role)
    db.session.flush()
    for _ in range(n):
        person = make_user(roles={Role.PEER})
        db.session.add(RoleHeld(user_id=person.id, role_id=role.id, from_date=date(2026, 1, 1)))
    db.session.commit()


def test_the_dashboard_is_kept_until_a_record_changes(app, client, signed_in, make_user) -> None:
    signed_in(Role.MANAGER)
    first = client.get(DASHBOARD).get_data(as_text=True)
    counted = count_queries(app, client, DASHBOARD)
    generation.forget_kept(app)
    worked_out = count_queries(app, client, DASHBOARD)
    # Kept: the sign-in's own statements and the counter, not the measures' dozens.
    assert counted < worked_out - 20

    with app.test_request_context():
        _peers_holding_a_role(make_user, 2)
    second = client.get(DASHBOARD).get_data(as_text=True)
    assert int(_active_peers(second)) == int(_active_peers(first)) + 2


def test_a_change_made_by_another_worker_is_seen_at_once(app, client, signed_in, make_user):
    """Each worker keeps its own figures; the counter they check is in the database. Here a
    second app on the same database stands for a second gunicorn worker."""
    signed_in(Role.MANAGER)
    first = _active_peers(client.get(DASHBOARD).get_data(as_text=True))
    other = create_app(
        {
            "INSTANCE_PATH": app.instance_path,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "TESTING": True,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "BASE_URL": "http://localhost",
        }
    )
    with other.test_request_context():
        role = PeerRole(name="Another worker's role")
        db.session.add(role)
        db.session.flush()
        holder = make_user(roles={Role.PEER})
        db.session.add(RoleHeld(user_id=holder.id, role_id=role.id, from_date=date(2026, 1, 1)))
        db.session.commit()
    assert "engage.kept_figures" not in other.extensions  # it never counted
    assert int(_active_peers(client.get(DASHBOARD).get_data(as_text=True))) == int(first) + 1


def test_kept_figures_are_counted_again_after_five_minutes(app, client, signed_in, clock):
    signed_in(Role.MANAGER)
    start = clock(datetime(2026, 12, 7, 12, tzinfo=UTC))
    client.get(DASHBOARD)
    assert count_queries(app, client, DASHBOARD) < 20
    clock(start + timedelta(seconds=generation.KEEP_SECONDS + 1))
    assert count_queries(app, client, DASHBOARD) > 20


def test_each_reader_has_their_own_figures(app, client, signed_in, make_user) -> None:
    signed_in(Role.MANAGER)
    whole = client.get(DASHBOARD).get_data(as_text=True)
    assert 'id="figure-checks_expiring"' in whole
    partner = app.test_client()
    sign_in(partner, make_user(roles={Role.PARTNER}).username)
    public = partner.get(DASHBOARD).get_data(as_text=True)
    assert 'id="figure-checks_expiring"' not in public  # staff only, never kept for partners
    assert 'id="figure-checks_expiring"' in client.get(DASHBOARD).get_data(as_text=True)
