"""The outbox: every e-mail and text message goes through one table and one sender interface.

Services call :func:`queue`; nothing leaves until the request's transaction has committed, so a
rolled-back change never sends a message about something that did not happen. Senders are
chosen by configuration (``ENGAGE_EMAIL_SENDER``, ``ENGAGE_TEXT_SENDER``). In development the
"log" sender keeps messages on the outbox page (``/admin/outbox``) and writes them to the log.
"""

from __future__ import annotations

import enum
import importlib
import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import ForeignKey, String, Text, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engage.core.db import CreatedMixin, utcnow
from engage.extensions import db

log = logging.getLogger("engage.outbox")


class Channel(enum.StrEnum):
    EMAIL = "email"
    TEXT = "text"


class Status(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"  # handed to the sender (the log sender counts as sent)
    FAILED = "failed"  # the sender raised; `engage outbox send` tries again
    UNDELIVERABLE = "undeliverable"  # no address for the chosen channel; staff must pass it on


class Notification(CreatedMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    to_address: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(15), default=Status.PENDING.value, index=True)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(String(500), default="")


class Sender(Protocol):
    """Anything with ``send(notification)`` that raises on failure."""

    def send(self, notification: Notification) -> None: ...


class LogSender:
    """Development: the message stays in the outbox page and goes to the log."""

    def send(self, notification: Notification) -> None:
        log.info(
            "[%s to %s] %s\n%s",
            notification.channel,
            notification.to_address,
            notification.subject,
            notification.body,
        )


class SmtpSender:
    def __init__(self, config: dict[str, Any]):
        self.config = config

    def send(self, notification: Notification) -> None:
        c = self.config
        message = EmailMessage()
        message["From"] = c["MAIL_FROM"]
        message["To"] = notification.to_address
        message["Subject"] = notification.subject
        message.set_content(notification.body)
        with smtplib.SMTP(c["SMTP_HOST"], int(c["SMTP_PORT"]), timeout=20) as smtp:
            if c["SMTP_STARTTLS"]:
                smtp.starttls()
            if c["SMTP_USERNAME"]:
                smtp.login(c["SMTP_USERNAME"], c["SMTP_PASSWORD"])
            smtp.send_message(message)


def _sender(channel: Channel) -> Sender:
    config = current_app.config
    name = config["EMAIL_SENDER"] if channel == Channel.EMAIL else config["TEXT_SENDER"]
    if name == "log":
        return LogSender()
    if name == "smtp" and channel == Channel.EMAIL:
        return SmtpSender(config)
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)(config)


def queue(
    *,
    subject: str,
    body: str,
    user: Any | None = None,
    channel: Channel | None = None,
    to_address: str | None = None,
) -> Notification:
    """Queue a message for ``user`` by the channel they prefer (or the one given).

    People who prefer post, phone or a worker still get an e-mail or text when they have one;
    with no address at all the message is kept as undeliverable so staff see it on the outbox.
    """
    if channel is None:
        channel = _channel_for(user)
    if to_address is None:
        to_address = _address_for(user, channel)
    note = Notification(
        user_id=getattr(user, "id", None),
        channel=channel.value,
        to_address=to_address or "",
        subject=subject,
        body=body,
        status=Status.PENDING.value if to_address else Status.UNDELIVERABLE.value,
    )
    db.session.add(note)
    db.session.flush()
    db.session.info.setdefault("outbox", []).append(note.id)
    return note


def _channel_for(user: Any | None) -> Channel:
    preferred = getattr(getattr(user, "profile", None), "contact_channel", "email")
    if preferred == "text" and getattr(user, "phone", None):
        return Channel.TEXT
    if getattr(user, "email", None):
        return Channel.EMAIL
    if getattr(user, "phone", None):
        return Channel.TEXT
    return Channel.EMAIL


def _address_for(user: Any | None, channel: Channel) -> str | None:
    if user is None:
        return None
    return user.phone if channel == Channel.TEXT else user.email


def deliver(ids: list[int]) -> int:
    """Send the given pending notifications in their own transaction; returns how many went."""
    sent = 0
    for note in db.session.scalars(select(Notification).where(Notification.id.in_(ids))):
        if note.status not in (Status.PENDING.value, Status.FAILED.value):
            continue
        note.attempts += 1
        try:
            _sender(Channel(note.channel)).send(note)
        except Exception as error:  # a sender's failure must not lose the message
            log.exception("sending notification %s failed", note.id)
            note.status = Status.FAILED.value
            note.error = str(error)[:500]
        else:
            note.status = Status.SENT.value
            note.sent_at = utcnow()
            sent += 1
    db.session.commit()
    return sent


def retry_failed() -> int:
    """Try again every pending or failed message (``engage outbox send``)."""
    ids = list(
        db.session.scalars(
            select(Notification.id).where(
                Notification.status.in_([Status.PENDING.value, Status.FAILED.value])
            )
        )
    )
    return deliver(ids)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    ids = session.info.pop("outbox", None)
    if ids:
        # Sending needs its own transaction; after_commit may not use this one, so defer to the
        # end of the request (or the command) via the app's teardown hook.
        pending = session.info.setdefault("outbox_committed", [])
        pending.extend(ids)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("outbox", None)


def flush_committed() -> None:
    """Send what committed transactions queued. Called after each request and command."""
    ids = db.session.info.pop("outbox_committed", None)
    if ids:
        deliver(ids)
