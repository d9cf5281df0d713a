"""Accounts, roles, sign-in sessions, invitations, profiles, consent and equality monitoring."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.db import CreatedMixin, utcnow
from engage.core.encryption import EncryptedText
from engage.extensions import db


class Role(enum.StrEnum):
    PEER = "peer"
    MANAGER = "manager"
    FINANCE = "finance"
    BOARD = "board"
    PARTNER = "partner"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.PEER: _l("Peer (expert by experience)"),
    Role.MANAGER: _l("Lived experience manager"),
    Role.FINANCE: _l("Finance"),
    Role.BOARD: _l("Board member"),
    Role.PARTNER: _l("Partner organisation"),
    Role.ADMIN: _l("Administrator"),
}

#: Roles whose accounts can switch on two-step sign-in (peers can too, but are not pressed to).
STAFF_ROLES = frozenset({Role.MANAGER, Role.FINANCE, Role.BOARD, Role.ADMIN})


class ContactChannel(enum.StrEnum):
    EMAIL = "email"
    TEXT = "text"
    PHONE = "phone"
    POST = "post"
    WORKER = "worker"


CHANNEL_LABELS = {
    ContactChannel.EMAIL: _l("Email"),
    ContactChannel.TEXT: _l("Text message"),
    ContactChannel.PHONE: _l("Phone call"),
    ContactChannel.POST: _l("Letter by post"),
    ContactChannel.WORKER: _l("Through my support worker"),
}


class PaymentPreference(enum.StrEnum):
    BANK = "bank"
    VOUCHER = "voucher"
    CASH = "cash"
    DECLINE = "decline"


PAYMENT_LABELS = {
    PaymentPreference.BANK: _l("Bank transfer"),
    PaymentPreference.VOUCHER: _l("Shopping voucher"),
    PaymentPreference.CASH: _l("Cash"),
    PaymentPreference.DECLINE: _l("I do not want to be paid"),
}


class ConsentPurpose(enum.StrEnum):
    CONTACT = "contact"
    DATA_SHARING = "data_sharing"
    PHOTOS_QUOTES = "photos_quotes"


def hash_token(token: str) -> str:
    """Tokens are stored only as hashes, so a copy of the database opens no doors."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


class User(CreatedMixin, db.Model):
    """An account. Peers may have no e-mail and sign in with a username."""

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)  # stored lower-case
    email: Mapped[str | None] = mapped_column(String(254), unique=True)  # lower-case, optional
    phone: Mapped[str | None] = mapped_column(String(40))  # for text messages
    password_hash: Mapped[str | None] = mapped_column(String(200))  # None until invitation used
    is_active: Mapped[bool] = mapped_column(default=True)  # False: deactivated by an admin
    locale: Mapped[str | None] = mapped_column(String(10))  # chosen language, None: browser's
    totp_secret: Mapped[str | None] = mapped_column(String(64))  # set: two-step sign-in is on
    totp_required: Mapped[bool] = mapped_column(default=False)  # an admin insists on it
    totp_last_step: Mapped[int | None]  # last code's time step, so a code works only once
    last_sign_in_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The organisation a partner officer or board member works for (None for most peers).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    # Set when the person was erased (engage.people.erasure): the row stays as a tombstone,
    # "A former member", so the records kept for the statutory period still add up.
    erased_at: Mapped[datetime | None]

    roles: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="user"
    )
    profile: Mapped[Profile] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="joined", uselist=False
    )

    # Flask-Login's interface.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.roles)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.role_set & set(roles))

    @property
    def is_staff(self) -> bool:
        return bool(self.role_set & STAFF_ROLES)

    def invitations_held_because(self) -> str | None:
        """Why invitations to take part must not reach this person now, or None when they may.

        "no_consent": a peer without a current consent to be contacted (withdrawing it stops
        messages at once). "paused": their involvement is paused. Staff and partner officers
        are told about meetings as part of their work, so only a pause holds theirs.
        """
        if self.has_role(Role.PEER):
            consent = db.session.scalar(
                select(ConsentRecord.id).where(
                    ConsentRecord.user_id == self.id,
                    ConsentRecord.purpose == ConsentPurpose.CONTACT.value,
                    ConsentRecord.withdrawn_at.is_(None),
                )
            )
            if consent is None:
                return "no_consent"
        if self.profile is not None and self.profile.paused_at is not None:
            return "paused"
        return None

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def display_name(self) -> str:
        if self.erased_at is not None:
            return str(_l("A former member"))
        if self.profile and self.profile.preferred_name:
            return self.profile.preferred_name
        return self.username

    def set_roles(self, roles: set[Role]) -> None:
        keep = {Role(r.role) for r in self.roles}
        for r in list(self.roles):
            if Role(r.role) not in roles:
                self.roles.remove(r)
        for role in roles - keep:
            self.roles.append(UserRole(role=role.value))

    @classmethod
    def find_by_login(cls, login: str) -> User | None:
        """Find an account by e-mail or username, ignoring case and spaces around."""
        value = login.strip().lower()
        if not value:
            return None
        # Both are stored lower-case, so their unique indexes answer this directly.
        column = cls.email if "@" in value else cls.username
        return db.session.scalar(select(cls).where(column == value))


class Organisation(db.Model):
    """A service, agency or partner organisation (council, NHS trust, police, charity ...).

    Admins keep the list. People raise items about them, and they own items in the register.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)  # inactive: kept on old records only


class UserRole(db.Model):
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # a Role value

    user: Mapped[User] = relationship(back_populates="roles")


class UserSession(CreatedMixin, db.Model):
    """One signed-in browser. The cookie holds a random token; this row says whether it still
    counts, so signing out or changing a password really ends it, even for a copied cookie."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(200))
    # When the person last typed their password (and code) again here: see people/reauth.py.
    confirmed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class Invitation(CreatedMixin, db.Model):
    """A single-use link that lets someone set their password and start using their account."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Profile(db.Model):
    """What a person tells us about themselves so they can take part on their own terms."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    preferred_name: Mapped[str] = mapped_column(String(100), default="")
    pronouns: Mapped[str] = mapped_column(String(40), default="")
    # Contact preferences
    contact_channel: Mapped[str] = mapped_column(String(10), default=ContactChannel.EMAIL.value)
    postal_address: Mapped[str] = mapped_column(Text, default="")
    worker_name: Mapped[str] = mapped_column(String(100), default="")  # "via a worker"
    worker_contact: Mapped[str] = mapped_column(String(200), default="")
    emergency_contact: Mapped[str] = mapped_column(String(200), default="")  # optional
    # Access needs
    needs_step_free: Mapped[bool] = mapped_column(default=False)
    needs_hearing_loop: Mapped[bool] = mapped_column(default=False)
    interpreter_language: Mapped[str] = mapped_column(String(60), default="")  # "": none
    needs_large_print: Mapped[bool] = mapped_column(default=False)
    needs_easy_read: Mapped[bool] = mapped_column(default=False)
    needs_childcare: Mapped[bool] = mapped_column(default=False)
    needs_carer: Mapped[bool] = mapped_column(default=False)
    needs_quiet_space: Mapped[bool] = mapped_column(default=False)
    dietary_needs: Mapped[str] = mapped_column(String(200), default="")
    other_needs: Mapped[str] = mapped_column(Text, default="")
    # Payment
    payment_preference: Mapped[str | None] = mapped_column(String(10))  # None: not chosen yet
    benefits_warnings: Mapped[bool] = mapped_column(default=False)  # warn before crossing limits
    # Pause: no invitations while paused, no penalty, resumes when they say.
    paused_at: Mapped[datetime | None]
    pause_note: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship(back_populates="profile")

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    def access_need_labels(self) -> list[str]:
        """The person's access needs in words, for their profile and an organiser's view."""
        labels = [str(label) for attr, label in ACCESS_NEEDS if getattr(self, attr)]
        if self.interpreter_language:
            labels.append(str(_l("Interpreter: %(language)s", language=self.interpreter_language)))
        if self.dietary_needs:
            labels.append(str(_l("Dietary: %(needs)s", needs=self.dietary_needs)))
        return labels


#: The yes/no access needs, in the order people are asked about them.
ACCESS_NEEDS = [
    ("needs_step_free", _l("Step-free access")),
    ("needs_hearing_loop", _l("Hearing loop")),
    ("needs_large_print", _l("Large print papers")),
    ("needs_easy_read", _l("Easy read papers")),
    ("needs_childcare", _l("Childcare")),
    ("needs_carer", _l("Someone to cover my caring role")),
    ("needs_quiet_space", _l("A quiet space")),
]


class ConsentRecord(db.Model):
    """One yes to one purpose, with the wording the person saw. Withdrawing sets withdrawn_at;
    a new yes is a new record, so the history stays."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # a ConsentPurpose value
    wording_version: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # staff on behalf
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class EqualityMonitoring(db.Model):
    """Optional and self-declared. Used only in aggregate, with small numbers suppressed.
    Every answer may be left blank or answered "prefer not to say"."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    # Every answer is encrypted at rest (engage.core.encryption), blanks too: the database
    # does not even show which questions were left unanswered.
    gender: Mapped[str] = mapped_column(EncryptedText(), default="")
    ethnicity: Mapped[str] = mapped_column(EncryptedText(), default="")
    age_band: Mapped[str] = mapped_column(EncryptedText(), default="")
    disability: Mapped[str] = mapped_column(EncryptedText(), default="")
    sexual_orientation: Mapped[str] = mapped_column(EncryptedText(), default="")
    # Comma-separated LivedExperience values the person chose to share.
    lived_experience: Mapped[str] = mapped_column(EncryptedText(), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
