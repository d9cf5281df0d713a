"""Forums of experts by experience, their meetings, replies, attendance, minutes and actions."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.db import CreatedMixin, utcnow
from engage.core.rules import IllegalMove
from engage.extensions import db
from engage.people.models import User


class ForumError(IllegalMove):
    """A request that cannot be met; the message is safe to show."""


class Rung(enum.StrEnum):
    """Think Local Act Personal's ladder of co-production: how much power is shared."""

    INFORMING = "informing"
    CONSULTATION = "consultation"
    ENGAGEMENT = "engagement"
    CO_DESIGN = "co_design"
    CO_PRODUCTION = "co_production"


RUNG_LABELS = {
    Rung.INFORMING: _l("Informing"),
    Rung.CONSULTATION: _l("Consultation"),
    Rung.ENGAGEMENT: _l("Engagement"),
    Rung.CO_DESIGN: _l("Co-design"),
    Rung.CO_PRODUCTION: _l("Co-production"),
}


class Reply(enum.StrEnum):
    INVITED = "invited"  # asked, no answer yet
    YES = "yes"
    MAYBE = "maybe"
    NO = "no"
    WAITING = "waiting"  # said yes when the meeting was full


REPLY_LABELS = {
    Reply.INVITED: _l("Not replied yet"),
    Reply.YES: _l("Coming"),
    Reply.MAYBE: _l("Maybe"),
    Reply.NO: _l("Not coming"),
    Reply.WAITING: _l("On the waiting list"),
}


class Presence(enum.StrEnum):
    ATTENDED = "attended"
    LATE = "late"
    LEFT_EARLY = "left_early"
    APOLOGIES = "apologies"
    NO_SHOW = "no_show"

    @property
    def took_part(self) -> bool:
        return self in (Presence.ATTENDED, Presence.LATE, Presence.LEFT_EARLY)


PRESENCE_LABELS = {
    Presence.ATTENDED: _l("Attended"),
    Presence.LATE: _l("Late"),
    Presence.LEFT_EARLY: _l("Left early"),
    Presence.APOLOGIES: _l("Sent apologies"),
    Presence.NO_SHOW: _l("Did not come"),
}


class Forum(CreatedMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    purpose: Mapped[str] = mapped_column(Text, default="")
    terms_of_reference: Mapped[str] = mapped_column(Text, default="")
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    open_to_all: Mapped[bool] = mapped_column(default=True)  # False: invitation only
    # The training forum: training sessions are its meetings, so that invitations, replies,
    # the waiting list, reminders, calendars and attendance are the forums' own code. It is
    # kept out of the forum lists (see engage.mentoring.training).
    is_training: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    chair: Mapped[User | None] = relationship()


class ForumMember(db.Model):
    __table_args__ = (UniqueConstraint("forum_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    joined_on: Mapped[date]
    left_on: Mapped[date | None]  # None: still a member

    user: Mapped[User] = relationship()


class Venue(db.Model):
    """A place meetings happen, with the access facts people need to decide if they can come."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(Text, default="")
    step_free: Mapped[bool] = mapped_column(default=False)
    hearing_loop: Mapped[bool] = mapped_column(default=False)
    quiet_room: Mapped[bool] = mapped_column(default=False)
    bus_stops: Mapped[str] = mapped_column(String(200), default="")


class Series(db.Model):
    """A recurring schedule ("every 6 weeks on a Tuesday") that generates meetings."""

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"), index=True)
    first_starts_at: Mapped[datetime]
    every_weeks: Mapped[int]
    count: Mapped[int]  # how many meetings it makes
    duration_minutes: Mapped[int] = mapped_column(default=120)


class Meeting(CreatedMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"), index=True)
    title: Mapped[str] = mapped_column(String(150), default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venue.id"))
    online_link: Mapped[str] = mapped_column(String(300), default="")
    capacity: Mapped[int | None]  # None: no limit
    rung: Mapped[str] = mapped_column(String(20), default=Rung.CONSULTATION.value)
    cancelled: Mapped[bool] = mapped_column(default=False)
    # True once this meeting was changed on its own, so "change all future" leaves it alone.
    detached: Mapped[bool] = mapped_column(default=False)
    minutes: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    wellbeing_check_in: Mapped[bool] = mapped_column(default=True)
    # What taking part is given as: the rate-card activity, and whether it is paid (False:
    # recorded as unpaid time). Training sessions are "training", paid or not per session.
    activity: Mapped[str] = mapped_column(
        String(30), default="forum_meeting", server_default="forum_meeting"
    )
    paid: Mapped[bool] = mapped_column(default=True, server_default=sa_true())

    forum: Mapped[Forum] = relationship()
    venue: Mapped[Venue | None] = relationship()
    agenda: Mapped[list[AgendaItem]] = relationship(
        order_by="AgendaItem.position", cascade="all, delete-orphan", back_populates="meeting"
    )


class AgendaItem(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    content_note: Mapped[str] = mapped_column(String(300), default="")  # difficult topics
    # Set when an unfinished action from an earlier meeting carried forward by itself.
    action_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_action.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")


class Paper(CreatedMixin, db.Model):
    """A document for a meeting, stored outside the web root under a random name."""

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]


class Invitation(db.Model):
    """One person's invitation to one meeting, and their reply."""

    __tablename__ = "meeting_invitation"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    reply: Mapped[str] = mapped_column(String(10), default=Reply.INVITED.value)
    replied_at: Mapped[datetime | None]
    # Who gave the latest reply when it was not the person: a manager replying for a peer
    # (assisted digital). None: the person replied themselves, or has not replied.
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    waiting_since: Mapped[datetime | None]  # order of the waiting list
    reminded_at: Mapped[datetime | None]  # a reminder goes once
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    replied_by: Mapped[User | None] = relationship(foreign_keys=[replied_by_id])


class Attendance(db.Model):
    __tablename__ = "meeting_attendance"
    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id"),
        # A meeting's register by presence, with who: counts of who came (and, per person,
        # when they first took part) read from the index alone.
        Index("ix_meeting_attendance_meeting_presence", "meeting_id", "presence", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    presence: Mapped[str] = mapped_column(String(12))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set once the involvement for this attendance was recorded, so it is recorded once.
    involvement_recorded_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class Action(CreatedMixin, db.Model):
    __tablename__ = "meeting_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    owner_name: Mapped[str] = mapped_column(String(120))
    due_date: Mapped[date | None]
    done_at: Mapped[datetime | None]


class CalendarFeed(db.Model):
    """A person's secret calendar address; revoking it makes a new one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
