"""The forums' part of a person's data download: the forums they belong to (or chair), their
replies to meetings, their attendance, their calendar feed, and the papers they added to a
meeting. Their access needs are kept on their profile (the people part) and shared with a
meeting's organisers only as counts, or by name with managers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from engage.core.audit import AuditEntry
from engage.core.domains import DataFile, personal_data
from engage.extensions import db
from engage.forums import papers
from engage.forums.models import (
    PRESENCE_LABELS,
    REPLY_LABELS,
    Attendance,
    CalendarFeed,
    Forum,
    ForumMember,
    Invitation,
    Meeting,
    Paper,
    Presence,
    Reply,
)
from engage.people.models import User
from engage.people.my_data import someone


def _label(labels: dict, enum_type: type, value: str) -> str:
    try:
        return str(labels[enum_type(value)])
    except (KeyError, ValueError):
        return value


def _meeting_title(meeting: Meeting) -> str:
    return meeting.title or meeting.forum.name


def _papers_added_by(person: User) -> list[tuple[Paper, Meeting]]:
    """Papers this person added to a meeting. Papers keep no uploader column: the audit log
    records who added each one (``forum.paper_added``)."""
    details = db.session.scalars(
        select(AuditEntry.detail).where(
            AuditEntry.actor_id == person.id, AuditEntry.action == "forum.paper_added"
        )
    )
    ids = {json.loads(detail).get("paper") for detail in details if detail}
    ids.discard(None)
    if not ids:
        return []
    return list(
        db.session.execute(
            select(Paper, Meeting)
            .join(Meeting, Meeting.id == Paper.meeting_id)
            .where(Paper.id.in_(ids))
            .order_by(Paper.id)
        ).tuples()
    )


@personal_data(
    30,
    tables=(
        "forum",
        "forum_member",
        "meeting_invitation",
        "meeting_attendance",
        "calendar_feed",
        "paper",
    ),
)
def export(person: User) -> Iterator[DataFile]:
    name = someone(person)
    memberships = db.session.execute(
        select(ForumMember, Forum)
        .join(Forum, Forum.id == ForumMember.forum_id)
        .where(ForumMember.user_id == person.id)
        .order_by(ForumMember.joined_on)
    ).all()
    chaired = set(db.session.scalars(select(Forum.name).where(Forum.chair_id == person.id)))
    yield DataFile(
        "forums-memberships",
        _("The forums you belong to or belonged to, and any you chair."),
        [
            {
                "forum": forum.name,
                "joined": member.joined_on,
                "left": member.left_on,
                "chair": forum.name in chaired,
            }
            for member, forum in memberships
        ]
        + [
            {"forum": forum, "joined": None, "left": None, "chair": True}
            for forum in sorted(chaired - {forum.name for _member, forum in memberships})
        ],
    )
    invitations = db.session.execute(
        select(Invitation, Meeting)
        .join(Meeting, Meeting.id == Invitation.meeting_id)
        .where(Invitation.user_id == person.id)
        .order_by(Meeting.starts_at)
    ).all()
    yield DataFile(
        "forums-replies",
        _(
            "Meetings you were invited to and what you replied. 'Replied by' says if a member "
            "of staff replied for you."
        ),
        [
            {
                "meeting": _meeting_title(meeting),
                "starts": meeting.starts_at,
                "invited": invitation.invited_at,
                "reply": _label(REPLY_LABELS, Reply, invitation.reply),
                "replied": invitation.replied_at,
                "replied_by": name(invitation.replied_by_id),
                "reminder_sent": invitation.reminded_at,
            }
            for invitation, meeting in invitations
        ],
    )
    attendance = db.session.execute(
        select(Attendance, Meeting)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Attendance.user_id == person.id)
        .order_by(Meeting.starts_at)
    ).all()
    yield DataFile(
        "forums-attendance",
        _("Meetings where the register was taken, and whether you were there."),
        [
            {
                "meeting": _meeting_title(meeting),
                "starts": meeting.starts_at,
                "attendance": _label(PRESENCE_LABELS, Presence, row.presence),
                "marked": row.marked_at,
                "involvement_payment_recorded": row.involvement_recorded_at,
            }
            for row, meeting in attendance
        ],
    )
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == person.id))
    yield DataFile(
        "calendar-feed",
        _("Whether you have a calendar link for your meetings (the link itself is secret)."),
        [] if feed is None else [{"made": feed.created_at}],
    )
    added = _papers_added_by(person)
    yield DataFile(
        "forums-papers",
        _("Papers you added to a meeting. The files are in the files/papers folder."),
        [
            {
                "meeting": _meeting_title(meeting),
                "title": paper.title,
                "added": paper.created_at,
                "file": f"files/papers/{paper.id}{Path(paper.stored_name).suffix}",
            }
            for paper, meeting in added
        ],
    )
    for paper, _meeting in added:
        yield DataFile(
            f"papers/{paper.id}{Path(paper.stored_name).suffix}",
            _("A paper you added: %(title)s", title=paper.title),
            path=papers.paper_file(paper),
        )
