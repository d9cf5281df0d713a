"""The outbox: every e-mail and text message goes through one table and one sender interface.

Services call :func:`queue` and say what kind of message it is (:class:`Kind`). ``queue`` alone
decides whether it may go: involvement messages wait for consent to contact and are held while
a person's involvement is paused; the held message is kept with the reason, for staff to read.

**Secrets** (single-use sign-in links, private feed addresses) never sit in a message's text.
A caller builds them with :func:`engage.core.links.secret_url`, which gives a :class:`Secret`:
put into the text it becomes a placeholder, and ``queue`` keeps the value apart. The value is
merged in only inside the real sender, at the moment of sending, and erased from the database
once the message has gone. Wherever a message is shown (the outbox page, the log sender, error
messages) the secret reads "(private link, sent only to the person)". ``queue`` refuses text
that holds a link to any address whose rule takes a ``<token>``: by convention those are the
secret ones.

**Delivery**: nothing leaves until the request's transaction has committed, so a rolled-back
change never sends a message about something that did not happen. Each message is claimed with
one conditional update (pending or failed → sending) that is committed before the sender is
called, so whoever runs :func:`deliver` at the same time (another worker, ``engage outbox
send``), only one hands it to the sender. A message left "sending" (the process died while
sending) is never sent again by itself: admins see it as "may not have gone" and can send it
again. Recording the result waits and retries while the database is locked, and a failure
after the request's commit is logged, never turned into an error page.

Senders are chosen by configuration (``ENGAGE_EMAIL_SENDER``, ``ENGAGE_TEXT_SENDER``). In
development the "log" sender keeps messages on the outbox page (``/admin/outbox``) and writes
them to the log, with secrets left out.
"""

from __future__ import annotations

import enum
import importlib
import json
import logging
import re
import smtplib
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from secrets import token_hex
from typing import Any, Protocol, TypeVar

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, event, select, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from engage.core import audit
from engage.core.conflicts import is_conflict
from engage.core.db import CreatedMixin, utcnow
from engage.core.rules import IllegalMove
from engage.extensions import db

log = logging.getLogger("engage.outbox")

T = TypeVar("T")


class Channel(enum.StrEnum):
    EMAIL = "email"
    TEXT = "text"


class Kind(enum.StrEnum):
    """What a message is about, which decides whether it may go (see :func:`queue`)."""

    #: Password resets and account invitations: always go, or nobody could get back in.
    ACCOUNT = "account"
    #: We reach out first to invite people to take part: meeting invitations, reminders, new
    #: opportunities. They need the person's consent to contact (a peer's "We may contact you
    #: about forums, meetings and chances to get involved") and are held while they are paused.
    INVOLVEMENT = "involvement"
    #: News about something the person started or looks after: their claim, their payment, an
    #: item they raised, backed or own, an opportunity they asked for, a meeting they said they
    #: would come to (changed, cancelled, or a place came free). These answer the person, so
    #: they go while paused and without contact consent, whose wording covers only our
    #: reaching out first; holding them back would leave someone not knowing what happened to
    #: their own claim or request.
    UPDATE = "update"


KIND_LABELS = {
    Kind.ACCOUNT: _l("Account"),
    Kind.INVOLVEMENT: _l("Invitation to take part"),
    Kind.UPDATE: _l("Update"),
}


class Status(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by one sender; left so by a crash it "may not have gone"
    SENT = "sent"  # handed to the sender (the log sender counts as sent)
    FAILED = "failed"  # the sender raised; `engage outbox send` tries again
    UNDELIVERABLE = "undeliverable"  # no address for the chosen channel; staff must pass it on
    NO_CONSENT = "no_consent"  # not sent: the person has not agreed to be contacted
    PAUSED = "paused"  # not sent: the person paused their involvement


STATUS_LABELS = {
    Status.PENDING: _l("Waiting to send"),
    Status.SENDING: _l("Sending"),
    Status.SENT: _l("Sent"),
    Status.FAILED: _l("Could not send: will try again"),
    Status.UNDELIVERABLE: _l("Undeliverable: no address, pass it on another way"),
    Status.NO_CONSENT: _l("Not sent: no consent to contact"),
    Status.PAUSED: _l("Not sent: involvement paused"),
}

#: Statuses a sender may claim a message from.
RETRYABLE = (Status.PENDING.value, Status.FAILED.value)
#: Messages that never reached the person: staff may need to pass them on, or to know why not.
NOT_SENT = (Status.UNDELIVERABLE.value, Status.NO_CONSENT.value, Status.PAUSED.value)
#: A message still "sending" after this long was probably lost with its process.
STUCK_AFTER = timedelta(minutes=5)

#: What people see instead of a secret, wherever a message is shown.
PRIVATE_WORDS = _l("(private link, sent only to the person)")

_PLACEHOLDER = re.compile(r"\[\[secret:([a-z_]+:[0-9a-f]{16})\]\]")


class Secret:
    """A value only the recipient may read, such as a single-use sign-in link.

    Put into a message's text (``%(link)s``, an f-string) it becomes a placeholder, never the
    value; pass it to :func:`queue` as ``secrets=[...]`` too, and the value reaches only the
    sender. The placeholder carries a random part, so text typed by people (a title, a name)
    can never stand in for one. Its ``repr`` never shows the value. Read ``.value`` only to
    show the link to the person it is for (a manager printing a sign-in link for a peer).
    """

    __slots__ = ("key", "value")

    def __init__(self, value: str, name: str = "link"):
        if not re.fullmatch(r"[a-z_]+", name):
            raise ValueError("a secret's name is lower-case letters and underscores")
        self.key = f"{name}:{token_hex(8)}"
        self.value = value

    def __str__(self) -> str:
        return f"[[secret:{self.key}]]"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"Secret(key={self.key!r})"


class OutboxError(IllegalMove):
    """A request about a message that cannot be met; the text is safe to show."""


class Notification(CreatedMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    to_address: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # secrets only as placeholders, never their values
    kind: Mapped[str] = mapped_column(String(12), server_default=Kind.UPDATE.value)  # a Kind
    status: Mapped[str] = mapped_column(String(15), default=Status.PENDING.value, index=True)
    # The secrets' values (JSON) while the message waits to go; erased once it has gone.
    secret_values: Mapped[str | None] = mapped_column(Text)
    tried_at: Mapped[datetime | None]  # when the last attempt to send started
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(String(500), default="")  # secrets left out

    @property
    def shown_body(self) -> str:
        """The text as staff may read it: every secret replaced by plain words."""
        return _PLACEHOLDER.sub(str(PRIVATE_WORDS), self.body)

    @property
    def may_not_have_gone(self) -> bool:
        """Claimed for sending long ago and never finished: the process probably died."""
        return (
            self.status == Status.SENDING.value
            and self.tried_at is not None
            and self.tried_at < utcnow() - STUCK_AFTER
        )

    @property
    def status_label(self) -> str:
        if self.may_not_have_gone:
            return str(_l("May not have gone: check with the person before sending again"))
        return str(STATUS_LABELS.get(Status(self.status), self.status))

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(Kind(self.kind), self.kind))

    @property
    def can_send_again(self) -> bool:
        return self.status == Status.FAILED.value or self.may_not_have_gone


@dataclass(frozen=True)
class Message:
    """What a sender is handed: the message as its recipient reads it, secrets merged in.

    It exists only while being sent; it is never stored, and never logged but as
    ``redacted_body``.
    """

    id: int
    channel: str
    to_address: str
    subject: str
    body: str = field(repr=False)
    redacted_body: str = field(repr=False)
    user_id: int | None = None


class Sender(Protocol):
    """Anything with ``send(message)`` that raises on failure. ``message`` is a
    :class:`Message` (``to_address``, ``subject``, ``body``, ``channel``): log or store its
    ``redacted_body``, never its ``body``."""

    def send(self, message: Message) -> None: ...


class LogSender:
    """Development: the message stays in the outbox page and goes to the log (no secrets)."""

    def send(self, message: Message) -> None:
        log.info(
            "[%s to %s] %s\n%s",
            message.channel,
            message.to_address,
            message.subject,
            message.redacted_body,
        )


class SmtpSender:
    def __init__(self, config: dict[str, Any]):
        self.config = config

    def send(self, message: Message) -> None:
        c = self.config
        email = EmailMessage()
        email["From"] = c["MAIL_FROM"]
        email["To"] = message.to_address
        email["Subject"] = message.subject
        email.set_content(message.body)
        with smtplib.SMTP(c["SMTP_HOST"], int(c["SMTP_PORT"]), timeout=20) as smtp:
            if c["SMTP_STARTTLS"]:
                smtp.starttls()
            if c["SMTP_USERNAME"]:
                smtp.login(c["SMTP_USERNAME"], c["SMTP_PASSWORD"])
            smtp.send_message(email)


def _sender(channel: Channel) -> Sender:
    config = current_app.config
    name = config["EMAIL_SENDER"] if channel == Channel.EMAIL else config["TEXT_SENDER"]
    if name == "log":
        return LogSender()
    if name == "smtp" and channel == Channel.EMAIL:
        return SmtpSender(config)
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)(config)


# Queueing ----------------------------------------------------------------------------------


def queue(
    *,
    kind: Kind,
    subject: str,
    body: str,
    user: Any | None = None,
    channel: Channel | None = None,
    to_address: str | None = None,
    secrets: Iterable[Secret] = (),
) -> Notification:
    """Queue a message for ``user`` by the channel they prefer (or the one given).

    ``kind`` decides whether it may go: an involvement message to someone who has not agreed to
    be contacted, or who paused, is kept with that reason and never sent. People who prefer
    post, phone or a worker still get an e-mail or text when they have one; with no address at
    all the message is kept as undeliverable so staff see it on the outbox.

    ``secrets`` are the :class:`Secret` values put into ``body``. Whatever else in the text
    looks like a secret link (an address whose rule takes a ``<token>``) is replaced by plain
    words before it is stored, so a secret put in by mistake is never kept nor shown.
    """
    values = {secret.key: secret.value for secret in secrets}
    if any(key in subject for key in values):
        raise ValueError("a secret may not go in a message's subject")
    used = set(_PLACEHOLDER.findall(body))
    if set(values) - used:
        # A translation that lost its %(link)s: the message goes without it, and we hear of it.
        log.warning("a message's text leaves out a secret given for it: %s", subject)
        values = {key: value for key, value in values.items() if key in used}
    # Text people typed (a title, a name) may look like a placeholder: it stays words.
    subject = _PLACEHOLDER.sub(str(PRIVATE_WORDS), _without_secret_links(subject))
    body = _without_secret_links(body)
    if channel is None:
        channel = _channel_for(user)
    if to_address is None:
        to_address = _address_for(user, channel)
    status = _held_because(user, Kind(kind)) or (
        Status.PENDING if to_address else Status.UNDELIVERABLE
    )
    note = Notification(
        user_id=getattr(user, "id", None),
        channel=channel.value,
        to_address=to_address or "",
        subject=subject,
        body=body,
        kind=Kind(kind).value,
        status=status.value,
        # A message that will never be sent keeps no secret at all.
        secret_values=json.dumps(values) if values and status == Status.PENDING else None,
    )
    db.session.add(note)
    db.session.flush()
    if status == Status.PENDING:
        db.session.info.setdefault("outbox", []).append(note.id)
    return note


def _without_secret_links(text: str) -> str:
    pattern = _secret_links()
    if pattern is None or not pattern.search(text):
        return text
    log.warning("a secret link was put in a message's text; it was left out")
    return pattern.sub(str(PRIVATE_WORDS), text)


def _secret_links() -> re.Pattern[str] | None:
    """A pattern matching a link to any address whose rule takes a ``<token>``."""
    cache = current_app.extensions.setdefault("engage.outbox", {})
    if "secret_links" not in cache:
        paths = []
        for rule in current_app.url_map.iter_rules():
            if "token" in rule.arguments:
                pieces = re.split(r"<[^>]+>", rule.rule)
                paths.append(r"[^/\s]+".join(re.escape(piece) for piece in pieces))
        cache["secret_links"] = (
            re.compile(r"(?:https?://[^/\s]+)?(?:" + "|".join(paths) + ")") if paths else None
        )
    return cache["secret_links"]


def _held_because(user: Any | None, kind: Kind) -> Status | None:
    """Why an involvement message must not go to ``user``, or None when it may. The people
    domain decides (consent to contact, paused involvement): the recipient answers
    ``invitations_held_because()``."""
    if kind != Kind.INVOLVEMENT or user is None:
        return None
    held = getattr(user, "invitations_held_because", None)
    reason = held() if held is not None else None
    return Status(reason) if reason else None


def hold_waiting(user: Any, status: Status) -> int:
    """Hold back every involvement message to ``user`` still waiting to go (pending, or failed
    and due to be tried again), keeping it with ``status`` as the reason and dropping its
    secrets. Called when someone withdraws consent to contact or pauses, so what was queued
    before (an invitation the mail server has not taken yet) never goes. Returns how many."""
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.kind == Kind.INVOLVEMENT.value,
            Notification.status.in_(RETRYABLE),
        )
        .values(status=status.value, secret_values=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


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


# Sending -----------------------------------------------------------------------------------

#: How often recording a claim or a result is tried while the database is locked.
LOCK_RETRIES = 8


def deliver(ids: Iterable[int]) -> int:
    """Send the given messages that are waiting (pending or failed); returns how many went.

    Each is claimed first, so a message is handed to a sender at most once however many
    processes deliver the same ids at once. A database failure is logged and leaves the message
    for ``engage outbox send`` (not yet claimed) or for an admin (claimed: "may not have gone").
    """
    sent = 0
    for note_id in sorted(set(ids)):
        try:
            if _claim(note_id):
                sent += _send_claimed(note_id)
        except SQLAlchemyError:
            log.exception("could not record the sending of notification %s", note_id)
            db.session.rollback()
    return sent


def _claim(note_id: int) -> bool:
    """Move a waiting message to "sending"; True only for the one caller that did."""

    def claim() -> bool:
        result = db.session.execute(
            update(Notification)
            .where(Notification.id == note_id, Notification.status.in_(RETRYABLE))
            .values(
                status=Status.SENDING.value,
                attempts=Notification.attempts + 1,
                tried_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    return _write(claim)


def _send_claimed(note_id: int) -> int:
    note = db.session.get(Notification, note_id, populate_existing=True)
    secrets: dict[str, str] = json.loads(note.secret_values) if note.secret_values else {}
    message = Message(
        id=note.id,
        channel=note.channel,
        to_address=note.to_address,
        subject=note.subject,
        body=_PLACEHOLDER.sub(lambda m: secrets.get(m.group(1), str(PRIVATE_WORDS)), note.body),
        redacted_body=note.shown_body,
        user_id=note.user_id,
    )
    channel = Channel(note.channel)
    db.session.commit()  # hold no transaction open while the sender works
    try:
        _sender(channel).send(message)
    except Exception as error:  # a sender's failure must not lose the message
        log.error(
            "sending notification %s failed:\n%s",
            note_id,
            _hide(secrets, "".join(traceback.format_exception(error))),
        )
        reason = _hide(secrets, str(error))[:500]
        _write(lambda: _finish(note_id, Status.FAILED, error=reason))
        return 0
    _write(lambda: _finish(note_id, Status.SENT))
    return 1


def _finish(note_id: int, status: Status, error: str = "") -> None:
    values: dict[str, Any] = {"status": status.value, "error": error}
    if status == Status.SENT:
        # Gone: a copy of the database must not open anyone's account.
        values.update(sent_at=utcnow(), secret_values=None)
    db.session.execute(
        update(Notification)
        .where(Notification.id == note_id, Notification.status == Status.SENDING.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _hide(secrets: dict[str, str], text: str) -> str:
    for value in secrets.values():
        text = text.replace(value, str(PRIVATE_WORDS))
    return text


def _write(work: Callable[[], T]) -> T:
    """Run ``work`` and commit, waiting and trying again while another writer is in the way
    (the same conflicts a request is tried again for: :mod:`engage.core.conflicts`)."""
    for attempt in range(LOCK_RETRIES):
        try:
            result = work()
            db.session.commit()
            return result
        except DBAPIError as error:
            db.session.rollback()
            if not is_conflict(error) or attempt == LOCK_RETRIES - 1:
                raise
            time.sleep(min(0.05 * 2**attempt, 1.0))
    raise AssertionError("unreachable")


def retry_failed() -> int:
    """Try again every pending or failed message (``engage outbox send``). Messages left
    "sending" are not touched: they may have gone."""
    ids = list(
        db.session.scalars(select(Notification.id).where(Notification.status.in_(RETRYABLE)))
    )
    return deliver(ids)


def send_again(actor: Any, note: Notification) -> None:
    """An admin sends again a message that failed or may not have gone. It goes after the
    commit. Raises :class:`OutboxError` when it is not waiting for that."""
    cutoff = utcnow() - STUCK_AFTER
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.id == note.id,
            (Notification.status == Status.FAILED.value)
            | ((Notification.status == Status.SENDING.value) & (Notification.tried_at < cutoff)),
        )
        .values(status=Status.PENDING.value)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise OutboxError(str(_l("This message is not waiting to be sent again.")))
    db.session.expire(note)
    audit.record("outbox.sent_again", actor=actor, notification=note.id)
    db.session.info.setdefault("outbox", []).append(note.id)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    ids = session.info.pop("outbox", None)
    if ids:
        # Sending needs its own transaction; after_commit may not use this one, so defer to the
        # end of the request (or the command).
        pending = session.info.setdefault("outbox_committed", [])
        pending.extend(ids)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("outbox", None)


def flush_committed() -> None:
    """Send what committed transactions queued. Called after each request and command.

    It never raises: the change that queued the messages has committed, so the person gets
    their page; what could not be sent is logged and left for ``engage outbox send``.
    """
    ids = db.session.info.pop("outbox_committed", None)
    if not ids:
        return
    try:
        deliver(ids)
    except Exception:
        log.exception("sending messages %s after the commit failed", ids)
        try:
            db.session.rollback()
        except Exception:
            log.exception("could not roll back after a failed send")
