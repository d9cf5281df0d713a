"""Signing in and out, sessions, lockout, invitations and password reset."""

from __future__ import annotations

import re

import pyotp

from engage.core.outbox import Notification
from engage.extensions import db
from engage.people.models import Role, User, UserSession
from tests.conftest import PASSWORD, csrf_token, post, sign_in


def test_sign_in_with_username_or_email(client, make_user):
    make_user("sam", email="sam@example.org")
    assert sign_in(client, "sam").status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert sign_in(client, "  SAM@Example.org ").status_code == 303


def test_unknown_account_and_wrong_password_get_the_same_answer(client, make_user):
    make_user("sam")
    wrong = sign_in(client, "sam", "not the password")
    unknown = sign_in(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 200

    def strip(response):  # tokens differ on every page; everything else must match
        return re.sub(r'value="[^"]*"|"X-CSRFToken": "[^"]*"', "", response.get_data(as_text=True))

    assert strip(wrong) == strip(unknown).replace("nobody", "sam")
    assert "is not right" in wrong.get_data(as_text=True)


def test_deactivated_account_cannot_sign_in(client, make_user):
    make_user("gone", is_active=False)
    assert sign_in(client, "gone").status_code == 200


def test_sign_in_is_limited_per_account(client, make_user):
    make_user("sam")
    for _ in range(5):
        assert sign_in(client, "sam", "guess").status_code == 200
    blocked = sign_in(client, "sam", PASSWORD)
    assert blocked.status_code == 429
    body = blocked.get_data(as_text=True)
    assert "Too many attempts" in body
    assert 'value="sam"' in body  # what they typed is kept


def test_next_is_followed_only_when_local(client, make_user):
    make_user("sam")
    token = csrf_token(client)
    response = client.post(
        "/login?next=//evil.example/x",
        data={"login": "sam", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    token = csrf_token(client)
    response = client.post(
        "/login?next=/me/details",
        data={"login": "sam", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/me/details"


def test_session_is_rotated_and_revoked_at_sign_out(app, client, make_user):
    make_user("sam")
    client.get("/login")
    before = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    sign_in(client, "sam")
    after = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert before != after
    # A copy of the signed-in cookie, as a thief would take it.
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], after)
    assert thief.get("/me").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert thief.get("/me").status_code == 302


def test_password_change_ends_other_sessions(app, client, make_user, confirmed):
    make_user("sam")
    other = app.test_client()
    sign_in(other, "sam")
    sign_in(client, "sam")
    confirmed()
    response = post(
        client,
        "/me/password",
        {"password": "violet staple lantern"},
    )
    assert response.status_code == 303
    assert other.get("/me").status_code == 302
    assert client.get("/me").status_code == 200


def test_common_passwords_are_refused(client, make_user, confirmed):
    make_user("sam")
    sign_in(client, "sam")
    confirmed()
    response = post(client, "/me/password", {"password": "password1"})
    assert response.status_code == 200
    assert "too easy to guess" in response.get_data(as_text=True)


def test_forms_without_csrf_token_are_refused(client, make_user):
    make_user("sam")
    response = client.post("/login", data={"login": "sam", "password": PASSWORD})
    assert response.status_code == 400
    assert "open too long" in response.get_data(as_text=True)


def test_htmx_pages_carry_the_csrf_token_in_a_header(client, signed_in):
    signed_in(Role.PEER)
    page = client.get("/me").get_data(as_text=True)
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
    token = re.search(r'X-CSRFToken": "([^"]+)"', page).group(1)
    response = client.post(
        "/me/details",
        data={"preferred_name": "Sam"},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/me"


def test_invitation_sets_password_once(app, client, make_user, sent_messages):
    admin = make_user("boss", roles={Role.ADMIN})
    sign_in(client, admin.username)
    response = post(
        client,
        "/admin/invite",
        {"preferred_name": "Kit", "username": "kit", "email": "kit@example.org", "roles": "peer"},
    )
    assert response.status_code == 200
    link = re.search(r"http://localhost(/invitation/[\w-]+)", response.get_data(as_text=True))
    path = link.group(1)
    (message,) = sent_messages
    assert message.to_address == "kit@example.org" and path in message.body
    with app.app_context():
        note = db.session.scalars(db.select(Notification).filter_by(to_address="kit@example.org"))
        assert path not in next(iter(note)).body  # only the person reads the working link
    guest = app.test_client()
    response = post(guest, path, {"password": "maple orbit kettle"})
    assert response.status_code == 303
    assert guest.get("/me").status_code == 200
    assert app.test_client().get(path).status_code == 410  # used links stop working


def test_password_reset_goes_through_the_outbox(app, client, make_user, sent_messages):
    make_user("sam", email="sam@example.org")
    response = post(client, "/password/forgot", {"login": "sam"})
    assert "Check your messages" in response.get_data(as_text=True)
    same = post(client, "/password/forgot", {"login": "nobody"})
    # The same page, whoever was asked for (but for the CSRF tokens, masked afresh each time).
    token = re.compile(r'"[\w-]{100,}"')  # a masked token (engage.core.csrf)
    assert token.sub("", same.get_data(as_text=True)) == token.sub(
        "", response.get_data(as_text=True)
    )
    with app.app_context():
        notes = db.session.scalars(db.select(Notification)).all()
    assert len(notes) == 1 and notes[0].status == "sent"
    (message,) = sent_messages
    path = re.search(r"http://localhost(/password/reset/\S+)", message.body).group(1)
    assert post(client, path, {"password": "quiet river mountain"}).status_code == 303
    assert client.get(path).status_code == 410  # the link dies with the old password
    assert sign_in(client, "sam", "quiet river mountain").status_code == 303


def test_two_step_sign_in(app, client, make_user):
    make_user("staff", roles={Role.MANAGER})
    sign_in(client, "staff")
    page = client.get("/me/two-step").get_data(as_text=True)
    secret = re.search(r"<code[^>]*>([A-Z2-7]+)</code>", page).group(1)
    code = pyotp.TOTP(secret).now()
    assert post(client, "/me/two-step", {"code": code}).status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    response = sign_in(client, "staff")
    assert response.headers["Location"] == "/login/code"
    assert client.get("/me").status_code == 302  # not signed in until the code is given
    # The same code cannot be used twice.
    assert post(client, "/login/code", {"code": code}).status_code == 200
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="staff"))
        user.totp_last_step -= 1
        db.session.commit()
    assert post(client, "/login/code", {"code": code}).status_code == 303
    assert client.get("/me").status_code == 200


def test_admin_can_require_two_step(app, client, make_user):
    make_user("fin", roles={Role.FINANCE}, totp_required=True)
    sign_in(client, "fin")
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/me/two-step")


def test_deactivation_ends_sessions(app, client, make_user):
    peer = make_user("sam")
    make_user("boss", roles={Role.ADMIN})
    peer_client = app.test_client()
    sign_in(peer_client, "sam")
    sign_in(client, "boss")
    response = post(
        client, f"/admin/users/{peer.id}/deactivate", form_url=f"/admin/users/{peer.id}"
    )
    assert response.status_code == 303
    assert peer_client.get("/me").status_code == 302
    with app.app_context():
        sessions = db.session.scalars(db.select(UserSession).filter_by(user_id=peer.id)).all()
        assert all(s.revoked_at is not None for s in sessions)


def test_successful_sign_ins_do_not_count_towards_the_limit(client, make_user):
    make_user("sam")
    for _ in range(7):
        assert sign_in(client, "sam").status_code == 303
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_expired_invitation_links_say_so_kindly(app, client, make_user):
    from datetime import timedelta

    from engage.core.db import utcnow
    from engage.people import services
    from engage.people.models import Invitation

    peer = make_user("kit", password=None)
    with app.test_request_context():
        link = services.invite(actor=None, user=db.session.get(User, peer.id), send=False)
        db.session.execute(db.update(Invitation).values(expires_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    response = client.get(link.value.removeprefix("http://localhost"))
    assert response.status_code == 410
    assert "This link no longer works" in response.get_data(as_text=True)


def test_the_account_limit_reads_alike_for_accounts_that_do_not_exist(client, make_user):
    """The per-account limit (beside the per-address one) counts the name however it is
    typed, and its answer for an unknown name is word for word the one for a real account."""
    make_user("sam")
    for typed in ("sam", " SAM", "Sam ", "sAm", "sam"):
        assert sign_in(client, typed, "guess").status_code == 200
    real = sign_in(client, "sam", PASSWORD)
    for _ in range(5):
        sign_in(client, "nobody", "guess")
    unknown = sign_in(client, "nobody", "guess")
    assert real.status_code == unknown.status_code == 429

    def strip(response):
        return re.sub(r'value="[^"]*"|"X-CSRFToken": "[^"]*"', "", response.get_data(as_text=True))

    assert strip(real) == strip(unknown)
    assert "wait 15 minutes" in strip(real)
    # Another account is not held up by them.
    make_user("alex")
    assert sign_in(client, "alex", PASSWORD).status_code == 303
