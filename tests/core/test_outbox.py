"""The outbox: sent only after the commit, secrets kept apart from the text, consent and pause
decided in one place, each message sent at most once, and no failure after a commit turning
into an error page. Real concurrency is in test_outbox_concurrency.py."""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from engage.core import outbox
from engage.core.db import utcnow
from engage.core.links import absolute_url, secret_url
from engage.core.outbox import Kind, Notification, Status
from engage.extensions import db
from engage.people import services as people
from engage.people.models import ConsentPurpose, Role, User
from tests.conftest import csrf_token, post, sign_in
from tests.senders import RecordingSender

LINK = "http://localhost/password/reset/abcdefghijklmnopqrstuvwxyz0123456789"


def _note(note_id: int) -> Notification:
    return db.session.get(Notification, note_id, populate_existing=True)


def _queue(**kwargs) -> Notification:
    kwargs.setdefault("kind", Kind.UPDATE)
    kwargs.setdefault("subject", "Hello")
    kwargs.setdefault("body", "Hi")
    kwargs.setdefault("to_address", "a@example.org")
    return outbox.queue(**kwargs)


def test_outbox_sends_only_after_commit(ctx, sent_messages):
    note_id = _queue().id
    db.session.rollback()
    outbox.flush_committed()
    assert db.session.get(Notification, note_id) is None
    note = _queue()
    assert note.status == "pending"
    db.session.commit()
    outbox.flush_committed()
    assert _note(note.id).status == "sent"
    assert [m.id for m in sent_messages] == [note.id]


def test_a_failed_message_is_kept_and_tried_again(ctx, sent_messages, monkeypatch):
    monkeypatch.setattr(RecordingSender, "fail_with", OSError("mail server down"))
    note = _queue()
    db.session.commit()
    outbox.flush_committed()
    assert _note(note.id).status == "failed"
    assert _note(note.id).error == "mail server down"
    monkeypatch.setattr(RecordingSender, "fail_with", None)
    assert outbox.retry_failed() == 1
    assert _note(note.id).status == "sent" and _note(note.id).attempts == 2


# Secrets -----------------------------------------------------------------------------------


def test_a_secret_reaches_only_the_sender_and_is_erased_once_sent(
    ctx, sent_messages, app, monkeypatch, caplog
):
    link = secret_url("people.reset_password", token="tok-" + "x" * 40)
    body = f"Open this link:\n{link}\n"
    note = _queue(body=body, secrets=[link])
    db.session.commit()
    stored = _note(note.id)
    assert link.value not in stored.body and link.value not in stored.subject
    assert link.value in stored.secret_values  # kept apart only while it waits
    assert "(private link, sent only to the person)" in stored.shown_body
    assert link.value not in repr(link) and link.value not in f"{link}"

    outbox.flush_committed()
    (message,) = sent_messages
    assert message.body == f"Open this link:\n{link.value}\n"
    assert link.value not in repr(message) and link.value not in message.redacted_body
    stored = _note(note.id)
    assert stored.status == "sent" and stored.secret_values is None

    # The log sender's lines never carry it either.
    monkeypatch.setitem(app.config, "EMAIL_SENDER", "log")
    other = secret_url("people.reset_password", token="tok-" + "y" * 40)
    _queue(body=f"Link: {other}", secrets=[other])
    db.session.commit()
    with caplog.at_level(logging.INFO, logger="engage.outbox"):
        outbox.flush_committed()
    assert "(private link, sent only to the person)" in caplog.text
    assert other.value not in caplog.text


def test_a_sender_error_never_shows_the_secret(ctx, sent_messages, monkeypatch, caplog):
    link = secret_url("people.accept_invitation", token="tok-" + "z" * 40)
    monkeypatch.setattr(RecordingSender, "fail_with", OSError(f"refused: {link.value}"))
    note = _queue(body=f"Link: {link}", secrets=[link])
    db.session.commit()
    with caplog.at_level(logging.ERROR, logger="engage.outbox"):
        outbox.flush_committed()
    stored = _note(note.id)
    assert stored.status == "failed"
    assert link.value not in stored.error and "private link" in stored.error
    assert link.value not in caplog.text and "refused" in caplog.text
    assert stored.secret_values is not None  # still needed to try again


def test_a_secret_link_put_in_the_text_by_mistake_is_never_kept(ctx):
    """A caller who builds the link with absolute_url() instead of secret_url() sends words,
    never a working link that staff or a database copy could read."""
    link = absolute_url("people.reset_password", token="tok-" + "x" * 40)
    feed = absolute_url("forums.calendar_feed", token="feed-" + "x" * 30)
    note = _queue(subject=f"Reset {link}", body=f"Open {link} or {feed} now")
    assert "/password/reset/" not in note.body + note.subject
    assert "/calendar/" not in note.body
    assert note.body == (
        "Open (private link, sent only to the person) or (private link, sent only to the "
        "person) now"
    )
    # Ordinary links are left alone.
    meeting = absolute_url("forums.meeting", meeting_id=4)
    assert _queue(body=f"See {meeting}").body == f"See {meeting}"


def test_text_people_typed_can_never_stand_in_for_a_secret(ctx, sent_messages):
    """A title or name that looks like a placeholder stays words and breaks nothing."""
    typed = "[[secret:link:0123456789abcdef]]"
    link = secret_url("people.reset_password", token="tok-" + "x" * 40)
    note = _queue(subject=f"About {typed}", body=f"{typed} and {link}", secrets=[link])
    db.session.commit()
    outbox.flush_committed()
    (message,) = sent_messages
    assert message.body.endswith(link.value)
    assert message.body.startswith("(private link, sent only to the person)")
    assert "[[secret" not in _note(note.id).subject


def test_a_secret_in_a_subject_is_refused(ctx):
    link = secret_url("people.reset_password", token="tok")
    with pytest.raises(ValueError, match="subject"):
        _queue(subject=f"Reset {link}", body=f"{link}", secrets=[link])


def test_password_reset_link_goes_to_the_person_and_nowhere_else(
    app, client, make_user, sent_messages
):
    make_user("fin", roles={Role.FINANCE}, email="fin@example.org")
    post(client, "/password/forgot", {"login": "fin"})
    (message,) = sent_messages
    assert "/password/reset/" in message.body
    token = message.body.split("/password/reset/")[1].split()[0]
    with app.app_context():
        for note in db.session.scalars(db.select(Notification)):
            assert token not in note.body + (note.secret_values or "") + note.error
    # The link works for the person who received it.
    assert client.get(f"/password/reset/{token}").status_code == 200


# Consent to contact and pause --------------------------------------------------------------


@pytest.fixture
def person(ctx, make_user):
    def make(roles=frozenset({Role.PEER}), **kwargs) -> User:
        kwargs.setdefault("email", f"p{len(made)}@example.org")
        user = db.session.get(User, make_user(roles=set(roles), **kwargs).id)
        made.append(user)
        return user

    made: list[User] = []
    return make


def test_involvement_needs_current_consent_and_an_unpaused_person(person, sent_messages):
    agreed = person()
    withdrawn = person()
    people.withdraw_consent(withdrawn, withdrawn, ConsentPurpose.CONTACT)
    never = person(contact_consent=False)
    paused = person(paused_at=utcnow())
    staff = person(roles={Role.MANAGER})  # staff are told about meetings as part of their work

    def status(user: User, kind: Kind) -> str:
        return outbox.queue(kind=kind, user=user, subject="S", body="B").status

    assert status(agreed, Kind.INVOLVEMENT) == Status.PENDING
    assert status(withdrawn, Kind.INVOLVEMENT) == Status.NO_CONSENT
    assert status(never, Kind.INVOLVEMENT) == Status.NO_CONSENT
    assert status(paused, Kind.INVOLVEMENT) == Status.PAUSED
    assert status(staff, Kind.INVOLVEMENT) == Status.PENDING
    for user in (withdrawn, never, paused):
        assert status(user, Kind.UPDATE) == Status.PENDING
        assert status(user, Kind.ACCOUNT) == Status.PENDING
    db.session.commit()
    outbox.flush_committed()
    # What was held back is never sent, however often the outbox is retried.
    assert outbox.retry_failed() == 0
    told = {m.to_address for m in sent_messages}
    assert len(sent_messages) == 2 + 3 * 2
    assert told == {u.email for u in (agreed, withdrawn, never, paused, staff)}
    held = db.session.scalars(
        db.select(Notification).where(Notification.status.in_(outbox.NOT_SENT))
    ).all()
    assert {(n.user_id, n.status) for n in held} == {
        (withdrawn.id, "no_consent"),
        (never.id, "no_consent"),
        (paused.id, "paused"),
    }
    assert all(n.secret_values is None for n in held)


# At most once, and never an error page ------------------------------------------------------


def test_delivering_twice_sends_once_and_a_message_left_sending_is_not_resent(ctx, sent_messages):
    note = _queue()
    db.session.commit()
    assert outbox.deliver([note.id, note.id]) == 1
    assert outbox.deliver([note.id]) == 0
    assert len(sent_messages) == 1

    # A process died after claiming this one: nobody resends it by themselves.
    stuck = _queue()
    db.session.commit()
    outbox.flush_committed()
    sent_messages.clear()
    db.session.execute(
        db.update(Notification)
        .where(Notification.id == stuck.id)
        .values(status="sending", tried_at=utcnow())
    )
    db.session.commit()
    assert outbox.retry_failed() == 0
    assert not _note(stuck.id).may_not_have_gone  # it may still be on its way
    with pytest.raises(outbox.OutboxError):
        outbox.send_again(None, _note(stuck.id))
    db.session.execute(
        db.update(Notification)
        .where(Notification.id == stuck.id)
        .values(tried_at=utcnow() - timedelta(minutes=10))
    )
    db.session.commit()
    assert _note(stuck.id).may_not_have_gone
    assert _note(stuck.id).status_label.startswith("May not have gone")
    assert outbox.retry_failed() == 0 and sent_messages == []
    outbox.send_again(None, _note(stuck.id))
    db.session.commit()
    outbox.flush_committed()
    assert [m.id for m in sent_messages] == [stuck.id]
    assert _note(stuck.id).status == "sent"


def _locked() -> OperationalError:
    busy = sqlite3.OperationalError("database is locked")
    busy.sqlite_errorcode = sqlite3.SQLITE_BUSY  # as SQLite itself sets it
    return OperationalError("UPDATE notification", {}, busy)


def test_recording_the_result_waits_while_the_database_is_locked(ctx, sent_messages, monkeypatch):
    note = _queue()
    db.session.commit()
    real_finish, calls = outbox._finish, []

    def finish(*args, **kwargs):
        calls.append(args)
        if len(calls) <= 3:
            raise _locked()
        return real_finish(*args, **kwargs)

    monkeypatch.setattr(outbox, "_finish", finish)
    monkeypatch.setattr(outbox.time, "sleep", lambda seconds: None)
    assert outbox.deliver([note.id]) == 1
    assert len(calls) == 4 and len(sent_messages) == 1
    assert _note(note.id).status == "sent"


def test_a_failure_after_the_commit_gives_the_person_their_page(
    app, client, make_user, sent_messages, monkeypatch
):
    """The change committed; a database that stays locked while the result is recorded is
    logged, the message stays "sending" (never sent twice), and the page is the normal one."""
    make_user("kit", email="kit@example.org")

    def finish(*args, **kwargs):
        raise _locked()

    monkeypatch.setattr(outbox, "_finish", finish)
    monkeypatch.setattr(outbox.time, "sleep", lambda seconds: None)
    response = post(client, "/password/forgot", {"login": "kit"})
    assert response.status_code == 200
    assert len(sent_messages) == 1
    with app.app_context():
        (note,) = db.session.scalars(db.select(Notification)).all()
        assert note.status == "sending"
        assert outbox.retry_failed() == 0
    assert len(sent_messages) == 1

    # Any other failure after the commit is logged too, never raised into the response.
    monkeypatch.setattr(outbox, "deliver", lambda ids: 1 / 0)
    assert post(client, "/password/forgot", {"login": "kit"}).status_code == 200


def test_an_admin_sends_again_a_message_that_may_not_have_gone(
    app, client, make_user, sent_messages
):
    make_user("boss", roles={Role.ADMIN})
    make_user("mgr", roles={Role.MANAGER})
    with app.test_request_context():
        note = _queue(subject="Stuck message")
        db.session.commit()
        db.session.execute(
            db.update(Notification)
            .where(Notification.id == note.id)
            .values(status="sending", tried_at=utcnow() - timedelta(minutes=30))
        )
        db.session.commit()
        note_id = note.id
    url = f"/admin/outbox/{note_id}/send-again"
    sign_in(client, "mgr")
    assert post(client, url, {}, form_url="/admin/outbox").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, "boss")
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "May not have gone" in page and "Send again" in page
    assert post(client, url, {}, form_url="/admin/outbox").status_code == 303
    assert [m.subject for m in sent_messages] == ["Stuck message"]
    # Pressed again (an old page): it has gone, so nothing is sent twice.
    assert post(client, url, {}, form_url="/admin/outbox").status_code == 303
    assert len(sent_messages) == 1
    with app.app_context():
        assert _note(note_id).status == "sent"
