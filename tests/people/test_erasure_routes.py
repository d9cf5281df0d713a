"""The erase page: admins only, after confirming it is them, with a reason and the person's
username typed; a double press erases once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engage.core.audit import AuditEntry
from engage.extensions import db
from engage.people.models import Role, User
from tests.conftest import csrf_token, sign_in


@pytest.fixture(autouse=True)
def _log(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ERASURE_LOG", str(tmp_path / "erasure-log.jsonl"))


@pytest.fixture
def admin(client, make_user):
    make_user("secondadmin", roles={Role.ADMIN})
    user = make_user("eraser", roles={Role.ADMIN})
    assert sign_in(client, "eraser").status_code == 303
    return user


def _send(client, url: str, **data):
    data.setdefault("csrf_token", csrf_token(client, url))
    return client.post(url, data=data)


def test_the_page_asks_who_you_are_first_then_says_what_goes_and_what_stays(
    client, admin, make_user, confirmed
):
    peer = make_user("tobegone")
    url = f"/people/{peer.id}/erase"
    response = client.get(url)
    assert response.status_code == 303
    assert "/confirm-it-is-you" in response.headers["Location"]
    confirmed()
    page = client.get(url).get_data(as_text=True)
    assert "What will be removed" in page
    assert "What will be kept, and why" in page
    assert "HMRC" in page
    assert "tobegone" in page  # the username to type


def test_an_admin_erases_a_person_once(app, client, admin, make_user, confirmed):
    peer = make_user("tobegone", email="tobegone@example.org")
    url = f"/people/{peer.id}/erase"
    confirmed()
    wrong = _send(client, url, reason="They asked", typed="someone-else")
    assert wrong.status_code == 400
    assert "Type their username exactly as shown" in wrong.get_data(as_text=True)
    no_reason = _send(client, url, reason="", typed="tobegone")
    assert no_reason.status_code == 400
    token = csrf_token(client, url)
    first = client.post(url, data={"csrf_token": token, "reason": "Asked", "typed": "TobeGone"})
    assert first.status_code == 303
    assert first.headers["Location"].endswith(f"/admin/users/{peer.id}")
    # The same form sent again (a double press): a kind message, nothing more.
    second = client.post(url, data={"csrf_token": token, "reason": "Asked", "typed": "tobegone"})
    assert second.status_code == 303
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "already been erased" in page
    assert "A former member" in page
    with app.test_request_context():
        assert db.session.get(User, peer.id).erased_at is not None
        assert (
            db.session.scalar(select(func.count()).where(AuditEntry.action == "person.erased")) == 1
        )


def test_the_window_running_out_while_typing_keeps_the_form(
    app, client, admin, make_user, confirmed, clock
):
    from datetime import timedelta

    from engage.core.db import utcnow

    peer = make_user("tobegone")
    url = f"/people/{peer.id}/erase"
    confirmed()
    token = csrf_token(client, url)
    clock(utcnow() + timedelta(hours=1))
    response = client.post(url, data={"csrf_token": token, "reason": "Asked", "typed": "tobegone"})
    assert response.status_code == 200
    assert "confirm-it-is-you" in response.get_data(as_text=True)
    with app.test_request_context():
        assert db.session.get(User, peer.id).erased_at is None


def test_an_admin_cannot_erase_themselves(app, client, admin, confirmed):
    confirmed()
    url = f"/people/{admin.id}/erase"
    page = client.get(url)
    assert page.status_code == 400
    assert "You cannot erase your own account" in page.get_data(as_text=True)
    response = client.post(
        url, data={"csrf_token": csrf_token(client, "/me"), "reason": "x", "typed": "eraser"}
    )
    assert response.status_code == 400
    with app.test_request_context():
        assert db.session.get(User, admin.id).erased_at is None


@pytest.mark.parametrize("role", [Role.PEER, Role.MANAGER, Role.FINANCE, Role.BOARD])
def test_only_admins_may_erase(app, client, make_user, confirmed, role):
    peer = make_user("tobegone")
    make_user("someone", roles={role})
    sign_in(client, "someone")
    confirmed()
    url = f"/people/{peer.id}/erase"
    assert client.get(url).status_code == 404
    response = client.post(
        url, data={"csrf_token": csrf_token(client, "/me"), "reason": "x", "typed": "tobegone"}
    )
    assert response.status_code == 404
    with app.test_request_context():
        assert db.session.get(User, peer.id).erased_at is None


def test_the_account_page_links_to_erasing(client, admin, make_user):
    peer = make_user("tobegone")
    page = client.get(f"/admin/users/{peer.id}").get_data(as_text=True)
    assert f"/people/{peer.id}/erase" in page
    own = client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    assert f"/people/{admin.id}/erase" not in own


def test_a_tombstone_cannot_be_brought_back(app, client, admin, make_user, confirmed):
    peer = make_user("tobegone")
    confirmed()
    url = f"/people/{peer.id}/erase"
    assert _send(client, url, reason="Asked", typed="tobegone").status_code == 303
    page = client.get(f"/admin/users/{peer.id}").get_data(as_text=True)
    assert "Reactivate account" not in page and "sign-in-link" not in page
    assert client.get(f"/people/{peer.id}/sign-in-link").status_code == 404
    client.post(
        f"/admin/users/{peer.id}/reactivate",
        data={"csrf_token": csrf_token(client, f"/admin/users/{peer.id}")},
    )
    with app.test_request_context():
        assert not db.session.get(User, peer.id).is_active
