"""The forums' part of erasing a person: they leave every forum (memberships stay, ended, so
past counts hold), their invitations to meetings still to come go, their past replies and
attendance stay with the tombstone, and their calendar address stops working."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from engage.core.dates import local_today
from engage.core.db import utcnow
from engage.core.domains import erasure_step
from engage.extensions import db
from engage.forums.models import CalendarFeed, Forum, ForumMember, Invitation, Meeting


@erasure_step(10)
def erase_from_forums(person, actor) -> None:  # noqa: ANN001
    db.session.execute(
        update(ForumMember)
        .where(ForumMember.user_id == person.id, ForumMember.left_on.is_(None))
        .values(left_on=local_today())
    )
    coming = select(Meeting.id).where(Meeting.starts_at > utcnow())
    db.session.execute(
        delete(Invitation).where(Invitation.user_id == person.id, Invitation.meeting_id.in_(coming))
    )
    db.session.execute(update(Forum).where(Forum.chair_id == person.id).values(chair_id=None))
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == person.id))
