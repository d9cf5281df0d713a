"""Meetings: scheduling one or a series, changing this or all later ones, cancelling, the
places meetings happen, and the meetings each page lists.

Times are stored in UTC; a series keeps its wall-clock time in the partnership's zone across
clock changes. Services audit and flush; the route commits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from engage.core import audit, dates
from engage.core.db import utcnow
from engage.extensions import db
from engage.forums.agenda import carry_forward
from engage.forums.models import (
    Forum,
    ForumError,
    ForumMember,
    Invitation,
    Meeting,
    Reply,
    Series,
    Venue,
)
from engage.forums.replies import invite_members, lock_places, promote_waiting, tell_those_coming
from engage.people.models import Role, User

# Times in the partnership's zone ----------------------------------------------------------


def _local(moment: datetime) -> datetime:
    """The wall-clock time in the partnership's zone, without a zone attached."""
    return moment.astimezone(dates.local_timezone()).replace(tzinfo=None)


def _plus_local(moment: datetime, delta: timedelta) -> datetime:
    """``moment`` plus ``delta`` of wall-clock time, back in UTC: a meeting at 10:30 every six
    weeks stays at 10:30 when the clocks change."""
    return (_local(moment) + delta).replace(tzinfo=dates.local_timezone()).astimezone(UTC)


# Scheduling and changing ------------------------------------------------------------------


def plan(actor: User, forum: Forum, *, starts_at: datetime, **schedule_args: Any) -> list[Meeting]:
    """A manager schedules meetings from the page: as :func:`schedule`, but never starting in
    the past (the demo and imports record past meetings through :func:`schedule` itself).
    Raises ForumError."""
    if starts_at < utcnow():
        raise ForumError(_("Choose a date and time that has not passed yet"))
    return schedule(actor, forum, starts_at=starts_at, **schedule_args)


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
    Raises ForumError if ``meeting`` was cancelled.
    """
    if meeting.cancelled:
        raise ForumError(_("This meeting has been cancelled, so it cannot be changed."))
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
            lock_places(target)
            promote_waiting(target, all_places=True)
        tell_those_coming(target)
    audit.record("forum.meeting_changed", actor=actor, meetings=[t.id for t in targets])
    return targets


def cancel(actor: User, meeting: Meeting) -> None:
    """Cancel a meeting and tell those coming. Raises ForumError if it already is."""
    if meeting.cancelled:
        raise ForumError(_("This meeting is already cancelled."))
    meeting.cancelled = True
    tell_those_coming(meeting, cancelled=True)
    audit.record("forum.meeting_cancelled", actor=actor, meeting=meeting.id)


# Venues -----------------------------------------------------------------------------------


def add_venue(
    actor: User,
    *,
    name: str,
    address: str = "",
    step_free: bool = False,
    hearing_loop: bool = False,
    quiet_room: bool = False,
    bus_stops: str = "",
) -> Venue:
    """Record a place meetings happen, with its access facts."""
    venue = Venue(
        name=name.strip(),
        address=address.strip(),
        step_free=step_free,
        hearing_loop=hearing_loop,
        quiet_room=quiet_room,
        bus_stops=bus_stops.strip(),
    )
    db.session.add(venue)
    db.session.flush()
    audit.record("forum.venue_added", actor=actor, venue=venue.id)
    return venue


def venues() -> list[Venue]:
    return list(db.session.scalars(select(Venue).order_by(Venue.name)))


# Reading ----------------------------------------------------------------------------------


def next_meetings(forum_ids: list[int], now: datetime) -> dict[int, Meeting]:
    """Each forum's next meeting not yet over and not cancelled, in one query."""
    if not forum_ids:
        return {}
    first = (
        select(Meeting.forum_id, func.min(Meeting.starts_at).label("starts_at"))
        .where(
            Meeting.forum_id.in_(forum_ids),
            Meeting.ends_at >= now,
            Meeting.cancelled.is_(False),
        )
        .group_by(Meeting.forum_id)
        .subquery()
    )
    rows = db.session.scalars(
        select(Meeting)
        .join(
            first,
            (Meeting.forum_id == first.c.forum_id) & (Meeting.starts_at == first.c.starts_at),
        )
        .where(Meeting.cancelled.is_(False))
        .order_by(Meeting.id)
    )
    found: dict[int, Meeting] = {}
    for meeting in rows:
        found.setdefault(meeting.forum_id, meeting)
    return found


def forum_meetings(
    forum: Forum, now: datetime, upcoming_limit: int = 50, past_limit: int = 20
) -> tuple[list[Meeting], list[Meeting], int]:
    """The forum's meetings still to come, its latest past ones, and how many past there are."""
    upcoming = list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.forum_id == forum.id, Meeting.ends_at >= now)
            .order_by(Meeting.starts_at, Meeting.id)
            .limit(upcoming_limit)
        )
    )
    past = list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.forum_id == forum.id, Meeting.ends_at < now)
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
            .limit(past_limit)
        )
    )
    past_count = db.session.scalar(
        select(func.count(Meeting.id)).where(Meeting.forum_id == forum.id, Meeting.ends_at < now)
    )
    return upcoming, past, past_count


#: How many coming meetings a peer's meetings page lists.
PERSON_MEETINGS = 20


def coming_meetings_of(person: User, now: datetime) -> list[tuple[Meeting, Invitation | None]]:
    """The meetings not yet over that ``person`` is invited to or may go to as a member, with
    their invitation (None while they have none), soonest first. For a manager replying for
    a peer (assisted digital)."""
    invited = select(Invitation.meeting_id).where(Invitation.user_id == person.id)
    member = select(ForumMember.forum_id).where(
        ForumMember.user_id == person.id, ForumMember.left_on.is_(None)
    )
    rows = db.session.execute(
        select(Meeting, Invitation)
        .outerjoin(
            Invitation,
            (Invitation.meeting_id == Meeting.id) & (Invitation.user_id == person.id),
        )
        .options(joinedload(Meeting.forum), joinedload(Invitation.replied_by))
        .where(
            Meeting.ends_at >= now,
            Meeting.cancelled.is_(False),
            Meeting.id.in_(invited) | Meeting.forum_id.in_(member),
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(PERSON_MEETINGS)
    ).all()
    return [(meeting, invitation) for meeting, invitation in rows]


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
