"""Calendars: the secret personal feed, forum feeds and "add to calendar" files."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from engage.core.dates import local_date
from engage.extensions import db
from engage.forums.models import CalendarFeed, Forum, ForumMember, Invitation, Meeting, Venue
from engage.people.models import Role, User
from tests.conftest import csrf_token, post, sign_in

#: The moment the calendar tests run at: the meetings are from ten days on, either side of the
#: spring clock change (28 March 2027).
NOW = datetime(2027, 3, 15, 9, 30, tzinfo=UTC)


@pytest.fixture
def world(app, clock, make_user):
    """Two forums (one open, one invitation-only) with meetings, and people's replies."""
    clock(NOW)
    me = make_user("mira", roles={Role.PEER})
    other = make_user("olga", roles={Role.PEER})
    start = (NOW + timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
    with app.app_context():
        venue = Venue(name="Community Hall", address="1 High Street\nTown")
        open_forum = Forum(name="Expert Citizen Forum", open_to_all=True)
        closed_forum = Forum(name="Women's Forum", open_to_all=False)
        db.session.add_all([venue, open_forum, closed_forum])
        db.session.flush()
        db.session.add(
            ForumMember(forum_id=closed_forum.id, user_id=other.id, joined_on=local_date(NOW))
        )

        def meeting(forum, days, **kwargs):
            row = Meeting(
                forum_id=forum.id,
                starts_at=start + timedelta(days=days),
                ends_at=start + timedelta(days=days, hours=2),
                **kwargs,
            )
            db.session.add(row)
            db.session.flush()
            return row

        coming = meeting(open_forum, 0, title="Spring", venue_id=venue.id)
        maybe = meeting(open_forum, 1, online_link="https://meet.example/abc")
        waiting = meeting(open_forum, 2)
        said_no = meeting(open_forum, 3)
        not_replied = meeting(open_forum, 4)
        cancelled = meeting(open_forum, 5, cancelled=True)
        theirs = meeting(closed_forum, 6, title="Private")
        for row, reply in [
            (coming, "yes"),
            (maybe, "maybe"),
            (waiting, "waiting"),
            (said_no, "no"),
            (not_replied, "invited"),
            (cancelled, "yes"),
        ]:
            db.session.add(Invitation(meeting_id=row.id, user_id=me.id, reply=reply))
        db.session.add(Invitation(meeting_id=theirs.id, user_id=other.id, reply="yes"))
        db.session.commit()
        ids = {
            "coming": coming.id,
            "maybe": maybe.id,
            "waiting": waiting.id,
            "said_no": said_no.id,
            "not_replied": not_replied.id,
            "cancelled": cancelled.id,
            "theirs": theirs.id,
            "open_forum": open_forum.id,
            "closed_forum": closed_forum.id,
        }
    return {"me": me, "other": other, "start": start, **ids}


def _make_address(client) -> str:
    response = post(client, "/me/calendar", {})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    match = re.search(r"http://localhost(/calendar/[\w-]+\.ics)", page)
    assert match, page
    return match.group(1)


def _events(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def test_the_calendar_page_needs_signing_in(client):
    assert client.get("/me/calendar").status_code == 302


@pytest.mark.parametrize("role", list(Role))
def test_everyone_signed_in_can_open_the_calendar_page(client, signed_in, role):
    signed_in(role)
    page = client.get("/me/calendar").get_data(as_text=True)
    assert "Make my calendar address" in page


def test_the_personal_feed_lists_my_meetings_and_nobody_elses(app, client, world):
    sign_in(client, "mira")
    path = _make_address(client)
    # Calendar apps cannot sign in: the secret address is enough on its own.
    response = app.test_client().get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    events = _events(response.data)
    uid = "meeting-{}@localhost".format
    assert set(events) == {
        uid(world["coming"]),
        uid(world["maybe"]),
        uid(world["waiting"]),
        uid(world["cancelled"]),
    }
    coming = events[uid(world["coming"])]
    assert str(coming["summary"]) == "Expert Citizen Forum: Spring"
    assert str(coming["location"]) == "Community Hall, 1 High Street, Town"
    assert coming.decoded("dtstart") == world["start"].astimezone(UTC)
    assert coming.decoded("dtstart").utcoffset() == timedelta(0)
    assert coming.decoded("dtend") == world["start"] + timedelta(hours=2)
    assert f"http://localhost/meetings/{world['coming']}" in str(coming["description"])
    assert str(coming["status"]) == "CONFIRMED"
    maybe = events[uid(world["maybe"])]
    assert str(maybe["location"]) == "https://meet.example/abc"
    assert str(maybe["status"]) == "TENTATIVE"
    assert str(events[uid(world["cancelled"])]["status"]) == "CANCELLED"
    # Nothing about anyone else: not their meeting, not their name.
    assert uid(world["theirs"]) not in events
    assert b"Private" not in response.data and b"Women" not in response.data
    assert b"olga" not in response.data.lower() and b"mira" not in response.data.lower()


def test_a_cancelled_meeting_i_never_said_yes_to_stays_out(app, client, world):
    with app.app_context():
        db.session.get(Meeting, world["said_no"]).cancelled = True
        db.session.commit()
    sign_in(client, "mira")
    events = _events(client.get(_make_address(client)).data)
    assert f"meeting-{world['said_no']}@localhost" not in events


def test_a_new_address_revokes_the_old_one(app, client, world):
    sign_in(client, "mira")
    old = _make_address(client)
    new = _make_address(client)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    with app.app_context():
        rows = db.session.scalars(db.select(CalendarFeed)).all()
        assert len(rows) == 1 and rows[0].user_id == world["me"].id
        # Only a hash is kept, never the address itself.
        assert new.split("/")[-1].removesuffix(".ics") not in rows[0].token_hash
    page = client.get("/me/calendar").get_data(as_text=True)
    assert "Make a new address" in page and new not in page


def test_unknown_stopped_and_deactivated_addresses_are_not_found(app, client, world):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404
    sign_in(client, "mira")
    path = _make_address(client)
    response = post(client, "/me/calendar/stop", {}, form_url="/me/calendar")
    assert response.status_code == 303
    assert client.get(path).status_code == 404
    path = _make_address(client)
    with app.app_context():
        db.session.get(User, world["me"].id).is_active = False
        db.session.commit()
    assert app.test_client().get(path).status_code == 404


def test_the_forum_feed_is_for_those_who_may_see_the_forum(app, client, world):
    assert client.get(f"/forums/{world['open_forum']}/calendar.ics").status_code == 302
    sign_in(client, "mira")
    response = client.get(f"/forums/{world['open_forum']}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    events = _events(response.data)
    assert f"meeting-{world['said_no']}@localhost" in events  # every meeting of the forum
    assert str(events[f"meeting-{world['cancelled']}@localhost"]["status"]) == "CANCELLED"
    # Not a member of the invitation-only forum: refused, without saying it exists.
    assert client.get(f"/forums/{world['closed_forum']}/calendar.ics").status_code == 404
    assert client.get("/forums/99999/calendar.ics").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, "olga")
    response = client.get(f"/forums/{world['closed_forum']}/calendar.ics")
    assert response.status_code == 200
    assert f"meeting-{world['theirs']}@localhost" in _events(response.data)


def test_a_manager_can_have_any_forums_feed(client, signed_in, world):
    signed_in(Role.MANAGER)
    assert client.get(f"/forums/{world['closed_forum']}/calendar.ics").status_code == 200


def test_add_to_calendar_gives_one_meeting_to_those_who_may_see_it(client, world):
    sign_in(client, "mira")
    response = client.get(f"/meetings/{world['coming']}/calendar.ics")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    events = _events(response.data)
    assert list(events) == [f"meeting-{world['coming']}@localhost"]
    assert "Your reply: Coming" in str(
        events[f"meeting-{world['coming']}@localhost"]["description"]
    )
    assert client.get(f"/meetings/{world['theirs']}/calendar.ics").status_code == 404
    assert client.get("/meetings/99999/calendar.ics").status_code == 404


def test_the_same_meeting_has_the_same_uid_everywhere(client, world):
    sign_in(client, "mira")
    feed = _events(client.get(_make_address(client)).data)
    forum = _events(client.get(f"/forums/{world['open_forum']}/calendar.ics").data)
    single = _events(client.get(f"/meetings/{world['coming']}/calendar.ics").data)
    assert set(single) <= set(feed) and set(single) <= set(forum)
