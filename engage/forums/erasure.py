"""The forums' part of erasing a person: they leave every forum (memberships stay, ended, so
past counts hold); their invitations to meetings still to come go, and a place they had goes to
the first person waiting; their past replies and attendance stay with the tombstone; their
calendar address stops working."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from engage.core.dates import local_today
from engage.core.db import utcnow
from engage.core.domains import erasure_step
from engage.extensions import db
from engage.forums.models import CalendarFeed, Forum, ForumMember, Invitation, Meeting, Reply
from engage.forums.replies import lock_places, promote_waiting


@erasure_step(10)
def erase_from_forums(person, actor) -> None:  # noqa: ANN001
    db.session.execute(
        update(ForumMember)
        .where(ForumMember.user_id == person.id, ForumMember.left_on.is_(None))
        .values(left_on=local_today())
    )
    coming = select(Meeting.id).where(Meeting.starts_at > utcnow())
    places_freed = list(
        db.session.scalars(
            select(Meeting).where(
                Meeting.id.in_(
                    select(Invitation.meeting_id).where(
                        Invitation.user_id == person.id,
                        Invitation.reply == Reply.YES.value,
                        Invitation.meeting_id.in_(coming),
                    )
                ),
                Meeting.cancelled.is_(False),
            )
        )
    )
    db.session.execute(
        delete(Invitation).where(Invitation.user_id == person.id, Invitation.meeting_id.in_(coming))
    )
    # A place they had said yes to goes to the first person waiting, as when anyone says no.
    for meeting in places_freed:
        lock_places(meeting)
        promote_waiting(meeting)
    db.session.execute(update(Forum).where(Forum.chair_id == person.id).values(chair_id=None))
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == person.id))
