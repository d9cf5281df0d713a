"""What an expenses claim can be for, offered to payments: the forum meetings someone was
invited to or came to lately."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from engage.core import dates
from engage.extensions import db
from engage.forums.models import Forum, Invitation, Meeting
from engage.people.models import User

#: How far back a meeting can be claimed for from the form (older ones: ask the team).
DAYS_BACK = 60


def recent_meetings(person: User, today: date) -> list[tuple[str, str, date]]:
    """Meetings ``person`` was invited to in the last :data:`DAYS_BACK` days (and today):
    ("meeting:<id>", title or forum name, day), newest first, at most 10."""
    since = dates.start_of_day(today - timedelta(days=DAYS_BACK))
    until = dates.start_of_day(today + timedelta(days=1))
    meetings = db.session.execute(
        select(Meeting.id, Meeting.title, Forum.name, Meeting.starts_at)
        .join(Forum, Forum.id == Meeting.forum_id)
        .join(Invitation, Invitation.meeting_id == Meeting.id)
        .where(
            Invitation.user_id == person.id,
            Meeting.starts_at >= since,
            Meeting.starts_at < until,
        )
        .order_by(Meeting.starts_at.desc())
        .limit(10)
    ).all()
    return [
        (f"meeting:{mid}", title or forum, dates.local_date(starts))
        for mid, title, forum, starts in meetings
    ]
