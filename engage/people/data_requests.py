"""Subject access requests and single-use download links for a person's data.

A person downloads everything held about them from ``/me/data``. When someone asks another way
(a letter, an e-mail, at a meeting), a manager or admin records a subject access request: UK
GDPR gives the partnership one calendar month from the day it arrived to answer, so the request
carries that due date and stays on ``/admin/data-requests`` until someone marks it done.

Either way the ZIP is fetched through a link that works once and for a short time
(``DOWNLOAD_HOURS``): only a hash of its token is stored, so a copy of the database opens
nothing, and the one who prepared it must be signed in to use it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core import audit, dates
from engage.core.db import CreatedMixin, utcnow
from engage.core.rules import IllegalMove
from engage.extensions import db
from engage.people.models import Role, User, UserRole, hash_token, new_token

#: How long a prepared download link works.
DOWNLOAD_HOURS = 24

#: UK GDPR Article 12(3): answer within one month of receiving the request.
MONTHS_TO_ANSWER = 1


class Channel(enum.StrEnum):
    """How a request reached us."""

    EMAIL = "email"
    LETTER = "letter"
    PHONE = "phone"
    IN_PERSON = "in_person"
    OTHER = "other"


CHANNEL_LABELS = {
    Channel.EMAIL: _l("Email"),
    Channel.LETTER: _l("Letter"),
    Channel.PHONE: _l("Phone call"),
    Channel.IN_PERSON: _l("In person"),
    Channel.OTHER: _l("Another way"),
}


class DataRequest(CreatedMixin, db.Model):
    """A subject access request: someone asked for a copy of the data held about them."""

    __tablename__ = "data_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)  # whose data
    received_on: Mapped[date]  # the day it reached us: the month runs from here
    due_on: Mapped[date] = mapped_column(index=True)  # one calendar month after received_on
    channel: Mapped[str] = mapped_column(String(12))  # a Channel value
    notes: Mapped[str] = mapped_column(Text, default="")  # for staff: what exactly was asked
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    done_at: Mapped[datetime | None]  # None: still to answer
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    subject: Mapped[User] = relationship(foreign_keys=[subject_id])
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id])

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def days_left(self, today: date) -> int:
        """Days until it is due; negative once overdue."""
        return (self.due_on - today).days

    def mark_done(self, actor: User) -> None:
        if self.done_at is not None:
            raise IllegalMove(_("This request is already marked as done."))
        self.done_at = utcnow()
        self.done_by_id = actor.id


class DataDownload(CreatedMixin, db.Model):
    """A single-use, expiring link to one person's data ZIP."""

    __tablename__ = "data_download"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)  # whose data
    prepared_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))  # who may use the link
    request_id: Mapped[int | None] = mapped_column(ForeignKey("data_request.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]  # set once: a second use is refused

    subject: Mapped[User] = relationship(foreign_keys=[subject_id])

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def due_date(received_on: date) -> date:
    """One calendar month after ``received_on`` (31 January is due on 28 or 29 February)."""
    return dates.months_after(received_on, MONTHS_TO_ANSWER)


def record_request(
    actor: User, subject: User, *, received_on: date, channel: Channel, notes: str = ""
) -> DataRequest:
    """Log a subject access request for ``subject``; audited. Flushes."""
    request = DataRequest(
        subject_id=subject.id,
        received_on=received_on,
        due_on=due_date(received_on),
        channel=Channel(channel).value,
        notes=notes.strip(),
        recorded_by_id=actor.id,
    )
    db.session.add(request)
    db.session.flush()
    audit.record("data_request.recorded", actor=actor, subject=subject, request=request.id)
    return request


def mark_done(actor: User, request: DataRequest) -> None:
    """Record that ``request`` has been answered, by whom and when; audited. Raises
    IllegalMove when it already was."""
    request.mark_done(actor)
    audit.record("data_request.done", actor=actor, subject=request.subject, request=request.id)
    db.session.flush()


def prepare_download(
    actor: User, subject: User, request: DataRequest | None = None
) -> tuple[DataDownload, str]:
    """Make a single-use link to ``subject``'s data for ``actor`` to fetch; returns the row and
    the token (shown once, stored only as a hash). Audited. Flushes."""
    token = new_token()
    download = DataDownload(
        subject_id=subject.id,
        prepared_by_id=actor.id,
        request_id=request.id if request else None,
        token_hash=hash_token(token),
        expires_at=utcnow() + timedelta(hours=DOWNLOAD_HOURS),
    )
    db.session.add(download)
    db.session.flush()
    audit.record(
        "data_download.prepared",
        actor=actor,
        subject=subject,
        download=download.id,
        request=request.id if request else None,
    )
    return download, token


def download_for(token: str) -> DataDownload | None:
    return db.session.scalar(
        select(DataDownload).where(DataDownload.token_hash == hash_token(token))
    )


def use_download(actor: User, download: DataDownload) -> bool:
    """Spend the link: True when this call used it, False when it was already used (also by a
    request running at the same moment: the update only matches an unused row). Audits the
    download as a read of the subject's data. Flushes."""
    now = utcnow()
    spent = db.session.execute(
        update(DataDownload)
        .where(DataDownload.id == download.id, DataDownload.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if spent != 1:
        return False
    download.used_at = now
    action = "data_request.downloaded" if download.request_id else "my_data.downloaded"
    audit.record(
        action,
        actor=actor,
        subject=download.subject,
        download=download.id,
        request=download.request_id,
    )
    db.session.flush()
    return True


def open_requests_first(for_user: User):  # noqa: ANN201 (a Select)
    """Requests ``for_user`` may handle: open ones first, the soonest due (so overdue) on top,
    then done ones, most recent first."""
    query = select(DataRequest)
    if not for_user.has_role(Role.ADMIN):
        # Managers handle requests from peers (and erased people, whose requests must still
        # be closed); staff accounts' requests go to an admin.
        query = query.where(
            or_(
                DataRequest.subject_id.in_(
                    select(UserRole.user_id).where(UserRole.role == Role.PEER.value)
                ),
                DataRequest.subject_id.in_(select(User.id).where(User.erased_at.is_not(None))),
            )
        )
    return query.order_by(
        DataRequest.done_at.is_not(None),
        DataRequest.due_on,
        DataRequest.done_at.desc(),
        DataRequest.id,
    )
