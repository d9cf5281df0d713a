"""Equality answers: a manager looking at a named peer's answers is audited (who, whose,
when, never the answers); the person looking at their own is not."""

from __future__ import annotations

from sqlalchemy import select

from engage.core.audit import AuditEntry
from engage.extensions import db
from engage.people import services
from engage.people.models import Role, User
from tests.conftest import sign_in


def _views(app) -> list[AuditEntry]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "equality.viewed").order_by(AuditEntry.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def _answer(app, person) -> None:
    with app.test_request_context():
        user = db.session.get(User, person.id)
        services.save_equality(user, user, {"gender": "woman", "age_band": "35_44"})
        db.session.commit()


def test_a_manager_reading_a_peers_equality_answers_is_audited(app, client, make_user):
    peer = make_user("pat", roles={Role.PEER})
    manager = make_user("mo", roles={Role.MANAGER})
    _answer(app, peer)
    sign_in(client, "mo")
    response = client.get(f"/people/{peer.id}/equality")
    assert response.status_code == 200
    [entry] = _views(app)
    assert (entry.actor_id, entry.subject_id, entry.on_behalf) == (manager.id, peer.id, True)
    assert entry.at is not None
    assert "woman" not in entry.detail and "35_44" not in entry.detail


def test_a_person_reading_their_own_answers_is_not_audited(app, client, make_user):
    peer = make_user("pat", roles={Role.PEER})
    _answer(app, peer)
    sign_in(client, "pat")
    assert client.get("/me/equality").status_code == 200
    assert _views(app) == []


def test_nothing_to_see_nothing_logged(app, client, make_user):
    peer = make_user("pat", roles={Role.PEER})
    make_user("mo", roles={Role.MANAGER})
    sign_in(client, "mo")
    assert client.get(f"/people/{peer.id}/equality").status_code == 200
    assert _views(app) == []


def test_another_peer_cannot_see_them_at_all(app, client, make_user):
    peer = make_user("pat", roles={Role.PEER})
    make_user("quinn", roles={Role.PEER})
    _answer(app, peer)
    sign_in(client, "quinn")
    assert client.get(f"/people/{peer.id}/equality").status_code == 404
    assert _views(app) == []
