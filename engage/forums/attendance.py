"""On the day: who came to a meeting. Taking part is given as involvement (through the
``involvement_given`` signal) once per person and meeting."""

from __future__ import annotations

from collections import Counter

from flask import current_app
from sqlalchemy import func, select

from engage.core import audit
from engage.core.db import utcnow
from engage.core.signals import involvement_given
from engage.extensions import db
from engage.forums.models import Attendance, Meeting, Presence
from engage.people.models import Profile, User


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
            )
            row.involvement_recorded_at = utcnow()
            given += 1
    audit.record("forum.attendance_marked", actor=actor, meeting=meeting.id, marks=len(marks))
    db.session.flush()
    return given


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
