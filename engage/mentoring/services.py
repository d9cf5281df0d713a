"""Use cases for peer roles, the training catalogue, applying, the pipeline and becoming active.

Services take plain values, record the audit entry, queue messages and flush; the route
commits. Checks (references, DBS, risk decisions, renewal warnings) are in ``checks.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.core import audit, dates, outbox
from engage.core.i18n import in_their_language
from engage.extensions import db
from engage.mentoring import letters, readiness
from engage.mentoring.models import (
    Application,
    ApplicationMessage,
    ApplicationMove,
    CheckLevel,
    ContactWay,
    Course,
    MentoringError,
    PeerRole,
    RoleHeld,
    Stage,
)
from engage.people import services as people
from engage.people.models import ConsentPurpose, Role, User

# Courses and roles -------------------------------------------------------------------------


def save_course(
    actor: User,
    course: Course | None,
    *,
    name: str,
    description: str,
    valid_months: int | None,
    is_active: bool,
) -> Course:
    """Add a course to the catalogue (``course`` None) or change one. Names are unique.
    Raises :class:`MentoringError`."""
    name = name.strip()
    clash = db.session.scalar(select(Course.id).where(func.lower(Course.name) == name.lower()))
    if clash is not None and (course is None or clash != course.id):
        raise MentoringError(_("There is already a course called “%(name)s”.", name=name))
    if course is None:
        course = Course(name=name)
        db.session.add(course)
    course.name = name
    course.description = description.strip()
    course.valid_months = valid_months
    course.is_active = is_active
    db.session.flush()
    audit.record("course.saved", actor=actor, course=course.id)
    return course


def save_role(
    actor: User,
    role: PeerRole | None,
    *,
    name: str,
    description: str,
    check_level: CheckLevel,
    paid: bool,
    is_active: bool,
    courses: list[Course],
) -> PeerRole:
    """Add a peer role (``role`` None) or change one, with the courses it needs. Names are
    unique. Raises :class:`MentoringError`."""
    name = name.strip()
    clash = db.session.scalar(select(PeerRole.id).where(func.lower(PeerRole.name) == name.lower()))
    if clash is not None and (role is None or clash != role.id):
        raise MentoringError(_("There is already a role called “%(name)s”.", name=name))
    if role is None:
        role = PeerRole(name=name)
        db.session.add(role)
    role.name = name
    role.description = description.strip()
    role.check_level = CheckLevel(check_level).value
    role.paid = paid
    role.is_active = is_active
    role.courses = list(courses)
    db.session.flush()
    audit.record("peer_role.saved", actor=actor, role=role.id)
    return role


def open_roles() -> list[PeerRole]:
    """The roles people can apply for at /join, by name."""
    return list(
        db.session.scalars(
            select(PeerRole).where(PeerRole.is_active.is_(True)).order_by(PeerRole.name)
        )
    )


# Applying ----------------------------------------------------------------------------------


def reply_days() -> int:
    """How many working days the confirmation promises a first contact within."""
    return int(current_app.config["JOIN_REPLY_WORKING_DAYS"])


def apply(
    *,
    role: PeerRole | None,
    name: str,
    contact_way: ContactWay,
    what_draws: str = "",
    availability: str = "",
    access_needs: str = "",
    email: str = "",
    phone: str = "",
    postal_address: str = "",
    worker_name: str = "",
    worker_contact: str = "",
    helper_name: str = "",
    helper_organisation: str = "",
    locale: str = "en",
    submission_key: str | None = None,
) -> tuple[Application, bool]:
    """Take an application made at /join (no account needed), and send the confirmation by
    the way they chose. Only the details that way needs are kept.

    Returns the application and whether it is new: a ``submission_key`` seen before returns
    the application it made, and sends nothing again (a double press, a resent form). Raises
    :class:`MentoringError` for a role that is not open.
    """
    if submission_key:
        earlier = db.session.scalar(
            select(Application).where(Application.submission_key == submission_key)
        )
        if earlier is not None:
            return earlier, False
    if role is not None and not role.is_active:
        raise MentoringError(_("That role is not open at the moment. Choose another one."))
    way = ContactWay(contact_way)
    application = Application(
        role=role,
        name=name.strip(),
        what_draws=what_draws.strip(),
        availability=availability.strip(),
        access_needs=access_needs.strip(),
        contact_way=way.value,
        email=email.strip().lower() if way == ContactWay.EMAIL else "",
        phone=phone.strip() if way in (ContactWay.TEXT, ContactWay.PHONE) else "",
        postal_address=postal_address.strip() if way == ContactWay.POST else "",
        worker_name=worker_name.strip() if way == ContactWay.WORKER else "",
        worker_contact=worker_contact.strip() if way == ContactWay.WORKER else "",
        helper_name=helper_name.strip(),
        helper_organisation=helper_organisation.strip() if helper_name.strip() else "",
        locale=locale or "en",
        submission_key=submission_key or None,
    )
    db.session.add(application)
    db.session.flush()
    application.moves.append(
        ApplicationMove(to_stage=Stage.APPLIED.value, at=application.created_at)
    )
    audit.record("application.made", actor=None, application=application.id)
    with in_their_language(application):
        _confirm(application)
    db.session.flush()
    return application, True


def _confirm(application: Application) -> None:
    subject, body = letters.confirmation(
        application.name, application.role.name if application.role else None, reply_days()
    )
    tell_applicant(application, subject=subject, body=body)


def tell_applicant(application: Application, *, subject: str, body: str) -> outbox.Notification:
    """Send a message about their application to the person, by the way they chose (their
    account's choice once they have one). Post and "through my worker" have no address the
    outbox can use: the message is kept as undeliverable, and the application page shows it
    to managers with where to send it. Call inside ``in_their_language(application)``."""
    if application.user is not None:
        note = outbox.queue(
            kind=outbox.Kind.UPDATE, user=application.user, subject=subject, body=body
        )
    else:
        way = ContactWay(application.contact_way)
        if way == ContactWay.EMAIL and application.email:
            channel, address = outbox.Channel.EMAIL, application.email
        elif way in (ContactWay.TEXT, ContactWay.PHONE) and application.phone:
            # Someone who asked for a phone call still gets the words by text.
            channel, address = outbox.Channel.TEXT, application.phone
        else:
            channel, address = outbox.Channel.EMAIL, None
        note = outbox.queue(
            kind=outbox.Kind.UPDATE,
            subject=subject,
            body=body,
            channel=channel,
            to_address=address,
        )
    db.session.add(ApplicationMessage(application_id=application.id, notification_id=note.id))
    return note


def messages_for(application: Application) -> list[outbox.Notification]:
    """What the person was sent about their application, oldest first."""
    return list(
        db.session.scalars(
            select(outbox.Notification)
            .join(ApplicationMessage, ApplicationMessage.notification_id == outbox.Notification.id)
            .where(ApplicationMessage.application_id == application.id)
            .order_by(outbox.Notification.id)
        )
    )


# The pipeline ------------------------------------------------------------------------------


def move(
    actor: User,
    application: Application,
    target: Stage,
    *,
    reason: str = "",
    note_to_person: str = "",
) -> Stage:
    """Move an application to ``target`` (the model's table and gates decide; the move is
    appended to its history). Not progressed sends the person a kind message in their
    language, by their way, with ``note_to_person`` if the manager wrote one; the reason
    stays with the record. Returns the stage it left. Raises :class:`MentoringError`."""
    if target == Stage.ACTIVE:
        raise MentoringError(_("Use “Make active” to give them their account and the role."))
    before = application.move_to(target, actor, reason)
    audit.record(
        "application.moved",
        actor=actor,
        subject=application.user,
        application=application.id,
        to=target.value,
        **{"from": before.value},
    )
    if target == Stage.NOT_PROGRESSED:
        with in_their_language(application):
            _tell_not_progressed(application, note_to_person.strip())
    db.session.flush()
    return before


def _tell_not_progressed(application: Application, note: str) -> None:
    subject, body = letters.not_progressed(
        application.name, application.role.name if application.role else None, note
    )
    tell_applicant(application, subject=subject, body=body)


def set_role(actor: User, application: Application, role: PeerRole | None) -> None:
    """Change the role an application is for (or "not sure yet"), before it is active."""
    if not application.stage_enum.is_open:
        raise MentoringError(_("The role of a finished application cannot change."))
    before = application.role_id
    application.role = role
    db.session.flush()
    audit.record(
        "application.role_changed",
        actor=actor,
        subject=application.user,
        application=application.id,
        role=getattr(role, "id", None),
        before=before,
    )


def waiting_to_be_contacted() -> int:
    """Applications nobody has contacted yet (for the manager's home page)."""
    return db.session.scalar(
        select(func.count(Application.id)).where(Application.stage == Stage.APPLIED.value)
    )


def days_waiting(application: Application, today: date | None = None) -> int:
    """Whole days since the application last moved, by the partnership's calendar."""
    today = today or dates.local_today()
    return max((today - dates.local_date(application.stage_since)).days, 0)


# Becoming active ---------------------------------------------------------------------------


class ReasonNeeded(MentoringError):
    """Going ahead although a check or training the role needs is missing or has run out
    needs a reason for the record. ``problems`` says what (for the page to show again)."""

    def __init__(self, message: str, problems: list[readiness.Problem]):
        super().__init__(message)
        self.problems = problems


@dataclass
class Activation:
    """What making someone active did: their account, and the sign-in link made for a new
    one (None when an existing account was linked). ``sent``: the link went to them."""

    user: User
    link: outbox.Secret | None
    sent: bool


def matching_account(application: Application) -> User | None:
    """An existing account with the e-mail address the applicant gave, if there is one."""
    if not application.email:
        return None
    return db.session.scalar(select(User).where(User.email == application.email.lower()))


def activation_problems(
    application: Application, existing: User | None = None
) -> list[readiness.Problem]:
    """What a manager is warned about, today, before making ``application`` active with
    ``existing``'s account (None: a new account, which has no training recorded yet)."""
    if application.role is None:
        return []
    return readiness.problems_for_application(
        application, dates.local_today(), getattr(existing, "id", None)
    )


def activate(
    actor: User,
    application: Application,
    *,
    existing: User | None = None,
    username: str = "",
    contact_consent: bool = False,
    reason: str = "",
) -> Activation:
    """Make an application at Training active: link ``existing`` (a peer's account), or make
    a new peer account from the application and send its invitation by their way; then
    record the role held from today.

    When a DBS check or a course the role needs is missing or has run out
    (:mod:`engage.mentoring.readiness`; a new account has no training recorded yet), going
    ahead needs ``reason``: it is kept as the move's reason and the audit log records what
    was missing (never the reason's words). Raises :class:`ReasonNeeded` without one, and
    :class:`MentoringError` (or the people domain's ``AccountError``, for a username or
    e-mail already taken) for anything else."""
    if application.stage_enum != Stage.TRAINING:
        raise MentoringError(_("Only an application at “Training” can be made active."))
    if application.role is None:
        raise MentoringError(_("Choose the role they will hold first."))
    link, sent = None, False
    if existing is not None and not (existing.is_active and existing.has_role(Role.PEER)):
        raise MentoringError(
            _("That account is not an active peer's account. Ask an admin to check it.")
        )
    # Before anything is made or sent: the warning the manager was shown must be answered.
    problems = activation_problems(application, existing)
    reason = (reason or "").strip()
    if problems and not reason:
        raise ReasonNeeded(
            _(
                "Say why you are going ahead although a check or training the role needs "
                "is missing or has run out."
            ),
            problems,
        )
    if existing is not None:
        user = existing
        audit.record(
            "application.account_linked", actor=actor, subject=user, application=application.id
        )
    else:
        user = _new_account(actor, application, username, contact_consent)
        link = people.invite(actor=actor, user=user, send=True)
        sent = bool(user.email or user.phone)
    application.user = user
    application.user_id = user.id
    application.move_to(Stage.ACTIVE, actor, reason)
    already = db.session.scalar(
        select(RoleHeld.id).where(
            RoleHeld.user_id == user.id,
            RoleHeld.role_id == application.role_id,
            RoleHeld.to_date.is_(None),
        )
    )
    if already is None:
        db.session.add(
            RoleHeld(
                user_id=user.id,
                role_id=application.role_id,
                from_date=dates.local_today(),
                application_id=application.id,
            )
        )
    audit.record(
        "application.activated",
        actor=actor,
        subject=user,
        application=application.id,
        role=application.role_id,
    )
    if problems:
        audit.record(
            "application.activated_despite_warning",
            actor=actor,
            subject=user,
            application=application.id,
            role=application.role_id,
            problems=readiness.kinds(problems),
        )
    db.session.flush()
    return Activation(user=user, link=link, sent=sent)


def _new_account(
    actor: User, application: Application, username: str, contact_consent: bool
) -> User:
    way = ContactWay(application.contact_way)
    user = people.create_account(
        actor=actor,
        username=username.strip() or people.unique_username(application.name),
        roles={Role.PEER},
        preferred_name=application.name,
        email=application.email or None,
        phone=application.phone or None,
        # A phone call is still a phone call; the outbox texts the number when it can.
        contact_channel=way.value,
    )
    user.locale = application.locale or None
    profile = user.profile
    profile.postal_address = application.postal_address
    profile.worker_name = application.worker_name
    profile.worker_contact = application.worker_contact
    profile.other_needs = application.access_needs[:1000]
    if contact_consent:
        # Asked in person: recorded as given by the manager on their behalf.
        people.give_consent(actor, user, ConsentPurpose.CONTACT)
    return user


def roles_held(user: User) -> list[RoleHeld]:
    """The peer roles ``user`` holds or held, the current ones first."""
    return list(
        db.session.scalars(
            select(RoleHeld)
            .where(RoleHeld.user_id == user.id)
            .order_by(RoleHeld.to_date.is_not(None), RoleHeld.from_date.desc())
        )
    )
