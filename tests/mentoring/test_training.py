"""Training: sessions as meetings of the training forum, invitations and replies through the
forums' code, attendance completing the course once (and giving involvement once), expiry
warnings, the gaps matrix and "invite everyone missing this", what peers may see, and what
the dashboard counts. Every test runs at the pinned NOW of tests/mentoring/conftest.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from engage.core.outbox import Notification
from engage.extensions import db
from engage.forums import replies
from engage.forums.attendance import mark_attendance
from engage.forums.models import Forum, ForumError, Invitation, Meeting, Presence, Reply
from engage.mentoring import measures, training
from engage.mentoring.models import (
    Completion,
    Course,
    RoleHeld,
    TrainingExpiryWarning,
    TrainingSession,
)
from engage.payments.models import InvolvementRecord
from engage.people.models import User
from tests.conftest import count_queries, csrf_token, post, sign_in
from tests.mentoring.conftest import NOW, TODAY, day

# Helpers ----------------------------------------------------------------------------------


@pytest.fixture
def courses(app, roles) -> dict[str, int]:
    """The conftest's two courses: Safeguarding (36 months) and Boundaries (never runs
    out). The mentor role needs both, the champion role Boundaries only."""
    with app.app_context():
        return {
            name.lower(): cid
            for cid, name in db.session.execute(db.select(Course.id, Course.name)).all()
        }


@pytest.fixture
def holder(app, make_user, roles):
    """``holder("ann", role="mentor")``: an active peer holding the role since last year."""

    def make(username: str, role: str = "mentor", **profile) -> User:
        user = make_user(username, email=f"{username}@example.org", **profile)
        with app.app_context():
            db.session.add(RoleHeld(user_id=user.id, role_id=roles[role], from_date=day(-300)))
            db.session.commit()
        return user

    return make


@pytest.fixture
def make_session(app, manager, courses):
    """``make_session("safeguarding", days=10, paid=True, capacity=None)``: a session on
    that many days after NOW, 10:00 to 13:00 UK time; returns its id."""

    def make(course: str = "safeguarding", days: int = 10, **details) -> int:
        with app.test_request_context():
            session, made = training.create_session(
                db.session.get(User, manager.id),
                db.session.get(Course, courses[course]),
                starts_at=_at(day(days)),
                duration_minutes=180,
                paid=details.pop("paid", True),
                **details,
            )
            assert made
            db.session.commit()
            return session.id

    return make


def _at(on: date, hour: int = 10) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(on, time(hour), tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)


def _done(app, manager, person: User, course_id: int, on: date) -> int:
    """Record a course done elsewhere on ``on``; returns the completion's id."""
    with app.test_request_context():
        completion, _made = training.record_completion(
            db.session.get(User, manager.id),
            db.session.get(User, person.id),
            db.session.get(Course, course_id),
            on,
        )
        db.session.commit()
        return completion.id


def _session(app, session_id: int) -> TrainingSession:
    with app.app_context():
        session = db.session.get(TrainingSession, session_id)
        _ = session.meeting.forum, session.course
        return session


def _mark(app, clock, manager, session_id: int, marks: dict[int, Presence]) -> None:
    """Take the register on the session's day."""
    meeting = _session(app, session_id).meeting
    clock(meeting.starts_at + timedelta(hours=1))
    with app.test_request_context():
        mark_attendance(
            db.session.get(User, manager.id), db.session.get(Meeting, meeting.id), marks
        )
        db.session.commit()
    clock(NOW)


# Sessions are meetings of the training forum -------------------------------------------------


def test_a_session_is_a_meeting_of_the_training_forum(app, manager, courses, make_session):
    first = make_session("safeguarding", days=10, capacity=12, trainer="Riverside Safeguarding")
    second = make_session("boundaries", days=20, paid=False)
    one, two = _session(app, first), _session(app, second)
    assert one.meeting.forum_id == two.meeting.forum_id  # one training forum, made once
    forum = one.meeting.forum
    assert forum.is_training and not forum.open_to_all and forum.name == "Training"
    assert (one.meeting.title, one.meeting.activity, one.meeting.paid) == (
        "Safeguarding",
        "training",
        True,
    )
    assert one.meeting.capacity == 12 and one.trainer == "Riverside Safeguarding"
    assert (two.meeting.title, two.meeting.paid) == ("Boundaries", False)
    # The same course at the same moment again is the same session (a double press).
    with app.test_request_context():
        again, made = training.create_session(
            db.session.get(User, manager.id),
            db.session.get(Course, courses["safeguarding"]),
            starts_at=one.meeting.starts_at,
            duration_minutes=180,
            paid=True,
        )
        assert (again.id, made) == (first, False)
        db.session.rollback()
        # A time that has passed is refused by the forums' own rule; nothing is made.
        with pytest.raises(ForumError, match="has not passed"):
            training.create_session(
                db.session.get(User, manager.id),
                db.session.get(Course, courses["safeguarding"]),
                starts_at=NOW - timedelta(days=1),
                duration_minutes=60,
                paid=True,
            )
        db.session.rollback()
        assert db.session.scalar(db.select(db.func.count(TrainingSession.id))) == 2


def test_invitations_replies_and_the_waiting_list_are_the_forums(
    app, client, manager, holder, make_session, sent_messages
):
    ann, bob = holder("ann"), holder("bob")
    holder("cat", role="champion")  # the champion role does not need safeguarding
    session_id = make_session("safeguarding", capacity=1)
    meeting_id = _session(app, session_id).meeting_id
    with app.test_request_context():
        invited = training.invite_missing(
            db.session.get(User, manager.id), db.session.get(TrainingSession, session_id)
        )
        db.session.commit()
        assert invited == 2
        subjects = db.session.scalars(
            db.select(Notification.subject).where(Notification.subject.like("You are invited%"))
        ).all()
        assert sorted(subjects) == ["You are invited: Safeguarding"] * 2
    # Ann says yes on the meeting page, as for any meeting: she has the one place.
    sign_in(client, "ann")
    page = client.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert "Safeguarding" in page and "Back to training" in page
    assert "How much say the forum has" not in page
    response = post(
        client, f"/meetings/{meeting_id}/reply", {"reply": "yes"}, f"/meetings/{meeting_id}"
    )
    assert response.status_code == 303
    with app.test_request_context():
        meeting = db.session.get(Meeting, meeting_id)
        bob_row = replies.reply(db.session.get(User, bob.id), meeting, Reply.YES)
        assert bob_row.reply == Reply.WAITING.value  # full: the waiting list
        replies.reply(db.session.get(User, ann.id), meeting, Reply.NO)
        db.session.commit()
        assert replies.invitation_of(bob.id, meeting_id).reply == Reply.YES.value
        note = db.session.scalar(
            db.select(Notification).where(Notification.subject.like("A place is free%"))
        )
        assert note.subject == "A place is free for you: Safeguarding"


# Attendance completes the course ------------------------------------------------------------


def test_taking_part_completes_the_course_once_and_gives_paid_time_once(
    app, clock, manager, holder, make_session
):
    ann, bob = holder("ann"), holder("bob")
    session_id = make_session("safeguarding", days=3)
    marks = {ann.id: Presence.LATE, bob.id: Presence.NO_SHOW}
    _mark(app, clock, manager, session_id, marks)
    _mark(app, clock, manager, session_id, marks)  # saved again: nothing more
    _mark(app, clock, manager, session_id, {ann.id: Presence.ATTENDED})
    with app.app_context():
        (completion,) = db.session.scalars(db.select(Completion)).all()
        assert completion.user_id == ann.id and completion.session_id == session_id
        assert completion.completed_on == day(3)
        assert completion.expires_on == date(2030, 3, 4)  # 36 months on
        assert completion.recorded_by_id == manager.id
        (record,) = db.session.scalars(
            db.select(InvolvementRecord).where(InvolvementRecord.person_id.in_([ann.id, bob.id]))
        ).all()
        assert (record.person_id, record.activity, record.status) == (ann.id, "training", "pending")
        assert record.minutes == 180 and record.description == "Safeguarding"


def test_an_unpaid_session_gives_voluntary_time_and_a_completion_that_never_runs_out(
    app, clock, manager, holder, make_session
):
    ann = holder("ann", role="champion")
    session_id = make_session("boundaries", days=2, paid=False)
    _mark(app, clock, manager, session_id, {ann.id: Presence.ATTENDED})
    with app.app_context():
        record = db.session.scalar(
            db.select(InvolvementRecord).where(InvolvementRecord.person_id == ann.id)
        )
        assert (record.activity, record.status) == ("training", "voluntary")
        completion = db.session.scalar(db.select(Completion).where(Completion.user_id == ann.id))
        assert completion.expires_on is None


def test_other_meetings_complete_nothing(app, clock, manager, holder):
    from engage.forums import meetings, membership

    ann = holder("ann")
    with app.test_request_context():
        actor = db.session.get(User, manager.id)
        forum = membership.create_forum(actor, name="Expert Citizen Forum")
        (meeting,) = meetings.schedule(
            actor, forum, starts_at=_at(TODAY), duration_minutes=60, title="Planning"
        )
        mark_attendance(actor, meeting, {ann.id: Presence.ATTENDED})
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count(Completion.id))) == 0


# Expiry warnings ------------------------------------------------------------------------------


def _tick(app, clock, when: date) -> int:
    clock(datetime.combine(when, time(9), tzinfo=UTC))
    with app.test_request_context():
        warned = training.send_expiry_warnings(when)
        db.session.commit()
        return warned


def _training_notes(app):
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(Notification)
                .where(
                    Notification.subject.like("%training is due again")
                    | Notification.subject.like("Training running out%")
                )
                .order_by(Notification.id)
            )
        )


def test_expiry_warnings_go_60_30_and_7_days_ahead_once_each(app, clock, manager, holder, courses):
    ann = holder("ann", locale="pl")
    # Done 36 months before the day it runs out: 100 days from now.
    runs_out = day(100)
    _done(
        app,
        manager,
        ann,
        courses["safeguarding"],
        date(runs_out.year - 3, runs_out.month, runs_out.day),
    )
    said = []
    for offset in range(100, -3, -1):
        if _tick(app, clock, runs_out - timedelta(days=offset)):
            said.append(offset)
        _tick(app, clock, runs_out - timedelta(days=offset))  # twice a day: nothing more
    assert said == [60, 30, 7]
    with app.app_context():
        assert sorted(db.session.scalars(db.select(TrainingExpiryWarning.days_ahead))) == [
            7,
            30,
            60,
        ]
        to_ann = db.session.scalars(
            db.select(Notification).where(Notification.user_id == ann.id).order_by(Notification.id)
        ).all()
        to_manager = db.session.scalars(
            db.select(Notification).where(
                Notification.user_id == manager.id, Notification.subject.like("Training%")
            )
        ).all()
    assert len(to_ann) == 3 and len(to_manager) == 3
    # Kindly, and in her own language (Polish).
    assert all(note.body != "" for note in to_ann)
    assert "Safeguarding" in to_ann[0].body and "Ann" in to_ann[0].body
    assert "Ann: Safeguarding, runs out on" in to_manager[0].body


def test_a_redone_course_stops_the_warnings_and_a_late_tick_sends_only_the_nearest(
    app, clock, manager, holder, courses
):
    ann, bob = holder("ann"), holder("bob")
    # Ann's runs out in 20 days: a late first tick sends the 30-day warning only.
    _done(app, manager, ann, courses["safeguarding"], day(20).replace(year=day(20).year - 3))
    assert _tick(app, clock, TODAY) == 1
    with app.app_context():
        assert sorted(db.session.scalars(db.select(TrainingExpiryWarning.days_ahead))) == [30, 60]
    # Bob's runs out in 50 days, but he did it again last week: no warning for him.
    _done(app, manager, bob, courses["safeguarding"], day(50).replace(year=day(50).year - 3))
    _done(app, manager, bob, courses["safeguarding"], day(-7))
    # Ann did it again too, before her 7-day warning.
    clock(datetime.combine(day(5), time(15), tzinfo=UTC))
    _done(app, manager, ann, courses["safeguarding"], day(5))
    for offset in range(5, 30):
        assert _tick(app, clock, TODAY + timedelta(days=offset)) == 0
    assert [n.body for n in _training_notes(app) if n.user_id == bob.id] == []
    assert len([n for n in _training_notes(app) if n.user_id == ann.id]) == 1


def test_no_warning_once_the_role_has_ended(app, clock, manager, holder, courses):
    ann = holder("ann")
    _done(app, manager, ann, courses["safeguarding"], day(30).replace(year=day(30).year - 3))
    with app.app_context():
        db.session.execute(
            db.update(RoleHeld).where(RoleHeld.user_id == ann.id).values(to_date=day(-1))
        )
        db.session.commit()
    assert _tick(app, clock, TODAY) == 0


# The gaps matrix ----------------------------------------------------------------------------


@pytest.fixture
def team(app, manager, holder, courses, roles):
    """Five mentors and a champion, each somewhere different with Safeguarding (36 months)
    and Boundaries (never runs out)."""
    people = {
        "done": holder("done"),
        "expiring": holder("expiring"),
        "expired": holder("expired"),
        "missing": holder("missing"),
        "paused": holder("paused"),
        "champion": holder("champion", role="champion"),
    }
    safeguarding, boundaries = courses["safeguarding"], courses["boundaries"]
    _done(app, manager, people["done"], safeguarding, day(-30))
    _done(app, manager, people["done"], boundaries, day(-400))
    _done(app, manager, people["expiring"], safeguarding, day(40).replace(year=day(40).year - 3))
    # Expired: the older of two completions counts for nothing.
    _done(app, manager, people["expired"], safeguarding, day(-2000))
    _done(app, manager, people["expired"], safeguarding, day(-1).replace(year=day(-1).year - 3))
    _done(app, manager, people["champion"], safeguarding, day(-10))  # not needed, but done
    with app.test_request_context():
        from engage.people import services as people_services

        paused = db.session.get(User, people["paused"].id)
        people_services.set_paused(paused, paused, True)
        db.session.commit()
    return people


def _cells(matrix) -> dict[str, dict[str, str]]:
    return {
        row.name.lower(): {c.name: cell.state.value for c, cell in zip(matrix.courses, row.cells)}
        for row in matrix.rows
    }


def test_the_gaps_matrix_shows_done_expiring_expired_missing_and_not_needed(
    app, team, roles, make_session
):
    with app.test_request_context():
        matrix = training.gaps_matrix(TODAY, NOW)
        cells = _cells(matrix)
        assert [c.name for c in matrix.courses] == ["Boundaries", "Safeguarding"]
        assert cells["done"] == {"Boundaries": "done", "Safeguarding": "done"}
        assert cells["expiring"]["Safeguarding"] == "expiring"
        assert cells["expired"]["Safeguarding"] == "expired"
        assert cells["missing"] == {"Boundaries": "missing", "Safeguarding": "missing"}
        assert cells["champion"] == {"Boundaries": "missing", "Safeguarding": "not_needed"}
        row = next(r for r in matrix.rows if r.name == "Expiring")
        assert row.roles == ["Peer mentor"] and row.cells[1].expires_on == day(40)
        summary = matrix.summaries
        assert dict(
            summary[next(c.id for c in matrix.courses if c.name == "Safeguarding")].counts
        ) == {
            "done": 1,
            "expiring": 1,
            "expired": 1,
            "missing": 2,
        }
        # The champion role's view: its people and the courses it needs only.
        champions = training.gaps_matrix(TODAY, NOW, role_id=roles["champion"])
        assert [c.name for c in champions.courses] == ["Boundaries"]
        assert _cells(champions) == {"champion": {"Boundaries": "missing"}}
        # A role that does not exist is no filter.
        assert training.gaps_matrix(TODAY, NOW, role_id=99999).role_id is None


def test_the_gaps_page_filters_by_role_and_refuses_nothing_it_cannot_read(app, client, team, roles):
    sign_in(client, "manager")
    page = client.get("/training/gaps").get_data(as_text=True)
    assert "6 people" in page and "Runs out soon" in page and "Ran out" in page
    assert "No session is coming up." in page
    filtered = client.get(f"/training/gaps?role={roles['champion']}").get_data(as_text=True)
    assert "1 person" in filtered and "Expiring" not in filtered
    for odd in ("abc", "-1", "99999999999999999999", "1e9", ""):
        assert client.get(f"/training/gaps?role={odd}&page={odd}").status_code == 200
    csv = client.get("/training/gaps.csv")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    text = csv.get_data(as_text=True)
    assert "Expired" in text and "Ran out" in text and "Not needed" in text


def test_invite_everyone_missing_invites_only_the_missing_and_ran_out_and_nobody_twice(
    app, client, team, make_session
):
    session_id = make_session("safeguarding", days=14)
    later = make_session("safeguarding", days=40)  # not the next one
    sign_in(client, "manager")
    page = client.get("/training/gaps").get_data(as_text=True)
    # Missing and ran out, less the paused peer: "missing" and "expired".
    assert "Invite the 2 people missing this to" in page
    data = {"session": str(session_id)}
    response = post(client, "/training/gaps/invite", data, "/training/gaps")
    assert response.status_code == 303
    with app.app_context():
        meeting_id = _session(app, session_id).meeting_id
        invited = set(
            db.session.scalars(
                db.select(User.username)
                .join(Invitation, Invitation.user_id == User.id)
                .where(Invitation.meeting_id == meeting_id)
            )
        )
        assert invited == {"missing", "expired"}
        assert (
            db.session.scalar(
                db.select(db.func.count(Invitation.id)).where(
                    Invitation.meeting_id == _session(app, later).meeting_id
                )
            )
            == 0
        )
    page = client.get("/training/gaps").get_data(as_text=True)
    assert "We invited 2 people to Safeguarding on" in page
    assert "everyone missing it is invited" in page
    # Pressed again (a stale page): nobody twice.
    response = post(client, "/training/gaps/invite", data, "/training/gaps")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nobody more to invite" in page
    with app.app_context():
        assert (
            db.session.scalar(
                db.select(db.func.count(Invitation.id)).where(Invitation.meeting_id == meeting_id)
            )
            == 2
        )


def test_inviting_to_a_session_that_went_or_never_was_is_kind(app, client, team, make_session):
    session_id = make_session("safeguarding", days=14)
    with app.app_context():
        meeting = db.session.get(Meeting, _session(app, session_id).meeting_id)
        meeting.cancelled = True
        db.session.commit()
    sign_in(client, "manager")
    for value in (str(session_id), "99999", "x", ""):
        response = post(client, "/training/gaps/invite", {"session": value}, "/training/gaps")
        assert response.status_code == 303
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "This session was cancelled" in page or "not there any more" in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 0


def test_the_gaps_matrix_runs_the_same_queries_for_5_and_50_people(
    app, client, manager, holder, courses, make_session
):
    make_session("safeguarding", days=14)

    def grow_to(n: int) -> None:
        with app.app_context():
            have = db.session.scalar(db.select(db.func.count(RoleHeld.id)))
        for k in range(have, n):
            person = holder(f"p{k:03d}", role="mentor" if k % 3 else "champion")
            if k % 2:
                _done(app, manager, person, courses["safeguarding"], day(-k * 40))

    sign_in(client, "manager")
    grow_to(5)
    small = count_queries(app, client, "/training/gaps")
    grow_to(50)
    large = count_queries(app, client, "/training/gaps")
    assert small == large
    assert count_queries(app, client, "/training/gaps?page=1") == large


# What peers see -----------------------------------------------------------------------------


def test_a_peer_sees_their_own_training_and_next_sessions_and_asks_for_a_place(
    app, client, manager, holder, courses, make_session
):
    ann, bob = holder("ann"), holder("bob", preferred_name="Bob Secret")
    _done(app, manager, ann, courses["boundaries"], date(2026, 3, 3))
    _done(app, manager, bob, courses["safeguarding"], day(-5))
    invited_to = make_session("boundaries", days=5)  # done already, but invited
    open_one = make_session("safeguarding", days=9)
    with app.app_context():
        db.session.add(Invitation(meeting_id=_session(app, invited_to).meeting_id, user_id=ann.id))
        db.session.commit()
    sign_in(client, "ann")
    page = client.get("/training").get_data(as_text=True)
    assert "Your next training" in page
    assert "Boundaries: Done 3 March 2026, does not run out" in page
    assert "Not done yet" in page  # safeguarding, which her role needs
    assert "Bob Secret" not in page and "bob" not in page.lower()
    assert "Ask for a place" in page and "Put on a session" not in page
    # One press: a place on the open session, through the forums' reply.
    response = post(client, f"/training/sessions/{open_one}/place", {}, "/training")
    assert response.status_code == 303
    meeting_id = _session(app, open_one).meeting_id
    assert response.headers["Location"] == f"/meetings/{meeting_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You have a place" in page and "Coming" in page
    # A session of a course her role does not need, or one that does not exist: not found.
    with app.app_context():
        db.session.execute(db.delete(RoleHeld).where(RoleHeld.user_id == ann.id))
        db.session.commit()
    assert post(client, f"/training/sessions/{open_one}/place", {}, "/training").status_code == 404
    assert post(client, "/training/sessions/99999/place", {}, "/training").status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/training/gaps"),
        ("get", "/training/gaps.csv"),
        ("get", "/training/sessions/new"),
        ("get", "/training/sessions/{session}"),
        ("get", "/training/completions/new"),
        ("post", "/training/gaps/invite"),
        ("post", "/training/sessions/{session}/invite"),
        ("post", "/training/sessions/new"),
        ("post", "/training/completions/new"),
    ],
)
def test_peers_never_reach_the_managers_pages(app, client, holder, make_session, method, url):
    session_id = make_session()
    holder("ann")
    sign_in(client, "ann")
    url = url.format(session=session_id)
    if method == "get":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_token(client, "/training")})
    assert response.status_code in (403, 404)


def test_the_training_forum_is_in_no_forum_list(app, client, manager, holder, make_session):
    make_session()
    holder("ann")
    with app.app_context():
        forum_id = db.session.scalar(db.select(Forum.id).where(Forum.is_training.is_(True)))
    for who in ("ann", "manager"):
        client = app.test_client()
        sign_in(client, who)
        page = client.get("/forums").get_data(as_text=True)
        assert f'href="/forums/{forum_id}"' not in page
    # Nor among the forums a survey round or an opportunity can be for.
    for url in ("/surveys/new", "/opportunities/new"):
        response = client.get(url)
        assert response.status_code == 200
        assert ">Training</option>" not in response.get_data(as_text=True)


# Managers' pages ----------------------------------------------------------------------------


def _session_form(client, **changes) -> dict:
    data = {
        "csrf_token": csrf_token(client, "/training/sessions/new"),
        "course": "",
        "date": day(21).isoformat(),
        "time": "10:00",
        "duration": "180",
        "venue": "",
        "online_link": "https://meet.example.org/safeguarding",
        "capacity": "12",
        "trainer": "Sue from Riverside",
        "paid": "yes",
        "wellbeing_check_in": "y",
    }
    data.update(changes)
    return data


def test_a_manager_puts_on_a_session_once_and_bad_input_is_kind(app, client, manager, courses):
    sign_in(client, "manager")
    form = client.get("/training/sessions/new").get_data(as_text=True)
    assert "Put on a training session" in form and "How much power is shared" not in form
    course = str(courses["safeguarding"])
    for changes, message in (
        ({"course": course, "capacity": "0"}, "Enter a number of places from 1 to 500"),
        ({"course": course, "capacity": "100000"}, "Enter a number of places from 1 to 500"),
        ({"course": course, "date": day(-2).isoformat()}, "has not passed yet"),
        ({"course": "99999"}, "Choose"),
        ({"course": course, "date": "3000-01-01"}, "Enter a date"),
    ):
        response = client.post("/training/sessions/new", data=_session_form(client, **changes))
        assert response.status_code == 200, changes
        assert message in response.get_data(as_text=True), changes
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(TrainingSession.id))) == 0
    data = _session_form(client, course=course)
    first = client.post("/training/sessions/new", data=data)
    second = client.post("/training/sessions/new", data=data)  # a double press
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "0 of 12 places taken" in page and "Sue from Riverside" in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(TrainingSession.id))) == 1
    overview = client.get("/training").get_data(as_text=True)
    assert "Coming sessions" in overview and "Safeguarding" in overview
    assert client.get("/training/sessions/99999").status_code == 404


def test_a_manager_records_training_done_elsewhere(app, client, manager, holder, courses):
    ann = holder("ann")
    sign_in(client, "manager")
    url = f"/training/completions/new?person={ann.id}&course={courses['safeguarding']}"
    form = client.get(url).get_data(as_text=True)
    assert 'value="ann"' in form
    data = {
        "csrf_token": csrf_token(client, url),
        "login": "ann",
        "course": str(courses["safeguarding"]),
        "completed_on": "2026-11-20",
    }
    assert client.post(url, data=data).status_code == 303
    assert client.post(url, data=data).status_code == 303  # again: the same one
    future = client.post(url, data=data | {"completed_on": day(3).isoformat()})
    assert future.status_code == 200
    nobody = client.post(url, data=data | {"login": "nobody-here"})
    assert "There is nobody with that username" in nobody.get_data(as_text=True)
    with app.app_context():
        (completion,) = db.session.scalars(db.select(Completion)).all()
        assert (completion.completed_on, completion.expires_on) == (
            date(2026, 11, 20),
            date(2029, 11, 20),
        )


# What the dashboard counts -----------------------------------------------------------------


def test_people_trained_and_sessions_delivered(app, clock, manager, holder, courses, make_session):
    ann, bob = holder("ann"), holder("bob")
    delivered = make_session("safeguarding", days=3)
    make_session("boundaries", days=4)  # nobody came
    _mark(app, clock, manager, delivered, {ann.id: Presence.ATTENDED, bob.id: Presence.ATTENDED})
    _done(app, manager, ann, courses["boundaries"], day(-10))
    with app.app_context():
        assert measures.people_trained(day(0), day(10)) == 2
        assert measures.people_trained(day(-20), day(0)) == 1
        assert measures.training_sessions_delivered(day(0), day(10)) == 1
        assert measures.training_sessions_delivered(day(4), day(10)) == 0
