"""Subject access requests: due one calendar month after they reach us, listed overdue first
until marked done, and answered with the same single-use ZIP, audited as a staff read."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest

from engage.core.audit import AuditEntry
from engage.extensions import db
from engage.people.data_requests import Channel, DataRequest, due_date, record_request
from engage.people.models import Role, User
from tests.conftest import csrf_token, post, sign_in


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2027, 3, 15), date(2027, 4, 15)),
        (date(2027, 1, 31), date(2027, 2, 28)),  # no 31 February: the last day of the month
        (date(2028, 1, 31), date(2028, 2, 29)),  # a leap year
        (date(2027, 12, 10), date(2028, 1, 10)),
    ],
)
def test_due_one_calendar_month_after_it_reached_us(received, due):
    assert due_date(received) == due


def _request(app, actor, subject, received: date, done: bool = False) -> int:
    with app.test_request_context():
        staff = db.session.get(User, actor.id)
        row = record_request(
            staff,
            db.session.get(User, subject.id),
            received_on=received,
            channel=Channel.LETTER,
            notes="Asked for everything",
        )
        if done:
            row.mark_done(staff)
        db.session.commit()
        return row.id


def test_list_shows_overdue_first_with_days_left(app, client, make_user, pin_today):
    pin_today(date(2027, 3, 10))
    manager = make_user("manager1", roles={Role.MANAGER})
    soon = make_user("soon", preferred_name="Sooner Peer")
    late = make_user("late", preferred_name="Later Peer")
    answered = make_user("answered", preferred_name="Answered Peer")
    _request(app, manager, soon, date(2027, 3, 1))  # due 1 April: 22 days left
    _request(app, manager, late, date(2027, 2, 1))  # due 1 March: 9 days overdue
    _request(app, manager, answered, date(2027, 2, 20), done=True)
    assert sign_in(client, "manager1").status_code == 303
    page = client.get("/admin/data-requests").get_data(as_text=True)
    assert page.index("Later Peer") < page.index("Sooner Peer") < page.index("Answered Peer")
    assert "Overdue by 9 days" in page
    assert "22 days left" in page


def test_record_prepare_download_and_mark_done(app, client, make_user, confirmed, pin_today):
    pin_today(date(2027, 1, 31))
    make_user("manager2", roles={Role.MANAGER}, preferred_name="Mo Manager")
    peer = make_user("asker", email="asker@example.org", preferred_name="Asking Peer")
    assert sign_in(client, "manager2").status_code == 303
    form = f"/admin/data-requests/new?for={peer.id}"
    assert "asker@example.org" in client.get(form).get_data(as_text=True)
    response = post(
        client,
        "/admin/data-requests/new",
        {
            "login": "asker@example.org",
            "received_on": "2027-01-31",
            "channel": "letter",
            "notes": "Wants everything, by post",
        },
        form_url=form,
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    detail_url = response.headers["Location"]
    with app.app_context():
        row = db.session.scalar(db.select(DataRequest).where(DataRequest.subject_id == peer.id))
        assert row.due_on == date(2027, 2, 28)
        request_id = row.id

    # Preparing asks the manager to confirm it is them first.
    prepare = f"/admin/data-requests/{request_id}/prepare"
    response = post(client, prepare, form_url=detail_url)
    assert response.headers["Location"].startswith("/confirm-it-is-you")
    confirmed()
    assert post(client, prepare, form_url=detail_url).status_code == 303
    page = client.get(detail_url).get_data(as_text=True)
    token = page.split('href="/data-download/')[1].split('"')[0]
    assert page.split(f'href="/data-download/{token}"')[1].startswith(">")  # no `download`
    download = client.get(f"/data-download/{token}")
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    assert b"asker@example.org" in archive.read("account.json")
    assert client.get(f"/data-download/{token}").status_code == 410

    response = post(client, f"/admin/data-requests/{request_id}/done", form_url=detail_url)
    assert response.status_code == 303
    with app.app_context():
        row = db.session.get(DataRequest, request_id)
        assert row.done_at is not None and row.done_by.display_name == "Mo Manager"
        entries = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.subject_id == peer.id)
        ).all()
    read = [e for e in entries if e.action == "data_request.downloaded"]
    assert len(read) == 1 and read[0].on_behalf  # a staff read of their data
    assert {"data_request.recorded", "data_request.done"} <= {e.action for e in entries}


def test_managers_handle_peers_only_and_admins_anyone(app, client, make_user, pin_today):
    pin_today(date(2027, 2, 1))
    make_user("manager3", roles={Role.MANAGER})
    staff = make_user("financier", roles={Role.FINANCE})
    assert sign_in(client, "manager3").status_code == 303
    response = post(
        client,
        "/admin/data-requests/new",
        {"login": "financier", "received_on": "2027-01-31", "channel": "email"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "could not find a person you can do this for" in page
    assert "<title>Error: Record a subject access request" in page  # read out first
    admin = make_user("admin3", roles={Role.ADMIN})
    request_id = _request(app, admin, staff, date(2027, 1, 31))
    assert client.get(f"/admin/data-requests/{request_id}").status_code == 404
    assert "financier" not in client.get("/admin/data-requests").get_data(as_text=True)
    other = app.test_client()
    assert sign_in(other, "admin3").status_code == 303
    assert other.get(f"/admin/data-requests/{request_id}").status_code == 200


@pytest.mark.parametrize("role", [Role.PEER, Role.FINANCE, Role.BOARD, Role.PARTNER])
def test_other_roles_never_see_requests(app, client, make_user, role):
    manager = make_user("manager4", roles={Role.MANAGER})
    peer = make_user("subject4")
    request_id = _request(app, manager, peer, date(2027, 1, 31))
    make_user("someone", roles={role})
    assert sign_in(client, "someone").status_code == 303
    assert client.get("/admin/data-requests").status_code == 403
    assert client.get(f"/admin/data-requests/{request_id}").status_code == 403
    token = csrf_token(client, "/me")
    for action in ("prepare", "done"):
        response = client.post(
            f"/admin/data-requests/{request_id}/{action}", data={"csrf_token": token}
        )
        assert response.status_code == 403


def test_nul_characters_sent_in_the_form_are_dropped_not_a_server_error(
    app, client, make_user, pin_today
):
    """PostgreSQL cannot store a NUL in text: one sent in a name or a note (a script, a bad
    paste) is dropped as the form is read, so the request is recorded as if it was not there."""
    pin_today(date(2027, 2, 1))
    make_user("manager5", roles={Role.MANAGER})
    peer = make_user("subject5")
    assert sign_in(client, "manager5").status_code == 303
    response = post(
        client,
        "/admin/data-requests/new",
        {
            "login": "subject5\x00",
            "received_on": "2027-01-31",
            "channel": "letter",
            "notes": "Wants\x00 everything",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        row = db.session.scalar(db.select(DataRequest).where(DataRequest.subject_id == peer.id))
        assert row.notes == "Wants everything"


def test_a_manager_can_still_close_a_request_from_a_peer_erased_meanwhile(
    app, client, make_user, pin_today
):
    from engage.people import erasure

    pin_today(date(2027, 2, 1))
    make_user("manager4", roles={Role.MANAGER})
    admin = make_user("admin4", roles={Role.ADMIN})
    make_user("admin5", roles={Role.ADMIN})
    peer = make_user("leaving")
    request_id = _request(app, admin, peer, date(2027, 1, 20))
    with app.test_request_context():
        assert erasure.erase(db.session.get(User, peer.id), db.session.get(User, admin.id))
        db.session.commit()
    assert sign_in(client, "manager4").status_code == 303
    assert f"/admin/data-requests/{request_id}" in client.get("/admin/data-requests").get_data(
        as_text=True
    )
    assert client.get(f"/admin/data-requests/{request_id}").status_code == 200
