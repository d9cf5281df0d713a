"""A meeting's agenda and the actions agreed at meetings: items added by hand, and unfinished
actions that carry forward onto the next meeting's agenda until they are done."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.core import audit
from engage.core.db import utcnow
from engage.extensions import db
from engage.forums.models import Action, AgendaItem, Forum, ForumError, Meeting
from engage.people.models import User

# Agenda -----------------------------------------------------------------------------------


def add_agenda_item(
    actor: User, meeting: Meeting, title: str, content_note: str = ""
) -> AgendaItem:
    """Add an item at the end of the agenda (before actions carried forward, which sort last)."""
    last = db.session.scalar(
        select(func.max(AgendaItem.position)).where(
            AgendaItem.meeting_id == meeting.id, AgendaItem.action_id.is_(None)
        )
    )
    item = AgendaItem(
        meeting_id=meeting.id,
        position=(last or 0) + 1,
        title=title.strip(),
        content_note=content_note.strip(),
    )
    db.session.add(item)
    db.session.flush()
    audit.record("forum.agenda_item_added", actor=actor, meeting=meeting.id)
    return item


def remove_agenda_item(actor: User, item: AgendaItem) -> None:
    """Take an item off the agenda. A carried-forward action comes back by itself while it is
    unfinished, so only items added by hand can be removed."""
    if item.action_id is not None:
        raise ForumError(_("Mark the action done instead: it stays on the agenda until it is."))
    meeting_id = item.meeting_id
    db.session.delete(item)
    db.session.flush()
    audit.record("forum.agenda_item_removed", actor=actor, meeting=meeting_id)


# Actions ----------------------------------------------------------------------------------


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


def complete_action(actor: User, action: Action) -> bool:
    """Mark an action done, once: returns False if it already was."""
    if action.done_at is not None:
        return False
    action.done_at = utcnow()
    return True


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


def meeting_actions(meeting: Meeting) -> list[Action]:
    return list(
        db.session.scalars(
            select(Action).where(Action.meeting_id == meeting.id).order_by(Action.id)
        )
    )


def actions_by_id(ids: list[int]) -> dict[int, Action]:
    if not ids:
        return {}
    return {a.id: a for a in db.session.scalars(select(Action).where(Action.id.in_(ids)))}
