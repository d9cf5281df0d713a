"""What the forum and meeting pages need beyond the core use cases in ``services``: setting up
forums, venues and agendas, and the bounded read queries behind each page.

Every read here is one query whatever the number of members, invitees or meetings, so the
pages stay quick for a forum of hundreds. Like ``services``, nothing here commits.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from engage.core import audit, uploads
from engage.core.db import utcnow
from engage.extensions import db
from engage.forums.models import (
    Action,
    AgendaItem,
    Attendance,
    Forum,
    ForumMember,
    Invitation,
    Meeting,
    Paper,
    Reply,
    Venue,
)
from engage.forums.services import ForumError, add_member, invite_members
from engage.people.models import Profile, User

# Setting up -------------------------------------------------------------------------------


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


def add_venue(
    actor: User,
    *,
    name: str,
    address: str = "",
    step_free: bool = False,
    hearing_loop: bool = False,
    quiet_room: bool = False,
    bus_stops: str = "",
) -> Venue:
    """Record a place meetings happen, with its access facts."""
    venue = Venue(
        name=name.strip(),
        address=address.strip(),
        step_free=step_free,
        hearing_loop=hearing_loop,
        quiet_room=quiet_room,
        bus_stops=bus_stops.strip(),
    )
    db.session.add(venue)
    db.session.flush()
    audit.record("forum.venue_added", actor=actor, venue=venue.id)
    return venue


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


# Papers -----------------------------------------------------------------------------------

#: The largest paper accepted, in bytes.
MAX_PAPER_BYTES = 10 * 1024 * 1024

#: The longest side of a picture kept as a paper: an A4 page scanned at 300 dpi still fits.
PAPER_MAX_SIDE = 3600

#: What a paper may be, told by its content (``engage.core.uploads``).
PAPER_TYPES = (uploads.PDF, uploads.DOCX, uploads.PNG, uploads.JPEG)


def papers_folder() -> Path:
    """Papers live in the instance folder, outside the web root."""
    folder = Path(current_app.instance_path) / "papers"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def add_paper(actor: User, meeting: Meeting, title: str, data: bytes) -> Paper:
    """Check and store a paper under a random name. Raises ForumError (safe to show) if it is
    empty, too big, not a PDF, Word document, PNG or JPEG, or carries anything that could run
    or give away where a photo was taken (see ``engage.core.uploads``).

    The file is written before the commit; ``discard_paper`` removes it if the commit fails.
    """
    try:
        kept = uploads.clean(
            data,
            accept=PAPER_TYPES,
            wrong_type=_(
                "The file must be a PDF, a Word document (.docx), or a PNG or JPEG picture."
            ),
            max_bytes=MAX_PAPER_BYTES,
            max_side=PAPER_MAX_SIDE,
        )
    except uploads.UploadError as error:
        raise ForumError(str(error)) from None
    stored_name = f"{secrets.token_hex(16)}.{kept.extension}"
    (papers_folder() / stored_name).write_bytes(kept.data)
    paper = Paper(
        meeting_id=meeting.id,
        title=title.strip(),
        stored_name=stored_name,
        content_type=kept.content_type,
        size=len(kept.data),
    )
    db.session.add(paper)
    db.session.flush()
    audit.record("forum.paper_added", actor=actor, meeting=meeting.id, paper=paper.id)
    return paper


def remove_paper(actor: User, paper: Paper) -> None:
    """Remove a paper's record; the route deletes its file once the removal is committed."""
    audit.record("forum.paper_removed", actor=actor, meeting=paper.meeting_id, paper=paper.id)
    db.session.delete(paper)
    db.session.flush()


def discard_paper(paper: Paper) -> None:
    (papers_folder() / paper.stored_name).unlink(missing_ok=True)


def paper_file(paper: Paper) -> Path:
    return papers_folder() / paper.stored_name


# Reading ----------------------------------------------------------------------------------


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


def invitation_of(user_id: int, meeting_id: int) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(Invitation.meeting_id == meeting_id, Invitation.user_id == user_id)
    )


def visible_forums(user: User, manager: bool) -> list[Forum]:
    """Every forum for managers; otherwise open forums and the ones the person belongs to."""
    query = select(Forum).order_by(Forum.name)
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


def next_meetings(forum_ids: list[int], now: datetime) -> dict[int, Meeting]:
    """Each forum's next meeting not yet over and not cancelled, in one query."""
    if not forum_ids:
        return {}
    first = (
        select(Meeting.forum_id, func.min(Meeting.starts_at).label("starts_at"))
        .where(
            Meeting.forum_id.in_(forum_ids),
            Meeting.ends_at >= now,
            Meeting.cancelled.is_(False),
        )
        .group_by(Meeting.forum_id)
        .subquery()
    )
    rows = db.session.scalars(
        select(Meeting)
        .join(
            first,
            (Meeting.forum_id == first.c.forum_id) & (Meeting.starts_at == first.c.starts_at),
        )
        .where(Meeting.cancelled.is_(False))
        .order_by(Meeting.id)
    )
    found: dict[int, Meeting] = {}
    for meeting in rows:
        found.setdefault(meeting.forum_id, meeting)
    return found


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


def forum_meetings(
    forum: Forum, now: datetime, upcoming_limit: int = 50, past_limit: int = 20
) -> tuple[list[Meeting], list[Meeting], int]:
    """The forum's meetings still to come, its latest past ones, and how many past there are."""
    upcoming = list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.forum_id == forum.id, Meeting.ends_at >= now)
            .order_by(Meeting.starts_at, Meeting.id)
            .limit(upcoming_limit)
        )
    )
    past = list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.forum_id == forum.id, Meeting.ends_at < now)
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
            .limit(past_limit)
        )
    )
    past_count = db.session.scalar(
        select(func.count(Meeting.id)).where(Meeting.forum_id == forum.id, Meeting.ends_at < now)
    )
    return upcoming, past, past_count


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


def papers(meeting: Meeting) -> list[Paper]:
    return list(
        db.session.scalars(
            select(Paper).where(Paper.meeting_id == meeting.id).order_by(Paper.created_at)
        )
    )


def raised_items(meeting: Meeting) -> list:
    """Register items raised at this meeting (for managers)."""
    from engage.changes.models import Item

    return list(
        db.session.scalars(
            select(Item).where(Item.source_meeting_id == meeting.id).order_by(Item.id)
        )
    )


def venues() -> list[Venue]:
    return list(db.session.scalars(select(Venue).order_by(Venue.name)))


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


#: How many coming meetings a peer's meetings page lists.
PERSON_MEETINGS = 20


def coming_meetings_of(person: User, now: datetime) -> list[tuple[Meeting, Invitation | None]]:
    """The meetings not yet over that ``person`` is invited to or may go to as a member, with
    their invitation (None while they have none), soonest first. For a manager replying for
    a peer (assisted digital)."""
    invited = select(Invitation.meeting_id).where(Invitation.user_id == person.id)
    member = select(ForumMember.forum_id).where(
        ForumMember.user_id == person.id, ForumMember.left_on.is_(None)
    )
    rows = db.session.execute(
        select(Meeting, Invitation)
        .outerjoin(
            Invitation,
            (Invitation.meeting_id == Meeting.id) & (Invitation.user_id == person.id),
        )
        .options(joinedload(Meeting.forum), joinedload(Invitation.replied_by))
        .where(
            Meeting.ends_at >= now,
            Meeting.cancelled.is_(False),
            Meeting.id.in_(invited) | Meeting.forum_id.in_(member),
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(PERSON_MEETINGS)
    ).all()
    return [(meeting, invitation) for meeting, invitation in rows]
