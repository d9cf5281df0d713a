"""The pipeline as managers use it (board, list, application page, moves, checks, making
someone active), and what everyone else may never see."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from engage.core.audit import AuditEntry
from engage.extensions import db
from engage.mentoring.models import Application, DbsCheck, PeerRole, RoleHeld, Stage
from engage.people.models import Role, User
from tests.conftest import csrf_token, post, sign_in
from tests.mentoring.conftest import GOING_AHEAD, NOW, TO_TRAINING, TODAY, day


def _application(app, application_id: int) -> Application:
    with app.app_context():
        application = db.session.get(Application, application_id)
        _ = application.moves, application.role, application.dbs_checks, application.references
        return application


def _card_move(client, application_id: int, to: str, version: int | None = None, **headers):
    """Press a board card's button (a plain form; htmx only sends it in place)."""
    data = {
        "csrf_token": csrf_token(client, "/applications"),
        "to": to,
        "next": "/applications",
    }
    if version is not None:
        data["version"] = str(version)
    return client.post(f"/applications/{application_id}/move", data=data, headers=headers)


def test_a_manager_moves_an_application_from_applied_to_active_and_the_peer_signs_in(
    app, client, manager, make_application, sent_messages
):
    application_id = make_application("mentor", name="Ann Lee", email="ann@example.org")
    sign_in(client, "manager")
    board = client.get("/applications").get_data(as_text=True)
    assert "Ann Lee" in board and "Move to First conversation" in board
    for stage in ("conversation", "references", "checks"):
        version = _application(app, application_id).version
        response = _card_move(client, application_id, stage, version)
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        assert response.headers["Location"] == "/applications"
    # The mentor role needs an enhanced DBS check before induction.
    response = _card_move(
        client, application_id, "induction", _application(app, application_id).version
    )
    assert "Record the DBS check before induction." in response.get_data(as_text=True)
    assert _application(app, application_id).stage == "checks"
    response = post(
        client,
        f"/applications/{application_id}/dbs/new",
        {
            "level": "enhanced",
            "certificate_date": (TODAY - timedelta(days=3)).isoformat(),
            "outcome": "clear",
            "renewal_date": (TODAY + timedelta(days=3 * 365)).isoformat(),
        },
    )
    assert response.status_code == 303
    for stage in ("induction", "training"):
        response = _card_move(
            client, application_id, stage, _application(app, application_id).version
        )
        assert response.status_code == 303
    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Make active" in page
    response = post(
        client,
        f"/applications/{application_id}/activate",
        {
            "version": str(_application(app, application_id).version),
            "account": "new",
            "username": "",
            "contact_consent": "yes",
            "reason": GOING_AHEAD,
        },
    )
    assert response.status_code == 303
    application = _application(app, application_id)
    assert application.stage == "active" and application.user_id is not None
    assert [m.to_stage for m in application.moves][-1] == "active"
    # The invitation went to them; they choose a password and are signed in.
    invitation = next(
        m for m in sent_messages if m.to_address == "ann@example.org" and "/invitation/" in m.body
    )
    path = re.search(r"http://localhost(/invitation/[\w-]+)", invitation.body).group(1)
    newcomer = app.test_client()
    assert post(newcomer, path, {"password": "maple orbit kettle"}).status_code == 303
    assert "Ann Lee" in newcomer.get("/").get_data(as_text=True)
    newcomer.post("/logout", data={"csrf_token": csrf_token(newcomer, "/")})
    assert sign_in(newcomer, "ann.lee", "maple orbit kettle").status_code == 303
    with app.app_context():
        held = db.session.scalar(db.select(RoleHeld))
        assert held.user_id == application.user_id and held.from_date == TODAY


def test_activation_links_the_account_with_their_email(
    app, client, manager, make_user, make_application, move_along
):
    existing = make_user("annie", roles={Role.PEER}, email="ann@example.org")
    application_id = make_application(email="ann@example.org")
    move_along(application_id, *TO_TRAINING)
    sign_in(client, "manager")
    page = client.get(f"/applications/{application_id}/activate").get_data(as_text=True)
    assert "An account already uses the email address they gave: annie" in page
    assert 'value="annie"' in page
    response = post(
        client,
        f"/applications/{application_id}/activate",
        {
            "account": "existing",
            "existing_login": "annie",
            "contact_consent": "no",
            "reason": GOING_AHEAD,
        },
    )
    assert response.status_code == 303
    assert _application(app, application_id).user_id == existing.id


def test_activation_mistakes_are_said_plainly(
    app, client, manager, make_user, make_application, move_along
):
    make_user("someone", roles={Role.PEER}, email="ann@example.org")
    application_id = make_application(email="ann@example.org")
    move_along(application_id, *TO_TRAINING)
    sign_in(client, "manager")
    url = f"/applications/{application_id}/activate"
    cases = [
        (
            {"account": "existing", "existing_login": "", "contact_consent": "no"},
            "Enter their username or email address",
        ),
        (
            {"account": "existing", "existing_login": "nobody", "contact_consent": "no"},
            "There is no account with that username",
        ),
        (
            {"account": "existing", "existing_login": "manager", "contact_consent": "no"},
            "not an active peer",
        ),
        ({"account": "new", "username": "x", "contact_consent": "yes"}, "Use 3 to 60 letters"),
        (
            {"account": "new", "username": "", "contact_consent": "yes"},
            "An account already uses that email address",
        ),
        ({"account": "new", "username": "someone", "contact_consent": "yes"}, "already taken"),
    ]
    for data, message in cases:
        response = post(client, url, data | {"reason": GOING_AHEAD})
        assert response.status_code in (200, 400), (data, response.status_code)
        assert message in response.get_data(as_text=True), data
    assert _application(app, application_id).stage == "training"


def test_withdrawing_needs_a_reason_and_keeps_what_was_typed(
    app, client, manager, make_application
):
    application_id = make_application()
    sign_in(client, "manager")
    page = client.get(f"/applications/{application_id}/move?to=withdrawn")
    assert page.status_code == 200 and "Why? (for the record)" in page.get_data(as_text=True)
    url = f"/applications/{application_id}/move"
    response = post(client, url, {"to": "withdrawn", "reason": ""}, form_url=url + "?to=withdrawn")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Give a reason for the record" in html
    assert _application(app, application_id).stage == "applied"
    response = post(
        client, url, {"to": "withdrawn", "reason": "New job"}, form_url=url + "?to=withdrawn"
    )
    assert response.status_code == 303
    application = _application(app, application_id)
    assert application.stage == "withdrawn" and application.moves[-1].reason == "New job"


def test_not_progressed_tells_them_kindly_through_the_page(app, client, manager, make_application):
    from engage.core.outbox import Notification

    application_id = make_application(contact_way="text", phone="07700 900 333", email="")
    sign_in(client, "manager")
    url = f"/applications/{application_id}/move"
    page = client.get(url + "?to=not_progressed").get_data(as_text=True)
    assert "It does not give your reason." in page
    response = post(
        client,
        url,
        {
            "to": "not_progressed",
            "reason": "Not ready yet",
            "note_to_person": "See you at the forum!",
        },
        form_url=url + "?to=not_progressed",
    )
    assert response.status_code == 303
    with app.app_context():
        note = db.session.scalars(db.select(Notification).order_by(Notification.id.desc())).first()
        assert note.to_address == "07700 900 333" and "See you at the forum!" in note.body
        assert "Not ready yet" not in note.body
    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "About your application" in page and "Not ready yet" in page  # managers read both


def test_a_stale_or_illegal_move_is_refused_with_a_message(
    app, client, manager, make_application, move_along
):
    application_id = make_application()
    sign_in(client, "manager")
    old_version = _application(app, application_id).version
    move_along(application_id, Stage.CONVERSATION)  # someone else moved it meanwhile
    url = f"/applications/{application_id}/move"
    response = post(
        client, url, {"to": "on_hold", "version": str(old_version)}, form_url=url + "?to=on_hold"
    )
    assert response.status_code == 409
    assert "Someone else changed this" in response.get_data(as_text=True)
    assert _application(app, application_id).stage == "conversation"
    # From the board: the board comes back saying why.
    response = _card_move(client, application_id, "training")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "cannot move to" in html
    assert client.get(f"{url}?to=nowhere").status_code == 404
    assert client.get(f"{url}?to=active").status_code == 303  # "Make active" has its own page


def test_htmx_moves_a_card_in_place(app, client, manager, make_application):
    application_id = make_application(name="Ann")
    sign_in(client, "manager")
    response = _card_move(
        client,
        application_id,
        "conversation",
        _application(app, application_id).version,
        **{"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "Ann moved to “First conversation”." in html
    assert 'id="column-conversation"' in html
    assert response.headers["Vary"] and "HX-Request" in response.headers["Vary"]
    # The filters as a fragment too.
    fragment = client.get("/applications?stage=conversation", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and "Ann" in fragment.get_data(
        as_text=True
    )


def test_board_and_list_say_how_long_each_has_waited(
    app, client, clock, manager, make_application, roles
):
    make_application("champion", name="Ann")
    clock(NOW + timedelta(days=12))
    make_application("mentor", name="Bob", email="bob@example.org")
    sign_in(client, "manager")
    board = client.get("/applications").get_data(as_text=True)
    assert "Waiting 12 days" in board and "Moved today" in board
    listing = client.get("/applications/list").get_data(as_text=True)
    assert listing.index("Ann") < listing.index("Bob")  # the longest waiting first
    only_mentors = client.get(f"/applications/list?role={roles['mentor']}").get_data(as_text=True)
    assert "Bob" in only_mentors and ">Ann<" not in only_mentors
    not_sure = client.get("/applications/list?role=not_sure").get_data(as_text=True)
    assert "No applications here." in not_sure
    for nonsense in ("?role=-1", "?stage=everything", "?page=99999999999999", "?role=1e9"):
        assert client.get("/applications/list" + nonsense).status_code == 200
        assert client.get("/applications" + nonsense).status_code == 200


def test_the_application_page_shows_history_and_messages(
    app, client, manager, make_application, move_along
):
    application_id = make_application(contact_way="post", postal_address="1 High St", email="")
    move_along(application_id, Stage.CONVERSATION, Stage.ON_HOLD)
    sign_in(client, "manager")
    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "moved from “Applied” to “First conversation”" in page
    assert "Testing the reasons" in page
    assert "Not sent: pass this on by letter or through their worker." in page
    assert "1 High St" in page
    assert "Back to First conversation" in page  # on hold goes back to where it left


def test_references_are_added_and_updated(app, client, manager, make_application):
    application_id = make_application()
    sign_in(client, "manager")
    url = f"/applications/{application_id}/references/new"
    response = post(
        client, url, {"referee_name": "", "how_to_reach": "", "requested_on": "31/02/2027"}
    )
    html = response.get_data(as_text=True)
    assert "Enter their name" in html and "Enter a real date" in html
    response = post(
        client,
        url,
        {"referee_name": "Jo", "how_to_reach": "0117 000", "requested_on": TODAY.isoformat()},
    )
    assert response.status_code == 303
    reference_id = _application(app, application_id).references[0].id
    edit = f"/applications/{application_id}/references/{reference_id}"
    response = post(
        client,
        edit,
        {
            "referee_name": "Jo",
            "how_to_reach": "0117 000",
            "requested_on": TODAY.isoformat(),
            "outcome": "supports",
        },
    )
    assert "Enter the date the reference came back" in response.get_data(as_text=True)
    response = post(
        client,
        edit,
        {
            "referee_name": "Jo",
            "how_to_reach": "0117 000",
            "requested_on": TODAY.isoformat(),
            "received_on": TODAY.isoformat(),
            "outcome": "supports",
        },
    )
    assert response.status_code == 303
    assert "Supports the application" in client.get(f"/applications/{application_id}").get_data(
        as_text=True
    )
    # Another application's reference is not found through this one.
    other = make_application(email="o@example.org")
    assert client.get(f"/applications/{other}/references/{reference_id}").status_code == 404


# Checks and who sees them --------------------------------------------------------------------


def test_a_disclosure_leads_to_a_decision_page_in_neutral_words(
    app, client, manager, make_application, move_along
):
    application_id = make_application("mentor")
    move_along(application_id, Stage.CONVERSATION, Stage.REFERENCES, Stage.CHECKS)
    sign_in(client, "manager")
    form = client.get(f"/applications/{application_id}/dbs/new").get_data(as_text=True)
    assert "Never write down what a certificate says." in form
    assert "textarea" not in form  # no free text anywhere near a check
    response = post(
        client,
        f"/applications/{application_id}/dbs/new",
        {"level": "enhanced", "certificate_date": TODAY.isoformat(), "outcome": "disclosed"},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/decision")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "That is not a no" in page and "textarea" not in page
    for word in ("reject", "refuse", "unsuitable", "fail", "offence", "conviction"):
        assert word not in page.lower(), word
    check_id = _application(app, application_id).dbs_checks[0].id
    url = f"/applications/{application_id}/dbs/{check_id}/decision"
    response = post(
        client, url, {"decision": "proceed_with_support", "review_date": TODAY.isoformat()}
    )
    assert "Choose a review date after today" in response.get_data(as_text=True)
    response = post(
        client, url, {"decision": "proceed_with_support", "review_date": day(90).isoformat()}
    )
    assert response.status_code == 303
    version = _application(app, application_id).version
    assert _card_move(client, application_id, "induction", version).status_code == 303


def test_every_view_of_a_check_is_audited(app, client, manager, disclosed):
    sign_in(client, "manager")
    for _ in range(2):
        page = client.get(f"/applications/{disclosed}").get_data(as_text=True)
        assert "Information disclosed" in page and "Go ahead, with support agreed together" in page
    check_id = _application(app, disclosed).dbs_checks[0].id
    client.get(f"/applications/{disclosed}/dbs/{check_id}")
    client.get(f"/applications/{disclosed}/dbs/{check_id}/decision")
    with app.app_context():
        views = db.session.scalars(
            db.select(AuditEntry).where(
                AuditEntry.action == "dbs.viewed", AuditEntry.actor_id == manager.id
            )
        ).all()
        assert len(views) == 4
        assert all(f'"application": {disclosed}' in v.detail for v in views)


OTHER_ROLES = [Role.PEER, Role.PARTNER, Role.BOARD, Role.FINANCE, Role.ADMIN]


@pytest.mark.parametrize("role", OTHER_ROLES, ids=lambda r: r.value)
def test_checks_and_applications_never_reach_other_roles(app, client, make_user, disclosed, role):
    check_id = _application(app, disclosed).dbs_checks[0].id
    make_user("someone", roles={role})
    sign_in(client, "someone")
    hidden = [
        f"/applications/{disclosed}",
        f"/applications/{disclosed}/dbs/new",
        f"/applications/{disclosed}/dbs/{check_id}",
        f"/applications/{disclosed}/dbs/{check_id}/decision",
        f"/applications/{disclosed}/move?to=withdrawn",
        f"/applications/{disclosed}/activate",
        f"/applications/{disclosed}/references/new",
        f"/applications/{disclosed}/role",
    ]
    for url in hidden:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 404, (url, response.status_code)
            assert "Information disclosed" not in response.get_data(as_text=True)
    for url in ("/applications", "/applications/list", "/applications?stage=checks"):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 403 and "Beth" not in response.get_data(as_text=True)
    # Posting does nothing either.
    response = post(
        client,
        f"/applications/{disclosed}/dbs/{check_id}/decision",
        {"decision": "not_for_this_role", "review_date": day(30).isoformat()},
        form_url="/",
    )
    assert response.status_code == 404
    with app.app_context():
        assert len(db.session.get(DbsCheck, check_id).decisions) == 1
    # Admins keep the audit log and the outbox: neither carries the outcome.
    if role == Role.ADMIN:
        for url in ("/admin/audit", "/admin/outbox"):
            page = client.get(url).get_data(as_text=True)
            assert "Information disclosed" not in page and "disclosed" not in page.lower()


def test_the_peer_never_sees_their_own_check_outcome_on_their_pages(
    app, client, manager, disclosed, move_along
):
    move_along(disclosed, Stage.INDUCTION, Stage.TRAINING)
    with app.test_request_context():
        from engage.mentoring import services

        done = services.activate(
            db.session.get(User, manager.id),
            db.session.get(Application, disclosed),
            reason=GOING_AHEAD,
        )
        done.user.password_hash = db.session.get(User, manager.id).password_hash
        username = done.user.username
        db.session.commit()
    sign_in(client, username)
    for url in ("/", "/me"):
        page = client.get(url).get_data(as_text=True)
        assert "disclosed" not in page.lower() and "DBS" not in page


# Peer roles and courses -------------------------------------------------------------------------


def test_admins_keep_roles_and_courses(app, client, make_user, roles):
    make_user("boss", roles={Role.ADMIN})
    sign_in(client, "boss")
    response = post(
        client,
        "/training/courses/new",
        {"name": "Lone working", "valid_months": "36", "active": "yes"},
    )
    assert response.status_code == 303
    response = post(client, "/training/courses/new", {"name": "lone working", "active": "yes"})
    assert "There is already a course called" in response.get_data(as_text=True)
    response = post(
        client, "/training/courses/new", {"name": "X", "valid_months": "forever", "active": "yes"}
    )
    assert "Enter a whole number of months" in response.get_data(as_text=True)
    assert "36 months" in client.get("/training/courses").get_data(as_text=True)
    with app.app_context():
        from engage.mentoring.models import Course

        course_id = db.session.scalar(db.select(Course.id).where(Course.name == "Lone working"))
    response = post(
        client,
        "/roles/new",
        {
            "name": "Peer researcher",
            "description": "Ask people what they think of services.",
            "check_level": "basic",
            "paid": "yes",
            "active": "yes",
            "courses": [str(course_id)],
        },
    )
    assert response.status_code == 303
    listing = client.get("/roles").get_data(as_text=True)
    assert (
        "Peer researcher" in listing and "Basic DBS check" in listing and "Lone working" in listing
    )
    assert "Peer researcher" in app.test_client().get("/join").get_data(as_text=True)
    with app.app_context():
        role = db.session.scalar(db.select(PeerRole).where(PeerRole.name == "Peer researcher"))
        role_id, version = role.id, role.version
    # Two people editing: the second save, from a stale page, is refused and keeps its text.
    fields = {
        "name": "Peer researcher",
        "description": "Changed",
        "check_level": "basic",
        "paid": "yes",
        "active": "no",
    }
    assert post(client, f"/roles/{role_id}", dict(fields, version=str(version))).status_code == 303
    response = post(
        client, f"/roles/{role_id}", dict(fields, description="Mine", version=str(version))
    )
    assert response.status_code == 409 and "Mine" in response.get_data(as_text=True)
    assert "Peer researcher" not in app.test_client().get("/join").get_data(as_text=True)
    assert client.get("/roles/999999").status_code == 404


def test_a_huge_or_odd_course_id_is_not_found(client, make_user):
    make_user("boss", roles={Role.ADMIN})
    sign_in(client, "boss")
    assert client.get("/training/courses/99999999999999999").status_code == 404
    assert client.get("/applications/99999999999999999").status_code == 404


def test_the_manager_home_page_counts_applications_waiting(client, manager, make_application):
    make_application(name="Ann")
    make_application(name="Bob", email="bob@example.org")
    sign_in(client, "manager")
    page = client.get("/").get_data(as_text=True)
    assert "2 applications for peer roles waiting" in page


def test_a_date_after_now_is_fine_for_clock_pinned_pages(client, clock, manager):
    clock(datetime(2027, 3, 28, 0, 30, tzinfo=UTC))  # the night the clocks go forward
    sign_in(client, "manager")
    assert client.get("/applications").status_code == 200


def test_the_board_and_list_make_the_same_queries_however_many_applications(
    app, client, manager, roles
):
    from engage.mentoring import services
    from engage.mentoring.models import ContactWay
    from tests.conftest import count_queries

    def add(count: int, start: int) -> None:
        with app.test_request_context():
            actor = db.session.get(User, manager.id)
            for n in range(start, start + count):
                role = db.session.get(PeerRole, roles["mentor" if n % 2 else "champion"])
                application, _made = services.apply(
                    role=role, name=f"Person {n}", contact_way=ContactWay.TEXT, phone="07700 900000"
                )
                for stage in (Stage.CONVERSATION, Stage.REFERENCES)[: n % 3]:
                    services.move(actor, application, stage)
            db.session.commit()

    sign_in(client, "manager")
    add(6, 0)
    few = {url: count_queries(app, client, url) for url in ("/applications", "/applications/list")}
    add(60, 6)
    many = {url: count_queries(app, client, url) for url in ("/applications", "/applications/list")}
    assert few == many, (few, many)


def test_the_page_says_what_is_needed_before_the_next_stage(
    client, manager, make_application, move_along
):
    application_id = make_application("mentor")
    move_along(application_id, Stage.CONVERSATION, Stage.REFERENCES, Stage.CHECKS)
    sign_in(client, "manager")
    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Before “Induction”: Record the DBS check before induction." in page
