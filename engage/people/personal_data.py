"""The people domain's part of a person's data download: their account, profile, consents,
equality answers, signed-in sessions, messages we sent them, the log of who used their record,
and the subject access requests they made."""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import gettext as _
from sqlalchemy import select

from engage.core.audit import AuditEntry
from engage.core.domains import DataFile, personal_data
from engage.core.outbox import Notification
from engage.extensions import db
from engage.people.data_requests import CHANNEL_LABELS, Channel, DataRequest
from engage.people.models import (
    CHANNEL_LABELS as CONTACT_LABELS,
)
from engage.people.models import (
    PAYMENT_LABELS,
    ConsentRecord,
    ContactChannel,
    EqualityMonitoring,
    Invitation,
    PaymentPreference,
    User,
    UserSession,
)
from engage.people.my_data import someone


def _label(labels: dict, enum_type: type, value: str | None) -> str:
    try:
        return str(labels[enum_type(value)])
    except (KeyError, ValueError):
        return value or ""


@personal_data(
    10,
    tables=(
        "user",
        "user_role",
        "profile",
        "user_session",
        "invitation",
        "consent_record",
        "equality_monitoring",
        "notification",
        "audit_entry",
        "data_request",
    ),
)
def export(person: User) -> Iterator[DataFile]:
    name = someone(person)
    profile = person.profile
    account = {
        "username": person.username,
        "email": person.email or "",
        "mobile": person.phone or "",
        "language": person.locale or "",
        "roles": ", ".join(role.label for role in sorted(person.role_set)),
        "two_step_sign_in": bool(person.totp_secret),
        "account_open": person.is_active,
        "created": person.created_at,
        "last_signed_in": person.last_sign_in_at,
    }
    yield DataFile("account", _("Your account: how you sign in and how to reach you."), [account])
    if profile is not None:
        row = {
            "preferred_name": profile.preferred_name,
            "pronouns": profile.pronouns,
            "best_way_to_contact": _label(CONTACT_LABELS, ContactChannel, profile.contact_channel),
            "postal_address": profile.postal_address,
            "support_worker": profile.worker_name,
            "support_worker_contact": profile.worker_contact,
            "emergency_contact": profile.emergency_contact,
            "access_needs": "; ".join(profile.access_need_labels()),
            "other_needs": profile.other_needs,
            "payment_preference": _label(
                PAYMENT_LABELS, PaymentPreference, profile.payment_preference
            ),
            "benefits_warnings": profile.benefits_warnings,
            "involvement_paused_since": profile.paused_at,
            "pause_note": profile.pause_note,
        }
        yield DataFile(
            "profile",
            _("Your profile: your name, contact preferences, access needs and payment choice."),
            [row],
        )
    consents = db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.user_id == person.id).order_by(ConsentRecord.id)
    )
    yield DataFile(
        "consents",
        _(
            "What you agreed to and when, with the version of the wording you saw, and when "
            "you withdrew. 'Recorded by' says whether staff recorded it for you."
        ),
        [
            {
                "purpose": row.purpose,
                "wording_version": row.wording_version,
                "given": row.given_at,
                "given_by": name(row.given_by_id),
                "withdrawn": row.withdrawn_at,
                "withdrawn_by": name(row.withdrawn_by_id),
            }
            for row in consents
        ],
    )
    equality = db.session.scalar(
        select(EqualityMonitoring).where(EqualityMonitoring.user_id == person.id)
    )
    yield DataFile(
        "equality-answers",
        _(
            "Your answers to the optional equality questions. They are only ever used in "
            "totals where small groups are hidden."
        ),
        []
        if equality is None
        else [
            {
                "gender": equality.gender,
                "ethnicity": equality.ethnicity,
                "age_band": equality.age_band,
                "disability": equality.disability,
                "sexual_orientation": equality.sexual_orientation,
                "lived_experience": equality.lived_experience,
                "updated": equality.updated_at,
            }
        ],
    )
    sessions = db.session.scalars(
        select(UserSession).where(UserSession.user_id == person.id).order_by(UserSession.id)
    )
    yield DataFile(
        "sign-ins",
        _(
            "The times you signed in: when, the browser, when it was last used and when it "
            "ended. We keep no passwords or codes in a form anyone can read."
        ),
        [
            {
                "signed_in": row.created_at,
                "browser": row.user_agent or "",
                "last_used": row.last_seen_at,
                "ended": row.revoked_at,
            }
            for row in sessions
        ],
    )
    invitations = db.session.scalars(
        select(Invitation).where(Invitation.user_id == person.id).order_by(Invitation.id)
    )
    yield DataFile(
        "account-invitations",
        _("Links we made for you to set a password and start using your account."),
        [
            {
                "made": row.created_at,
                "made_by": name(row.invited_by_id),
                "expires": row.expires_at,
                "used": row.used_at,
            }
            for row in invitations
        ],
    )
    messages = db.session.scalars(
        select(Notification).where(Notification.user_id == person.id).order_by(Notification.id)
    )
    yield DataFile(
        "messages",
        _("E-mails and text messages we sent you (or held back), with what they said."),
        [
            {
                "made": row.created_at,
                "by": row.channel,
                "to": row.to_address,
                "subject": row.subject,
                "message": row.body,
                "status": row.status,
                "sent": row.sent_at,
            }
            for row in messages
        ],
    )
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.subject_id == person.id).order_by(AuditEntry.id)
    )
    yield DataFile(
        "record-log",
        _(
            "Our log of when your record was looked at or changed, and whether it was you or a "
            "member of staff. Ask us if you want to know who."
        ),
        [
            {
                "when": row.at,
                "what": row.action,
                "by": name(row.actor_id) or _("engage itself"),
                "done_for_you": row.on_behalf,
            }
            for row in entries
        ],
    )
    requests = db.session.scalars(
        select(DataRequest).where(DataRequest.subject_id == person.id).order_by(DataRequest.id)
    )
    yield DataFile(
        "data-requests",
        _("Requests you made for a copy of your data, and when we answered."),
        [
            {
                "received": row.received_on,
                "how": _label(CHANNEL_LABELS, Channel, row.channel),
                "due": row.due_on,
                "answered": row.done_at,
            }
            for row in requests
        ],
    )
