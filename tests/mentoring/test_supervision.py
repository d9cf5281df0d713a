"""Supervision and reflective practice: logging a session (its checks, a double press, a
stale form), who reads the private notes (the supervisor and managers, each reading audited)
and who never does, on any page or fragment they can reach; and the measure of supervised
hours."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from engage.core.audit import AuditEntry
from engage.extensions import db
from engage.mentoring import measures, supervision
from engage.mentoring.models import RoleHeld, SupervisionKind, SupervisionSession
from engage.people.models import Role, User
from tests.conftest import csrf_token, sign_in
from tests.mentoring.conftest import day

NOTES = "Private words about a hard week 7f3a"


def _sessions(app, person_id: int) -> list[SupervisionSession]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(SupervisionSession)
            .where(SupervisionSession.person_id == person_id)
            .order_by(SupervisionSession.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def _form(client, url: str) -> dict[str, str]:
    """The hidden fields of the form at ``url`` (CSRF token, version, submission key)."""
    page = client.get(url).get_data(as_text=True)
    fields = {"csrf_token": csrf_token(client, url)}
    for name in ("version", "submission_key"):
        found = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)
        if found:
            fields[name] = found.group(1)
    return fields


def _new(client, person_id: int, manager_id: int, **changes):
    url = f"/people/{person_id}/supervision/new"
    data = _form(client, url) | {
        "held_on": day(-3).isoformat(),
        "supervisor": str(manager_id),
        "kind": "supervision",
        "minutes": "60",
        "notes": NOTES,
    }
    data.update(changes)
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


# Logging --------------------------------------------------------------------------------------


def test_a_manager_logs_a_session_and_the_list_never_shows_its_notes(
    app, client, manager, role_holder
):
    sam = role_holder("sam")
    sign_in(client, "manager")
    response = _new(client, sam.id, manager.id)
    assert response.status_code == 303
    [session] = _sessions(app, sam.id)
    assert (session.held_on, session.kind, session.minutes) == (day(-3), "supervision", 60)
    assert session.notes == NOTES and session.supervisor_id == manager.id
    assert session.recorded_by_id == manager.id
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The session is logged." in listing
    assert "1 hour" in listing and "Manager" in listing  # how long, and who led it
    assert NOTES not in listing
    [logged] = _audit(app, "supervision.logged")
    assert logged.subject_id == sam.id and NOTES not in logged.detail


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"held_on": ""}, "Enter the date of the session"),
        ({"held_on": "2027-02-30"}, "Enter a real date"),
        ({"held_on": day(1).isoformat()}, "today or in the past"),
        ({"held_on": "1999-01-01"}, "not more than 5 years ago"),
        ({"minutes": ""}, "Enter how long it lasted"),
        ({"minutes": "4"}, "from 5 to 600 minutes"),
        ({"minutes": "601"}, "from 5 to 600 minutes"),
        ({"minutes": "99999999999999999999999"}, "from 5 to 600 minutes"),
        ({"minutes": "1.5"}, "Enter a whole number of minutes"),
        ({"minutes": "-60"}, "from 5 to 600 minutes"),
        ({"kind": "therapy"}, "Choose the kind of session"),
        ({"supervisor": ""}, "Choose who led the session"),
        ({"notes": "x" * 10001}, "10000 characters or fewer"),
    ],
)
def test_a_mistake_comes_back_kindly_with_what_was_typed(
    app, client, manager, role_holder, changes, message
):
    sam = role_holder("sam")
    sign_in(client, "manager")
    response = _new(client, sam.id, manager.id, **changes)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert "There is a problem" in page
    if "notes" not in changes:
        assert NOTES in page  # what they typed is still there
    assert _sessions(app, sam.id) == []


def test_only_staff_who_supervise_can_be_named(app, client, manager, role_holder, make_user):
    sam = role_holder("sam")
    other_peer = make_user("olu")
    finance = make_user("fin", roles={Role.FINANCE})
    sign_in(client, "manager")
    page = client.get(f"/people/{sam.id}/supervision/new").get_data(as_text=True)
    assert "Olu" not in page and "Fin" not in page and "Sam</option>" not in page
    for someone in (other_peer, finance, sam):
        response = _new(client, sam.id, manager.id, supervisor=str(someone.id))
        assert "Choose who led the session" in response.get_data(as_text=True)
    assert _sessions(app, sam.id) == []


def test_a_double_press_logs_one_session(app, client, manager, role_holder):
    sam = role_holder("sam")
    sign_in(client, "manager")
    url = f"/people/{sam.id}/supervision/new"
    data = _form(client, url) | {
        "held_on": day(-3).isoformat(),
        "supervisor": str(manager.id),
        "kind": "reflective",
        "minutes": "120",
        "notes": NOTES,
    }
    first = client.post(url, data=data)
    second = client.post(url, data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(_sessions(app, sam.id)) == 1


def test_someone_who_never_held_a_role_has_no_supervision_to_log(app, client, manager, make_user):
    newcomer = make_user("newcomer")
    sign_in(client, "manager")
    page = client.get(f"/people/{newcomer.id}/supervision").get_data(as_text=True)
    assert "has not held a peer role" in page and "Log a session" not in page
    response = client.post(
        f"/people/{newcomer.id}/supervision/new",
        data={
            "csrf_token": csrf_token(client, "/"),
            "held_on": day(-3).isoformat(),
            "supervisor": str(manager.id),
            "kind": "supervision",
            "minutes": "60",
        },
    )
    assert response.status_code == 200
    assert "has not held a peer role" in response.get_data(as_text=True)
    assert _sessions(app, newcomer.id) == []


def test_the_service_refuses_what_the_form_would(app, ctx, manager, role_holder, make_user):
    sam = role_holder("sam")
    admin = make_user("alex", roles={Role.ADMIN})
    actor = db.session.get(User, manager.id)
    person = db.session.get(User, sam.id)
    values = {"kind": SupervisionKind.SUPERVISION, "held_on": day(-1), "minutes": 60}
    with pytest.raises(supervision.SupervisionError, match="today or in the past"):
        supervision.log_session(actor, person, supervisor=actor, **(values | {"held_on": day(1)}))
    with pytest.raises(supervision.SupervisionError, match="5 to 600"):
        supervision.log_session(actor, person, supervisor=actor, **(values | {"minutes": 601}))
    with pytest.raises(supervision.SupervisionError, match="Choose who led"):
        supervision.log_session(actor, person, supervisor=person, **values)
    # An admin who supervises logs their own sessions, and only those.
    alex = db.session.get(User, admin.id)
    with pytest.raises(supervision.SupervisionError, match="only the sessions you led"):
        supervision.log_session(alex, person, supervisor=actor, **values)
    assert supervision.log_session(alex, person, supervisor=alex, **values).supervisor_id == alex.id


# Changing, with a stale form -------------------------------------------------------------------


def test_a_stale_change_is_refused_kindly_and_keeps_what_was_typed(
    app, client, manager, role_holder, log_session, make_user
):
    sam = role_holder("sam")
    session_id = log_session(sam, notes=NOTES)
    url = f"/people/{sam.id}/supervision/{session_id}/change"
    sign_in(client, "manager")
    stale = _form(client, url)
    # Meanwhile another manager corrects the length.
    make_user("other", roles={Role.MANAGER})
    other = app.test_client()
    sign_in(other, "other")
    fresh = _form(other, url) | {
        "held_on": day(-7).isoformat(),
        "supervisor": str(manager.id),
        "kind": "supervision",
        "minutes": "90",
        "notes": NOTES,
    }
    assert other.post(url, data=fresh).status_code == 303
    mine = stale | {
        "held_on": day(-7).isoformat(),
        "supervisor": str(manager.id),
        "kind": "supervision",
        "minutes": "45",
        "notes": "My own second thoughts",
    }
    response = client.post(url, data=mine)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this while you were working on it" in page
    assert "My own second thoughts" in page and 'value="45"' in page
    [session] = _sessions(app, sam.id)
    assert (session.minutes, session.notes) == (90, NOTES)
    # Sending it again, having seen the message, saves it.
    mine["version"] = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    assert client.post(url, data=mine).status_code == 303
    [session] = _sessions(app, sam.id)
    assert (session.minutes, session.notes) == (45, "My own second thoughts")


def test_a_second_press_of_the_same_change_is_not_a_conflict(
    app, client, manager, role_holder, log_session
):
    sam = role_holder("sam")
    session_id = log_session(sam, notes=NOTES)
    url = f"/people/{sam.id}/supervision/{session_id}/change"
    sign_in(client, "manager")
    data = _form(client, url) | {
        "held_on": day(-6).isoformat(),
        "supervisor": str(manager.id),
        "kind": "reflective",
        "minutes": "100",
        "notes": NOTES,
    }
    assert client.post(url, data=data).status_code == 303
    again = client.post(url, data=data)
    assert again.status_code == 303
    [session] = _sessions(app, sam.id)
    assert (session.kind, session.minutes, session.version) == ("reflective", 100, 2)


# Who reads the notes ---------------------------------------------------------------------------


def test_the_supervisor_and_managers_read_the_notes_and_each_reading_is_audited(
    app, client, manager, role_holder, log_session, make_user
):
    sam = role_holder("sam")
    admin = make_user("alex", roles={Role.ADMIN})
    led_by_alex = log_session(sam, supervisor=admin, notes=NOTES)
    led_by_manager = log_session(sam, notes="Another private note 91c2")
    sign_in(client, "manager")
    for _ in range(2):
        page = client.get(f"/people/{sam.id}/supervision/{led_by_alex}").get_data(as_text=True)
        assert NOTES in page
    views = _audit(app, "supervision.notes_viewed")
    assert len(views) == 2
    assert {(v.actor_id, v.subject_id, v.detail_dict["session"]) for v in views} == {
        (manager.id, sam.id, led_by_alex)
    }
    assert all(NOTES not in v.detail for v in views)
    # The change form shows them too, and that is a reading.
    assert NOTES in client.get(f"/people/{sam.id}/supervision/{led_by_alex}/change").get_data(
        as_text=True
    )
    assert _audit(app, "supervision.notes_viewed")[-1].detail_dict["where"] == "change form"

    # An admin reads the notes of a session they led, and not of one they did not.
    alex = app.test_client()
    sign_in(alex, "alex")
    assert NOTES in alex.get(f"/people/{sam.id}/supervision/{led_by_alex}").get_data(as_text=True)
    page = alex.get(f"/people/{sam.id}/supervision/{led_by_manager}").get_data(as_text=True)
    assert "Another private note 91c2" not in page
    assert "Only the person who led this session and managers can read its notes." in page
    assert alex.get(f"/people/{sam.id}/supervision/{led_by_manager}/change").status_code == 404
    readers = {v.actor_id for v in _audit(app, "supervision.notes_viewed")}
    assert readers == {manager.id, admin.id}
    assert len(_audit(app, "supervision.notes_viewed")) == 4


def _pages(person_id: int, session_id: int) -> list[str]:
    """Every page that is about a person's supervision or passport, and the places anyone
    lands on: the notes must reach none of them for the wrong reader."""
    return [
        "/",
        "/me",
        "/me/passport",
        f"/people/{person_id}",
        f"/people/{person_id}/passport",
        f"/people/{person_id}/reference-letter",
        f"/people/{person_id}/supervision",
        f"/people/{person_id}/supervision/new",
        f"/people/{person_id}/supervision/{session_id}",
        f"/people/{person_id}/supervision/{session_id}/change",
        "/admin/audit",
        "/admin/outbox",
    ]


@pytest.mark.parametrize("who", ["self", "other peer", "partner", "board", "finance", "admin"])
def test_the_notes_never_reach_anyone_else(
    app, client, manager, role_holder, log_session, make_user, who
):
    sam = role_holder("sam")
    session_id = log_session(sam, notes=NOTES)
    if who == "self":
        viewer = "sam"
    else:
        role = {
            "other peer": Role.PEER,
            "partner": Role.PARTNER,
            "board": Role.BOARD,
            "finance": Role.FINANCE,
            "admin": Role.ADMIN,
        }[who]
        viewer = make_user("viewer", roles={role}).username
    sign_in(client, viewer)
    supervision_pages = [p for p in _pages(sam.id, session_id) if "/supervision" in p]
    for url in _pages(sam.id, session_id):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code in (200, 403, 404), (url, response.status_code)
            assert NOTES not in response.get_data(as_text=True), (who, url)
            if who != "admin" and url in supervision_pages:
                assert response.status_code == 404, (who, url)
    assert _audit(app, "supervision.notes_viewed") == []


def test_a_peer_who_is_also_a_manager_never_reads_their_own_notes(
    app, client, manager, make_user, roles, log_session
):
    both = make_user("kim", roles={Role.PEER, Role.MANAGER})
    with app.app_context():
        db.session.add(RoleHeld(user_id=both.id, role_id=roles["mentor"], from_date=day(-90)))
        db.session.commit()
    session_id = log_session(both, notes=NOTES)
    sign_in(client, "kim")
    for url in _pages(both.id, session_id):
        assert NOTES not in client.get(url).get_data(as_text=True), url
    assert client.get(f"/people/{both.id}/supervision/{session_id}").status_code == 404


def test_a_session_is_found_only_under_its_own_person(
    app, client, manager, role_holder, log_session
):
    sam = role_holder("sam")
    jo = role_holder("jo")
    session_id = log_session(sam, notes=NOTES)
    sign_in(client, "manager")
    for url in (
        f"/people/{jo.id}/supervision/{session_id}",
        f"/people/{jo.id}/supervision/{session_id}/change",
        f"/people/{sam.id}/supervision/99999999999",
        f"/people/{sam.id}/supervision/{session_id}9999999999999",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert NOTES not in response.get_data(as_text=True)
    response = client.post(
        f"/people/{jo.id}/supervision/{session_id}/change",
        data={"csrf_token": csrf_token(client, "/"), "minutes": "30"},
    )
    assert response.status_code == 404
    assert _sessions(app, sam.id)[0].minutes == 60


def test_the_passport_shows_sessions_without_notes_or_supervisors(
    app, client, role_holder, log_session
):
    sam = role_holder("sam")
    log_session(sam, notes=NOTES, minutes=90, held_on=day(-20))
    log_session(sam, notes=NOTES, minutes=120, held_on=day(-10), kind=SupervisionKind.REFLECTIVE)
    sign_in(client, "sam")
    page = client.get("/me/passport").get_data(as_text=True)
    assert "1 hour and 30 minutes in 1 session" in page
    assert "2 hours in 1 session" in page
    assert "3 hours and 30 minutes" in page
    assert NOTES not in page and "Manager" not in page


# Counted ---------------------------------------------------------------------------------------


def test_supervised_hours_in_a_period_and_by_role(app, ctx, manager, role_holder, log_session):
    sam = role_holder("sam", since=day(-100))
    jo = role_holder("jo", role="champion", since=day(-30))
    log_session(sam, held_on=day(-50), minutes=90)
    log_session(sam, held_on=day(-20), minutes=45, kind=SupervisionKind.REFLECTIVE)
    log_session(jo, held_on=day(-20), minutes=60)
    log_session(jo, held_on=day(-40), minutes=30)  # before Jo held a role
    log_session(sam, held_on=day(-5), minutes=600)
    assert measures.supervised_hours(day(-60), day(-10)) == Decimal("3.8")  # 225 minutes
    assert measures.supervised_hours(day(-4), day(0)) == Decimal("0.0")
    assert measures.supervised_hours(day(-60), day(0)) == Decimal("13.8")
    assert measures.supervised_hours_by_role(day(-60), day(-10)) == {
        "Involvement champion": Decimal("1.0"),
        "Peer mentor": Decimal("2.3"),
    }


def test_a_session_keeps_its_supervisor_after_they_leave_the_staff(
    app, client, manager, role_holder, log_session, make_user
):
    sam = role_holder("sam")
    leaver = make_user("leaver", roles={Role.MANAGER})
    session_id = log_session(sam, supervisor=leaver, notes=NOTES)
    with app.app_context():
        person = db.session.get(User, leaver.id)
        person.is_active = False
        db.session.commit()
    url = f"/people/{sam.id}/supervision/{session_id}/change"
    sign_in(client, "manager")
    page = client.get(url).get_data(as_text=True)
    assert f'<option value="{leaver.id}" selected>Leaver</option>' in page
    data = _form(client, url) | {
        "held_on": day(-7).isoformat(),
        "supervisor": str(leaver.id),
        "kind": "supervision",
        "minutes": "50",
        "notes": NOTES,
    }
    assert client.post(url, data=data).status_code == 303
    [session] = _sessions(app, sam.id)
    assert (session.supervisor_id, session.minutes) == (leaver.id, 50)
    # Nobody new can name them.
    assert "Leaver" not in client.get(f"/people/{sam.id}/supervision/new").get_data(as_text=True)
