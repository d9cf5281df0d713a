"""The permission matrix: every page, asked for by every role, answers as it should.

"own" pages are the person's own; "other" pages belong to another peer and must answer 404 to
anyone who may not see them, so a record's existence is never revealed.
"""

from __future__ import annotations

from datetime import date

import pytest

from engage.people.models import Role
from tests.conftest import csrf_token, post, sign_in

ROLES = [None, *Role]

# url template -> roles allowed (None is a visitor who has not signed in)
MATRIX = {
    "/": set(Role),
    "/me": set(Role),
    "/me/details": set(Role),
    "/me/contact": set(Role),
    "/me/access-needs": set(Role),
    "/me/payment": set(Role),
    "/me/pause": set(Role),
    "/me/consent": set(Role),
    "/me/equality": set(Role),
    "/me/password": set(Role),
    "/me/two-step": set(Role),
    "/me/data": set(Role),
    "/admin/data-requests": {Role.MANAGER, Role.ADMIN},
    "/admin/data-requests/new": {Role.MANAGER, Role.ADMIN},
    "/people": {Role.MANAGER},
    "/people/new": {Role.MANAGER},
    "/people/{peer}": {Role.MANAGER},
    "/people/{peer}/details": {Role.MANAGER},
    "/people/{peer}/access-needs": {Role.MANAGER},
    "/people/{peer}/consent": {Role.MANAGER},
    "/people/{peer}/meetings": {Role.MANAGER},
    "/people/{peer}/sign-in-link": {Role.MANAGER, Role.ADMIN},
    "/admin": {Role.ADMIN},
    "/admin/invite": {Role.ADMIN},
    "/admin/users/{peer}": {Role.ADMIN},
    "/admin/audit": {Role.ADMIN},
    "/admin/retention": {Role.ADMIN},
    "/people/{peer}/erase": {Role.ADMIN},
    "/admin/outbox": {Role.ADMIN, Role.MANAGER},
    "/register": set(Role),
    "/register/new": set(Role),
    "/you-said-we-did": set(Role),
    "/boards": {Role.BOARD, Role.MANAGER, Role.ADMIN},
    "/register.csv": {Role.BOARD, Role.MANAGER},
    "/register/settings": {Role.MANAGER, Role.ADMIN},
    "/dashboard": {Role.MANAGER, Role.BOARD, Role.PARTNER, Role.ADMIN},
    "/dashboard/export.csv": {Role.MANAGER, Role.BOARD, Role.PARTNER, Role.ADMIN},
    "/dashboard/export.xlsx": {Role.MANAGER, Role.BOARD, Role.PARTNER, Role.ADMIN},
    "/dashboard/who-is-involved": {Role.MANAGER, Role.BOARD, Role.ADMIN},
    "/dashboard/cohort": {Role.MANAGER, Role.ADMIN},
    "/dashboard/report": {Role.MANAGER, Role.ADMIN},
    "/dashboard/reports": {Role.MANAGER, Role.BOARD, Role.ADMIN},
    "/forums": set(Role),
    "/opportunities": {Role.PEER, Role.MANAGER},
    "/opportunities/new": {Role.MANAGER},
    "/requests": {Role.PARTNER, Role.MANAGER},
    "/requests/new": {Role.PARTNER, Role.MANAGER},
    "/me/calendar": set(Role),
    "/claims": {Role.PEER, Role.MANAGER, Role.FINANCE},
    "/claims/new": {Role.PEER},
    "/claims/cash": {Role.MANAGER},
    "/claims/{claim}": {Role.MANAGER, Role.FINANCE},
    "/me/payments": set(Role),
    "/me/payments/statement": set(Role),
    "/me/payments/letter": set(Role),
    "/me/bank-details": set(Role),
    "/people/{peer}/payments": {Role.MANAGER, Role.FINANCE},
    "/people/{peer}/payments/statement": {Role.MANAGER, Role.FINANCE},
    "/people/{peer}/bank-details": {Role.MANAGER, Role.FINANCE},
    "/payments": {Role.FINANCE},
    "/payments/people/{peer}": {Role.FINANCE},
    "/payments/runs": {Role.FINANCE},
    "/payments/runs/new": {Role.FINANCE},
    "/payments/time": {Role.MANAGER, Role.FINANCE},
    "/payments/time/new": {Role.MANAGER},
    "/payments/rates": {Role.ADMIN, Role.FINANCE, Role.MANAGER},
    "/payments/rates/new": {Role.ADMIN, Role.FINANCE},
    "/payments/mileage": {Role.ADMIN, Role.FINANCE, Role.MANAGER},
    "/payments/thresholds": {Role.ADMIN, Role.FINANCE, Role.MANAGER},
    "/payments/thresholds/new": {Role.ADMIN},
    "/payments/letter": {Role.ADMIN},
    "/surveys": set(Role),
    "/surveys/new": {Role.MANAGER},
    "/surveys/settings": {Role.ADMIN, Role.MANAGER},
    "/roles": {Role.ADMIN, Role.MANAGER},
    "/roles/new": {Role.ADMIN, Role.MANAGER},
    "/roles/{role}": {Role.ADMIN, Role.MANAGER},
    "/training/courses": {Role.ADMIN, Role.MANAGER},
    "/training/courses/new": {Role.ADMIN, Role.MANAGER},
    "/applications": {Role.MANAGER},
    "/applications/list": {Role.MANAGER},
    "/applications/{application}": {Role.MANAGER},
    "/applications/{application}/move?to=on_hold": {Role.MANAGER},
    "/applications/{application}/role": {Role.MANAGER},
    "/applications/{application}/references/new": {Role.MANAGER},
    "/applications/{application}/dbs/new": {Role.MANAGER},
    "/applications/{application}/activate": {Role.MANAGER},
    "/me/passport": set(Role),
    "/people/{peer}/passport": {Role.MANAGER},
    "/people/{peer}/reference-letter": {Role.MANAGER},
    "/people/{peer}/supervision": {Role.MANAGER, Role.ADMIN},
    "/people/{peer}/supervision/new": {Role.MANAGER, Role.ADMIN},
    "/roles/reference-letter": {Role.ADMIN},
    "/training": set(Role),
    "/training/gaps": {Role.MANAGER},
    "/training/gaps.csv": {Role.MANAGER},
    "/training/sessions/new": {Role.MANAGER},
    "/training/sessions/{session}": {Role.MANAGER},
    "/training/completions/new": {Role.MANAGER},
    "/fund": {Role.PEER, Role.MANAGER, Role.PARTNER, Role.FINANCE, Role.ADMIN},
    "/fund/new": {Role.PEER, Role.MANAGER, Role.PARTNER},
    "/fund/requests/{fund_request}": {Role.MANAGER, Role.FINANCE, Role.ADMIN},
    "/fund/requests/{fund_request}/follow-up": set(),  # the requester's own
    "/fund/requests/{fund_request}/raise": {Role.MANAGER, Role.ADMIN},
    "/fund/accounts": {Role.ADMIN, Role.FINANCE, Role.MANAGER},
    "/fund/accounts.csv": {Role.ADMIN, Role.FINANCE, Role.MANAGER},
    "/fund/accounts.xlsx": {Role.ADMIN, Role.FINANCE, Role.MANAGER},
    "/fund/money-in": {Role.ADMIN, Role.FINANCE},
    "/fund/settings": {Role.ADMIN, Role.FINANCE},
}
HIDDEN = {
    "/people/{peer}",
    "/people/{peer}/details",
    "/people/{peer}/access-needs",
    "/people/{peer}/consent",
    "/people/{peer}/sign-in-link",
    "/people/{peer}/meetings",
    "/people/{peer}/erase",
    "/claims/{claim}",
    "/people/{peer}/payments",
    "/people/{peer}/payments/statement",
    "/people/{peer}/bank-details",
    "/applications/{application}",
    "/applications/{application}/move?to=on_hold",
    "/applications/{application}/role",
    "/applications/{application}/references/new",
    "/applications/{application}/dbs/new",
    "/applications/{application}/activate",
    "/people/{peer}/passport",
    "/people/{peer}/reference-letter",
    "/people/{peer}/supervision",
    "/people/{peer}/supervision/new",
    "/fund/requests/{fund_request}",
    "/fund/requests/{fund_request}/follow-up",
    "/fund/requests/{fund_request}/raise",
}


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "visitor")
def test_every_page_refuses_the_roles_it_should(app, client, make_user, confirmed, pin_today, role):
    today = pin_today(date(2027, 3, 10))
    peer = make_user("theirs", roles={Role.PEER})
    claim = _claim_of(app, peer, today)
    role_id, application = _application(app)
    session = _training_session(app, make_user)
    fund_request = _fund_request(app, peer)
    if role is not None:
        make_user("me", roles={role})
        assert sign_in(client, "me").status_code == 303
        confirmed()  # pages that ask for the password again are tested in people/test_reauth
    for template, allowed in MATRIX.items():
        url = template.format(
            peer=peer.id,
            claim=claim,
            role=role_id,
            application=application,
            session=session,
            fund_request=fund_request,
        )
        status = client.get(url).status_code
        if role is None:
            assert status == 302, url  # sent to sign in
        elif role in allowed:
            assert status == 200, (role, url, status)
        elif template in HIDDEN:
            assert status == 404, (role, url, status)
        else:
            assert status == 403, (role, url, status)


def _claim_of(app, person, spent_on: date) -> int:
    """An expense claim of ``person`` for ``spent_on``, sent for a decision."""
    from decimal import Decimal

    from engage.extensions import db
    from engage.payments.claims import services as claim_services
    from engage.people.models import User

    with app.test_request_context():
        user = db.session.get(User, person.id)
        claim, _made = claim_services.quick_claim(
            user,
            user,
            method="bank",
            kind="bus",
            amount=Decimal("3.00"),
            spent_on=spent_on,
        )
        db.session.commit()
        return claim.id


def _fund_request(app, person) -> int:
    """A fund with money in, and ``person``'s request to it for themselves."""
    from decimal import Decimal

    from engage.extensions import db
    from engage.fund import services as fund
    from engage.people.models import User

    with app.test_request_context():
        user = db.session.get(User, person.id)
        made = fund.save_fund(
            None,
            None,
            name="Changing Lives Fund",
            purpose="",
            budget=Decimal("1000"),
            budget_from=None,
            budget_to=None,
            single_approval_limit=Decimal("100"),
        )
        row = fund.submit(
            user,
            made,
            person=user,
            person_ref="",
            category="phone",
            barrier="No phone",
            amount=Decimal("30"),
            how_it_helps="Can take calls",
            pay_to="voucher",
        )
        db.session.commit()
        return row.id


def _training_session(app, make_user) -> int:
    """A coming training session, put on by another manager."""
    from datetime import timedelta

    from engage.core.db import utcnow
    from engage.extensions import db
    from engage.mentoring import services as mentoring
    from engage.mentoring import training
    from engage.people.models import User

    organiser = make_user("organiser", roles={Role.MANAGER})
    with app.test_request_context():
        actor = db.session.get(User, organiser.id)
        course = mentoring.save_course(
            actor, None, name="Safeguarding", description="", valid_months=36, is_active=True
        )
        session, _made = training.create_session(
            actor,
            course,
            starts_at=utcnow() + timedelta(days=10),
            duration_minutes=120,
            paid=True,
        )
        db.session.commit()
        return session.id


def _application(app) -> tuple[int, int]:
    """A peer role and an application for it, as /join makes it."""
    from engage.extensions import db
    from engage.mentoring import services as mentoring
    from engage.mentoring.models import CheckLevel, ContactWay

    with app.test_request_context():
        role = mentoring.save_role(
            None,
            None,
            name="Peer mentor",
            description="Walk alongside someone.",
            check_level=CheckLevel.ENHANCED,
            paid=True,
            is_active=True,
            courses=[],
        )
        application, _made = mentoring.apply(
            role=role, name="Ann", contact_way=ContactWay.EMAIL, email="ann@example.org"
        )
        db.session.commit()
        return role.id, application.id


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "visitor")
def test_anyone_can_apply_for_a_peer_role(client, make_user, role):
    """/join needs no account: visitors and every role open it."""
    if role is not None:
        make_user("me", roles={role})
        assert sign_in(client, "me").status_code == 303
    assert client.get("/join").status_code == 200
    assert client.get("/join/thanks").status_code == 200


def test_a_peer_asking_for_another_peers_record_gets_404(client, make_user):
    other = make_user("other")
    make_user("me")
    sign_in(client, "me")
    for suffix in ("", "/details", "/contact", "/payment", "/consent", "/equality"):
        assert client.get(f"/people/{other.id}{suffix}").status_code == 404
    for suffix in ("/details", "/contact", "/payment", "/consent", "/equality", "/pause"):
        # A valid token does not help: the record is still not found, and nothing changes.
        response = post(
            client,
            f"/people/{other.id}{suffix}",
            {"preferred_name": "Hacked"},
            form_url="/me/details",
        )
        assert response.status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, "other")
    assert "Hacked" not in client.get("/me").get_data(as_text=True)


def test_managers_cannot_open_staff_profiles(client, make_user):
    finance = make_user("fin", roles={Role.FINANCE})
    make_user("mgr", roles={Role.MANAGER})
    sign_in(client, "mgr")
    assert client.get(f"/people/{finance.id}").status_code == 404


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


# The outbox: who reads which message --------------------------------------------------------

#: (the recipient's roles, the message's status) -> the roles that see it on /admin/outbox.
#: Managers only see messages that never reached a peer-only account, to pass them on or to
#: know why someone was not told; messages to staff, board or partner accounts are admins' only.
OUTBOX_MATRIX = {
    (frozenset({Role.PEER}), "undeliverable"): {Role.ADMIN, Role.MANAGER},
    (frozenset({Role.PEER}), "no_consent"): {Role.ADMIN, Role.MANAGER},
    (frozenset({Role.PEER}), "paused"): {Role.ADMIN, Role.MANAGER},
    (frozenset({Role.PEER}), "pending"): {Role.ADMIN},
    (frozenset({Role.PEER}), "sent"): {Role.ADMIN},
    (frozenset({Role.PEER}), "failed"): {Role.ADMIN},
    (frozenset({Role.PEER, Role.BOARD}), "undeliverable"): {Role.ADMIN},
    (frozenset({Role.PEER, Role.MANAGER}), "undeliverable"): {Role.ADMIN},
    (frozenset({Role.FINANCE}), "sent"): {Role.ADMIN},
    (frozenset({Role.FINANCE}), "undeliverable"): {Role.ADMIN},
    (frozenset({Role.ADMIN}), "undeliverable"): {Role.ADMIN},
    (frozenset({Role.MANAGER}), "undeliverable"): {Role.ADMIN},
    (frozenset({Role.BOARD}), "undeliverable"): {Role.ADMIN},
    (frozenset({Role.PARTNER}), "undeliverable"): {Role.ADMIN},
    (None, "undeliverable"): {Role.ADMIN},  # to an address, not an account
}


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "visitor")
def test_the_outbox_shows_each_role_only_the_messages_it_may_read(app, client, make_user, role):
    from engage.core.outbox import Notification
    from engage.extensions import db
    from engage.people.models import User
    from engage.people.permissions import can_view_message

    subjects = {}
    with app.app_context():
        for n, (roles, status) in enumerate(OUTBOX_MATRIX):
            recipient = make_user(f"to{n}", roles=set(roles)) if roles else None
            note = Notification(
                user_id=recipient.id if recipient else None,
                channel="email",
                to_address="",
                subject=f"Message number {n} here",
                body="Hello",
                kind="update",
                status=status,
            )
            db.session.add(note)
            db.session.commit()
            subjects[(roles, status)] = (note.id, note.subject)
    if role is not None:
        me = make_user("me", roles={role})
        sign_in(client, "me")
    response = client.get("/admin/outbox")
    if role not in (Role.ADMIN, Role.MANAGER):
        assert response.status_code == (302 if role is None else 403)
        return
    page = response.get_data(as_text=True)
    with app.app_context():
        viewer = db.session.get(User, me.id)
        for key, allowed in OUTBOX_MATRIX.items():
            note_id, subject = subjects[key]
            note = db.session.get(Notification, note_id)
            recipient = db.session.get(User, note.user_id) if note.user_id else None
            assert (subject in page) == (role in allowed), (role, key)
            assert can_view_message(viewer, note, recipient) == (role in allowed), (role, key)


def test_a_password_reset_for_finance_never_shows_a_working_link(app, client, make_user):
    """The takeover: anyone asks for finance's reset, a manager reads the link in the outbox."""
    make_user("fin", roles={Role.FINANCE}, email="fin@example.org")
    post(client, "/password/forgot", {"login": "fin"})
    make_user("mgr", roles={Role.MANAGER})
    make_user("boss", roles={Role.ADMIN})
    manager, admin = app.test_client(), app.test_client()
    sign_in(manager, "mgr")
    sign_in(admin, "boss")
    assert "Reset your password" not in manager.get("/admin/outbox").get_data(as_text=True)
    page = admin.get("/admin/outbox").get_data(as_text=True)
    assert "Reset your password" in page
    assert "/password/reset/" not in page
    assert "(private link, sent only to the person)" in page


#: The account a manager asks a printable sign-in link for -> whether they may.
SIGN_IN_LINK_MATRIX = {
    frozenset({Role.PEER}): True,
    frozenset({Role.PEER, Role.BOARD}): False,
    frozenset({Role.MANAGER}): False,
    frozenset({Role.FINANCE}): False,
    frozenset({Role.BOARD}): False,
    frozenset({Role.PARTNER}): False,
    frozenset({Role.ADMIN}): False,
}


@pytest.mark.parametrize("roles", SIGN_IN_LINK_MATRIX, ids=lambda r: "+".join(sorted(r)))
def test_managers_make_sign_in_links_only_for_peers(app, client, make_user, roles):
    from engage.extensions import db
    from engage.people.models import Invitation

    person = make_user("them", roles=set(roles), email="them@example.org")
    make_user("mgr", roles={Role.MANAGER})
    sign_in(client, "mgr")
    url = f"/people/{person.id}/sign-in-link"
    allowed = SIGN_IN_LINK_MATRIX[roles]
    assert client.get(url).status_code == (200 if allowed else 404)
    response = post(client, url, {}, form_url="/people/new")
    assert response.status_code == (200 if allowed else 404)
    with app.app_context():
        made = db.session.scalar(db.select(db.func.count(Invitation.id)))
    assert made == (1 if allowed else 0)
