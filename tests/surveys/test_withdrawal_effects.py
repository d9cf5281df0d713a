"""Across the domains (kept beside the survey fixtures): withdrawing consent to contact, or
pausing, takes effect at once, also on invitations already queued and not yet gone. A survey
invitation, a meeting invitation and a new opportunity waiting in the outbox (the mail server
was down) are held, never sent later."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from engage.core import outbox
from engage.core.db import utcnow
from engage.core.outbox import Notification, Status
from engage.extensions import db
from engage.forums.meetings import schedule
from engage.forums.membership import add_member
from engage.forums.models import Forum
from engage.opportunities import services as opportunity_services
from engage.people import services
from engage.people.models import ConsentPurpose, Role, User
from engage.surveys import services as survey_services
from engage.surveys.models import SurveyRound
from tests.conftest import post, sign_in


def _mail_server_was_down() -> None:
    """Every message waiting to go failed its first try: `engage outbox send` would retry."""
    db.session.execute(
        update(Notification)
        .where(Notification.status == Status.PENDING.value)
        .values(status=Status.FAILED.value)
    )
    db.session.info.pop("outbox", None)
    db.session.commit()
    db.session.info.pop("outbox_committed", None)


def _statuses(person_id: int) -> dict[str, str]:
    rows = db.session.execute(
        select(Notification.subject, Notification.status).where(Notification.user_id == person_id)
    ).all()
    return dict(rows)


def _invite_everywhere(manager: User, person: User) -> None:
    forum = Forum(name="Women's Forum", purpose="Advise the board")
    db.session.add(forum)
    db.session.flush()
    add_member(manager, forum, person, date(2026, 1, 5))
    start = (utcnow() + timedelta(days=7)).replace(microsecond=0)
    schedule(manager, forum, starts_at=start, duration_minutes=90)
    opportunity_services.publish(
        manager,
        title="Interview panel",
        description="Sit on a panel.",
        activity="interview_panel",
        places=1,
        paid=True,
    )
    db.session.flush()


def test_withdrawing_consent_holds_invitations_already_waiting(
    app, client, make_user, make_round, sent_messages
):
    person = make_user("sam", email="sam@example.org")
    manager_id = make_user("mgr", roles={Role.MANAGER}).id
    make_round(title="Anonymous round")  # opens now: the survey invitation is queued
    with app.test_request_context():
        manager = db.session.get(User, manager_id)
        sam = db.session.get(User, person.id)
        _invite_everywhere(manager, sam)
        _mail_server_was_down()
        waiting = _statuses(sam.id)
        assert len(waiting) >= 3 and set(waiting.values()) == {"failed"}, waiting
    sign_in(client, "sam")
    assert (
        post(client, "/me/consent", {"purpose": "contact", "action": "withdraw"}).status_code == 303
    )
    with app.test_request_context():
        assert set(_statuses(person.id).values()) == {"no_consent"}
        held = db.session.scalars(select(Notification).where(Notification.user_id == person.id))
        assert all(note.secret_values is None for note in held)  # the survey link is gone
        assert outbox.retry_failed() == 0
    assert not [m for m in sent_messages if m.to_address == "sam@example.org"]


def test_pausing_holds_invitations_already_waiting_but_not_updates(app, make_user, sent_messages):
    person = make_user("sam", email="sam@example.org")
    manager_id = make_user("mgr", roles={Role.MANAGER}).id
    with app.test_request_context():
        manager = db.session.get(User, manager_id)
        sam = db.session.get(User, person.id)
        _invite_everywhere(manager, sam)
        outbox.queue(kind=outbox.Kind.UPDATE, user=sam, subject="Your claim", body="Paid.")
        _mail_server_was_down()
        services.set_paused(sam, sam, True)
        db.session.commit()
        statuses = _statuses(sam.id)
        assert statuses.pop("Your claim") == "failed"  # news about their own claim still goes
        assert set(statuses.values()) == {"paused"}
        assert outbox.retry_failed() == 1


def test_withdrawing_another_purpose_holds_nothing(app, make_user):
    person = make_user("sam", email="sam@example.org")
    manager_id = make_user("mgr", roles={Role.MANAGER}).id
    with app.test_request_context():
        manager = db.session.get(User, manager_id)
        sam = db.session.get(User, person.id)
        _invite_everywhere(manager, sam)
        _mail_server_was_down()
        services.give_consent(sam, sam, ConsentPurpose.PHOTOS_QUOTES)
        services.withdraw_consent(sam, sam, ConsentPurpose.PHOTOS_QUOTES)
        db.session.commit()
        assert set(_statuses(sam.id).values()) == {"failed"}


def test_a_survey_round_opened_after_withdrawal_holds_the_invitation(app, make_user, make_round):
    person = make_user("sam", email="sam@example.org")
    with app.test_request_context():
        sam = db.session.get(User, person.id)
        services.withdraw_consent(sam, sam, ConsentPurpose.CONTACT)
        db.session.commit()
    round_id = make_round(title="Anonymous round")
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        assert set(_statuses(person.id).values()) == {"no_consent"}
        # Still invited on the site (their home page lists it): only the message is held.
        assert survey_services.in_audience(round_, db.session.get(User, person.id))
