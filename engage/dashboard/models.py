"""Saved funder reports: the figures of a period as they stood on the day they were saved."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.db import CreatedMixin
from engage.extensions import db
from engage.people.models import User


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
