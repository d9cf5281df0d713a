"""Applying, moving on, the kind message, becoming active, checks and renewal warnings, and
what recruitment counts, through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engage.core.audit import AuditEntry
from engage.core.outbox import Notification
from engage.extensions import db
from engage.mentoring import checks, measures, services
from engage.mentoring.models import (
    Application,
    ApplicationMessage,
    CheckLevel,
    ContactWay,
    DbsOutcome,
    DbsRenewalWarning,
    MentoringError,
    PeerRole,
    RoleHeld,
    Stage,
)
from engage.people.models import ConsentPurpose, Invitation, Role, User
from tests.mentoring.conftest import GOING_AHEAD, TO_TRAINING, TODAY, day


def _messages(application_id: int) -> list[Notification]:
    return list(
        db.session.scalars(
            db.select(Notification)
            .join(ApplicationMessage, ApplicationMessage.notification_id == Notification.id)
            .where(ApplicationMessage.application_id == application_id)
            .order_by(Notification.id)
        )
    )


# Applying --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("way", "details", "channel", "address", "status"),
    [
        ("email", {"email": "Ann@Example.org"}, "email", "ann@example.org", "pending"),
        ("text", {"phone": "07700 900123"}, "text", "07700 900123", "pending"),
        ("phone", {"phone": "07700 900123"}, "text", "07700 900123", "pending"),
        ("post", {"postal_address": "1 High St"}, "email", "", "undeliverable"),
        (
            "worker",
            {"worker_name": "Rae", "worker_contact": "0117 000"},
            "email",
            "",
            "undeliverable",
        ),
    ],
)
def test_the_confirmation_goes_the_way_they_chose(
    app, make_application, way, details, channel, address, status
):
    # Details for other ways are dropped: only what the chosen way needs is kept.
    everything = {"email": "x@example.org", "phone": "0700 000000", "postal_address": "Elsewhere"}
    application_id = make_application(contact_way=ContactWay(way), **(everything | details))
    with app.app_context():
        application = db.session.get(Application, application_id)
        kept = {
            name: getattr(application, name)
            for name in ("email", "phone", "postal_address", "worker_name")
            if getattr(application, name)
        }
        assert kept == {
            k: v.lower() if k == "email" else v for k, v in details.items() if k != "worker_contact"
        }
        (note,) = _messages(application_id)
        assert (note.channel, note.to_address, note.status) == (channel, address, status)
        assert note.kind == "update" and note.user_id is None
        assert "within 10 working days" in note.body and "Tomasz" in note.body
        assert [m.to_stage for m in application.moves] == ["applied"]


def test_the_confirmation_is_in_the_language_they_used(app, make_application):
    application_id = make_application(locale="pl")
    with app.app_context():
        (note,) = _messages(application_id)
        assert "Dziękujemy" in note.subject or "Dziękujemy" in note.body, note.body


def test_a_submission_key_makes_one_application(app, roles):
    with app.test_request_context():
        role = db.session.get(PeerRole, roles["champion"])
        first, made = services.apply(
            role=role,
            name="Ann",
            contact_way=ContactWay.TEXT,
            phone="07700 900 111",
            submission_key="k" * 32,
        )
        again, made_again = services.apply(
            role=role,
            name="Ann",
            contact_way=ContactWay.TEXT,
            phone="07700 900 111",
            submission_key="k" * 32,
        )
        assert made and not made_again and again.id == first.id
        assert db.session.scalar(db.select(db.func.count(Application.id))) == 1
        assert len(_messages(first.id)) == 1


def test_a_closed_role_takes_no_applications(app, roles):
    with app.test_request_context(), pytest.raises(MentoringError, match="not open"):
        services.apply(
            role=db.session.get(PeerRole, roles["closed"]),
            name="Ann",
            contact_way=ContactWay.EMAIL,
            email="ann@example.org",
        )


# Moving on -------------------------------------------------------------------------------


def test_every_move_records_who_when_and_why(app, manager, make_application, move_along):
    application_id = make_application("mentor")
    move_along(application_id, *TO_TRAINING)
    with app.app_context():
        application = db.session.get(Application, application_id)
        moves = application.moves
        assert [m.to_stage for m in moves] == ["applied", *[s.value for s in TO_TRAINING]]
        assert [m.actor_id for m in moves] == [None] + [manager.id] * len(TO_TRAINING)
        assert all(m.at is not None for m in moves)
        assert all(m.reason == "Testing the reasons" for m in moves[1:])
        actions = db.session.scalars(
            db.select(AuditEntry.action).where(AuditEntry.action == "application.moved")
        ).all()
        assert len(actions) == len(TO_TRAINING)


def test_not_progressed_sends_a_kind_message_without_the_reason(app, manager, make_application):
    application_id = make_application(
        locale="pl", contact_way=ContactWay.TEXT, phone="07700 900 222"
    )
    with app.test_request_context():
        actor = db.session.get(User, manager.id)
        application = db.session.get(Application, application_id)
        services.move(
            actor,
            application,
            Stage.NOT_PROGRESSED,
            reason="Internal: too soon after their move",
            note_to_person="Mamy nadzieję, że zobaczymy cię na forum.",
        )
        db.session.commit()
        confirmation, kind = _messages(application_id)
        assert kind.channel == "text" and kind.to_address == "07700 900 222"
        assert kind.kind == "update"
        assert "Internal" not in kind.body  # the reason stays with the record
        assert "Mamy nadzieję" in kind.body
        assert "Dziękujemy" in kind.body  # in Polish, the language they applied in
        assert application.moves[-1].reason == "Internal: too soon after their move"


def test_withdrawn_needs_a_reason_and_sends_nothing(app, manager, make_application):
    application_id = make_application()
    with app.test_request_context():
        actor = db.session.get(User, manager.id)
        application = db.session.get(Application, application_id)
        with pytest.raises(MentoringError):
            services.move(actor, application, Stage.WITHDRAWN)
        services.move(actor, application, Stage.WITHDRAWN, reason="Busy with a new job")
        db.session.commit()
        assert len(_messages(application_id)) == 1  # the confirmation only


def test_active_is_reached_only_by_making_them_active(app, manager, make_application, move_along):
    application_id = make_application()
    move_along(application_id, *TO_TRAINING)
    with app.test_request_context():
        actor = db.session.get(User, manager.id)
        with pytest.raises(MentoringError, match="Make active"):
            services.move(actor, db.session.get(Application, application_id), Stage.ACTIVE)


# Becoming active ---------------------------------------------------------------------------


def test_activation_makes_a_peer_account_invites_them_and_records_the_role(
    app, manager, make_application, move_along, sent_messages
):
    application_id = make_application(
        "mentor", name="Ann Lee", email="ann@example.org", access_needs="Easy read", locale="ar"
    )
    move_along(application_id, *TO_TRAINING)
    with app.test_request_context():
        actor = db.session.get(User, manager.id)
        application = db.session.get(Application, application_id)
        done = services.activate(actor, application, contact_consent=True, reason=GOING_AHEAD)
        db.session.commit()
        user = done.user
        assert user.role_set == {Role.PEER} and user.email == "ann@example.org"
        assert user.username == "ann.lee" and user.locale == "ar"
        assert user.profile.preferred_name == "Ann Lee"
        assert user.profile.other_needs == "Easy read"
        assert user.invitations_held_because() is None  # consent given on their behalf
        assert done.sent and done.link is not None
        assert application.stage == "active" and application.user_id == user.id
        held = db.session.scalars(db.select(RoleHeld)).all()
        assert [(h.user_id, h.role_id, h.from_date, h.to_date) for h in held] == [
            (user.id, application.role_id, TODAY, None)
        ]
        assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 1


def test_activation_links_an_existing_peer_account(
    app, manager, make_user, make_application, move_along
):
    existing = make_user("annie", roles={Role.PEER}, email="ann@example.org")
    application_id = make_application(email="ann@example.org")
    move_along(application_id, *TO_TRAINING)
    with app.test_request_context():
        application = db.session.get(Application, application_id)
        assert services.matching_account(application).id == existing.id
        done = services.activate(
            db.session.get(User, manager.id),
            application,
            existing=db.session.get(User, existing.id),
            reason=GOING_AHEAD,
        )
        db.session.commit()
        assert done.link is None and done.user.id == existing.id
        assert db.session.scalar(db.select(db.func.count(User.id))) == 2  # no new account
        assert db.session.scalar(db.select(RoleHeld.user_id)) == existing.id


def test_activation_never_links_a_staff_account(
    app, manager, make_user, make_application, move_along
):
    staff = make_user("fin", roles={Role.FINANCE}, email="fin@example.org")
    application_id = make_application()
    move_along(application_id, *TO_TRAINING)
    with app.test_request_context():
        application = db.session.get(Application, application_id)
        with pytest.raises(MentoringError, match="not an active peer"):
            services.activate(
                db.session.get(User, manager.id),
                application,
                existing=db.session.get(User, staff.id),
            )


def test_activation_refuses_an_application_before_training(app, manager, make_application):
    application_id = make_application()
    with app.test_request_context(), pytest.raises(MentoringError, match="Training"):
        services.activate(
            db.session.get(User, manager.id), db.session.get(Application, application_id)
        )


def test_activation_without_email_or_phone_asks_for_a_printed_link(
    app, manager, make_application, move_along
):
    application_id = make_application(contact_way=ContactWay.POST, postal_address="1 High St")
    move_along(application_id, *TO_TRAINING)
    with app.test_request_context():
        done = services.activate(
            db.session.get(User, manager.id),
            db.session.get(Application, application_id),
            reason=GOING_AHEAD,
        )
        assert not done.sent and done.link is not None
        assert done.user.profile.contact_channel == "post"
        assert done.user.profile.postal_address == "1 High St"
        assert done.user.invitations_held_because() is not None  # no consent asked


# Checks ------------------------------------------------------------------------------------


def test_a_decision_is_only_for_a_disclosure(app, manager, make_application, move_along):
    application_id = make_application("mentor")
    move_along(application_id, Stage.CONVERSATION, Stage.REFERENCES, Stage.CHECKS)
    with app.test_request_context():
        actor = db.session.get(User, manager.id)
        application = db.session.get(Application, application_id)
        check = checks.record_check(
            actor,
            application,
            level=CheckLevel.ENHANCED,
            certificate_date=day(-5),
            outcome=DbsOutcome.CLEAR,
            renewal_date=day(1000),
        )
        with pytest.raises(MentoringError, match="only when information was disclosed"):
            checks.record_decision(actor, check, decision="proceed", review_date=day(30))
        with pytest.raises(MentoringError, match="renewal date must be after"):
            checks.record_check(
                actor,
                application,
                level=CheckLevel.ENHANCED,
                certificate_date=day(-5),
                outcome=DbsOutcome.CLEAR,
                renewal_date=day(-6),
            )


def test_audit_entries_never_carry_the_outcome(app, disclosed):
    with app.app_context():
        details = db.session.scalars(
            db.select(AuditEntry.detail).where(AuditEntry.action.like("dbs.%"))
        ).all()
        assert details
        for detail in details:
            assert "disclosed" not in detail and "proceed" not in detail and "clear" not in detail


# Renewal warnings --------------------------------------------------------------------------


def _active_with_renewal(app, manager, make_application, move_along, renewal_in: int) -> int:
    application_id = make_application("mentor", email="mentor@example.org")
    move_along(application_id, *TO_TRAINING)
    with app.test_request_context():
        application = db.session.get(Application, application_id)
        services.activate(db.session.get(User, manager.id), application, reason=GOING_AHEAD)
        application.current_check.renewal_date = day(renewal_in)
        db.session.commit()
    return application_id


def _tick(app, clock, when) -> int:
    from datetime import UTC, datetime, time

    clock(datetime.combine(when, time(9), tzinfo=UTC))
    with app.test_request_context():
        warned = checks.send_renewal_warnings(when)
        db.session.commit()
        return warned


def _renewal_notes(app):
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(Notification)
                .where(Notification.subject.like("%DBS%"))
                .order_by(Notification.id)
            )
        )


def test_renewal_warnings_go_60_30_and_7_days_ahead_once_each(
    app, clock, manager, make_application, move_along
):
    _active_with_renewal(app, manager, make_application, move_along, renewal_in=100)
    renewal = day(100)
    said = []
    for offset in range(100, -3, -1):  # every day from 100 days before to after the date
        if _tick(app, clock, renewal - timedelta(days=offset)):
            said.append(offset)
        _tick(app, clock, renewal - timedelta(days=offset))  # run twice a day: nothing more
    assert said == [60, 30, 7]
    notes = _renewal_notes(app)
    to_manager = [n for n in notes if n.user_id == manager.id]
    to_person = [n for n in notes if n.user_id != manager.id]
    assert len(to_manager) == 3 and len(to_person) == 3
    for note in notes:
        assert "disclosed" not in note.body.lower() and "clear" not in note.body.lower()
    assert "routine" in to_person[0].body


def test_a_late_tick_sends_only_the_nearest_warning(
    app, clock, manager, make_application, move_along
):
    application_id = _active_with_renewal(app, manager, make_application, move_along, renewal_in=20)
    assert _tick(app, clock, TODAY) == 1  # 20 days left: the 30-day warning, not the 60-day one
    assert _tick(app, clock, TODAY + timedelta(days=5)) == 0
    with app.app_context():
        sent = db.session.scalars(db.select(DbsRenewalWarning.days_ahead)).all()
        assert sorted(sent) == [30, 60]
    assert _tick(app, clock, TODAY + timedelta(days=14)) == 1  # 6 days left
    # A new renewal date gets warnings of its own.
    with app.test_request_context():
        application = db.session.get(Application, application_id)
        check = application.current_check
        checks.update_check(
            db.session.get(User, manager.id),
            check,
            level=CheckLevel.ENHANCED,
            certificate_date=check.certificate_date,
            outcome=DbsOutcome.CLEAR,
            renewal_date=TODAY + timedelta(days=14 + 45),
        )
        db.session.commit()
    assert _tick(app, clock, TODAY + timedelta(days=14)) == 1


def test_no_warning_for_a_finished_application(
    app, clock, manager, make_application, move_along, disclosed
):
    with app.test_request_context():
        application = db.session.get(Application, disclosed)
        services.move(
            db.session.get(User, manager.id), application, Stage.WITHDRAWN, reason="Moved"
        )
        db.session.commit()
    assert _tick(app, clock, TODAY + timedelta(days=25)) == 0


# Measures ----------------------------------------------------------------------------------


def test_measures_count_applications_people_and_checks(
    app, clock, manager, make_application, move_along
):
    first = make_application("mentor", email="a@example.org")
    second = make_application("champion", email="b@example.org")
    make_application(None, email="c@example.org")
    move_along(second, Stage.CONVERSATION)
    move_along(first, *TO_TRAINING)
    with app.test_request_context():
        application = db.session.get(Application, first)
        services.activate(db.session.get(User, manager.id), application, reason=GOING_AHEAD)
        application.current_check.renewal_date = day(20)
        db.session.commit()
        by_stage = measures.applications_by_stage(TODAY, TODAY)
        assert by_stage[Stage.APPLIED] == 1 and by_stage[Stage.CONVERSATION] == 1
        assert by_stage[Stage.ACTIVE] == 1 and sum(by_stage.values()) == 3
        assert measures.applications_by_stage(day(1), day(10))[Stage.APPLIED] == 0
        reached = measures.reached_stage(TODAY, TODAY)
        assert reached[Stage.APPLIED] == 3 and reached[Stage.CONVERSATION] == 2
        assert reached[Stage.ACTIVE] == 1
        assert measures.active_peers_by_role(TODAY) == {
            "Involvement champion": 0,
            "Old role": 0,
            "Peer mentor": 1,
        }
        assert measures.active_peers_by_role(day(-1))["Peer mentor"] == 0
        assert measures.active_peers(TODAY) == 1
        assert measures.checks_expiring(TODAY, day(30)) == 1
        assert measures.checks_expiring(day(21), day(60)) == 0


def test_consent_is_not_assumed(app, manager, make_application, move_along):
    application_id = make_application()
    move_along(application_id, *TO_TRAINING)
    with app.test_request_context():
        done = services.activate(
            db.session.get(User, manager.id),
            db.session.get(Application, application_id),
            contact_consent=False,
            reason=GOING_AHEAD,
        )
        # Without their yes, invitations to take part wait; news about their account goes.
        assert done.user.invitations_held_because() == "no_consent"
        assert not services.people.active_consents(done.user).get(ConsentPurpose.CONTACT.value)


def test_a_renewed_check_is_recorded_for_someone_active_but_not_after_withdrawing(
    app, manager, make_user, disclosed, make_application, move_along
):
    """The renewal warnings ask for a new certificate, so an active peer's application takes
    a new check (it becomes the current one); a withdrawn application takes none."""
    beth = make_user("beth")
    move_along(disclosed, Stage.INDUCTION, Stage.TRAINING)
    withdrawn = make_application("mentor")
    with app.test_request_context():
        actor = db.session.get(User, manager.id)
        application = db.session.get(Application, disclosed)
        services.activate(
            actor, application, existing=db.session.get(User, beth.id), reason="Booked"
        )
        renewed = checks.record_check(
            actor,
            application,
            level=CheckLevel.ENHANCED,
            certificate_date=day(-1),
            outcome=DbsOutcome.CLEAR,
            renewal_date=day(1000),
        )
        assert application.current_check is renewed
        other = db.session.get(Application, withdrawn)
        services.move(actor, other, Stage.WITHDRAWN, reason="Moved away")
        with pytest.raises(MentoringError, match="has finished"):
            checks.record_check(
                actor,
                other,
                level=CheckLevel.BASIC,
                certificate_date=day(-1),
                outcome=DbsOutcome.CLEAR,
                renewal_date=day(1000),
            )
