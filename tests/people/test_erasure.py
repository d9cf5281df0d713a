"""Erasure as a service: every domain's part, all or nothing, once, and again after a restore."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from engage.changes.models import Item, Support
from engage.core import domains
from engage.core.audit import AuditEntry
from engage.extensions import db
from engage.forums.models import CalendarFeed, ForumMember, Invitation
from engage.mentoring.models import Application, RoleHeld, SupervisionSession
from engage.opportunities.models import Interest
from engage.payments.models import BankDetails, ExpenseClaim, PaymentItem, Receipt
from engage.people import erasure
from engage.people.models import (
    ConsentRecord,
    EqualityMonitoring,
    Role,
    User,
    UserSession,
)
from engage.surveys.models import Answer, Response, Tally
from tests.conftest import sign_in
from tests.people.erasure_builders import EQUALITY, NOW, build_peer


@pytest.fixture(autouse=True)
def _now(clock):
    clock(NOW)


@pytest.fixture
def erasure_log(app, tmp_path, monkeypatch) -> Path:
    path = tmp_path / "erasure-log.jsonl"
    monkeypatch.setitem(app.config, "ERASURE_LOG", str(path))
    return path


@pytest.fixture
def built(app, make_user, erasure_log):
    made, staff, _supporter = build_peer(app, make_user)
    return made, staff


def _erase(app, person_id: int, actor_id: int | None, reason: str = "They asked") -> bool:
    with app.test_request_context():
        actor = db.session.get(User, actor_id) if actor_id else None
        done = erasure.erase(db.session.get(User, person_id), actor, reason)
        db.session.commit()
        return done


def test_every_domain_does_its_part(app, built, erasure_log):
    made, staff = built
    with app.test_request_context():
        tallies_before = dict(
            db.session.execute(
                select(Tally.dimension, func.sum(Tally.n))
                .where(Tally.round_id == made.round_id)
                .group_by(Tally.dimension)
            ).all()
        )
        answers_before = db.session.scalar(select(func.count(Answer.id)))
    assert _erase(app, made.peer_id, staff.id)
    with app.test_request_context():
        person = db.session.get(User, made.peer_id)
        pid = person.id
        # People: a tombstone with a pseudonymous reference, nothing else.
        assert person.username.startswith("former-")
        assert person.email is None and person.phone is None and person.password_hash is None
        assert not person.is_active and person.role_set == frozenset()
        assert person.profile.preferred_name == "" and person.profile.postal_address == ""
        assert person.profile.other_needs == "" and person.profile.worker_name == ""
        assert (
            db.session.scalar(select(EqualityMonitoring).where(EqualityMonitoring.user_id == pid))
            is None
        )
        consents = db.session.scalars(
            select(ConsentRecord).where(ConsentRecord.user_id == pid)
        ).all()
        assert consents and all(c.withdrawn_at is not None for c in consents)
        sessions = db.session.scalars(select(UserSession).where(UserSession.user_id == pid)).all()
        assert all(s.revoked_at is not None for s in sessions)
        # Forums: left, no invitations to meetings to come, no calendar address.
        assert all(
            m.left_on is not None
            for m in db.session.scalars(select(ForumMember).where(ForumMember.user_id == pid))
        )
        assert db.session.scalar(select(func.count()).where(Invitation.user_id == pid)) == 0
        assert db.session.scalar(select(func.count()).where(CalendarFeed.user_id == pid)) == 0
        # Opportunities: the interest stays, without their words.
        (interest,) = db.session.scalars(select(Interest).where(Interest.user_id == pid)).all()
        assert interest.note == ""
        # Register: the item stays, detached; the support stays with the tombstone.
        item = db.session.get(Item, made.item_id)
        assert item.raised_by_id is None and not item.show_name
        assert db.session.scalar(select(func.count()).where(Support.user_id == pid)) == 1
        # Payments: kept, pseudonymised; bank details and receipts gone.
        assert db.session.scalar(select(BankDetails).where(BankDetails.user_id == pid)) is None
        assert db.session.scalar(select(func.count()).where(Receipt.owner_id == pid)) == 0
        assert db.session.get(ExpenseClaim, made.claim_id).claimant_id == pid
        assert db.session.scalar(select(func.count()).where(PaymentItem.payee_id == pid)) == 1
        # Surveys: answers stay, detached; equality copies gone; totals still add up.
        assert db.session.scalar(select(func.count()).where(Response.user_id == pid)) == 0
        (response,) = db.session.scalars(
            select(Response).where(Response.round_id == made.round_id)
        ).all()
        assert response.gender == "" and response.ethnicity == ""
        assert db.session.scalar(select(func.count(Answer.id))) == answers_before
        tallies_after = dict(
            db.session.execute(
                select(Tally.dimension, func.sum(Tally.n))
                .where(Tally.round_id == made.round_id)
                .group_by(Tally.dimension)
            ).all()
        )
        assert tallies_after == tallies_before
        groups = set(db.session.scalars(select(Tally.group).where(Tally.round_id == made.round_id)))
        assert not groups & set(EQUALITY.values())
        # Peer roles: the application keeps its stage, not who they are.
        application = db.session.get(Application, made.application_id)
        assert application.name == "—" and application.email == "" and application.user_id is None
        assert application.what_draws == ""
        held = db.session.scalars(select(RoleHeld).where(RoleHeld.user_id == pid)).all()
        assert held and all(r.to_date is not None for r in held)
        notes = db.session.scalars(
            select(SupervisionSession.notes).where(SupervisionSession.person_id == pid)
        ).all()
        assert notes == [""]
        # Audited, without the name.
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "person.erased"))
        assert entry.subject_id == pid and entry.actor_id == staff.id
    # The receipt's file went after the commit.
    assert not Path(made.receipt_path).exists()
    # The erasure log: the account number and the time only.
    (line,) = erasure_log.read_text().splitlines()
    assert set(json.loads(line)) == {"user_id", "at"}
    assert json.loads(line)["user_id"] == made.peer_id


def test_a_failing_step_changes_nothing(app, built, monkeypatch):
    made, staff = built

    def broken(person, actor):  # noqa: ANN001
        raise RuntimeError("a domain's step failed")

    monkeypatch.setattr(domains, "_erasure_steps", [*domains._erasure_steps, (500, broken)])
    with app.test_request_context():
        person = db.session.get(User, made.peer_id)
        with pytest.raises(RuntimeError):
            erasure.erase(person, db.session.get(User, staff.id), "They asked")
        # Even if the caller commits afterwards, nothing of the erasure is kept.
        db.session.commit()
    with app.test_request_context():
        person = db.session.get(User, made.peer_id)
        assert person.erased_at is None and person.email is not None
        assert person.profile.preferred_name != ""
        assert db.session.scalar(select(BankDetails).where(BankDetails.user_id == person.id))
        assert db.session.get(Item, made.item_id).raised_by_id == person.id
        assert db.session.scalar(select(func.count()).where(Receipt.owner_id == person.id)) == 1
        assert (
            db.session.scalar(select(AuditEntry).where(AuditEntry.action == "person.erased"))
            is None
        )
    assert Path(made.receipt_path).exists()


def test_a_second_erasure_does_nothing(app, built):
    made, staff = built
    assert _erase(app, made.peer_id, staff.id)
    assert not _erase(app, made.peer_id, staff.id)
    with app.test_request_context():
        assert (
            db.session.scalar(select(func.count()).where(AuditEntry.action == "person.erased")) == 1
        )


def test_nobody_erases_themselves_or_the_last_admin(app, make_user):
    admin = make_user("onlyadmin", roles={Role.ADMIN})
    with app.test_request_context():
        person = db.session.get(User, admin.id)
        with pytest.raises(erasure.ErasureError):
            erasure.erase(person, person, "")
        # A retention rule (no actor) must not remove the last admin either.
        with pytest.raises(erasure.ErasureError):
            erasure.erase(person, None, "")


def test_erasing_signs_them_out_everywhere(app, client, make_user):
    admin = make_user("eraser", roles={Role.ADMIN})
    peer = make_user("leaving", email="leaving@example.org")
    assert sign_in(client, "leaving").status_code == 303
    assert client.get("/me").status_code == 200
    _erase(app, peer.id, admin.id)
    assert client.get("/me").status_code == 302
    assert sign_in(client, "leaving").status_code != 303


def test_a_peer_in_a_run_not_yet_paid_is_not_erased(app, make_user):
    from datetime import timedelta
    from decimal import Decimal

    from engage.core.dates import local_today
    from engage.payments import bank_details
    from engage.payments.claims import services as claims
    from engage.payments.runs import services as runs

    admin = make_user("eraser", roles={Role.ADMIN, Role.MANAGER, Role.FINANCE})
    peer = make_user("waiting")
    with app.test_request_context():
        person = db.session.get(User, peer.id)
        actor = db.session.get(User, admin.id)
        bank_details.set_bank_details(
            person, person, account_name="W", sort_code="111111", account_number="22222222"
        )
        claim, _made = claims.quick_claim(
            person,
            person,
            method="bank",
            kind="bus",
            spent_on=local_today() - timedelta(days=1),
            amount=Decimal("3.00"),
            reason="",
            purpose="Forum",
            receipts=[],
            send=True,
        )
        claims.approve(actor, claim)
        runs.create_run(actor, "waiting-run", [], [claim.id])
        db.session.commit()
        with pytest.raises(erasure.ErasureError):
            erasure.erase(db.session.get(User, peer.id), actor, "")
        db.session.rollback()
        assert db.session.get(User, peer.id).erased_at is None


def test_logged_erasures_are_applied_again_after_a_restore(app, make_user, erasure_log):
    admin = make_user("eraser", roles={Role.ADMIN})
    erased = make_user("gone", email="gone@example.org")
    restored = make_user("restored", email="restored@example.org")
    assert _erase(app, erased.id, admin.id)
    # As if a backup from before "restored" was erased had been restored: the log names them
    # (and an account this database never had), the database does not know.
    with erasure_log.open("a") as log:
        log.write(json.dumps({"user_id": restored.id, "at": NOW.isoformat()}) + "\n")
        log.write(json.dumps({"user_id": 999999, "at": NOW.isoformat()}) + "\n")
        log.write("not json\n")
    with app.test_request_context():
        assert erasure.reapply_logged_erasures() == 1
        db.session.commit()
    with app.test_request_context():
        person = db.session.get(User, restored.id)
        assert person.erased_at is not None and person.email is None
        # Idempotent: a second run finds nothing to do.
        assert erasure.reapply_logged_erasures() == 0
        assert (
            db.session.scalar(
                select(func.count()).where(AuditEntry.action == "person.erased_again")
            )
            == 1
        )


def test_the_erasure_log_defaults_to_the_instance_folder(app):
    with app.test_request_context():
        assert erasure.log_path() == Path(app.instance_path) / "erasure-log.jsonl"


def test_the_reason_is_kept_without_their_name(app, make_user):
    admin = make_user("eraser", roles={Role.ADMIN})
    peer = make_user("mabelx", preferred_name="Mabel Xanthe", email="mabel@example.org")
    _erase(app, peer.id, admin.id, "Mabel Xanthe (mabel@example.org) asked us")
    with app.test_request_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "person.erased"))
        assert "Mabel" not in entry.detail and "mabel@" not in entry.detail
        assert "asked us" in entry.detail


def test_two_erasures_at_once_erase_once(app, make_user):
    """The second of two requests loaded the person before the first committed: it finds
    the erasure already claimed and does nothing (on PostgreSQL it waits for the first)."""
    admin = make_user("eraser", roles={Role.ADMIN})
    peer = make_user("raced")
    with app.test_request_context():
        person = db.session.get(User, peer.id)  # loaded before the other request's erasure
        db.session.execute(
            update(User)
            .where(User.id == peer.id)
            .values(erased_at=NOW)
            .execution_options(synchronize_session=False)
        )
        assert person.erased_at is None
        assert not erasure.erase(person, db.session.get(User, admin.id), "")
        assert person.username == "raced"
        assert (
            db.session.scalar(select(AuditEntry).where(AuditEntry.action == "person.erased"))
            is None
        )


def test_a_place_they_had_goes_to_the_first_person_waiting(app, make_user):
    from datetime import timedelta

    from engage.forums.meetings import schedule
    from engage.forums.membership import create_forum
    from engage.forums.models import Reply
    from engage.forums.replies import reply

    admin = make_user("eraser", roles={Role.ADMIN, Role.MANAGER})
    leaving = make_user("leaving")
    waiting = make_user("waiting")
    with app.test_request_context():
        actor = db.session.get(User, admin.id)
        forum = create_forum(actor, name="Small Forum", purpose="Advise", open_to_all=True)
        (meeting,) = schedule(
            None,
            forum,
            starts_at=NOW + timedelta(days=7),
            duration_minutes=60,
            every_weeks=None,
            count=1,
            capacity=1,
        )
        reply(db.session.get(User, leaving.id), meeting, Reply.YES)
        assert reply(db.session.get(User, waiting.id), meeting, Reply.YES).reply == "waiting"
        db.session.commit()
        meeting_id = meeting.id
    _erase(app, leaving.id, admin.id)
    with app.test_request_context():
        row = db.session.scalar(
            select(Invitation).where(
                Invitation.meeting_id == meeting_id, Invitation.user_id == waiting.id
            )
        )
        assert row.reply == "yes"


def test_their_name_goes_from_other_peoples_words_but_not_from_inside_other_words(app, make_user):
    """A peer called Sam is taken out of messages to others and the reason, as a word of its
    own; "same", "Samira" and "Sampson" in the same text are other people's words and stay."""
    from engage.core.outbox import Notification

    admin = make_user("eraser", roles={Role.ADMIN})
    peer = make_user("sam", preferred_name="Sam")
    with app.test_request_context():
        db.session.add(
            Notification(
                channel="email",
                subject="Sam's lift, same time",
                body="Samira and Sampson: same place tomorrow. Sam (sam) will meet you. SAM.",
                status="sent",
            )
        )
        db.session.commit()
    _erase(app, peer.id, admin.id, "Sam asked, the same day as Samira")
    with app.test_request_context():
        note = db.session.scalar(select(Notification))
        assert note.subject == "[a former member]'s lift, same time"
        assert note.body == (
            "Samira and Sampson: same place tomorrow. [a former member] ([a former member]) "
            "will meet you. [a former member]."
        )
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "person.erased"))
        assert (
            "[a former member] asked, the same day as Samira" in json.loads(entry.detail)["reason"]
        )
