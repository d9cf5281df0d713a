"""The dashboard's own records: the cohort estimate (who the partnership thinks its programme is
for, by the same groups equality monitoring asks about, so "who is involved" can be set beside
it) and saved funder reports (the figures of a period as they stood on the day they were
saved)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.db import CreatedMixin
from engage.extensions import db
from engage.people.models import User


class CohortEstimate(CreatedMixin, db.Model):
    """One saved estimate. Saving never changes an estimate: it adds the next one, so the
    history stays and the newest is the one in use. Who saved it is in the audit log
    ("cohort_estimate.saved"), not here, so the table holds nothing about a person."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # 1, 2, 3 ...: the newest is in use. Unique, so two saves made from the same page (which
    # both name the same next number) cannot both land: the second is a stale edit.
    number: Mapped[int] = mapped_column(unique=True)
    # Where the figures come from, in the manager's words ("2021 census, local homelessness
    # count"): readers of the comparison need to know how rough it is.
    source: Mapped[str] = mapped_column(String(300), default="")
    # The form's double-submit key: a second press finds this estimate instead of adding one.
    submission_key: Mapped[str | None] = mapped_column(String(40), unique=True)

    shares: Mapped[list[CohortShare]] = relationship(
        cascade="all, delete-orphan", back_populates="estimate", order_by="CohortShare.id"
    )


class CohortShare(db.Model):
    """The estimated share of the cohort in one group of one dimension (gender "woman": 35%).
    A group left blank has no row: there is no estimate for it."""

    __table_args__ = (
        UniqueConstraint("estimate_id", "dimension", "group"),
        CheckConstraint("share_percent >= 0 AND share_percent <= 100", name="share_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estimate_id: Mapped[int] = mapped_column(
        ForeignKey("cohort_estimate.id", ondelete="CASCADE"), index=True
    )
    dimension: Mapped[str] = mapped_column(String(20))  # a key of who.DIMENSIONS
    group: Mapped[str] = mapped_column(String(20))  # an equality answer, as stored ("18-24")
    share_percent: Mapped[Decimal] = mapped_column(Numeric(4, 1))  # 0.0 to 100.0

    estimate: Mapped[CohortEstimate] = relationship(back_populates="shares")


class ReportSnapshot(CreatedMixin, db.Model):
    """A funder report saved on a day: late data that arrives afterwards (a claim paid next
    month, attendance taken late) changes the live report but never this one. Written once and
    never changed; it holds totals only, nothing about any one person."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(150))
    start: Mapped[date]  # the period reported on, both days included
    end: Mapped[date]
    previous_start: Mapped[date | None]  # the period compared with; None: none
    previous_end: Mapped[date | None]
    pick: Mapped[str] = mapped_column(String(20), default="")  # the quick pick, "" for dates
    # The section keys chosen, as JSON (["people", "voice"]), in the dashboard's order.
    section_keys: Mapped[str] = mapped_column(Text)
    # The figures and tables as computed when saved (engage.dashboard.snapshots.dumps).
    figures: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # The save form's key, so a double click or a resent form saves one snapshot.
    submission_key: Mapped[str | None] = mapped_column(String(40), unique=True)

    created_by: Mapped[User | None] = relationship()
