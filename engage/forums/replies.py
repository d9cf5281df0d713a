"""Invitations and replies: members invited to meetings, one-tap yes, maybe or no (for
themselves, or by a manager for them), the waiting list, reminders, and telling those coming
when a meeting changes. Every message goes out in its recipient's own language."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.core import audit, outbox
from engage.core.db import utcnow
from engage.core.i18n import in_their_language
from engage.core.links import absolute_url
from engage.extensions import db
from engage.forums.models import ForumError, ForumMember, Invitation, Meeting, Reply
from engage.people.models import Profile, User


def _when(meeting: Meeting) -> str:
    return format_datetime(meeting.starts_at, "EEEE d MMMM, HH:mm")


def what(meeting: Meeting) -> str:
    """What a message calls the meeting: its forum's name, or for a training session (a
    meeting of the training forum) its own title, the course."""
    if meeting.forum.is_training and meeting.title:
        return meeting.title
    return meeting.forum.name


def _current_member_ids(forum_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(ForumMember.user_id).where(
                ForumMember.forum_id == forum_id, ForumMember.left_on.is_(None)
            )
        )
    )


# Invitations ------------------------------------------------------------------------------


def invite_members(meeting: Meeting, notify: bool = True) -> int:
    """Invite every current member who is not paused. Inviting twice invites nobody twice.

    A paused member gets no invitation to answer at all (a forum rule: no invitations while
    paused). Whether the invitation's message may go (consent to contact) is the outbox's call.
    """
    return invite_people(meeting, _current_member_ids(meeting.forum_id), notify=notify)


def invite_people(meeting: Meeting, user_ids: set[int], notify: bool = True) -> int:
    """Invite these people (active, not paused, not invited already) to ``meeting``, each told
    in their own language with a link to reply. Returns how many were invited: the training
    gaps matrix invites everyone missing a course through this, as a forum invites members."""
    if not user_ids:
        return 0
    already = set(
        db.session.scalars(select(Invitation.user_id).where(Invitation.meeting_id == meeting.id))
    )
    people = db.session.scalars(
        select(User)
        .join(Profile)
        .where(User.id.in_(set(user_ids) - already), User.is_active, Profile.paused_at.is_(None))
    ).all()
    for person in people:
        db.session.add(Invitation(meeting_id=meeting.id, user_id=person.id))
        if notify:
            with in_their_language(person):
                outbox.queue(
                    kind=outbox.Kind.INVOLVEMENT,
                    user=person,
                    subject=_("You are invited: %(forum)s", forum=what(meeting)),
                    body=_(
                        "Hello %(name)s,\n\nYou are invited to %(forum)s on %(when)s.\n"
                        "Tell us if you can come, and what you need, here:\n%(link)s\n",
                        name=person.display_name,
                        forum=what(meeting),
                        when=_when(meeting),
                        link=absolute_url("forums.meeting", meeting_id=meeting.id),
                    ),
                )
    db.session.flush()
    return len(people)


def invitation_of(user_id: int, meeting_id: int) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(Invitation.meeting_id == meeting_id, Invitation.user_id == user_id)
    )


# Replies and the waiting list -------------------------------------------------------------


def reply(person: User, meeting: Meeting, answer: Reply, actor: User | None = None) -> Invitation:
    """Record a yes, maybe or no. A yes to a full meeting joins the waiting list; a place given
    up goes to the first person waiting, who is told. Replying the same twice changes nothing.

    ``actor``: a manager replying for ``person`` (assisted digital); the invitation keeps who
    replied, and the audit log records it as done on their behalf.
    """
    actor = actor or person
    if meeting.cancelled:
        raise ForumError(_("This meeting has been cancelled."))
    if meeting.ends_at < utcnow():
        raise ForumError(_("This meeting has already happened."))
    lock_places(meeting)
    row = db.session.scalar(
        select(Invitation).where(
            Invitation.meeting_id == meeting.id, Invitation.user_id == person.id
        )
    )
    if row is None:
        row = Invitation(meeting_id=meeting.id, user_id=person.id)
        db.session.add(row)
    was = Reply(row.reply or Reply.INVITED.value)
    if answer == Reply.YES and was in (Reply.YES, Reply.WAITING):
        return row
    full = meeting.capacity is not None and coming_count(meeting) >= meeting.capacity
    if answer == Reply.YES and full:
        answer = Reply.WAITING
    row.reply = answer.value
    row.replied_at = utcnow()
    row.replied_by_id = actor.id if actor.id != person.id else None
    row.waiting_since = utcnow() if answer == Reply.WAITING else None
    db.session.flush()
    if actor.id != person.id:
        audit.record(
            "meeting.replied", actor=actor, subject=person, meeting=meeting.id, reply=row.reply
        )
    if was == Reply.YES and answer != Reply.YES:
        promote_waiting(meeting)
    return row


def coming_count(meeting: Meeting) -> int:
    return db.session.scalar(
        select(db.func.count(Invitation.id)).where(
            Invitation.meeting_id == meeting.id, Invitation.reply == Reply.YES.value
        )
    )


def lock_places(meeting: Meeting) -> None:
    """Count a meeting's places one request at a time, so it never takes more people than it
    has places: replies and capacity changes hold the meeting's row until they commit
    (PostgreSQL; on SQLite every request that writes holds the write lock already)."""
    db.session.execute(select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())


def promote_waiting(meeting: Meeting, all_places: bool = False) -> None:
    """Give a free place to the first person waiting (every free place with ``all_places``,
    after the capacity went up)."""
    while meeting.capacity is None or coming_count(meeting) < meeting.capacity:
        if not _promote_one(meeting) or not all_places:
            return


def _promote_one(meeting: Meeting) -> bool:
    first = db.session.scalar(
        select(Invitation)
        .where(Invitation.meeting_id == meeting.id, Invitation.reply == Reply.WAITING.value)
        .order_by(Invitation.waiting_since, Invitation.id)
        .limit(1)
    )
    if first is None:
        return False
    first.reply = Reply.YES.value
    first.waiting_since = None
    person = first.user
    with in_their_language(person):
        # The place is given at once in answer to their own yes, so they are told even when
        # paused or without consent to contact: silence would leave them booked unknowing.
        outbox.queue(
            kind=outbox.Kind.UPDATE,
            user=person,
            subject=_("A place is free for you: %(forum)s", forum=what(meeting)),
            body=_(
                "Good news, %(name)s. A place came free at %(forum)s on %(when)s, so you are "
                "now coming. If you cannot come any more, tell us here:\n%(link)s\n",
                name=person.display_name,
                forum=what(meeting),
                when=_when(meeting),
                link=absolute_url("forums.meeting", meeting_id=meeting.id),
            ),
        )
    db.session.flush()
    return True


# Telling those coming ---------------------------------------------------------------------


def send_reminders(now: datetime) -> int:
    """Remind everyone coming (or maybe coming) to meetings within the reminder window.

    Idempotent: each invitation is reminded once (``engage tick``).
    """
    window = now + timedelta(hours=int(current_app.config["REMINDER_HOURS"]))
    rows = db.session.scalars(
        select(Invitation)
        .join(Meeting)
        .where(
            Meeting.starts_at > now,
            Meeting.starts_at <= window,
            Meeting.cancelled.is_(False),
            Invitation.reply.in_([Reply.YES.value, Reply.MAYBE.value]),
            Invitation.reminded_at.is_(None),
        )
    ).all()
    for row in rows:
        meeting = db.session.get(Meeting, row.meeting_id)
        person = row.user
        with in_their_language(person):
            outbox.queue(
                kind=outbox.Kind.INVOLVEMENT,
                user=person,
                subject=_("Reminder: %(forum)s", forum=what(meeting)),
                body=_(
                    "Hello %(name)s, a reminder that %(forum)s is on %(when)s.\n%(link)s\n",
                    name=person.display_name,
                    forum=what(meeting),
                    when=_when(meeting),
                    link=absolute_url("forums.meeting", meeting_id=meeting.id),
                ),
            )
        row.reminded_at = now
    return len(rows)


def tell_those_coming(meeting: Meeting, cancelled: bool = False) -> None:
    """Tell those coming (or maybe coming) that the meeting changed."""
    rows = db.session.scalars(
        select(Invitation).where(
            Invitation.meeting_id == meeting.id,
            Invitation.reply.in_([Reply.YES.value, Reply.MAYBE.value, Reply.WAITING.value]),
        )
    )
    for row in rows:
        person = row.user
        with in_their_language(person):
            subject = (
                _("Cancelled: %(forum)s", forum=what(meeting))
                if cancelled
                else _("Changed: %(forum)s", forum=what(meeting))
            )
            values = {
                "forum": what(meeting),
                "when": _when(meeting),
                "link": absolute_url("forums.meeting", meeting_id=meeting.id),
            }
            body = (
                _("%(forum)s on %(when)s has been cancelled.\n%(link)s\n", **values)
                if cancelled
                else _(
                    "%(forum)s on %(when)s has changed. Check the details:\n%(link)s\n", **values
                )
            )
            # About a meeting they said they would come to: they need to know.
            outbox.queue(kind=outbox.Kind.UPDATE, user=person, subject=subject, body=body)


# Reading ----------------------------------------------------------------------------------


def replies_of(user_id: int, meeting_ids: list[int]) -> dict[int, str]:
    """One person's reply to each of these meetings."""
    if not meeting_ids:
        return {}
    return dict(
        db.session.execute(
            select(Invitation.meeting_id, Invitation.reply).where(
                Invitation.user_id == user_id, Invitation.meeting_id.in_(meeting_ids)
            )
        ).all()
    )


def coming_counts(meeting_ids: list[int]) -> dict[int, int]:
    """How many said yes to each of these meetings, in one query."""
    if not meeting_ids:
        return {}
    return dict(
        db.session.execute(
            select(Invitation.meeting_id, func.count(Invitation.id))
            .where(Invitation.meeting_id.in_(meeting_ids), Invitation.reply == Reply.YES.value)
            .group_by(Invitation.meeting_id)
        ).all()
    )


def reply_counts(meeting: Meeting) -> Counter:
    """How many invitations hold each reply, in one aggregate query."""
    return Counter(
        dict(
            db.session.execute(
                select(Invitation.reply, func.count(Invitation.id))
                .where(Invitation.meeting_id == meeting.id)
                .group_by(Invitation.reply)
            ).all()
        )
    )


def waiting_position(invitation: Invitation) -> int:
    """1 for the first person on the waiting list, and so on."""
    ahead = db.session.scalar(
        select(func.count(Invitation.id)).where(
            Invitation.meeting_id == invitation.meeting_id,
            Invitation.reply == Reply.WAITING.value,
            (Invitation.waiting_since < invitation.waiting_since)
            | (
                (Invitation.waiting_since == invitation.waiting_since)
                & (Invitation.id < invitation.id)
            ),
        )
    )
    return (ahead or 0) + 1


@dataclass
class Invitee:
    user_id: int
    name: str
    username: str
    reply: str
    waiting_since: datetime | None


def invitees(meeting: Meeting) -> list[Invitee]:
    """Everyone invited, with their reply, in one query (names for managers only)."""
    rows = db.session.execute(
        select(
            Invitation.user_id,
            User.username,
            Profile.preferred_name,
            Invitation.reply,
            Invitation.waiting_since,
        )
        .join(User, Invitation.user_id == User.id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(Invitation.meeting_id == meeting.id)
    ).all()
    people = [
        Invitee(uid, preferred or username, username, reply, since)
        for uid, username, preferred, reply, since in rows
    ]
    return sorted(people, key=lambda p: p.name.lower())


def waiting_list(people: list[Invitee]) -> list[Invitee]:
    """Those waiting, first in line first."""
    waiting = [p for p in people if p.reply == Reply.WAITING.value and p.waiting_since]
    return sorted(waiting, key=lambda p: p.waiting_since)
