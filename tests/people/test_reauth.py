"""Confirm it is you: the password (and the two-step code, when set) again before changing bank
details, an email address or a password, and before downloading a payment run."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from engage.core.audit import AuditEntry
from engage.extensions import db
from engage.people.models import Role, User
from tests.conftest import PASSWORD, confirm_it_is_you, csrf_token, post, sign_in

NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)
SECRET = pyotp.random_base32()
BANK = {
    "account_name": "Ann Peer",
    "sort_code": "40-11-62",
    "account_number": "71836819",
    "roll_number": "",
}


@pytest.fixture(autouse=True)
def _now(clock):
    clock(NOW)


def _asked(response, back: str) -> bool:
    """The answer sends the person to confirm it is them, and back to ``back`` afterwards."""
    from urllib.parse import parse_qs, urlsplit

    if response.status_code not in (302, 303):
        return False
    parts = urlsplit(response.headers["Location"])
    return parts.path == "/confirm-it-is-you" and parse_qs(parts.query)["next"] == [back]


def _audits(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# Each protected action ---------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/me/bank-details", "/me/contact", "/me/password"])
def test_own_protected_forms_ask_first_then_show(client, signed_in, url):
    signed_in(Role.PEER)
    assert _asked(client.get(url), url)
    response = confirm_it_is_you(client)  # next=/me in the helper
    assert response.status_code == 303
    assert client.get(url).status_code == 200


def test_the_confirmation_comes_back_to_the_page(client, signed_in):
    signed_in(Role.PEER)
    page = client.get("/confirm-it-is-you?next=/me/bank-details").get_data(as_text=True)
    assert "For your safety, enter your password again." in page
    assert 'name="code"' not in page  # no two-step code set
    response = post(
        client,
        "/confirm-it-is-you",
        {"password": PASSWORD, "next": "/me/bank-details"},
        form_url="/confirm-it-is-you?next=/me/bank-details",
    )
    assert response.status_code == 303 and response.headers["Location"] == "/me/bank-details"


def test_a_manager_confirms_before_changing_a_peers_bank_details_or_email(
    client, signed_in, make_user, confirmed
):
    peer = make_user("ann", roles={Role.PEER})
    signed_in(Role.MANAGER)
    for suffix in ("/bank-details", "/contact"):
        url = f"/people/{peer.id}{suffix}"
        assert _asked(client.get(url), url)
    confirmed()
    for suffix in ("/bank-details", "/contact"):
        assert client.get(f"/people/{peer.id}{suffix}").status_code == 200


def test_finance_who_only_looks_at_bank_details_is_not_asked(client, signed_in, make_user):
    peer = make_user("ann", roles={Role.PEER})
    signed_in(Role.FINANCE)
    assert client.get(f"/people/{peer.id}/bank-details").status_code == 200


def test_bank_details_are_saved_once_confirmed(app, client, signed_in, confirmed):
    me = signed_in(Role.PEER)
    confirmed()
    response = post(client, "/me/bank-details", BANK)
    assert response.status_code == 303
    changed = _audits(app, "bank_details.changed")
    assert [e.subject_id for e in changed] == [me.id]


def test_the_window_runs_out(app, client, signed_in, confirmed, clock):
    signed_in(Role.PEER)
    confirmed()
    clock(NOW + timedelta(minutes=app.config["REAUTH_MINUTES"]))
    assert client.get("/me/bank-details").status_code == 200  # still just inside
    clock(NOW + timedelta(minutes=app.config["REAUTH_MINUTES"], seconds=1))
    assert _asked(client.get("/me/bank-details"), "/me/bank-details")


def test_typed_bank_details_are_kept_when_the_window_ran_out_meanwhile(
    app, client, signed_in, confirmed, clock
):
    signed_in(Role.PEER)
    confirmed()
    token = csrf_token(client, "/me/bank-details")  # the form is shown
    clock(NOW + timedelta(minutes=30))  # ... and they take a long time typing
    response = client.post("/me/bank-details", data=dict(BANK, csrf_token=token))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing has been saved yet" in page
    assert 'value="Ann Peer"' in page and 'value="71836819"' in page  # what they typed
    assert 'href="/confirm-it-is-you?next=/me/bank-details"' in page
    assert _audits(app, "bank_details.changed") == []


def test_an_email_change_waits_for_confirmation_but_other_contact_changes_do_not(
    app, client, signed_in, confirmed, clock
):
    me = signed_in(Role.PEER, email="old@example.org")
    confirmed()
    token = csrf_token(client, "/me/contact")
    clock(NOW + timedelta(minutes=30))
    response = client.post(
        "/me/contact",
        data={"contact_channel": "email", "email": "new@example.org", "csrf_token": token},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Nothing has been saved yet" in page
    assert 'value="new@example.org"' in page
    with app.app_context():
        assert db.session.get(User, me.id).email == "old@example.org"
    response = client.post(
        "/me/contact",
        data={
            "contact_channel": "email",
            "email": "old@example.org",
            "worker_name": "Jo",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    confirmed()
    response = client.post(
        "/me/contact",
        data={"contact_channel": "email", "email": "new@example.org", "csrf_token": token},
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(User, me.id).email == "new@example.org"


def test_a_password_change_that_was_not_confirmed_goes_to_confirm(app, client, signed_in):
    signed_in(Role.PEER)
    token = csrf_token(client, "/me")
    response = client.post(
        "/me/password",
        data={
            "password": "violet staple lantern",
            "csrf_token": token,
        },
    )
    assert _asked(response, "/me/password")
    assert _audits(app, "account.password_changed") == []


def test_a_password_change_works_once_confirmed(app, client, signed_in, confirmed):
    signed_in(Role.PEER)
    confirmed()
    response = post(client, "/me/password", {"password": "violet staple lantern"})
    assert response.status_code == 303
    assert len(_audits(app, "account.password_changed")) == 1


# Payment runs ------------------------------------------------------------------------------


@pytest.fixture
def ready_run(app, make_user):
    """A run (of one voucher payment) ready to download."""
    from engage.payments.models import PaymentRun

    with app.test_request_context():
        run = PaymentRun(
            key="reauth-test", created_by_id=make_user("maker", roles={Role.FINANCE}).id
        )
        db.session.add(run)
        db.session.commit()
        return run.id


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_downloading_a_run_asks_first(app, client, signed_in, confirmed, ready_run, extension):
    signed_in(Role.FINANCE)
    url = f"/payments/runs/{ready_run}.{extension}"
    # Back to the run's page afterwards, whose links then download the file.
    assert _asked(client.get(url), f"/payments/runs/{ready_run}")
    assert _audits(app, "run.exported") == []
    confirmed()
    response = client.get(url)
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert len(_audits(app, "run.exported")) == 1


def test_people_who_may_not_download_are_refused_before_being_asked(client, signed_in, ready_run):
    signed_in(Role.PEER)
    assert client.get(f"/payments/runs/{ready_run}.csv").status_code == 403


# Refusals ----------------------------------------------------------------------------------


def test_a_wrong_password_is_refused_kindly_and_audited(app, client, signed_in):
    me = signed_in(Role.PEER)
    response = confirm_it_is_you(client, "not my password")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "That password is not right. Check it and try again." in page
    assert _asked(client.get("/me/bank-details"), "/me/bank-details")
    failed = _audits(app, "reauth.failed")
    assert [(e.actor_id, e.subject_id) for e in failed] == [(me.id, me.id)]
    assert _audits(app, "reauth.confirmed") == []


def test_success_is_audited(app, client, signed_in, confirmed):
    me = signed_in(Role.PEER)
    confirmed()
    assert [e.actor_id for e in _audits(app, "reauth.confirmed")] == [me.id]


def test_wrong_passwords_are_limited(app, client, signed_in):
    signed_in(Role.PEER)
    for _attempt in range(5):
        assert confirm_it_is_you(client, "wrong").status_code == 200
    assert confirm_it_is_you(client, "wrong").status_code == 429
    # Not even the right password gets through until the limit has passed.
    assert confirm_it_is_you(client).status_code == 429


def test_the_two_step_code_is_needed_when_set(app, client, make_user):
    make_user("tess", roles={Role.PEER}, totp_secret=SECRET)
    token = csrf_token(client, "/login")
    client.post("/login", data={"login": "tess", "password": PASSWORD, "csrf_token": token})
    totp = pyotp.TOTP(SECRET)
    assert post(client, "/login/code", {"code": totp.now()}).status_code == 303
    page = client.get("/confirm-it-is-you?next=/me").get_data(as_text=True)
    assert 'name="code"' in page
    # The password alone is not enough, nor a wrong code.
    assert confirm_it_is_you(client).status_code == 200
    assert confirm_it_is_you(client, code="000000").status_code == 200
    assert _asked(client.get("/me/bank-details"), "/me/bank-details")
    # The code used to sign in has been used; the next one works.
    next_code = totp.at(time.time() + totp.interval)
    assert confirm_it_is_you(client, code=next_code).status_code == 303
    assert client.get("/me/bank-details").status_code == 200


@pytest.mark.parametrize(
    "target",
    ["//evil.com", "https://evil.com", "/\\evil.com", "http:/evil.com", "\\\\evil.com", ""],
)
def test_next_never_leaves_the_site(client, signed_in, target):
    signed_in(Role.PEER)
    response = post(
        client,
        "/confirm-it-is-you",
        {"password": PASSWORD, "next": target},
        form_url="/confirm-it-is-you",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/me"


def test_the_confirmation_is_kept_against_this_session_only(app, client, signed_in, confirmed):
    me = signed_in(Role.PEER)
    other = app.test_client()
    assert sign_in(other, me.username).status_code == 303
    confirmed()
    assert client.get("/me/bank-details").status_code == 200
    # Another browser signed in as the same person has not confirmed anything.
    assert _asked(other.get("/me/bank-details"), "/me/bank-details")


def test_visitors_are_sent_to_sign_in(client):
    response = client.get("/confirm-it-is-you?next=/me/bank-details")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_password_page_does_not_ask_for_the_current_password_again(
    app, client, signed_in, confirmed
):
    """Confirming it is you has just checked the current password: the page asks only for the
    new one, and saving needs nothing more."""
    signed_in(Role.PEER)
    confirmed()
    page = client.get("/me/password")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Current password" not in body and 'autocomplete="current-password"' not in body
    assert post(client, "/me/password", {"password": "violet staple lantern"}).status_code == 303
    assert len(_audits(app, "account.password_changed")) == 1
