"""Accounts send only account messages (password reset, sign-in link): they always go, even to
someone who withdrew consent to contact or paused, or nobody could get back in."""

from __future__ import annotations

from engage.core import outbox
from engage.extensions import db
from engage.people import services
from engage.people.models import User
from tests.conftest import outbox_statuses, post


def test_account_messages_reach_people_who_withdrew_consent_or_paused(
    app, client, quiet_peers, sent_messages
):
    post(client, "/password/forgot", {"login": "withdrawn"})
    post(client, "/password/forgot", {"login": "paused"})
    with app.test_request_context():
        paused = db.session.get(User, quiet_peers["paused"].id)
        services.invite(actor=None, user=paused)
        db.session.commit()
        outbox.flush_committed()
        assert outbox_statuses("Reset your password") == {"withdrawn": "sent", "paused": "sent"}
        assert outbox_statuses("You are invited") == {"paused": "sent"}
    told = sorted((m.to_address, m.subject.split(" ")[0]) for m in sent_messages)
    assert told == [
        ("paused@example.org", "Reset"),
        ("paused@example.org", "You"),
        ("withdrawn@example.org", "Reset"),
    ]
    assert all("/password/reset/" in m.body or "/invitation/" in m.body for m in sent_messages)
