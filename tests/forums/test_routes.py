"""Forum and meeting pages as managers and peers use them."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from engage.changes.models import Item
from engage.core.signals import involvement_given
from engage.extensions import db
from engage.forums.models import (
    Attendance,
    Forum,
    Invitation,
    Meeting,
    Paper,
    Reply,
    Venue,
)
from engage.forums.replies import reply
from engage.people.models import Role, User
from tests.conftest import count_queries, post, sign_in
from tests.core.test_uploads import docx_bytes, gps_photo, pdf_with_javascript, png_bomb
from tests.payments.conftest import pdf_bytes, photo_bytes


def _reply_of(app, meeting_id: int, user_id: int) -> str | None:
    with app.app_context():
        return db.session.scalar(
            db.select(Invitation.reply).where(
                Invitation.meeting_id == meeting_id, Invitation.user_id == user_id
            )
        )


def _switch(client, person) -> None:
    """Sign out, and sign in as ``person``."""
    page = client.get("/forums").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/logout", data={"csrf_token": token})
    assert sign_in(client, person.username).status_code == 303


# Forums and scheduling --------------------------------------------------------------------


def test_a_manager_creates_a_forum_adds_a_member_and_schedules_a_series(
    app, client, signed_in, make_user, clock
):
    # A series every six weeks from Monday 15 February 2027, typed on 11 January 2027: the
    # second meeting falls the day after the clocks go forward (Sunday 28 March 2027).
    clock(datetime(2027, 1, 11, 9, 0, tzinfo=UTC))
    signed_in(Role.MANAGER)
    peer = make_user(preferred_name="Robin")
    response = post(
        client,
        "/forums/new",
        {
            "name": "Women's Forum",
            "purpose": "A space for women with lived experience",
            "terms_of_reference": "We meet every six weeks.",
            "chair": "",
            "open_to_all": "invitation",
        },
    )
    assert response.status_code == 303
    forum_url = response.headers["Location"]
    forum_id = int(forum_url.rsplit("/", 1)[1])
    response = post(
        client,
        f"/forums/{forum_id}/members",
        {"login": peer.username, "joined_on": "2026-01-05"},
        form_url=forum_url,
    )
    assert response.status_code == 303
    response = post(
        client,
        f"/forums/{forum_id}/schedule",
        {
            "title": "",
            "date": "2027-02-15",
            "time": "10.30",
            "duration": "120",
            "repeat": "weeks",
            "every_weeks": "6",
            "count": "3",
            "venue": "",
            "venue_name": "Community Hub",
            "venue_address": "1 High Street",
            "venue_access": ["step_free", "hearing_loop"],
            "venue_bus_stops": "High Street (8, 36)",
            "online_link": "https://meet.example/forum",
            "capacity": "12",
            "rung": "co_design",
            "wellbeing_check_in": "y",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    london = ZoneInfo("Europe/London")
    with app.app_context():
        meetings = db.session.scalars(
            db.select(Meeting).where(Meeting.forum_id == forum_id).order_by(Meeting.starts_at)
        ).all()
        assert len(meetings) == 3
        assert len({m.series_id for m in meetings}) == 1 and meetings[0].series_id
        # Every six weeks, at 10:30 UK time each time...
        assert [m.starts_at.astimezone(london).replace(tzinfo=None) for m in meetings] == [
            datetime(2027, 2, 15, 10, 30),
            datetime(2027, 3, 29, 10, 30),
            datetime(2027, 5, 10, 10, 30),
        ]
        # ...which is an hour earlier in UTC once the clocks have gone forward.
        assert [m.starts_at for m in meetings] == [
            datetime(2027, 2, 15, 10, 30, tzinfo=UTC),
            datetime(2027, 3, 29, 9, 30, tzinfo=UTC),
            datetime(2027, 5, 10, 9, 30, tzinfo=UTC),
        ]
        first = meetings[0]
        assert first.capacity == 12 and first.rung == "co_design"
        assert all(m.ends_at - m.starts_at == timedelta(hours=2) for m in meetings)
        venue = db.session.get(Venue, first.venue_id)
        assert venue.step_free and venue.hearing_loop and not venue.quiet_room
        invited = db.session.scalars(db.select(Invitation.meeting_id)).all()
        assert sorted(invited) == sorted(m.id for m in meetings)
        forum = db.session.get(Forum, forum_id)
        assert not forum.open_to_all
        ids = [m.id for m in meetings]
    page = client.get(f"/meetings/{ids[0]}").get_data(as_text=True)
    # Typed as UK time, shown as UK time.
    assert "10:30" in page and "Community Hub" in page and "Hearing loop" in page
    assert "Robin" in page  # the manager sees who was invited
    after_the_change = client.get(f"/meetings/{ids[1]}").get_data(as_text=True)
    assert "10:30" in after_the_change and "09:30" not in after_the_change
    assert "Women&#39;s Forum" in client.get("/forums").get_data(as_text=True)


def test_scheduling_with_mistakes_keeps_what_was_typed_and_makes_nothing(
    app, client, signed_in, make_forum
):
    signed_in(Role.MANAGER)
    forum_id = make_forum()
    response = post(
        client,
        f"/forums/{forum_id}/schedule",
        {
            "date": "31/02/2027",
            "time": "25:00",
            "duration": "120",
            "repeat": "weeks",
            "every_weeks": "",
            "count": "3",
            "venue": "",
            "venue_name": "Somewhere new",
            "capacity": "lots",
            "rung": "consultation",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in body
    assert "Enter a real date" in body and "Enter a time on the 24-hour clock" in body
    assert "Enter how many weeks apart" in body and "Enter a number of places" in body
    assert 'value="Somewhere new"' in body and 'value="31/02/2027"' in body
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Meeting.id))) == 0
        assert db.session.scalar(db.select(db.func.count(Venue.id))) == 0


def test_a_meeting_needs_a_place_or_a_link_and_not_a_past_date(
    app, client, signed_in, make_forum, pin_today
):
    pin_today(date(2026, 6, 10))
    signed_in(Role.MANAGER)
    forum_id = make_forum()
    data = {"date": "2026-01-07", "time": "10:00", "duration": "60", "repeat": "once"}
    data["rung"] = "consultation"
    body = post(client, f"/forums/{forum_id}/schedule", data).get_data(as_text=True)
    assert "Choose where the meeting is, or give an online link" in body
    data["online_link"] = "https://meet.example/x"
    body = post(client, f"/forums/{forum_id}/schedule", data).get_data(as_text=True)
    assert "has not passed yet" in body
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Meeting.id))) == 0


def test_changing_all_later_meetings_from_the_page(
    app, client, signed_in, make_forum, make_meeting
):
    signed_in(Role.MANAGER)
    forum_id = make_forum()
    first, second, third = make_meeting(forum_id, count=3, online_link="https://meet.example/a")
    page = client.get(f"/meetings/{second}/edit").get_data(as_text=True)
    assert "Only this meeting" in page and "This and all later meetings in the series" in page
    date_typed = re.search(r'name="date" type="text" value="([^"]+)"', page).group(1)
    time_typed = re.search(r'name="time" type="text" value="([^"]+)"', page).group(1)
    response = post(
        client,
        f"/meetings/{second}/edit",
        {
            "scope": "future",
            "date": date_typed,
            "time": time_typed,
            "duration": "120",
            "venue": "",
            "online_link": "https://meet.example/a",
            "capacity": "8",
            "rung": "consultation",
            "wellbeing_check_in": "y",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        capacities = [db.session.get(Meeting, m).capacity for m in (first, second, third)]
    assert capacities == [None, 8, 8]


# Replies ----------------------------------------------------------------------------------


def test_a_member_replies_yes_and_no_with_and_without_javascript(
    app, client, make_user, make_forum, make_meeting
):
    peer = make_user()
    forum_id = make_forum(members=[peer])
    (meeting_id,) = make_meeting(forum_id)
    sign_in(client, peer.username)
    page = client.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert f'hx-post="/meetings/{meeting_id}/reply"' in page
    assert "Tell us what you need to take part" in page
    # Without JavaScript: a plain form post, then back to the page.
    response = post(
        client, f"/meetings/{meeting_id}/reply", {"reply": "yes"}, f"/meetings/{meeting_id}"
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/meetings/{meeting_id}")
    assert _reply_of(app, meeting_id, peer.id) == Reply.YES.value
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You are coming" in page and "Your reply:" in page
    # With htmx: the reply block comes back on its own, to swap in place.
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    fragment = client.post(
        f"/meetings/{meeting_id}/reply",
        data={"reply": "no", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    assert body.lstrip().startswith('<div id="reply"') and "<html" not in body
    assert "Not coming" in body and "Thank you for letting us know" in body
    assert _reply_of(app, meeting_id, peer.id) == Reply.NO.value


def test_the_waiting_list_through_the_pages(app, client, make_user, make_forum, make_meeting):
    first, second = make_user(), make_user()
    forum_id = make_forum(members=[first, second])
    (meeting_id,) = make_meeting(forum_id, capacity=1)
    url = f"/meetings/{meeting_id}"
    sign_in(client, first.username)
    post(client, f"{url}/reply", {"reply": "yes"}, url)
    _switch(client, second)
    post(client, f"{url}/reply", {"reply": "yes"}, url)
    page = client.get(url).get_data(as_text=True)
    assert "You are on the waiting list (number 1)" in page
    assert _reply_of(app, meeting_id, second.id) == Reply.WAITING.value
    _switch(client, first)
    post(client, f"{url}/reply", {"reply": "no"}, url)
    assert _reply_of(app, meeting_id, second.id) == Reply.YES.value  # moved up by itself


def test_a_manager_replies_for_a_peer_and_it_is_recorded_as_on_their_behalf(
    app, client, make_user, make_forum, make_meeting
):
    """Assisted digital: yes, maybe, no and the waiting list, from the peer's own pages."""
    from engage.core.audit import AuditEntry

    sam = make_user("sam", preferred_name="Sam")
    first = make_user("first")
    forum_id = make_forum(members=[sam, first])
    (meeting_id,) = make_meeting(forum_id, capacity=1)
    make_user("priya", roles={Role.MANAGER}, preferred_name="Priya")
    sign_in(client, "priya")
    assert f'href="/people/{sam.id}/meetings"' in client.get(f"/people/{sam.id}").get_data(
        as_text=True
    )
    url = f"/people/{sam.id}/meetings"
    page = client.get(url).get_data(as_text=True)
    assert "You are working on behalf of Sam" in page
    assert f'action="/people/{sam.id}/meetings/{meeting_id}/reply"' in page
    reply_url = f"{url}/{meeting_id}/reply"
    for answer, said in (
        ("maybe", "We have noted that Sam might come."),
        ("no", "We have noted that Sam cannot come."),
        ("yes", "Sam is coming."),
    ):
        response = post(client, reply_url, {"reply": answer}, url)
        assert response.status_code == 303
        assert response.headers["Location"] == f"{url}#meeting-{meeting_id}"
        assert _reply_of(app, meeting_id, sam.id) == answer
        assert said in client.get(url).get_data(as_text=True)
    # The record says who did it: on the invitation, and in the audit log as on behalf.
    with app.app_context():
        invitation = db.session.scalar(
            db.select(Invitation).filter_by(meeting_id=meeting_id, user_id=sam.id)
        )
        assert invitation.replied_by.username == "priya"
        entries = db.session.scalars(
            db.select(AuditEntry).filter_by(action="meeting.replied").order_by(AuditEntry.id)
        ).all()
        assert [(e.subject_id, e.on_behalf, e.detail_dict["reply"]) for e in entries] == [
            (sam.id, True, "maybe"),
            (sam.id, True, "no"),
            (sam.id, True, "yes"),
        ]
    assert "Priya replied for Sam." in client.get(url).get_data(as_text=True)
    # Sam sees it on the meeting page too.
    _switch(client, sam)
    page = client.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert "Priya replied for you." in page
    # Sam's own reply is his, and no longer says someone else gave it.
    post(client, f"/meetings/{meeting_id}/reply", {"reply": "no"}, f"/meetings/{meeting_id}")
    assert "replied for you" not in client.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    # The meeting is full (first said yes): a yes for Sam puts him on the waiting list.
    _switch(client, first)
    post(client, f"/meetings/{meeting_id}/reply", {"reply": "yes"}, f"/meetings/{meeting_id}")
    _switch(client, make_user("mo", roles={Role.MANAGER}, preferred_name="Mo"))
    post(client, reply_url, {"reply": "yes"}, url)
    assert _reply_of(app, meeting_id, sam.id) == Reply.WAITING.value
    page = client.get(url).get_data(as_text=True)
    assert "so Sam is on the waiting list" in page
    assert "Number 1 on the waiting list." in page and "Mo replied for Sam." in page


def test_replying_for_someone_is_only_for_managers_and_only_for_peers(
    app, client, make_user, make_forum, make_meeting
):
    sam = make_user("sam", preferred_name="Sam")
    staff = make_user("staff", roles={Role.MANAGER, Role.BOARD})
    forum_id = make_forum(members=[sam, staff])
    (meeting_id,) = make_meeting(forum_id)
    # A peer never acts for anyone: the addresses do not exist for them.
    other = make_user("other")
    sign_in(client, "other")
    assert client.get(f"/people/{sam.id}/meetings").status_code == 404
    response = post(client, f"/people/{sam.id}/meetings/{meeting_id}/reply", {"reply": "yes"}, "/")
    assert response.status_code == 404
    assert _reply_of(app, meeting_id, sam.id) == Reply.INVITED.value
    # A manager acts only for peers, and only where the peer could reply themselves.
    _switch(client, make_user("priya", roles={Role.MANAGER}))
    assert client.get(f"/people/{staff.id}/meetings").status_code == 404
    assert (
        post(client, f"/people/{staff.id}/meetings/{meeting_id}/reply", {"reply": "no"}, "/")
    ).status_code == 404
    closed = make_forum(name="Women's Forum", open_to_all=False)
    (not_invited,) = make_meeting(closed)
    assert (
        post(client, f"/people/{other.id}/meetings/{not_invited}/reply", {"reply": "yes"}, "/")
    ).status_code == 404
    assert _reply_of(app, not_invited, other.id) is None


def test_peers_never_see_others_needs_or_names_but_the_manager_does(
    app, client, make_user, make_forum, make_meeting
):
    needing = make_user(
        preferred_name="Zofia Needham", interpreter_language="Polish", needs_childcare=True
    )
    other = make_user(preferred_name="Sam Other")
    manager = make_user(roles={Role.MANAGER})
    forum_id = make_forum(members=[needing, other])
    (meeting_id,) = make_meeting(forum_id)
    url = f"/meetings/{meeting_id}"
    with app.test_request_context():
        reply(db.session.get(User, needing.id), db.session.get(Meeting, meeting_id), Reply.YES)
        db.session.commit()
    sign_in(client, other.username)
    page = client.get(url).get_data(as_text=True)
    assert "Zofia" not in page and "Polish" not in page and "Childcare" not in page
    assert "What those coming need" not in page and "Replies" not in page
    _switch(client, manager)
    page = client.get(url).get_data(as_text=True)
    assert "What those coming need" in page
    assert "Interpreter: Polish" in page and "Childcare" in page and "Zofia Needham" in page


# On the day, and after -------------------------------------------------------------------


def test_attendance_saved_twice_gives_involvement_once(
    app, client, make_user, make_forum, make_meeting
):
    came, late, missed = make_user(), make_user(), make_user()
    walk_in = make_user()
    forum_id = make_forum(members=[came, late, missed])
    (meeting_id,) = make_meeting(forum_id, starts_in=timedelta(hours=-1))
    manager = make_user(roles={Role.MANAGER})
    sign_in(client, manager.username)
    given = []

    def receive(sender, **kwargs):  # noqa: ANN001, ANN003
        given.append(kwargs["person"].id)

    url = f"/meetings/{meeting_id}/attendance"
    page = client.get(url).get_data(as_text=True)
    assert "Someone who came without replying" in page
    data = {
        f"person_{came.id}": "attended",
        f"person_{late.id}": "late",
        f"person_{missed.id}": "no_show",
        "walk_in": walk_in.username,
    }
    with involvement_given.connected_to(receive):
        first = post(client, url, data)
        data.pop("walk_in")
        data[f"person_{walk_in.id}"] = "attended"
        second = post(client, url, data)
    assert first.status_code == 303 and second.status_code == 303
    assert sorted(given) == sorted([came.id, late.id, walk_in.id])
    with app.app_context():
        rows = db.session.scalars(
            db.select(Attendance).where(Attendance.meeting_id == meeting_id)
        ).all()
        assert len(rows) == 4
    page = client.get(url).get_data(as_text=True)
    assert "checked" in page  # marks come back when the register is opened again


def test_an_unknown_walk_in_is_refused_and_nothing_is_saved(
    app, client, make_user, make_forum, make_meeting
):
    peer = make_user()
    forum_id = make_forum(members=[peer])
    (meeting_id,) = make_meeting(forum_id, starts_in=timedelta(hours=-1))
    sign_in(client, make_user(roles={Role.MANAGER}).username)
    url = f"/meetings/{meeting_id}/attendance"
    response = post(client, url, {f"person_{peer.id}": "attended", "walk_in": "nobody-here"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is nobody with that username" in body
    assert 'value="nobody-here"' in body
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Attendance.id))) == 0


def test_an_unfinished_action_shows_on_the_next_meeting(
    app, client, make_user, make_forum, make_meeting
):
    forum_id = make_forum()
    (past,) = make_meeting(forum_id, starts_in=timedelta(days=-1))
    (upcoming,) = make_meeting(forum_id, starts_in=timedelta(days=14))
    sign_in(client, make_user(roles={Role.MANAGER}).username)
    response = post(
        client,
        f"/meetings/{past}/minutes",
        {"minutes": "We talked about the leaflet.", "decisions": "Rewrite it in plain words."},
    )
    assert response.status_code == 303
    response = post(
        client,
        f"/meetings/{past}/actions",
        {
            "action-description": "Ask the council for the new leaflet",
            "action-owner_name": "Priya",
            "action-due_date": "",
        },
        form_url=f"/meetings/{past}/minutes",
    )
    assert response.status_code == 303
    page = client.get(f"/meetings/{upcoming}").get_data(as_text=True)
    assert "Action carried forward" in page and "Ask the council for the new leaflet" in page
    past_page = client.get(f"/meetings/{past}").get_data(as_text=True)
    assert "Rewrite it in plain words." in past_page


def test_an_action_with_mistakes_keeps_the_minutes_and_what_was_typed(
    app, client, make_user, make_forum, make_meeting
):
    forum_id = make_forum()
    (meeting_id,) = make_meeting(forum_id)
    sign_in(client, make_user(roles={Role.MANAGER}).username)
    response = post(
        client,
        f"/meetings/{meeting_id}/actions",
        {"action-description": "Book the room", "action-owner_name": "", "action-due_date": "soon"},
        form_url=f"/meetings/{meeting_id}/minutes",
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Say who will do it" in body and "Book the room" in body
    assert "Enter a real date" in body


def test_an_issue_raised_in_a_meeting_goes_into_the_register(
    app, client, make_user, make_forum, make_meeting
):
    forum_id = make_forum()
    (meeting_id,) = make_meeting(forum_id)
    sign_in(client, make_user(roles={Role.MANAGER}).username)
    response = post(
        client,
        f"/meetings/{meeting_id}/raise",
        {
            "title": "No interpreters at the job centre",
            "what_happened": "Three members were turned away.",
            "theme": "welfare_benefits",
            "agency": "other",
            "agency_other": "Job centre",
            "who_affected": "",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        item = db.session.scalar(db.select(Item))
        assert item.source_meeting_id == meeting_id and item.source == "meeting"
        assert item.raised_by_id is None
        item_id = item.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'href="/register/{item_id}"' in page


# Who sees what ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/forums/new",
        "/forums/{forum}/schedule",
        "/meetings/{meeting}/edit",
        "/meetings/{meeting}/cancel",
        "/meetings/{meeting}/attendance",
        "/meetings/{meeting}/minutes",
        "/meetings/{meeting}/raise",
        "/meetings/{meeting}/agenda",
    ],
)
def test_peers_cannot_use_the_organisers_pages(client, make_user, make_forum, make_meeting, path):
    peer = make_user()
    forum_id = make_forum(members=[peer])
    (meeting_id,) = make_meeting(forum_id)
    sign_in(client, peer.username)
    assert client.get(path.format(forum=forum_id, meeting=meeting_id)).status_code == 403


def test_an_invitation_only_forum_is_hidden_from_those_not_in_it(
    client, make_user, make_forum, make_meeting
):
    member, outsider = make_user(), make_user()
    forum_id = make_forum(name="Workforce Forum", members=[member], open_to_all=False)
    (meeting_id,) = make_meeting(forum_id)
    sign_in(client, outsider.username)
    assert client.get(f"/forums/{forum_id}").status_code == 404
    assert client.get(f"/meetings/{meeting_id}").status_code == 404
    assert client.get(f"/meetings/{meeting_id}/minutes").status_code == 404
    assert "Workforce Forum" not in client.get("/forums").get_data(as_text=True)


def test_a_member_sees_the_count_but_not_the_names_of_members(client, make_user, make_forum):
    peer = make_user(preferred_name="Alex Member")
    other = make_user(preferred_name="Jo Private")
    forum_id = make_forum(members=[peer, other])
    sign_in(client, peer.username)
    page = client.get(f"/forums/{forum_id}").get_data(as_text=True)
    assert "2 members" in page and "You are a member" in page
    assert "Jo Private" not in page


def test_the_meeting_page_runs_the_same_queries_for_5_or_60_invitees(
    app, client, make_user, make_forum, make_meeting
):
    def meeting_with(n: int, name: str) -> int:
        people = [
            make_user(
                password=None,  # quicker: they never sign in
                interpreter_language="Arabic" if i % 2 else "",
                needs_step_free=i % 2 == 0,
            )
            for i in range(n)
        ]
        forum_id = make_forum(name=name, members=people)
        (meeting_id,) = make_meeting(forum_id, capacity=max(n // 4, 1))  # some wait
        with app.test_request_context():
            meeting = db.session.get(Meeting, meeting_id)
            for i, person in enumerate(people):
                answer = [Reply.YES, Reply.NO, Reply.MAYBE][i % 3]
                reply(db.session.get(User, person.id), meeting, answer)
            db.session.commit()
        return meeting_id

    small, large = meeting_with(5, "Small Forum"), meeting_with(60, "Large Forum")
    sign_in(client, make_user(roles={Role.MANAGER}).username)
    few = count_queries(app, client, f"/meetings/{small}")
    many = count_queries(app, client, f"/meetings/{large}")
    assert few == many <= 20
    page = client.get(f"/meetings/{large}").get_data(as_text=True)
    assert "On the waiting list: 5" in page and "Interpreter: Arabic" in page


# Papers -----------------------------------------------------------------------------------


def _upload(client, meeting_id: int, title: str, data: bytes, filename: str):
    import io

    from tests.conftest import csrf_token

    url = f"/meetings/{meeting_id}/papers"
    return client.post(
        url,
        data={
            "title": title,
            "file": (io.BytesIO(data), filename),
            "csrf_token": csrf_token(client, url),
        },
        content_type="multipart/form-data",
    )


def test_papers_are_checked_by_content_and_only_those_who_may_see_the_meeting_get_them(
    app, client, make_user, make_forum, make_meeting
):
    member, outsider = make_user(), make_user()
    forum_id = make_forum(name="Women's Forum", members=[member], open_to_all=False)
    (meeting_id,) = make_meeting(forum_id)
    sign_in(client, make_user(roles={Role.MANAGER}).username)
    pdf = pdf_bytes()
    assert _upload(client, meeting_id, "Draft leaflet", pdf, "leaflet.pdf").status_code == 303
    assert _upload(client, meeting_id, "Notes", docx_bytes(), "notes.docx").status_code == 303
    refused = {
        "not really a pdf": (b"MZ\x90\x00 a program", "leaflet.pdf"),
        "a zip": (b"PK\x03\x04 not a word file", "notes.docx"),
        "too big": (b"%PDF-" + b"x" * (10 * 1024 * 1024), "big.pdf"),
    }
    for title, (data, filename) in refused.items():
        response = _upload(client, meeting_id, title, data, filename)
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "There is a problem" in body, title
        assert f'value="{title}"' in body  # what was typed is kept
    with app.app_context():
        stored = db.session.scalars(db.select(Paper).order_by(Paper.id)).all()
        assert [p.content_type for p in stored] == [
            "application/pdf",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ]
        assert all(p.stored_name not in ("leaflet.pdf", "notes.docx") for p in stored)
        paper_id = stored[0].id
    _switch(client, member)
    assert "Draft leaflet" in client.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    download = client.get(f"/meetings/{meeting_id}/papers/{paper_id}")
    assert download.status_code == 200 and download.data == pdf
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.mimetype == "application/pdf"
    _switch(client, outsider)
    assert client.get(f"/meetings/{meeting_id}/papers/{paper_id}").status_code == 404


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (pdf_with_javascript(), "agenda.pdf", "could run by itself"),
        (png_bomb(), "map.png", "too big to open"),
        (photo_bytes() + b"<script>alert(1)</script>", "photo.jpg", "hidden inside"),
    ],
    ids=["pdf-with-javascript", "decompression-bomb", "photo-with-script"],
)
def test_hostile_papers_are_refused_as_receipts_are(
    app, client, make_user, make_forum, make_meeting, data, filename, message
):
    (meeting_id,) = make_meeting(make_forum())
    sign_in(client, make_user(roles={Role.MANAGER}).username)
    response = _upload(client, meeting_id, "Hostile", data, filename)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and message in body
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Paper.id))) == 0


def test_a_photo_paper_is_kept_upright_and_without_where_it_was_taken(
    app, client, make_user, make_forum, make_meeting
):
    (meeting_id,) = make_meeting(make_forum())
    sign_in(client, make_user(roles={Role.MANAGER}).username)
    response = _upload(client, meeting_id, "Flip chart", gps_photo(), "IMG_2041.JPG")
    assert response.status_code == 303
    with app.app_context():
        paper = db.session.scalar(db.select(Paper))
        assert paper.content_type == "image/jpeg" and paper.stored_name.endswith(".jpg")
        paper_id = paper.id
    download = client.get(f"/meetings/{meeting_id}/papers/{paper_id}")
    with Image.open(io.BytesIO(download.data)) as image:
        assert image.format == "JPEG" and image.size[1] > image.size[0]
        assert not image.getexif().get(0x8825)  # no GPS
        assert not image.getexif()


def _what_a_meeting_gathers(app, meeting_id: int, start: int, count: int) -> None:
    """``count`` more of each list the meeting page shows: items raised in the register,
    actions agreed, agenda items (by hand, and actions carried forward) and papers."""
    from engage.changes.models import Source
    from engage.forums.models import Action, AgendaItem, Paper
    from tests.changes.conftest import insert_item

    with app.app_context():
        for n in range(start, start + count):
            insert_item(
                title=f"Raised {n:03d}", source=Source.MEETING.value, source_meeting_id=meeting_id
            )
            action = Action(meeting_id=meeting_id, description=f"Action {n}", owner_name="Sam")
            db.session.add(action)
            db.session.flush()
            db.session.add_all(
                [
                    AgendaItem(meeting_id=meeting_id, position=n, title=f"Topic {n}"),
                    AgendaItem(
                        meeting_id=meeting_id,
                        action_id=action.id,
                        position=1000 + action.id,
                        title=action.description,
                    ),
                    Paper(
                        meeting_id=meeting_id,
                        title=f"Paper {n}",
                        stored_name=f"paper-{meeting_id}-{n}",
                        content_type="application/pdf",
                        size=1000,
                    ),
                ]
            )
        db.session.commit()


def test_the_meeting_page_runs_the_same_queries_for_20_or_60_of_everything_it_lists(
    app, client, make_user, make_forum, make_meeting
):
    """Raised items, actions, agenda items and papers, 20 then 60: the same statements for a
    manager, the raised items bounded with their exact count and a link to them all."""
    from engage.forums.minutes import RAISED

    member = make_user()
    forum_id = make_forum(members=[member])
    (meeting_id,) = make_meeting(forum_id)
    url = f"/meetings/{meeting_id}"
    _what_a_meeting_gathers(app, meeting_id, 0, 20)
    sign_in(client, make_user(roles={Role.MANAGER}).username)
    client.get(url)  # warm up anything loaded once per process
    few = count_queries(app, client, url)
    _what_a_meeting_gathers(app, meeting_id, 20, 40)
    assert count_queries(app, client, url) == few
    page = client.get(url).get_data(as_text=True)
    raised = page.split('id="raised"', 1)[1]
    assert "60 items were raised at this meeting. The latest 20 are below." in raised
    assert "Raised 059" in raised and "Raised 040" in raised and "Raised 039" not in raised
    assert raised.count("Raised 0") == RAISED
    assert f'And 40 more: see <a class="govuk-link" href="/meetings/{meeting_id}/raised">' in raised
    # The agenda is the meeting's own: every item on it, carried actions too.
    assert "Topic 59" in page and "Action 59" in page and "Paper 59" in page
    # Every item raised, a page at a time, the latest first.
    listing = client.get(f"/meetings/{meeting_id}/raised").get_data(as_text=True)
    assert "60 items were raised at this meeting." in listing and "Page 1 of 3" in listing
    assert listing.index("Raised 059") < listing.index("Raised 035")
    last = client.get(f"/meetings/{meeting_id}/raised?page=3").get_data(as_text=True)
    assert "Raised 000" in last and "Raised 010" not in last
    # Only for those who run forums: a member gets 403, a meeting they cannot see is 404.
    other = app.test_client()
    sign_in(other, member.username)
    assert other.get(f"/meetings/{meeting_id}/raised").status_code == 403
    assert client.get("/meetings/999999/raised").status_code == 404
