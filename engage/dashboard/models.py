"""The cohort estimate: who the partnership thinks its programme is for, by the same groups
equality monitoring asks about, so "who is involved" can be set beside it."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.db import CreatedMixin
from engage.extensions import db


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
