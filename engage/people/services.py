"""Use cases for accounts and profiles. Services take plain values, record the audit entry,
queue notifications and flush; the route commits."""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import pyotp
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update

from engage.core import audit, outbox
from engage.core.db import utcnow
from engage.core.i18n import in_their_language
from engage.core.links import secret_url
from engage.core.rules import IllegalMove
from engage.core.security import check_password, hash_password, needs_rehash
from engage.extensions import db
from engage.people.models import (
    ConsentPurpose,
    ConsentRecord,
    EqualityMonitoring,
    Invitation,
    Organisation,
    Profile,
    Role,
    User,
    UserRole,
    UserSession,
    hash_token,
    new_token,
)
from engage.people.permissions import must_use_two_step

#: The wording version of each consent statement people agree to. Bump when the words change.
CONSENT_WORDING_VERSION = "2026-11"


class AccountError(IllegalMove):
    """A request that cannot be met; the message is safe to show to the person."""


# Sign in and sessions ---------------------------------------------------------------------


def authenticate(login: str, password: str) -> User | None:
    """The account for ``login`` and ``password``, or None.

    Unknown accounts, wrong passwords and deactivated accounts all give None, after the same
    amount of work, so the answer never reveals that someone is in the programme.
    """
    user = User.find_by_login(login)
    ok = check_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        return None
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    return user


def start_session(user: User, user_agent: str = "") -> str:
    """Open a new signed-in session and return its token (kept only in the cookie)."""
    token = new_token()
    db.session.add(
        UserSession(user_id=user.id, token_hash=hash_token(token), user_agent=user_agent[:200])
    )
    user.last_sign_in_at = utcnow()
    audit.record("account.signed_in", actor=user, subject=user)
    return token


def session_user(token: str | None, user_id: str) -> User | None:
    """The user of a live session, or None when it was revoked, idle too long or too old."""
    if not token:
        return None
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None or str(row.user_id) != str(user_id):
        return None
    now = utcnow()
    config = current_app.config
    if now - row.last_seen_at > timedelta(hours=config["SESSION_IDLE_HOURS"]):
        return None
    if now - row.created_at > timedelta(days=config["SESSION_MAX_DAYS"]):
        return None
    if not row.user.is_active:
        return None
    if now - row.last_seen_at > timedelta(minutes=5):
        # Touch at most every few minutes, so reading a page rarely writes.
        db.session.execute(
            update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now)
        )
        db.session.commit()
    return row.user


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == hash_token(token), UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def revoke_sessions(user: User, keep_token: str | None = None) -> None:
    """End every session of ``user`` (but ``keep_token``'s): after a password change or when
    an account is deactivated, copied cookies must stop working at once."""
    query = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep_token:
        query = query.where(UserSession.token_hash != hash_token(keep_token))
    db.session.execute(query.values(revoked_at=utcnow()))


# Two-step sign in --------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    issuer = current_app.config["PARTNERSHIP_NAME"]
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=issuer)


def verify_totp(user: User, code: str, secret: str | None = None) -> bool:
    """Check a six-digit code, allowing one step of clock drift; each code works only once."""
    secret = secret or user.totp_secret
    code = re.sub(r"\s", "", code or "")
    if not secret or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret)
    now = time.time()
    for drift in (0, -1, 1):
        moment = now + drift * totp.interval
        if hmac.compare_digest(totp.at(moment), code):
            step = int(moment // totp.interval)
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False  # this code was already used
            user.totp_last_step = step
            return True
    return False


def enable_totp(user: User, secret: str, code: str) -> bool:
    if not verify_totp(user, code, secret):
        return False
    user.totp_secret = secret
    audit.record("account.two_factor_on", actor=user, subject=user)
    return True


def disable_totp(actor: User, user: User) -> None:
    if actor.id == user.id and must_use_two_step(user):
        raise AccountError(_("Your administrator has asked that two-step sign in stays on."))
    user.totp_secret = None
    user.totp_last_step = None
    audit.record("account.two_factor_off", actor=actor, subject=user)


# Accounts ----------------------------------------------------------------------------------


def unique_username(base: str) -> str:
    """A free username made from ``base`` (letters, digits, dots), adding a number if taken."""
    stem = re.sub(r"[^a-z0-9.]+", ".", base.lower()).strip(".")[:40] or "person"
    candidate, n = stem, 1
    while db.session.scalar(select(func.count()).where(User.username == candidate)):
        n += 1
        candidate = f"{stem}{n}"
    return candidate


def username_taken(username: str, exclude: User | None = None) -> bool:
    query = select(User.id).where(User.username == username.strip().lower())
    if exclude is not None:
        query = query.where(User.id != exclude.id)
    return db.session.scalar(query) is not None


def email_taken(email: str, exclude: User | None = None) -> bool:
    query = select(User.id).where(User.email == email.strip().lower())
    if exclude is not None:
        query = query.where(User.id != exclude.id)
    return db.session.scalar(query) is not None


def create_account(
    *,
    actor: User | None,
    username: str,
    roles: set[Role],
    preferred_name: str = "",
    email: str | None = None,
    phone: str | None = None,
    contact_channel: str | None = None,
    password: str | None = None,
) -> User:
    """Create an account with its profile. Without a password it waits for an invitation."""
    username = username.strip().lower()
    email = email.strip().lower() if email else None
    if username_taken(username):
        raise AccountError(_("That username is already taken. Choose another."))
    if email and email_taken(email):
        raise AccountError(_("An account already uses that email address."))
    user = User(
        username=username,
        email=email,
        phone=(phone or "").strip() or None,
        password_hash=hash_password(password) if password else None,
        created_by_id=getattr(actor, "id", None),
    )
    user.set_roles(roles)
    user.profile = Profile(preferred_name=preferred_name.strip())
    if contact_channel:
        user.profile.contact_channel = contact_channel
    elif not email and user.phone:
        user.profile.contact_channel = "text"
    db.session.add(user)
    db.session.flush()
    audit.record("account.created", actor=actor, subject=user, roles=sorted(r.value for r in roles))
    return user


def invite(*, actor: User | None, user: User, send: bool = True) -> outbox.Secret:
    """Make a single-use sign-in link for ``user`` and return it (its ``.value`` is the
    link, for the page that shows it to whoever hands it over). Earlier unused links stop
    working. With ``send`` the link also goes to them by their preferred channel."""
    db.session.execute(
        update(Invitation)
        .where(Invitation.user_id == user.id, Invitation.used_at.is_(None))
        .values(used_at=utcnow())
    )
    token = new_token()
    days = current_app.config["INVITATION_DAYS"]
    db.session.add(
        Invitation(
            user_id=user.id,
            token_hash=hash_token(token),
            expires_at=utcnow() + timedelta(days=days),
            invited_by_id=getattr(actor, "id", None),
        )
    )
    link = secret_url("people.accept_invitation", token=token)
    audit.record("account.invited", actor=actor, subject=user)
    if send and (user.email or user.phone):
        partnership = current_app.config["PARTNERSHIP_NAME"]
        with in_their_language(user):
            _queue_invitation(user, partnership, days, link)
    return link


def _queue_invitation(user: User, partnership: str, days: int, link: outbox.Secret) -> None:
    outbox.queue(
        kind=outbox.Kind.ACCOUNT,
        secrets=[link],
        user=user,
        subject=_("You are invited to %(partnership)s", partnership=partnership),
        body=_(
            "Hello %(name)s,\n\nYou have been invited to use engage, the website of "
            "%(partnership)s.\n\nYour username is: %(username)s\n\nOpen this link to choose "
            "a password. It works once and for %(days)d days:\n%(link)s\n",
            name=user.display_name,
            partnership=partnership,
            username=user.username,
            days=days,
            link=link,
        ),
    )


def invitation_for(token: str) -> Invitation | None:
    """The invitation for ``token`` if it is unused and unexpired."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(token))
    )
    if invitation is None or invitation.used_at is not None or invitation.expires_at < utcnow():
        return None
    if not invitation.user.is_active:
        return None
    return invitation


def accept_invitation(invitation: Invitation, password: str) -> User:
    user = invitation.user
    invitation.used_at = utcnow()
    user.password_hash = hash_password(password)
    revoke_sessions(user)
    audit.record("account.invitation_accepted", actor=user, subject=user)
    return user


def change_password(user: User, new_password: str, keep_token: str | None) -> None:
    user.password_hash = hash_password(new_password)
    revoke_sessions(user, keep_token=keep_token)
    audit.record("account.password_changed", actor=user, subject=user)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _fingerprint(user: User) -> str:
    # Part of the current hash: once the password changes, older links stop working.
    return (user.password_hash or "none")[-16:]


def request_password_reset(login: str) -> None:
    """Send a reset link if the account exists and has an address. Says nothing either way."""
    user = User.find_by_login(login)
    if user is None or not user.is_active or not (user.email or user.phone):
        return
    token = _reset_serializer().dumps({"u": user.id, "f": _fingerprint(user)})
    link = secret_url("people.reset_password", token=token)
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    with in_their_language(user):
        _queue_reset(user, hours, link)
    audit.record("account.reset_requested", actor=None, subject=user)


def _queue_reset(user: User, hours: int, link: outbox.Secret) -> None:
    outbox.queue(
        kind=outbox.Kind.ACCOUNT,
        secrets=[link],
        user=user,
        subject=_("Reset your password"),
        body=_(
            "Hello %(name)s,\n\nSomeone asked to reset the password for %(username)s. If it was "
            "you, open this link within %(hours)d hours:\n%(link)s\n\nIf it was not you, you "
            "can ignore this message. Your password has not changed.\n",
            name=user.display_name,
            username=user.username,
            hours=hours,
            link=link,
        ),
    )


def user_for_reset_token(token: str) -> User | None:
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_HOURS"] * 3600
        )
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("u"))
    if user is None or not user.is_active or data.get("f") != _fingerprint(user):
        return None
    return user


def reset_password(user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    revoke_sessions(user)
    audit.record("account.password_reset", actor=user, subject=user)


# Admin -------------------------------------------------------------------------------------


def active_with_role(role: Role) -> list[User]:
    """Everyone active who holds ``role``, oldest account first: who a domain tells when
    something needs a manager (a DBS check or training running out)."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role.value, User.is_active.is_(True))
            .order_by(User.id)
        )
    )


def set_roles(actor: User, user: User, roles: set[Role]) -> None:
    before = sorted(r.value for r in user.role_set)
    if actor.id == user.id and Role.ADMIN not in roles:
        raise AccountError(_("You cannot remove your own administrator role."))
    user.set_roles(roles)
    audit.record(
        "account.roles_changed",
        actor=actor,
        subject=user,
        before=before,
        after=sorted(r.value for r in roles),
    )


def set_active(actor: User, user: User, active: bool) -> None:
    if actor.id == user.id and not active:
        raise AccountError(_("You cannot deactivate your own account."))
    if active and user.erased_at is not None:
        raise AccountError(_("This person has been erased. Their account cannot be used again."))
    user.is_active = active
    if not active:
        revoke_sessions(user)
    audit.record(
        "account.activated" if active else "account.deactivated", actor=actor, subject=user
    )


def set_two_factor_required(actor: User, user: User, required: bool) -> None:
    user.totp_required = required
    audit.record("account.two_factor_required", actor=actor, subject=user, required=required)


def reset_two_factor(actor: User, user: User) -> None:
    """For someone who lost their phone: they set it up again at next sign-in if required."""
    user.totp_secret = None
    user.totp_last_step = None
    revoke_sessions(user)
    audit.record("account.two_factor_reset", actor=actor, subject=user)


# Profiles ----------------------------------------------------------------------------------


def update_profile(actor: User, person: User, section: str, changes: dict[str, Any]) -> list[str]:
    """Apply ``changes`` (profile or account attributes) and audit which fields changed.

    Returns the names of the fields that really changed. Staff changes are recorded as done
    on the person's behalf.
    """
    changed = []
    for name, value in changes.items():
        target = person if name in {"email", "phone"} else person.profile
        if name == "email":
            value = value.strip().lower() or None if value else None
            if value and email_taken(value, exclude=person):
                raise AccountError(_("An account already uses that email address."))
        if name == "phone":
            value = (value or "").strip() or None
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed.append(name)
    if changed:
        audit.record(f"profile.{section}_changed", actor=actor, subject=person, fields=changed)
    return changed


def set_paused(actor: User, person: User, paused: bool, note: str = "") -> None:
    profile = person.profile
    if paused and profile.paused_at is None:
        profile.paused_at = utcnow()
        profile.pause_note = note.strip()
        _hold_waiting_invitations(person)
        audit.record("profile.paused", actor=actor, subject=person)
    elif not paused and profile.paused_at is not None:
        profile.paused_at = None
        profile.pause_note = ""
        audit.record("profile.resumed", actor=actor, subject=person)


def _hold_waiting_invitations(person: User) -> int:
    """Withdrawing consent to contact, or pausing, takes effect at once: invitations queued
    before and not gone yet (the mail server was down, ``engage outbox send`` has not run) are
    held with the same reason new ones get. Returns how many."""
    db.session.flush()
    reason = person.invitations_held_because()
    return outbox.hold_waiting(person, outbox.Status(reason)) if reason else 0


def active_consents(person: User) -> dict[str, ConsentRecord]:
    rows = db.session.scalars(
        select(ConsentRecord).where(
            ConsentRecord.user_id == person.id, ConsentRecord.withdrawn_at.is_(None)
        )
    )
    return {row.purpose: row for row in rows}


def consent_history(person: User) -> list[ConsentRecord]:
    return list(
        db.session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.user_id == person.id)
            .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id.desc())
        )
    )


def give_consent(actor: User, person: User, purpose: ConsentPurpose) -> ConsentRecord:
    """Record a yes. Giving a consent already given changes nothing (a double click is safe)."""
    current = active_consents(person).get(purpose.value)
    if current:
        return current
    record = ConsentRecord(
        user_id=person.id,
        purpose=purpose.value,
        wording_version=CONSENT_WORDING_VERSION,
        given_by_id=actor.id if actor.id != person.id else None,
    )
    db.session.add(record)
    audit.record("consent.given", actor=actor, subject=person, purpose=purpose.value)
    return record


def withdraw_consent(actor: User, person: User, purpose: ConsentPurpose) -> None:
    """Withdrawing takes effect at once; the record of the earlier yes is kept."""
    current = active_consents(person).get(purpose.value)
    if current is None:
        return
    current.withdrawn_at = utcnow()
    current.withdrawn_by_id = actor.id if actor.id != person.id else None
    held = _hold_waiting_invitations(person) if purpose == ConsentPurpose.CONTACT else 0
    audit.record("consent.withdrawn", actor=actor, subject=person, purpose=purpose.value, held=held)
    # Photos and quotes: pages that use someone's words ask consenting() each time they are
    # shown, so they stop at once (see engage.changes, "You said, we did").


def consenting(user_ids: Iterable[int], purpose: ConsentPurpose) -> set[int]:
    """Of these people, those whose consent for ``purpose`` stands now (given, not
    withdrawn). One query, asked each time a page uses it, so a withdrawal counts at once; run
    for no one too, so a page's count of queries does not depend on its data."""
    ids = {user_id for user_id in user_ids if user_id is not None}
    return set(
        db.session.scalars(
            select(ConsentRecord.user_id).where(
                ConsentRecord.user_id.in_(ids),
                ConsentRecord.purpose == purpose.value,
                ConsentRecord.withdrawn_at.is_(None),
            )
        )
    )


def withdrew(person: User, purpose: ConsentPurpose) -> bool:
    """True when ``person`` gave consent for ``purpose`` once and has withdrawn it since (and
    not given it again): staff pages say "withdrawn" rather than "not given"."""
    rows = db.session.scalars(
        select(ConsentRecord.withdrawn_at).where(
            ConsentRecord.user_id == person.id, ConsentRecord.purpose == purpose.value
        )
    ).all()
    return bool(rows) and all(at is not None for at in rows)


def equality_for(person: User) -> EqualityMonitoring | None:
    return db.session.scalar(
        select(EqualityMonitoring).where(EqualityMonitoring.user_id == person.id)
    )


def view_equality(actor: User, person: User) -> EqualityMonitoring | None:
    """A person's equality answers, to show on their equality page. A manager looking at a
    peer's answers (assisted digital) is audited, the answers never copied into the entry; a
    person looking at their own is not."""
    row = equality_for(person)
    if row is not None and actor.id != person.id:
        audit.record("equality.viewed", actor=actor, subject=person)
    return row


def save_equality(actor: User, person: User, answers: dict[str, str]) -> None:
    row = equality_for(person)
    if row is None:
        row = EqualityMonitoring(user_id=person.id)
        db.session.add(row)
    for name, value in answers.items():
        setattr(row, name, value or "")
    # The answers themselves are not copied into the audit log.
    audit.record("equality.saved", actor=actor, subject=person)


def record_profile_view(viewer: User, person: User) -> bool:
    """Staff looking at someone else's personal record is itself recorded.

    Returns True when an entry was added (and so needs committing).
    """
    if viewer.id == person.id:
        return False
    audit.record("profile.viewed", actor=viewer, subject=person)
    return True


def add_organisation(actor: User, name: str) -> Organisation:
    name = " ".join(name.split())
    exists = db.session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == name.lower())
    )
    if exists is not None:
        raise AccountError(_("%(name)s is already on the list.", name=exists.name))
    organisation = Organisation(name=name)
    db.session.add(organisation)
    audit.record("organisation.added", actor=actor, name=name)
    return organisation


def set_organisation_active(actor: User, organisation: Organisation, active: bool) -> None:
    """Inactive organisations stay on old items but are no longer offered."""
    organisation.is_active = active
    audit.record(
        "organisation.active" if active else "organisation.inactive",
        actor=actor,
        name=organisation.name,
    )
