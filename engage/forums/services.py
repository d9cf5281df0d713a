"""Use cases for forums and meetings. Services take plain values, audit, queue messages and
flush; the route commits."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from engage.core import audit, outbox
from engage.core.db import utcnow
from engage.core.links import absolute_url
from engage.core.signals import involvement_given
from engage.extensions import db
from engage.forums.models import (
    Action,
    AgendaItem,
    Attendance,
    Forum,
    ForumMember,
    Invitation,
    Meeting,
    Presence,
    Reply,
    Series,
)
from engage.people.models import ACCESS_NEEDS, Profile, Role, User


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


def _local(moment: datetime) -> datetime:
    """The wall-clock time in the partnership's zone, without a zone attached."""
    return moment.astimezone(_zone()).replace(tzinfo=None)


def _plus_local(moment: datetime, delta: timedelta) -> datetime:
    """``moment`` plus ``delta`` of wall-clock time, back in UTC: a meeting at 10:30 every six
    weeks stays at 10:30 when the clocks change."""
    return (_local(moment) + delta).replace(tzinfo=_zone()).astimezone(UTC)


class ForumError(ValueError):
    """A request that cannot be met; the message is safe to show."""


# Forums and members ---------------------------------------------------------------------


def active_member_ids(forum_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(ForumMember.user_id).where(
                ForumMember.forum_id == forum_id, ForumMember.left_on.is_(None)
            )
        )
    )


def add_member(actor: User, forum: Forum, person: User, on: date) -> ForumMember:
    """Join ``person`` to ``forum`` (again, if they had left). Joining twice changes nothing."""
    row = db.session.scalar(
        select(ForumMember).where(
            ForumMember.forum_id == forum.id, ForumMember.user_id == person.id
        )
    )
    if row is None:
        row = ForumMember(forum_id=forum.id, user_id=person.id, joined_on=on)
        db.session.add(row)
    elif row.left_on is not None:
        row.joined_on, row.left_on = on, None
    audit.record("forum.member_added", actor=actor, subject=person, forum=forum.id)
    return row


def remove_member(actor: User, forum: Forum, person: User, on: date) -> None:
    row = db.session.scalar(
        select(ForumMember).where(
            ForumMember.forum_id == forum.id, ForumMember.user_id == person.id
        )
    )
    if row is not None and row.left_on is None:
        row.left_on = on
        audit.record("forum.member_left", actor=actor, subject=person, forum=forum.id)


# Scheduling -------------------------------------------------------------------------------


def schedule(
    actor: User,
    forum: Forum,
    *,
    starts_at: datetime,
    duration_minutes: int,
    every_weeks: int | None = None,
    count: int = 1,
    **details: Any,
) -> list[Meeting]:
    """Schedule one meeting, or ``count`` meetings ``every_weeks`` apart (a series).

    ``details`` are Meeting columns (title, venue_id, online_link, capacity, rung). Members are
    invited to each by their preferred channel, and unfinished actions carry forward.
    """
    series = None
    if every_weeks and count > 1:
        series = Series(
            forum_id=forum.id,
            first_starts_at=starts_at,
            every_weeks=every_weeks,
            count=count,
            duration_minutes=duration_minutes,
        )
        db.session.add(series)
        db.session.flush()
    meetings = []
    for n in range(count if series else 1):
        start = _plus_local(starts_at, timedelta(weeks=(every_weeks or 0) * n))
        meeting = Meeting(
            forum_id=forum.id,
            series_id=series.id if series else None,
            starts_at=start,
            ends_at=start + timedelta(minutes=duration_minutes),
            **details,
        )
        db.session.add(meeting)
        meetings.append(meeting)
    db.session.flush()
    for meeting in meetings:
        invite_members(meeting, notify=meeting is meetings[0])
    carry_forward(forum)
    audit.record("forum.scheduled", actor=actor, forum=forum.id, meetings=len(meetings))
    return meetings


def change_meeting(actor: User, meeting: Meeting, scope: str, **changes: Any) -> list[Meeting]:
    """Change one meeting ("this") or this and every later one in its series ("future"), as a
    calendar does. A meeting changed on its own is left alone by later "future" changes.

    A new start time moves each affected meeting by the same amount, keeping the pattern.
    """
    targets = [meeting]
    if scope == "future" and meeting.series_id:
        targets = list(
            db.session.scalars(
                select(Meeting).where(
                    Meeting.series_id == meeting.series_id,
                    Meeting.starts_at >= meeting.starts_at,
                    Meeting.cancelled.is_(False),
                    (Meeting.detached.is_(False)) | (Meeting.id == meeting.id),
                )
            )
        )
    elif meeting.series_id:
        meeting.detached = True
    shift = None
    if "starts_at" in changes:
        # A shift in wall-clock time, so "10:30" stays 10:30 across a change of the clocks.
        shift = _local(changes.pop("starts_at")) - _local(meeting.starts_at)
    duration = changes.pop("duration_minutes", None)
    for target in targets:
        length = target.ends_at - target.starts_at
        if shift:
            target.starts_at = _plus_local(target.starts_at, shift)
            target.ends_at = target.starts_at + length
        if duration:
            target.ends_at = target.starts_at + timedelta(minutes=duration)
        for name, value in changes.items():
            setattr(target, name, value)
        if "capacity" in changes:
            db.session.flush()
            _lock_places(target)
            _promote_waiting(target, all_places=True)
        _tell_changed(target)
    audit.record("forum.meeting_changed", actor=actor, meetings=[t.id for t in targets])
    return targets


def cancel(actor: User, meeting: Meeting) -> None:
    meeting.cancelled = True
    _tell_changed(meeting, cancelled=True)
    audit.record("forum.meeting_cancelled", actor=actor, meeting=meeting.id)


def _when(meeting: Meeting) -> str:
    return format_datetime(meeting.starts_at, "EEEE d MMMM, HH:mm")


def _tell_changed(meeting: Meeting, cancelled: bool = False) -> None:
    """Tell those coming (or maybe coming) that the meeting changed."""
    rows = db.session.scalars(
        select(Invitation).where(
            Invitation.meeting_id == meeting.id,
            Invitation.reply.in_([Reply.YES.value, Reply.MAYBE.value, Reply.WAITING.value]),
        )
    )
    for row in rows:
        person = row.user
        with force_locale(person.locale or current_app.config["DEFAULT_LOCALE"]):
            subject = (
                _("Cancelled: %(forum)s", forum=meeting.forum.name)
                if cancelled
                else _("Changed: %(forum)s", forum=meeting.forum.name)
            )
            values = {
                "forum": meeting.forum.name,
                "when": _when(meeting),
                "link": absolute_url("forums.meeting", meeting_id=meeting.id),
            }
            body = (
                _("%(forum)s on %(when)s has been cancelled.\n%(link)s\n", **values)
                if cancelled
                else _(
                    "%(forum)s on %(when)s has changed. Check the details:\n%(link)s\n", **values
                )
            )
            # About a meeting they said they would come to: they need to know.
            outbox.queue(kind=outbox.Kind.UPDATE, user=person, subject=subject, body=body)


# Invitations and replies -------------------------------------------------------------------


def invite_members(meeting: Meeting, notify: bool = True) -> int:
    """Invite every current member who is not paused. Inviting twice invites nobody twice.

    A paused member gets no invitation to answer at all (a forum rule: no invitations while
    paused). Whether the invitation's message may go (consent to contact) is the outbox's call.
    """
    member_ids = active_member_ids(meeting.forum_id)
    if not member_ids:
        return 0
    already = set(
        db.session.scalars(select(Invitation.user_id).where(Invitation.meeting_id == meeting.id))
    )
    people = db.session.scalars(
        select(User)
        .join(Profile)
        .where(User.id.in_(member_ids - already), User.is_active, Profile.paused_at.is_(None))
    ).all()
    for person in people:
        db.session.add(Invitation(meeting_id=meeting.id, user_id=person.id))
        if notify:
            with force_locale(person.locale or current_app.config["DEFAULT_LOCALE"]):
                outbox.queue(
                    kind=outbox.Kind.INVOLVEMENT,
                    user=person,
                    subject=_("You are invited: %(forum)s", forum=meeting.forum.name),
                    body=_(
                        "Hello %(name)s,\n\nYou are invited to %(forum)s on %(when)s.\n"
                        "Tell us if you can come, and what you need, here:\n%(link)s\n",
                        name=person.display_name,
                        forum=meeting.forum.name,
                        when=_when(meeting),
                        link=absolute_url("forums.meeting", meeting_id=meeting.id),
                    ),
                )
    db.session.flush()
    return len(people)


def coming_count(meeting: Meeting) -> int:
    return db.session.scalar(
        select(db.func.count(Invitation.id)).where(
            Invitation.meeting_id == meeting.id, Invitation.reply == Reply.YES.value
        )
    )


def reply(person: User, meeting: Meeting, answer: Reply, actor: User | None = None) -> Invitation:
    """Record a yes, maybe or no. A yes to a full meeting joins the waiting list; a place given
    up goes to the first person waiting, who is told. Replying the same twice changes nothing.

    ``actor``: a manager replying for ``person`` (assisted digital); the invitation keeps who
    replied, and the audit log records it as done on their behalf.
    """
    actor = actor or person
    if meeting.cancelled:
        raise ForumError(_("This meeting has been cancelled."))
    if meeting.ends_at < utcnow():
        raise ForumError(_("This meeting has already happened."))
    _lock_places(meeting)
    row = db.session.scalar(
        select(Invitation).where(
            Invitation.meeting_id == meeting.id, Invitation.user_id == person.id
        )
    )
    if row is None:
        row = Invitation(meeting_id=meeting.id, user_id=person.id)
        db.session.add(row)
    was = Reply(row.reply or Reply.INVITED.value)
    if answer == Reply.YES and was in (Reply.YES, Reply.WAITING):
        return row
    full = meeting.capacity is not None and coming_count(meeting) >= meeting.capacity
    if answer == Reply.YES and full:
        answer = Reply.WAITING
    row.reply = answer.value
    row.replied_at = utcnow()
    row.replied_by_id = actor.id if actor.id != person.id else None
    row.waiting_since = utcnow() if answer == Reply.WAITING else None
    db.session.flush()
    if actor.id != person.id:
        audit.record(
            "meeting.replied", actor=actor, subject=person, meeting=meeting.id, reply=row.reply
        )
    if was == Reply.YES and answer != Reply.YES:
        _promote_waiting(meeting)
    return row


def _lock_places(meeting: Meeting) -> None:
    """Count a meeting's places one request at a time, so it never takes more people than it
    has places: replies and capacity changes hold the meeting's row until they commit
    (PostgreSQL; on SQLite every request that writes holds the write lock already)."""
    db.session.execute(select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())


def _promote_waiting(meeting: Meeting, all_places: bool = False) -> None:
    """Give a free place to the first person waiting (every free place with ``all_places``,
    after the capacity went up)."""
    while meeting.capacity is None or coming_count(meeting) < meeting.capacity:
        if not _promote_one(meeting) or not all_places:
            return


def _promote_one(meeting: Meeting) -> bool:
    first = db.session.scalar(
        select(Invitation)
        .where(Invitation.meeting_id == meeting.id, Invitation.reply == Reply.WAITING.value)
        .order_by(Invitation.waiting_since, Invitation.id)
        .limit(1)
    )
    if first is None:
        return False
    first.reply = Reply.YES.value
    first.waiting_since = None
    person = first.user
    with force_locale(person.locale or current_app.config["DEFAULT_LOCALE"]):
        # The place is given at once in answer to their own yes, so they are told even when
        # paused or without consent to contact: silence would leave them booked unknowing.
        outbox.queue(
            kind=outbox.Kind.UPDATE,
            user=person,
            subject=_("A place is free for you: %(forum)s", forum=meeting.forum.name),
            body=_(
                "Good news, %(name)s. A place came free at %(forum)s on %(when)s, so you are "
                "now coming. If you cannot come any more, tell us here:\n%(link)s\n",
                name=person.display_name,
                forum=meeting.forum.name,
                when=_when(meeting),
                link=absolute_url("forums.meeting", meeting_id=meeting.id),
            ),
        )
    db.session.flush()
    return True


def send_reminders(now: datetime) -> int:
    """Remind everyone coming (or maybe coming) to meetings within the reminder window.

    Idempotent: each invitation is reminded once (``engage tick``).
    """
    window = now + timedelta(hours=int(current_app.config["REMINDER_HOURS"]))
    rows = db.session.scalars(
        select(Invitation)
        .join(Meeting)
        .where(
            Meeting.starts_at > now,
            Meeting.starts_at <= window,
            Meeting.cancelled.is_(False),
            Invitation.reply.in_([Reply.YES.value, Reply.MAYBE.value]),
            Invitation.reminded_at.is_(None),
        )
    ).all()
    for row in rows:
        meeting = db.session.get(Meeting, row.meeting_id)
        person = row.user
        with force_locale(person.locale or current_app.config["DEFAULT_LOCALE"]):
            outbox.queue(
                kind=outbox.Kind.INVOLVEMENT,
                user=person,
                subject=_("Reminder: %(forum)s", forum=meeting.forum.name),
                body=_(
                    "Hello %(name)s, a reminder that %(forum)s is on %(when)s.\n%(link)s\n",
                    name=person.display_name,
                    forum=meeting.forum.name,
                    when=_when(meeting),
                    link=absolute_url("forums.meeting", meeting_id=meeting.id),
                ),
            )
        row.reminded_at = now
    return len(rows)


# What those coming need --------------------------------------------------------------------


@dataclass
class Needs:
    """The combined needs of those coming: counts for all, names only for managers."""

    counts: Counter = field(default_factory=Counter)
    interpreters: Counter = field(default_factory=Counter)  # language -> count
    dietary: list[str] = field(default_factory=list)
    names: dict[str, list[str]] = field(default_factory=dict)


def needs_of_those_coming(meeting: Meeting) -> Needs:
    """One query over the profiles of everyone who said yes."""
    profiles = db.session.execute(
        select(Profile, User.username)
        .join(User, Profile.user_id == User.id)
        .join(Invitation, Invitation.user_id == User.id)
        .where(Invitation.meeting_id == meeting.id, Invitation.reply == Reply.YES.value)
    ).all()
    needs = Needs()
    for profile, username in profiles:
        name = profile.preferred_name or username
        for attr, _label in ACCESS_NEEDS:
            if getattr(profile, attr):
                needs.counts[attr] += 1
                needs.names.setdefault(attr, []).append(name)
        if profile.interpreter_language:
            language = profile.interpreter_language.strip()
            needs.interpreters[language] += 1
            needs.names.setdefault("interpreter:" + language, []).append(name)
        if profile.dietary_needs:
            needs.dietary.append(profile.dietary_needs)
            needs.names.setdefault("dietary", []).append(f"{name}: {profile.dietary_needs}")
    return needs


# On the day -------------------------------------------------------------------------------


def mark_attendance(actor: User, meeting: Meeting, marks: dict[int, Presence]) -> int:
    """Record who came. Taking part creates an involvement record once (through the
    ``involvement_given`` signal), however often the register is saved again."""
    existing = {
        row.user_id: row
        for row in db.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    given = 0
    for user_id, presence in marks.items():
        row = existing.get(user_id)
        if row is None:
            row = Attendance(meeting_id=meeting.id, user_id=user_id, presence=presence.value)
            db.session.add(row)
        row.presence = presence.value
        row.marked_at = utcnow()
        if presence.took_part and row.involvement_recorded_at is None:
            person = db.session.get(User, user_id)
            minutes = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
            involvement_given.send(
                current_app._get_current_object(),
                person=person,
                activity="forum_meeting",
                on=meeting.starts_at.date(),
                minutes=minutes,
                source=f"meeting:{meeting.id}",
                actor=actor,
                description=meeting.title or meeting.forum.name,
                paid=True,
            )
            row.involvement_recorded_at = utcnow()
            given += 1
    audit.record("forum.attendance_marked", actor=actor, meeting=meeting.id, marks=len(marks))
    db.session.flush()
    return given


# Minutes and actions -----------------------------------------------------------------------


def save_minutes(actor: User, meeting: Meeting, minutes: str, decisions: str) -> None:
    meeting.minutes = minutes.strip()
    meeting.decisions = decisions.strip()
    audit.record("forum.minutes_saved", actor=actor, meeting=meeting.id)


def add_action(
    actor: User, meeting: Meeting, description: str, owner_name: str, due: date | None
) -> Action:
    action = Action(
        meeting_id=meeting.id,
        description=description.strip(),
        owner_name=owner_name.strip(),
        due_date=due,
    )
    db.session.add(action)
    db.session.flush()
    carry_forward(meeting.forum)
    return action


def complete_action(actor: User, action: Action) -> None:
    action.done_at = utcnow()


def carry_forward(forum: Forum, now: datetime | None = None) -> int:
    """Put every unfinished action on the agenda of the forum's next meeting (the first one
    still to come after the meeting that set it), if it is not there already. An action still
    unfinished after that meeting moves on to the one after. Idempotent: it runs after any
    change, and from ``engage tick``.
    """
    now = now or utcnow()
    upcoming = db.session.scalars(
        select(Meeting)
        .where(Meeting.forum_id == forum.id, Meeting.cancelled.is_(False), Meeting.starts_at >= now)
        .order_by(Meeting.starts_at)
    ).all()
    if not upcoming:
        return 0
    actions = db.session.execute(
        select(Action, Meeting.starts_at)
        .join(Meeting, Action.meeting_id == Meeting.id)
        .where(Meeting.forum_id == forum.id, Action.done_at.is_(None))
    ).all()
    placed = set(
        db.session.execute(
            select(AgendaItem.meeting_id, AgendaItem.action_id).where(
                AgendaItem.meeting_id.in_([m.id for m in upcoming]),
                AgendaItem.action_id.is_not(None),
            )
        ).all()
    )
    added = 0
    for action, set_at in actions:
        target = next((m for m in upcoming if m.starts_at > set_at), None)
        if target is None or (target.id, action.id) in placed:
            continue
        # The action's own words; pages add "carried forward" in the reader's language.
        db.session.add(
            AgendaItem(
                meeting_id=target.id,
                action_id=action.id,
                position=1000 + action.id,
                title=action.description,
            )
        )
        placed.add((target.id, action.id))
        added += 1
    db.session.flush()
    return added


def raise_in_meeting(actor: User, meeting: Meeting, **item: Any):
    """An issue raised at the meeting goes straight into the register, with the meeting as its
    source (anonymised, as items raised by staff are)."""
    from engage.changes import services as register
    from engage.changes.models import Source

    raised = register.raise_item(
        actor,
        source=Source.MEETING,
        source_note=f"{meeting.forum.name}, {meeting.starts_at:%Y-%m-%d}",
        **item,
    )
    raised.source_meeting_id = meeting.id
    return raised


def home_summary(user: User, now: datetime) -> dict[str, Any]:
    """Meetings for the home page: the person's next ones with their reply, and for managers
    the meetings of the coming week with how many are coming."""
    summary: dict[str, Any] = {
        "mine": db.session.execute(
            select(Meeting, Invitation.reply)
            .join(Invitation, Invitation.meeting_id == Meeting.id)
            .where(
                Invitation.user_id == user.id,
                Meeting.starts_at >= now,
                Meeting.cancelled.is_(False),
                Invitation.reply != Reply.NO.value,
            )
            .order_by(Meeting.starts_at)
            .limit(3)
        ).all()
    }
    if user.has_role(Role.MANAGER):
        coming = (
            select(db.func.count(Invitation.id))
            .where(Invitation.meeting_id == Meeting.id, Invitation.reply == Reply.YES.value)
            .scalar_subquery()
        )
        summary["week"] = db.session.execute(
            select(Meeting, coming)
            .where(
                Meeting.starts_at >= now,
                Meeting.starts_at < now + timedelta(days=7),
                Meeting.cancelled.is_(False),
            )
            .order_by(Meeting.starts_at)
        ).all()
    return summary
