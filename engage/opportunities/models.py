"""Consultation requests (a partner asking the forum for lived-experience input), the
opportunities managers publish, and the peers who say they are interested.

The tables keep the names they had when these lived in the forums domain.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.db import CreatedMixin
from engage.extensions import db
from engage.forums.models import Rung
from engage.people.models import Organisation, User


class ConsultationRequest(CreatedMixin, db.Model):
    """A partner asking the forum for lived-experience input."""

    __tablename__ = "consultation_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(30))  # review, interview panel, working group ...
    needed_by: Mapped[date | None]
    effort: Mapped[str] = mapped_column(String(120), default="")  # e.g. "two hours"
    paid: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(12), default="requested", index=True)
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")  # readable by the partner

    organisation: Mapped[Organisation | None] = relationship()
    requested_by: Mapped[User] = relationship()


class Opportunity(CreatedMixin, db.Model):
    """A chance for peers to get involved, published by a manager."""

    __tablename__ = "opportunity"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("consultation_request.id"))
    forum_id: Mapped[int | None] = mapped_column(ForeignKey("forum.id"))
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text)
    activity: Mapped[str] = mapped_column(String(30), default="document_review")  # rate card key
    places: Mapped[int] = mapped_column(default=1)
    closes_on: Mapped[date | None]
    paid: Mapped[bool] = mapped_column(default=True)
    rung: Mapped[str] = mapped_column(String(20), default=Rung.CONSULTATION.value)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)


class Interest(CreatedMixin, db.Model):
    """A peer saying "I'm interested" in an opportunity, and whether they were chosen and did
    the work."""

    __tablename__ = "interest"
    __table_args__ = (UniqueConstraint("opportunity_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunity.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    selected: Mapped[bool] = mapped_column(default=False)
    completed_at: Mapped[datetime | None]
    involvement_recorded_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
