"""Retention rules on a pinned clock: each record is kept until its rule's day, and goes the
day after; the admin page says what each rule will do next."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from engage.core import domains
from engage.core.audit import AuditEntry
from engage.core.outbox import Notification
from engage.extensions import db
from engage.mentoring import services as mentoring
from engage.mentoring.models import Application, ContactWay
from engage.payments.claims import receipts
from engage.payments.claims import services as claims
from engage.payments.models import Receipt
from engage.payments.runs import services as runs
from engage.payments.time_given import services as time_given
from engage.people import retention, services
from engage.people.models import Role, User, UserSession
from tests.conftest import csrf_token, sign_in
from tests.payments.conftest import photo_bytes

#: When the records are made (a Tuesday, far from a clock change).
T0 = datetime(2024, 3, 12, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _start(clock, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ERASURE_LOG", str(tmp_path / "erasure-log.jsonl"))
    clock(T0)


def _due(key: str, now: datetime) -> tuple[int, datetime | None]:
    rule = retention.rule(key)
    return rule.due(now, retention.value(rule))


def test_retention_runs_with_engage_tick():
    assert retention.apply_retention in [job.run for job in domains.tick_jobs()]


def test_inactive_peers_are_erased_after_six_years(app, clock, make_user):
    quiet = make_user("quiet")
    busy = make_user("busy")
    make_user("staffer", roles={Role.MANAGER})  # staff accounts are never erased by a rule
    with app.test_request_context():
        # "busy" gave time a year later, so is inactive from then.
        clock(T0 + relativedelta(years=1))
        time_given.record_involvement(
            None,
            db.session.get(User, busy.id),
            activity="forum_meeting",
            on=(T0 + relativedelta(years=1)).date(),
            minutes=60,
        )
        db.session.commit()
    six_years = T0 + relativedelta(years=6)
    with app.test_request_context():
        assert _due("inactive_peers_years", six_years - DAY) == (0, six_years)
        clock(six_years - DAY)
        retention.apply_all(six_years - DAY)
        assert db.session.get(User, quiet.id).erased_at is None
        clock(six_years + DAY)
        due, next_due = _due("inactive_peers_years", six_years + DAY)
        assert due == 1
        assert next_due.date() == (T0 + relativedelta(years=7)).date()
        counts = retention.apply_all(six_years + DAY)
        db.session.commit()
        assert counts["inactive_peers_years"] == 1
        assert db.session.get(User, quiet.id).erased_at is not None
        assert db.session.get(User, busy.id).erased_at is None
        assert db.session.scalar(select(User).where(User.username == "staffer")).erased_at is None
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "retention.applied")
        )
        assert '"inactive_peers_years": 1' in entry.detail
        assert "quiet" not in entry.detail


def test_applications_not_taken_forward_are_anonymised_after_twelve_months(app, clock):
    with app.test_request_context():
        stopped, _made = mentoring.apply(
            role=None, name="Nell Stopped", contact_way=ContactWay.EMAIL, email="nell@example.org"
        )
        stopped.stage = "not_progressed"
        still_going, _made = mentoring.apply(
            role=None, name="Ona Going", contact_way=ContactWay.EMAIL, email="ona@example.org"
        )
        db.session.commit()
        ids = stopped.id, still_going.id
    year = T0 + relativedelta(months=12)
    with app.test_request_context():
        assert _due("applications_months", year - DAY) == (0, year)
        clock(year + DAY)
        assert _due("applications_months", year + DAY)[0] == 1
        assert retention.apply_all(year + DAY)["applications_months"] == 1
        db.session.commit()
        gone, kept = (db.session.get(Application, i) for i in ids)
        assert gone.name == "—" and gone.email == "" and gone.stage == "not_progressed"
        assert kept.name == "Ona Going"
        # Done once: the next run finds nothing.
        assert retention.apply_all(year + 2 * DAY)["applications_months"] == 0


def test_receipts_go_six_years_after_the_claim_was_paid(app, clock, make_user):
    peer = make_user("claimer")
    finance = make_user("payer", roles={Role.MANAGER, Role.FINANCE})
    with app.test_request_context():
        person = db.session.get(User, peer.id)
        actor = db.session.get(User, finance.id)
        receipt = receipts.store(person, person, photo_bytes(), "ticket.jpg")
        path = receipts.path(receipt)
        claim, _made = claims.quick_claim(
            person,
            person,
            method="cash",
            kind="bus",
            spent_on=(T0 - DAY).date(),
            amount=Decimal("2.00"),
            reason="",
            purpose="Forum",
            receipts=[receipt],
            send=True,
        )
        claims.approve(actor, claim)
        run, _made = runs.create_run(actor, "retention-run", [], [claim.id])
        runs.mark_paid(actor, run)
        db.session.commit()
    six_years = T0 + relativedelta(years=6)
    with app.test_request_context():
        assert _due("receipts_years", six_years - DAY) == (0, six_years)
        clock(six_years + DAY)
        # The rule on its own: the claimer, quiet since, would be erased by the first rule.
        assert retention.rule("receipts_years").apply(six_years + DAY, 6) == 1
        assert Path(path).exists()  # not before the commit
        db.session.commit()
        assert not Path(path).exists()
        assert db.session.scalar(select(func.count(Receipt.id))) == 0


def test_sign_in_records_go_after_ninety_days_and_old_messages_after_ninety(app, clock, make_user):
    peer = make_user("signer")
    with app.test_request_context():
        services.start_session(db.session.get(User, peer.id), "Firefox")
        db.session.add_all(
            [
                Notification(channel="email", subject="Sent", body="b", status="sent"),
                Notification(channel="email", subject="Waiting", body="b", status="pending"),
            ]
        )
        db.session.commit()
    ninety = T0 + timedelta(days=90)
    with app.test_request_context():
        assert _due("sessions_days", ninety - DAY) == (0, ninety)
        assert _due("outbox_days", ninety - DAY)[0] == 0
        clock(ninety + DAY)
        counts = retention.apply_all(ninety + DAY)
        db.session.commit()
        assert counts["sessions_days"] == 1 and counts["outbox_days"] == 1
        assert db.session.scalar(select(func.count(UserSession.id))) == 0
        assert list(db.session.scalars(select(Notification.subject))) == ["Waiting"]


def test_settings_have_bounds_and_fall_back_to_the_default(app, make_user):
    admin = make_user("keeper", roles={Role.ADMIN})
    rule = retention.rule("inactive_peers_years")
    with app.test_request_context():
        assert retention.value(rule) == 6
        retention.set_value(db.session.get(User, admin.id), rule, 8)
        assert retention.value(rule) == 8
        with pytest.raises(ValueError):
            retention.set_value(db.session.get(User, admin.id), rule, 0)
        from engage.core import settings

        settings.put(rule.setting, "999")  # out of bounds, e.g. edited by hand
        assert retention.value(rule) == 6


def test_the_admin_page_lists_each_rule_and_what_it_will_do_next(app, client, make_user):
    make_user("keeper", roles={Role.ADMIN})
    make_user("quiet")
    sign_in(client, "keeper")
    page = client.get("/admin/retention").get_data(as_text=True)
    for title in ("Peers who have stopped taking part", "Receipts", "Sign-in records"):
        assert title in page
    assert "12 Mar 2030" in page  # six years after "quiet" was made
    url = "/admin/retention"
    token = csrf_token(client, url)
    values = {r.key: str(r.default) for r in retention.RULES}
    bad = client.post(url, data={**values, "receipts_years": "2", "csrf_token": token})
    assert bad.status_code == 400
    assert "Enter a whole number from 6 to 20" in bad.get_data(as_text=True)
    good = client.post(url, data={**values, "sessions_days": "60", "csrf_token": token})
    assert good.status_code == 303
    with app.test_request_context():
        assert retention.value(retention.rule("sessions_days")) == 60
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "retention.changed")
        )
        assert '"after": 60' in entry.detail


@pytest.mark.parametrize("typed", ["abc", "1e3", "2.5", "-5", "9" * 5000, "30\x00"])
def test_a_setting_that_is_not_a_whole_number_says_what_to_type(app, client, make_user, typed):
    make_user("keeper", roles={Role.ADMIN})
    sign_in(client, "keeper")
    url = "/admin/retention"
    values = {r.key: str(r.default) for r in retention.RULES}
    response = client.post(
        url, data={**values, "sessions_days": typed, "csrf_token": csrf_token(client, url)}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    # Beside the field itself, not only in the summary: an empty message there reads as
    # "Error:" and nothing else.
    message = re.search(r'id="sessions_days-error"[^>]*>(.*?)</p>', page, re.S)
    assert message is not None
    assert "Enter a whole number from 30 to 365" in message.group(1)
    with app.test_request_context():
        assert retention.value(retention.rule("sessions_days")) == 90


def test_an_inactive_peer_who_cannot_be_erased_yet_does_not_stop_the_others(
    app, clock, make_user, monkeypatch
):
    from engage.people import erasure

    first = make_user("first")
    second = make_user("second")
    real_erase = erasure.erase

    def erase(person, actor, reason=""):  # noqa: ANN001
        if person.id == first.id:
            raise erasure.ErasureError("money still to pay them")
        return real_erase(person, actor, reason)

    monkeypatch.setattr(erasure, "erase", erase)
    later = T0 + relativedelta(years=6) + DAY
    clock(later)
    with app.test_request_context():
        assert retention.apply_all(later)["inactive_peers_years"] == 1
        db.session.commit()
        assert db.session.get(User, first.id).erased_at is None
        assert db.session.get(User, second.id).erased_at is not None
