"""On the day: who came to a meeting. The register is taken from the morning of the meeting's
day, never for a cancelled meeting; someone who came without replying is added by their
username or e-mail address. Taking part is given as involvement (through the
``involvement_given`` signal) once per person and meeting."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.core import audit, dates
from engage.core.db import utcnow
from engage.core.signals import involvement_given, took_part
from engage.extensions import db
from engage.forums.models import Attendance, Forum, ForumError, Meeting, Presence
from engage.forums.replies import invitees
from engage.people.models import Profile, User


class UnknownPerson(ForumError):
    """A username or e-mail address that is nobody's, or a closed account's."""


def too_early(meeting: Meeting) -> bool:
    """Before the meeting's day (in the partnership's zone): the register opens that morning."""
    return dates.local_date(meeting.starts_at) > dates.local_today()


def why_register_closed(meeting: Meeting) -> str | None:
    """Why attendance cannot be taken now (safe to show), or None when it can: never for a
    cancelled meeting, and not before the meeting's day."""
    if meeting.cancelled:
        return _("This meeting was cancelled, so there is no attendance to take.")
    if too_early(meeting):
        return _("You can take attendance on the day of the meeting.")
    return None


@dataclass
class Register:
    """A meeting's register: everyone invited, and anyone already marked who was not."""

    people: list[tuple[int, str]]  # (user id, name), by name
    replies: dict[int, str]  # user id -> their reply, for those invited
    marks: dict[int, str]  # user id -> presence, for those marked so far


def register_of(meeting: Meeting) -> Register:
    """Who is on the meeting's register, with their replies and marks (two queries)."""
    marks = attendance_marks(meeting)
    invited = invitees(meeting)
    people = {p.user_id: p.name for p in invited}
    people.update({uid: name for uid, (name, _presence) in marks.items()})
    return Register(
        people=sorted(people.items(), key=lambda pair: pair[1].lower()),
        replies={p.user_id: p.reply for p in invited},
        marks={uid: presence for uid, (_name, presence) in marks.items()},
    )


@dataclass
class Marked:
    given: int  # involvement records given by this save
    walk_in: User | None  # the person added by username or e-mail address, if any


def mark_attendance(
    actor: User, meeting: Meeting, marks: dict[int, Presence], walk_in: str = ""
) -> Marked:
    """Record who came: ``marks`` by user id, and ``walk_in``, the username or e-mail address of
    someone who came without replying, marked as attended unless ``marks`` says otherwise.
    Taking part creates an involvement record once (through the ``involvement_given``
    signal), however often the register is saved again.

    Raises ForumError if the register is closed (``why_register_closed``) or nobody is
    marked, and UnknownPerson if ``walk_in`` is not an active account.
    """
    closed = why_register_closed(meeting)
    if closed:
        raise ForumError(closed)
    person = None
    if (walk_in or "").strip():
        person = User.find_by_login(walk_in)
        if person is None or not person.is_active:
            raise UnknownPerson(
                _("There is nobody with that username or e-mail address. Check the spelling.")
            )
        marks = {**marks}
        marks.setdefault(person.id, Presence.ATTENDED)
    if not marks:
        raise ForumError(_("Mark at least one person, or add someone who came."))
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
                activity=meeting.activity,
                on=dates.local_date(meeting.starts_at),  # the partnership's day, not UTC's
                minutes=minutes,
                source=f"meeting:{meeting.id}",
                actor=actor,
                description=meeting.title or meeting.forum.name,
                paid=meeting.paid,
            )
            took_part.send(
                current_app._get_current_object(), person=person, meeting=meeting, actor=actor
            )
            row.involvement_recorded_at = utcnow()
            given += 1
    audit.record("forum.attendance_marked", actor=actor, meeting=meeting.id, marks=len(marks))
    db.session.flush()
    return Marked(given=given, walk_in=person)


def attendance_marks(meeting: Meeting) -> dict[int, tuple[str, str]]:
    """user id → (name, presence) for everyone marked at this meeting, in one query."""
    rows = db.session.execute(
        select(Attendance.user_id, User.username, Profile.preferred_name, Attendance.presence)
        .join(User, Attendance.user_id == User.id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(Attendance.meeting_id == meeting.id)
    ).all()
    return {uid: (preferred or username, presence) for uid, username, preferred, presence in rows}


def presence_counts(meeting: Meeting) -> Counter:
    return Counter(
        dict(
            db.session.execute(
                select(Attendance.presence, func.count(Attendance.id))
                .where(Attendance.meeting_id == meeting.id)
                .group_by(Attendance.presence)
            ).all()
        )
    )


# What a person took part in, for other domains (the progression passport) -------------------

#: The marks that mean someone took part (came, came late, or left early).
TOOK_PART = tuple(p.value for p in Presence if p.took_part)


@dataclass(frozen=True)
class ForumTakenPart:
    """A forum whose meetings someone took part in: how many, the first and the last day."""

    forum: str
    meetings: int
    first: date
    last: date


def forums_taken_part(user_id: int) -> list[ForumTakenPart]:
    """The forums whose meetings ``user_id`` took part in (by the register), the most first:
    one query, however many meetings. Training sessions (meetings of the training forum) are
    not forum involvement and are left out; a cancelled meeting has no register."""
    rows = db.session.execute(
        select(
            Forum.name,
            func.count(Attendance.id),
            func.min(Meeting.starts_at),
            func.max(Meeting.starts_at),
        )
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Forum, Forum.id == Meeting.forum_id)
        .where(
            Attendance.user_id == user_id,
            Attendance.presence.in_(TOOK_PART),
            Forum.is_training.is_(False),
            Meeting.cancelled.is_(False),
        )
        .group_by(Forum.id, Forum.name)
    ).all()
    taken = [
        ForumTakenPart(name, count, dates.local_date(first), dates.local_date(last))
        for name, count, first, last in rows
    ]
    return sorted(taken, key=lambda row: (-row.meetings, row.forum))
