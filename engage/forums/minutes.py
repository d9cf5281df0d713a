"""What a meeting recorded: its minutes and decisions, and the issues raised at it, which go
straight into the register of blockages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from engage.core import audit
from engage.extensions import db
from engage.forums.models import Meeting
from engage.people.models import User


def save_minutes(actor: User, meeting: Meeting, minutes: str, decisions: str) -> None:
    meeting.minutes = minutes.strip()
    meeting.decisions = decisions.strip()
    audit.record("forum.minutes_saved", actor=actor, meeting=meeting.id)


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


#: How many items raised at a meeting its page lists (the latest); the rest are counted, and
#: the meeting's "raised" page has them all.
RAISED = 20


def raised_query(meeting: Meeting):  # noqa: ANN201  (a select)
    """Register items raised at this meeting, the latest first."""
    from engage.changes.models import Item

    return select(Item).where(Item.source_meeting_id == meeting.id).order_by(Item.id.desc())


def raised_items(meeting: Meeting, limit: int = RAISED) -> tuple[list, int]:
    """The latest ``limit`` register items raised at this meeting (for managers), and how
    many there are: one query, the count a window over every row before the limit."""
    rows = db.session.execute(
        raised_query(meeting).add_columns(func.count().over()).limit(limit)
    ).all()
    return [item for item, _count in rows], rows[0][1] if rows else 0
