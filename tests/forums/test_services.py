"""Forum use cases: recurrence, invitations, the waiting list, reminders, attendance and
carry-forward."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from engage.core.dates import local_date
from engage.core.db import utcnow
from engage.core.outbox import Notification
from engage.core.signals import involvement_given
from engage.extensions import db
from engage.forums.agenda import add_action, carry_forward, complete_action
from engage.forums.attendance import UnknownPerson, mark_attendance
from engage.forums.meetings import _local, cancel, change_meeting, schedule
from engage.forums.membership import add_member, member_of, remove_member
from engage.forums.minutes import raise_in_meeting
from engage.forums.models import (
    AgendaItem,
    Attendance,
    Forum,
    ForumError,
    Invitation,
    Meeting,
    Presence,
    Reply,
)
from engage.forums.needs import needs_of_those_coming
from engage.forums.replies import coming_count, invite_members, reply, send_reminders
from engage.people.models import Role, User


def _user(make_user, **kwargs) -> User:
    return db.session.get(User, make_user(**kwargs).id)


#: The moment these tests run at, unless a test pins another: meetings a week on (3 March
#: 2027) and series every six weeks cross the spring clock change.
NOW = datetime(2027, 2, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def forum(ctx, clock, make_user):
    clock(NOW)
    manager = _user(make_user, roles={Role.MANAGER})
    forum = Forum(name="Expert Citizen Forum", purpose="Advise the delivery board")
    db.session.add(forum)
    db.session.flush()
    return forum, manager


def _meetings(forum, manager, **kwargs):
    start = (utcnow() + timedelta(days=7)).replace(microsecond=0)
    return schedule(manager, forum, starts_at=start, duration_minutes=120, **kwargs)


def test_a_series_makes_meetings_every_n_weeks(forum):
    forum, manager = forum
    meetings = _meetings(forum, manager, every_weeks=6, count=4)
    assert len(meetings) == 4
    local = [_local(m.starts_at) for m in meetings]  # wall-clock, across clock changes
    assert {(b - a).days for a, b in zip(local, local[1:])} == {42}
    assert {(b - a).seconds for a, b in zip(local, local[1:])} == {0}
    assert len({m.series_id for m in meetings}) == 1


def test_changing_all_future_meetings_keeps_the_pattern_and_spares_detached_ones(forum):
    forum, manager = forum
    first, second, third, fourth = _meetings(forum, manager, every_weeks=6, count=4)
    change_meeting(manager, third, "this", online_link="https://meet.example/x")
    assert third.detached
    change_meeting(
        manager, second, "future", starts_at=second.starts_at + timedelta(hours=1), capacity=12
    )
    assert first.capacity is None and second.capacity == 12 and fourth.capacity == 12
    assert third.capacity is None  # changed on its own earlier, left alone
    local = _local
    assert (local(fourth.starts_at) - local(second.starts_at)).days == 84
    assert local(fourth.starts_at).hour == (local(first.starts_at) + timedelta(hours=1)).hour


def test_members_are_invited_but_paused_peers_are_not(forum, make_user):
    forum, manager = forum
    active = _user(make_user, email="a@example.org")
    paused = _user(make_user, email="p@example.org")
    paused.profile.paused_at = utcnow()
    for person in (active, paused):
        add_member(manager, forum, person, local_date(NOW))
    (meeting,) = _meetings(forum, manager)
    invited = {i.user_id for i in db.session.scalars(db.select(Invitation))}
    assert invited == {active.id}
    assert invite_members(meeting) == 0  # nobody invited twice


def test_the_waiting_list_moves_up_by_itself(forum, make_user):
    forum, manager = forum
    (meeting,) = _meetings(forum, manager, capacity=1)
    first = _user(make_user)
    second = _user(make_user, email="second@example.org")
    assert reply(first, meeting, Reply.YES).reply == Reply.YES.value
    assert reply(second, meeting, Reply.YES).reply == Reply.WAITING.value
    reply(first, meeting, Reply.NO)
    row = db.session.scalar(db.select(Invitation).filter_by(user_id=second.id))
    assert row.reply == Reply.YES.value
    told = db.session.scalar(
        db.select(Notification).where(Notification.subject.like("A place is free%"))
    )
    assert told.to_address == "second@example.org"


def test_replying_twice_is_harmless_and_past_meetings_refuse(forum, make_user):
    forum, manager = forum
    (meeting,) = _meetings(forum, manager, capacity=1)
    person = _user(make_user)
    reply(person, meeting, Reply.YES)
    reply(person, meeting, Reply.YES)
    assert coming_count(meeting) == 1
    meeting.starts_at = utcnow() - timedelta(days=2)
    meeting.ends_at = utcnow() - timedelta(days=2) + timedelta(hours=2)
    with pytest.raises(ForumError):
        reply(person, meeting, Reply.NO)


def test_reminders_go_once(forum, make_user, app):
    forum, manager = forum
    person = _user(make_user, email="r@example.org")
    add_member(manager, forum, person, local_date(NOW))
    (meeting,) = _meetings(forum, manager)
    reply(person, meeting, Reply.YES)
    soon = meeting.starts_at - timedelta(hours=app.config["REMINDER_HOURS"] - 1)
    assert send_reminders(soon) == 1
    assert send_reminders(soon) == 0


def test_needs_of_those_coming(forum, make_user):
    forum, manager = forum
    a = _user(make_user, preferred_name="Ana")
    a.profile.interpreter_language = "Polish"
    a.profile.needs_step_free = True
    b = _user(make_user, preferred_name="Bo")
    b.profile.interpreter_language = "Polish"
    b.profile.needs_childcare = True
    c = _user(make_user, preferred_name="Cy")
    c.profile.needs_childcare = True
    (meeting,) = _meetings(forum, manager)
    reply(a, meeting, Reply.YES)
    reply(b, meeting, Reply.YES)
    reply(c, meeting, Reply.NO)  # not coming: not counted
    needs = needs_of_those_coming(meeting)
    assert needs.interpreters == {"Polish": 2}
    assert needs.counts["needs_childcare"] == 1 and needs.counts["needs_step_free"] == 1
    assert needs.names["needs_childcare"] == ["Bo"]


def test_attendance_creates_involvement_once(forum, make_user, app):
    forum, manager = forum
    person = _user(make_user)
    late = _user(make_user)
    absent = _user(make_user)
    (meeting,) = _meetings(forum, manager)
    meeting.starts_at = utcnow() - timedelta(hours=1)  # the register opens on the day
    meeting.ends_at = meeting.starts_at + timedelta(hours=2)
    given = []

    def receiver(sender, **kwargs):
        given.append((kwargs["person"].id, kwargs["activity"], kwargs["minutes"]))

    involvement_given.connect(receiver, weak=False)
    try:
        marks = {
            person.id: Presence.ATTENDED,
            late.id: Presence.LATE,
            absent.id: Presence.APOLOGIES,
        }
        assert mark_attendance(manager, meeting, marks).given == 2
        assert mark_attendance(manager, meeting, marks).given == 0  # saved again
    finally:
        involvement_given.disconnect(receiver)
    assert sorted(given) == sorted(
        [(person.id, "forum_meeting", 120), (late.id, "forum_meeting", 120)]
    )


def test_involvement_is_given_on_the_meeting_s_own_day(forum, make_user, clock):
    """A meeting at 00:30 on 1 July in London starts at 23:30 UTC on 30 June: the time was
    given on 1 July (the partnership's day), as the register and the dashboard count it."""
    forum, manager = forum
    person = _user(make_user)
    (meeting,) = _meetings(forum, manager)
    meeting.starts_at = datetime(2027, 6, 30, 23, 30, tzinfo=UTC)
    meeting.ends_at = meeting.starts_at + timedelta(hours=1)
    clock(datetime(2027, 6, 30, 23, 45, tzinfo=UTC))  # 00:45 on 1 July there: the register is open
    days = []

    def receiver(sender, **kwargs):
        days.append(kwargs["on"])

    involvement_given.connect(receiver, weak=False)
    try:
        mark_attendance(manager, meeting, {person.id: Presence.ATTENDED})
    finally:
        involvement_given.disconnect(receiver)
    assert days == [date(2027, 7, 1)]


def test_unfinished_actions_carry_forward_until_done(forum):
    forum, manager = forum
    first, second, third = _meetings(forum, manager, every_weeks=4, count=3)
    action = add_action(manager, first, "Write to the council", "Priya", None)

    def on(meeting):
        rows = db.session.scalars(db.select(AgendaItem).filter_by(meeting_id=meeting.id))
        return [row.action_id for row in rows]

    assert on(second) == [action.id]
    assert carry_forward(forum) == 0  # idempotent
    # After the second meeting, still unfinished: it moves on to the third.
    assert carry_forward(forum, now=second.starts_at + timedelta(hours=3)) == 1
    assert on(third) == [action.id]
    complete_action(manager, action)
    other = add_action(manager, first, "Done already", "Jo", None)
    complete_action(manager, other)
    assert carry_forward(forum) == 0


def test_issues_raised_at_a_meeting_go_to_the_register(forum):
    forum, manager = forum
    (meeting,) = _meetings(forum, manager)
    item = raise_in_meeting(
        manager, meeting, title="No bus home", what_happened="Discharged at 3am", theme="health"
    )
    db.session.flush()
    assert item.source == "meeting" and item.source_meeting_id == meeting.id
    assert item.raised_by_id is None  # anonymised
    assert forum.name in item.source_note


def test_cancelling_tells_those_coming(forum, make_user):
    forum, manager = forum
    person = _user(make_user, email="c@example.org")
    (meeting,) = _meetings(forum, manager)
    reply(person, meeting, Reply.YES)
    cancel(manager, meeting)
    assert (
        db.session.scalar(
            db.select(Notification).where(Notification.subject.like("Cancelled%"))
        ).to_address
        == "c@example.org"
    )
    assert db.session.get(Meeting, meeting.id).cancelled


def test_a_series_keeps_its_local_time_across_the_clock_change(forum):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    forum, manager = forum
    london = ZoneInfo("Europe/London")
    first = datetime(2027, 2, 23, 10, 30, tzinfo=london).astimezone(UTC)
    meetings = schedule(
        manager, forum, starts_at=first, duration_minutes=120, every_weeks=6, count=3
    )
    assert [m.starts_at.astimezone(london).strftime("%H:%M") for m in meetings] == [
        "10:30",
        "10:30",
        "10:30",
    ]
    assert meetings[1].starts_at.astimezone(london).month == 4  # after the clocks went forward


def test_more_places_move_the_waiting_list_up(forum, make_user):
    forum, manager = forum
    (meeting,) = _meetings(forum, manager, capacity=1)
    people = [_user(make_user) for _ in range(3)]
    for person in people:
        reply(person, meeting, Reply.YES)
    assert coming_count(meeting) == 1
    change_meeting(manager, meeting, "this", capacity=3)
    assert coming_count(meeting) == 3


def test_the_register_is_refused_when_cancelled_before_the_day_or_empty(forum, make_user):
    forum, manager = forum
    person = _user(make_user)
    (meeting,) = _meetings(forum, manager)
    marks = {person.id: Presence.ATTENDED}
    with pytest.raises(ForumError, match="on the day of the meeting"):
        mark_attendance(manager, meeting, marks)
    meeting.starts_at = utcnow() - timedelta(hours=1)
    meeting.ends_at = meeting.starts_at + timedelta(hours=2)
    with pytest.raises(ForumError, match="Mark at least one person"):
        mark_attendance(manager, meeting, {})
    with pytest.raises(UnknownPerson):
        mark_attendance(manager, meeting, {}, walk_in="nobody-by-this-name")
    cancel(manager, meeting)
    with pytest.raises(ForumError, match="cancelled"):
        mark_attendance(manager, meeting, marks)
    assert db.session.scalar(db.select(db.func.count(Attendance.id))) == 0


def test_a_walk_in_is_marked_as_attended_unless_marked_otherwise(forum, make_user):
    forum, manager = forum
    walk_in = _user(make_user)
    (meeting,) = _meetings(forum, manager)
    meeting.starts_at = utcnow() - timedelta(hours=1)
    meeting.ends_at = meeting.starts_at + timedelta(hours=2)
    marked = mark_attendance(manager, meeting, {}, walk_in=walk_in.username)
    assert marked.walk_in.id == walk_in.id
    row = db.session.scalar(db.select(Attendance).where(Attendance.user_id == walk_in.id))
    assert row.presence == Presence.ATTENDED.value
    mark_attendance(manager, meeting, {walk_in.id: Presence.LATE}, walk_in=walk_in.username)
    assert row.presence == Presence.LATE.value


def test_cancelled_meetings_cannot_be_cancelled_again_or_changed(forum):
    forum, manager = forum
    (meeting,) = _meetings(forum, manager)
    cancel(manager, meeting)
    with pytest.raises(ForumError, match="already cancelled"):
        cancel(manager, meeting)
    with pytest.raises(ForumError, match="cannot be changed"):
        change_meeting(manager, meeting, "this", title="New")


def test_nobody_leaves_before_they_joined(forum, make_user):
    forum, manager = forum
    person = _user(make_user)
    add_member(manager, forum, person, date(2027, 3, 1))
    with pytest.raises(ForumError, match="choose that day or later"):
        remove_member(manager, forum, person, date(2027, 2, 28))
    remove_member(manager, forum, person, date(2027, 3, 1))
    assert not member_of(person.id, forum.id)


def test_an_action_is_done_once(forum):
    forum, manager = forum
    (meeting,) = _meetings(forum, manager)
    action = add_action(manager, meeting, "Write to the council", "Priya", None)
    assert complete_action(manager, action) is True
    done_at = action.done_at
    assert complete_action(manager, action) is False
    assert action.done_at == done_at


def test_a_manager_cannot_plan_a_meeting_that_has_already_started(ctx, make_user, clock):
    """The rule lives in the service, whoever calls it: the page only shows its message."""
    from datetime import UTC, datetime, timedelta

    from engage.extensions import db
    from engage.forums import meetings
    from engage.forums.membership import create_forum
    from engage.forums.models import ForumError, Meeting
    from engage.people.models import Role, User

    now = datetime(2027, 3, 28, 9, 0, tzinfo=UTC)
    clock(now)
    manager = db.session.get(User, make_user(roles={Role.MANAGER}).id)
    forum = create_forum(manager, name="Riverside Forum", purpose="Talk.")
    with pytest.raises(ForumError):
        meetings.plan(
            manager,
            forum,
            starts_at=now - timedelta(minutes=1),
            duration_minutes=60,
            online_link="https://meet.example.org/x",
        )
    assert db.session.scalar(db.select(db.func.count(Meeting.id))) == 0
    [made] = meetings.plan(
        manager,
        forum,
        starts_at=now + timedelta(days=1),
        duration_minutes=60,
        online_link="https://meet.example.org/x",
    )
    assert made.starts_at == now + timedelta(days=1)
