"""Forums and who belongs to them: starting a forum, members joining and leaving, and the
forums and members each person may see.

Services take plain values, audit and flush; the route commits. Every read is one query
whatever the number of members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.core import audit
from engage.core.db import utcnow
from engage.extensions import db
from engage.forums.models import Forum, ForumError, ForumMember, Meeting
from engage.forums.replies import invite_members
from engage.people.models import Profile, User

# Forums -----------------------------------------------------------------------------------


def create_forum(
    actor: User,
    *,
    name: str,
    purpose: str = "",
    terms_of_reference: str = "",
    chair_id: int | None = None,
    open_to_all: bool = True,
) -> Forum:
    """Start a forum. Raises ForumError if another forum has the same name."""
    name = name.strip()
    taken = db.session.scalar(select(Forum.id).where(func.lower(Forum.name) == name.lower()))
    if taken is not None:
        raise ForumError(_("There is already a forum called %(name)s.", name=name))
    forum = Forum(
        name=name,
        purpose=purpose.strip(),
        terms_of_reference=terms_of_reference.strip(),
        chair_id=chair_id,
        open_to_all=open_to_all,
    )
    db.session.add(forum)
    db.session.flush()
    audit.record("forum.created", actor=actor, forum=forum.id)
    return forum


def visible_forums(user: User, manager: bool) -> list[Forum]:
    """Every forum for managers; otherwise open forums and the ones the person belongs to.
    The training forum is never listed: its meetings are training sessions, found at
    /training and in each person's own meetings."""
    query = select(Forum).where(Forum.is_training.is_(False)).order_by(Forum.name)
    if not manager:
        mine = select(ForumMember.forum_id).where(
            ForumMember.user_id == user.id, ForumMember.left_on.is_(None)
        )
        query = query.where(Forum.open_to_all.is_(True) | Forum.id.in_(mine))
    return list(db.session.scalars(query))


def my_forum_ids(user_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(ForumMember.forum_id).where(
                ForumMember.user_id == user_id, ForumMember.left_on.is_(None)
            )
        )
    )


def possible_chairs() -> list[tuple[int, str]]:
    """Active people who could chair a forum, by name."""
    rows = db.session.execute(
        select(User.id, User.username, Profile.preferred_name)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(User.is_active)
    ).all()
    return sorted(
        ((uid, preferred or username) for uid, username, preferred in rows),
        key=lambda r: r[1].lower(),
    )


# Members ----------------------------------------------------------------------------------


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


def join_forum(actor: User, forum: Forum, person: User, on: date) -> ForumMember:
    """Make ``person`` a member and invite them to the meetings still to come, as the members
    who were there when they were scheduled were (told about the next one only)."""
    row = add_member(actor, forum, person, on)
    db.session.flush()
    upcoming = db.session.scalars(
        select(Meeting)
        .where(
            Meeting.forum_id == forum.id,
            Meeting.cancelled.is_(False),
            Meeting.starts_at >= utcnow(),
        )
        .order_by(Meeting.starts_at)
    ).all()
    for n, meeting in enumerate(upcoming):
        invite_members(meeting, notify=n == 0)
    return row


def remove_member(actor: User, forum: Forum, person: User, on: date) -> None:
    """Record that ``person`` left ``forum`` on ``on``; nothing happens if they are not a member.
    Raises ForumError if ``on`` is before the day they joined."""
    row = db.session.scalar(
        select(ForumMember).where(
            ForumMember.forum_id == forum.id, ForumMember.user_id == person.id
        )
    )
    if row is not None and row.left_on is None:
        if on < row.joined_on:
            raise ForumError(
                _(
                    "They joined on %(date)s: choose that day or later",
                    date=format_date(row.joined_on),
                )
            )
        row.left_on = on
        audit.record("forum.member_left", actor=actor, subject=person, forum=forum.id)


def member_of(user_id: int, forum_id: int) -> bool:
    return (
        db.session.scalar(
            select(ForumMember.id).where(
                ForumMember.forum_id == forum_id,
                ForumMember.user_id == user_id,
                ForumMember.left_on.is_(None),
            )
        )
        is not None
    )


def member_counts(forum_ids: list[int]) -> dict[int, int]:
    if not forum_ids:
        return {}
    return dict(
        db.session.execute(
            select(ForumMember.forum_id, func.count(ForumMember.id))
            .where(ForumMember.forum_id.in_(forum_ids), ForumMember.left_on.is_(None))
            .group_by(ForumMember.forum_id)
        ).all()
    )


@dataclass
class Member:
    row: ForumMember
    name: str
    username: str


def members(forum: Forum) -> list[Member]:
    """Everyone who is or was a member, current members first, by name."""
    rows = db.session.execute(
        select(ForumMember, User.username, Profile.preferred_name)
        .join(User, ForumMember.user_id == User.id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(ForumMember.forum_id == forum.id)
    ).all()
    found = [Member(row, preferred or username, username) for row, username, preferred in rows]
    return sorted(found, key=lambda m: (m.row.left_on is not None, m.name.lower()))
