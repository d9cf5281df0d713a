"""Erasure: the right to be forgotten (UK GDPR article 17), done in one transaction.

Each domain anonymises its own part of a person from its own package, registered with
``engage.core.domains.erasure_step``; :func:`erase` runs them all, and this domain's own step
(the account itself) last. What stays and why:

- the account row stays as a tombstone, "A former member", with a pseudonymous username
  (``former-…``), so foreign keys and counts hold;
- register items and survey answers stay, detached from the person;
- payment records (claims, payments, involvement records) are kept for the statutory period
  (HMRC: six years) linked only to the tombstone's pseudonymous reference;
- consent records stay as a record of what was agreed, with no identity left to tie them to.

Everything else that says who they are goes: name, username, e-mail, phone, profile text,
access needs, bank details, equality answers, messages to them, sign-in sessions, their
application's details. Uploaded files (receipts) are deleted only once the transaction has
committed, so a failed erasure deletes nothing.

Every erasure is also appended to the erasure log (``ERASURE_LOG``), a file outside the
database holding only account numbers and times: after a backup made before an erasure is
restored, :func:`reapply_logged_erasures` erases those people again.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, event, func, or_, select, update
from sqlalchemy.orm import Session

from engage.core import audit
from engage.core.db import utcnow
from engage.core.domains import after_restore, erasure_step, erasure_steps, keep_on_restore
from engage.core.outbox import Notification
from engage.extensions import db
from engage.people.data_requests import DataDownload, DataRequest
from engage.people.models import (
    ConsentRecord,
    EqualityMonitoring,
    Invitation,
    Profile,
    Role,
    User,
    UserRole,
    UserSession,
)
from engage.people.services import AccountError

log = logging.getLogger(__name__)

#: What replaces the person's name where other people's words mention it (messages).
REPLACEMENT = "[a former member]"

_FILES_KEY = "erasure_files_to_delete"


class ErasureError(AccountError):
    """An erasure that must not happen (the last admin, oneself); the text is safe to show."""


# Files, after the commit ------------------------------------------------------------------


def delete_after_commit(path: Path) -> None:
    """Delete ``path`` once the current transaction has committed (never if it rolls back)."""
    db.session.info.setdefault(_FILES_KEY, []).append(Path(path))


@event.listens_for(Session, "after_commit")
def _delete_files(session: Session) -> None:
    for path in session.info.pop(_FILES_KEY, []):
        try:
            path.unlink(missing_ok=True)
        except OSError:  # pragma: no cover - a file that cannot go is logged, not fatal
            log.exception("Could not delete a file of an erased person")


@event.listens_for(Session, "after_rollback")
def _forget_files(session: Session) -> None:
    session.info.pop(_FILES_KEY, None)


# Who may be erased ------------------------------------------------------------------------


def admins_left_after(person: User) -> int:
    """How many active, not erased admins there would be without ``person``."""
    return len(
        db.session.scalars(
            select(User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                UserRole.role == Role.ADMIN.value,
                User.is_active.is_(True),
                User.erased_at.is_(None),
                User.id != person.id,
            )
        ).all()
    )


def _lock_admins() -> None:
    """Lock every admin's account row, always in the same order, so that of two admins
    erasing each other at the same moment the second waits for the first and then counts the
    admins left afresh (PostgreSQL; SQLite already lets one writer in at a time)."""
    db.session.execute(
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMIN.value)
        .order_by(User.id)
        .with_for_update(of=User)
    )


def check_can_erase(actor: User | None, person: User) -> None:
    """Raise :class:`ErasureError` when ``person`` must not be erased by ``actor``."""
    if actor is not None and actor.id == person.id:
        raise ErasureError(_("You cannot erase your own account. Ask another administrator."))
    if person.has_role(Role.ADMIN) and admins_left_after(person) == 0:
        raise ErasureError(
            _("This is the last administrator. Make someone else an administrator first.")
        )


# Erasing ----------------------------------------------------------------------------------


def identifiers(person: User) -> list[str]:
    """The words that say who ``person`` is (name, username, e-mail, phone), longest first,
    for scrubbing them out of other people's text. Very short words are left alone: they
    would match inside ordinary words."""
    profile = person.profile
    words = {
        person.username,
        person.email or "",
        person.phone or "",
        profile.preferred_name if profile else "",
    }
    return sorted((w.strip() for w in words if w and len(w.strip()) >= 3), key=len, reverse=True)


def redact(text: str, words: list[str]) -> str:
    """``text`` with every one of ``words`` (ignoring case) replaced by :data:`REPLACEMENT`,
    where it stands as a word of its own: "Sam" goes from "Sam's claim", never from "same"
    or "Samira" (other people's messages must keep their own words)."""
    for word in words:
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", REPLACEMENT, text, flags=re.IGNORECASE)
    return text


def erase(person: User, actor: User | None, reason: str = "") -> bool:
    """Erase ``person``: every domain's step, then the account itself, in one transaction.

    Flushes, never commits: the caller commits, and files are deleted after that commit. If a
    step fails, everything it and the others did is rolled back (a savepoint) and the error is
    raised: nothing changes half-way. ``actor`` is the admin, or None for a retention rule.
    ``reason`` is kept in the audit log with the person's name, e-mail and phone taken out.

    Returns False (and does nothing) when the person was erased already. Raises
    :class:`ErasureError` when ``actor`` may not erase them (themselves, the last admin).
    """
    if person.erased_at is not None:
        return False
    if person.has_role(Role.ADMIN):
        _lock_admins()
        db.session.refresh(person)
        if actor is not None:
            db.session.refresh(actor)
        if person.erased_at is not None:
            return False
        if actor is not None and actor.erased_at is not None:
            raise ErasureError(_("Your account has been erased."))
    check_can_erase(actor, person)
    words = identifiers(person)
    queued = list(db.session.info.get(_FILES_KEY, []))
    try:
        with db.session.begin_nested():
            # Claim the erasure first: of two presses (or two admins) at once, the second
            # waits here for the first to commit, then finds nothing to claim.
            claimed = db.session.execute(
                update(User)
                .where(User.id == person.id, User.erased_at.is_(None))
                .values(erased_at=utcnow())
            ).rowcount
            if not claimed:
                return False
            for step in erasure_steps():
                step(person, actor)
            db.session.flush()
            audit.record(
                "person.erased",
                actor=actor,
                subject=person,
                reason=redact(reason.strip(), words)[:500],
                by_rule=actor is None,
            )
            db.session.flush()
    except Exception:
        db.session.info[_FILES_KEY] = queued
        raise
    _append_to_log(person.id, person.erased_at or utcnow())
    log.info("Erased account %s.", person.id)
    return True


@erasure_step(1000)
def erase_account(person: User, actor: User | None) -> None:
    """The people domain's part, last: the account becomes a tombstone."""
    words = identifiers(person)
    now = utcnow()
    # Messages to them go; messages to others that name them lose the name.
    db.session.execute(
        delete(Notification).where(
            or_(
                Notification.user_id == person.id,
                *[
                    func.lower(Notification.to_address) == address.lower()
                    for address in (person.email, person.phone)
                    if address
                ],
            )
        )
    )
    for word in words:
        like = f"%{word}%"
        for note in db.session.scalars(
            select(Notification).where(
                or_(Notification.subject.ilike(like), Notification.body.ilike(like))
            )
        ):
            note.subject = redact(note.subject, words)[:200]
            note.body = redact(note.body, words)
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == person.id)
        .values(revoked_at=now, user_agent=None)
    )
    db.session.execute(delete(Invitation).where(Invitation.user_id == person.id))
    # A subject access request stays as a record that it was answered; staff notes about it
    # lose the person's name, and a download link not yet used stops working.
    for request in db.session.scalars(
        select(DataRequest).where(DataRequest.subject_id == person.id)
    ):
        request.notes = redact(request.notes, words)
    db.session.execute(
        delete(DataDownload).where(
            DataDownload.subject_id == person.id, DataDownload.used_at.is_(None)
        )
    )
    db.session.execute(delete(EqualityMonitoring).where(EqualityMonitoring.user_id == person.id))
    # What they agreed to stays as a record, withdrawn now, with no identity left.
    db.session.execute(
        update(ConsentRecord)
        .where(ConsentRecord.user_id == person.id, ConsentRecord.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
    )
    profile = person.profile
    if profile is None:
        profile = Profile(user_id=person.id)
        person.profile = profile
    for column in Profile.__table__.columns:
        if column.name in ("id", "user_id"):
            continue
        default = column.default.arg if column.default is not None else None
        setattr(profile, column.key, default if not callable(default) else None)
    person.set_roles(set())
    person.username = f"former-{secrets.token_hex(6)}"
    person.email = None
    person.phone = None
    person.password_hash = None
    person.is_active = False
    person.locale = None
    person.totp_secret = None
    person.totp_required = False
    person.totp_last_step = None
    person.last_sign_in_at = None
    person.organisation_id = None
    person.erased_at = now


# The erasure log, for restores ---------------------------------------------------------------


#: The log's name in the instance folder (unless ENGAGE_ERASURE_LOG puts it elsewhere). A
#: restore keeps today's copy, not the backup's older one, so it can erase people again.
LOG_NAME = keep_on_restore("erasure-log.jsonl")


def log_path() -> Path:
    configured = current_app.config.get("ERASURE_LOG")
    return Path(configured) if configured else Path(current_app.instance_path) / LOG_NAME


def _append_to_log(user_id: int, at: datetime) -> None:
    """One line per erasure: the account number and the time, never a name. Written before
    the commit, so a crash between the two errs on the side of erasing again after a restore
    (:func:`reapply_logged_erasures` skips people already erased)."""
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(json.dumps({"user_id": user_id, "at": at.isoformat()}) + "\n")


def logged_erasures() -> list[dict[str, Any]]:
    """The erasure log's lines, oldest first (an unreadable line is skipped and logged)."""
    path = log_path()
    if not path.exists():
        return []
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            entries.append({"user_id": int(entry["user_id"]), "at": entry.get("at", "")})
        except (ValueError, KeyError, TypeError):
            log.warning("Skipped line %s of the erasure log: not readable.", number)
    return entries


def reapply_logged_erasures() -> int:
    """Erase again everyone in the erasure log who is not erased in this database (after a
    backup from before their erasure was restored). Idempotent: people already erased, and
    accounts the database does not have, are skipped. Flushes and commits nothing: the caller
    commits (files go after that commit). Returns how many were erased again."""
    done = 0
    seen: set[int] = set()
    for entry in logged_erasures():
        user_id = entry["user_id"]
        if user_id in seen:
            continue
        seen.add(user_id)
        person = db.session.get(User, user_id)
        if person is None or person.erased_at is not None:
            continue
        _erase_again(person)
        done += 1
    if done:
        log.info("Erased again %s account(s) from the erasure log.", done)
    return done


@after_restore(10)
def erase_again_after_restore(taken_at: datetime) -> str:
    """A restored backup from before an erasure must not bring the person back."""
    return f"Erased again {reapply_logged_erasures()} person(s) erased since the backup."


def _erase_again(person: User) -> None:
    """Like :func:`erase`, without the admin checks (it was decided before the restore) and
    without a second log line."""
    queued = list(db.session.info.get(_FILES_KEY, []))
    try:
        with db.session.begin_nested():
            for step in erasure_steps():
                step(person, None)
            audit.record("person.erased_again", actor=None, subject=person)
            db.session.flush()
    except Exception:
        db.session.info[_FILES_KEY] = queued
        raise
