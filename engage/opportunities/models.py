"""Consultation requests (a partner asking the forum for lived-experience input), the
opportunities managers publish, and the peers who say they are interested.

The tables keep the names they had when these lived in the forums domain.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.db import CreatedMixin
from engage.core.rules import IllegalMove
from engage.extensions import db
from engage.forums.models import Rung
from engage.people.models import Organisation, User

if TYPE_CHECKING:
    from engage.mentoring.models import PeerRole

# Consultation requests ---------------------------------------------------------------------


class RequestStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    MET = "met"  # the opportunity it became was completed

    @property
    def label(self) -> str:
        return str(REQUEST_STATUS_LABELS[self])

    @property
    def colour(self) -> str:
        """The GOV.UK tag colour this status is shown in (``govuk-tag--<colour>``)."""
        return REQUEST_STATUS_COLOURS[self]


REQUEST_STATUS_LABELS = {
    RequestStatus.REQUESTED: _l("Waiting for a decision"),
    RequestStatus.ACCEPTED: _l("Accepted"),
    RequestStatus.DECLINED: _l("Declined"),
    RequestStatus.MET: _l("Met"),
}

REQUEST_STATUS_COLOURS = {
    RequestStatus.REQUESTED: "blue",
    RequestStatus.ACCEPTED: "turquoise",
    RequestStatus.DECLINED: "grey",
    RequestStatus.MET: "green",
}

#: A request is decided once, either way; only an accepted one is later met, when the
#: opportunity that answers it is completed.
REQUEST_TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    RequestStatus.REQUESTED: frozenset({RequestStatus.ACCEPTED, RequestStatus.DECLINED}),
    RequestStatus.ACCEPTED: frozenset({RequestStatus.MET}),
    RequestStatus.DECLINED: frozenset(),
    RequestStatus.MET: frozenset(),
}


class RequestKind(enum.StrEnum):
    REVIEW = "review"
    INTERVIEW_PANEL = "interview_panel"
    WORKING_GROUP = "working_group"
    OTHER = "other"

    @classmethod
    def read(cls, value: str) -> RequestKind:
        """The kind stored on a request. A word the form no longer offers (older data) reads as
        "something else", so a request's pages never fail on it; new requests are checked with
        ``RequestKind(value)``, which refuses such a word."""
        try:
            return cls(value)
        except ValueError:
            return cls.OTHER

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {
    RequestKind.REVIEW: _l("Review a document, such as a leaflet or a letter"),
    RequestKind.INTERVIEW_PANEL: _l("Sit on an interview panel"),
    RequestKind.WORKING_GROUP: _l("Join a working group"),
    RequestKind.OTHER: _l("Something else"),
}


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
    status: Mapped[str] = mapped_column(
        String(12), default=RequestStatus.REQUESTED.value, index=True
    )
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")  # readable by the partner

    organisation: Mapped[Organisation | None] = relationship()
    requested_by: Mapped[User] = relationship()

    @property
    def status_enum(self) -> RequestStatus:
        return RequestStatus(self.status)

    @property
    def undecided(self) -> bool:
        """Waiting for a manager to accept or decline it."""
        return self.status == RequestStatus.REQUESTED.value

    def move_to(self, target: RequestStatus) -> RequestStatus:
        """Change status along REQUEST_TRANSITIONS; returns the old status. Raises IllegalMove."""
        before = self.status_enum
        if target not in REQUEST_TRANSITIONS[before]:
            raise IllegalMove(
                _(
                    "This cannot change from “%(from)s” to “%(to)s”.",
                    **{"from": before.label, "to": target.label},
                )
            )
        self.status = target.value
        return before


# Opportunities -----------------------------------------------------------------------------


class OpportunityStatus(enum.StrEnum):
    OPEN = "open"  # peers can say they are interested
    SELECTED = "selected"  # the manager has chosen; the work is under way
    COMPLETED = "completed"  # everyone chosen has done the work

    @property
    def label(self) -> str:
        return str(OPPORTUNITY_STATUS_LABELS[self])

    @property
    def colour(self) -> str:
        """The GOV.UK tag colour this status is shown in (``govuk-tag--<colour>``)."""
        return OPPORTUNITY_STATUS_COLOURS[self]


OPPORTUNITY_STATUS_LABELS = {
    OpportunityStatus.OPEN: _l("Open"),
    OpportunityStatus.SELECTED: _l("People chosen"),
    OpportunityStatus.COMPLETED: _l("Completed"),
}

OPPORTUNITY_STATUS_COLOURS = {
    OpportunityStatus.OPEN: "green",
    OpportunityStatus.SELECTED: "turquoise",
    OpportunityStatus.COMPLETED: "grey",
}

#: Choosing people closes an opportunity to interest (choosing more later keeps it
#: selected); it is completed once everyone chosen has done the work.
OPPORTUNITY_TRANSITIONS: dict[OpportunityStatus, frozenset[OpportunityStatus]] = {
    OpportunityStatus.OPEN: frozenset({OpportunityStatus.SELECTED}),
    OpportunityStatus.SELECTED: frozenset({OpportunityStatus.COMPLETED}),
    OpportunityStatus.COMPLETED: frozenset(),
}

#: Rate-card activity keys an opportunity can be (the payments domain prices them).
ACTIVITY_LABELS = {
    "document_review": _l("Reviewing a document"),
    "interview_panel": _l("Interview panel"),
    "working_group": _l("Working group"),
    "other_involvement": _l("Other involvement"),
}


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
    status: Mapped[str] = mapped_column(
        String(12), default=OpportunityStatus.OPEN.value, index=True
    )
    # A peer role whose check and training this work needs: a manager choosing someone whose
    # check or training has run out is warned first, and going ahead needs a reason.
    peer_role_id: Mapped[int | None] = mapped_column(ForeignKey("peer_role.id"))

    peer_role: Mapped[PeerRole | None] = relationship("PeerRole")

    @property
    def status_enum(self) -> OpportunityStatus:
        return OpportunityStatus(self.status)

    def move_to(self, target: OpportunityStatus) -> OpportunityStatus:
        """Change status along OPPORTUNITY_TRANSITIONS; returns the old status. Raises
        IllegalMove."""
        before = self.status_enum
        if target not in OPPORTUNITY_TRANSITIONS[before]:
            raise IllegalMove(
                _(
                    "This cannot change from “%(from)s” to “%(to)s”.",
                    **{"from": before.label, "to": target.label},
                )
            )
        self.status = target.value
        return before


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
    # Why they were chosen although a check or training the work needs had run out.
    override_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    user: Mapped[User] = relationship()
