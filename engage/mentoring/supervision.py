"""Supervision and reflective practice: sessions logged for someone who holds or held a peer
role (the day, who led it, what kind, how long, and private notes).

The notes are private to the session's supervisor and the managers
(:func:`engage.mentoring.permissions.can_read_supervision_notes`). They are never in a list,
an audit entry, a message, the passport or a letter: only :func:`show_notes` hands them out,
and it records each reading in the audit log (who read them, which session, whose). The
person sees their sessions' days and hours in their passport.

Services take plain values, audit and flush; the route commits.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from engage.core import audit, dates
from engage.extensions import db
from engage.mentoring.models import (
    MentoringError,
    RoleHeld,
    SupervisionKind,
    SupervisionSession,
)
from engage.mentoring.permissions import can_name_any_supervisor
from engage.people.models import Profile, Role, User, UserRole

#: A session lasts from 5 minutes to 10 hours (a reflective-practice away day); anything
#: outside is a slip of the keyboard.
MIN_MINUTES, MAX_MINUTES = 5, 600

#: The roles whose holders supervise.
SUPERVISOR_ROLES = (Role.MANAGER, Role.ADMIN)


class SupervisionError(MentoringError):
    """A session that cannot be logged or changed as asked; the text is safe to show."""


def has_held_a_role(person_id: int) -> bool:
    """Whether someone holds, or once held, a peer role (supervision is for them)."""
    return bool(db.session.scalar(select(exists().where(RoleHeld.user_id == person_id))))


def supervisors() -> list[tuple[int, str]]:
    """(id, name) of everyone who can supervise: active managers and admins, by name. One
    query."""
    rows = db.session.execute(
        select(User.id, User.username, Profile.preferred_name)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(
            User.is_active.is_(True),
            User.id.in_(
                select(UserRole.user_id).where(
                    UserRole.role.in_([role.value for role in SUPERVISOR_ROLES])
                )
            ),
        )
    ).all()
    people = [(uid, preferred or username) for uid, username, preferred in rows]
    return sorted(people, key=lambda pair: (pair[1].lower(), pair[0]))


def _check(
    actor: User,
    person: User,
    *,
    supervisor: User | None,
    kind: SupervisionKind,
    held_on: date,
    minutes: int,
    keeping: int | None = None,
) -> None:
    """The rules for logging or changing a session. ``keeping``: the supervisor a session
    already has, who may stay on it after leaving the staff (history is not rewritten)."""
    if not has_held_a_role(person.id):
        raise SupervisionError(
            _(
                "%(name)s has not held a peer role, so there is no supervision to log yet.",
                name=person.display_name,
            )
        )
    kept = supervisor is not None and supervisor.id == keeping
    if (
        supervisor is None
        or supervisor.id == person.id
        or not (kept or (supervisor.is_active and supervisor.has_role(*SUPERVISOR_ROLES)))
    ):
        raise SupervisionError(_("Choose who led the session from the list"))
    if supervisor.id != actor.id and not kept and not can_name_any_supervisor(actor):
        raise SupervisionError(_("You can log only the sessions you led yourself."))
    SupervisionKind(kind)  # a kind that does not exist raises ValueError: a programming slip
    if held_on > dates.local_today():
        raise SupervisionError(_("The date of the session must be today or in the past"))
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise SupervisionError(
            _(
                "Enter how long it lasted, from %(least)d to %(most)d minutes",
                least=MIN_MINUTES,
                most=MAX_MINUTES,
            )
        )


def log_session(
    actor: User,
    person: User,
    *,
    supervisor: User | None,
    kind: SupervisionKind,
    held_on: date,
    minutes: int,
    notes: str = "",
    submission_key: str | None = None,
) -> SupervisionSession:
    """Log a supervision or reflective-practice session ``person`` had.

    Refuses (:class:`SupervisionError`) a person who never held a peer role, a supervisor who
    is not an active manager or admin (or is the person), someone other than a manager naming
    another supervisor, a day in the future and a length outside 5 to 600 minutes. A
    ``submission_key`` seen before returns the session it logged (a double press).
    """
    if submission_key:
        earlier = db.session.scalar(
            select(SupervisionSession).where(SupervisionSession.submission_key == submission_key)
        )
        if earlier is not None and earlier.recorded_by_id == actor.id:
            return earlier
    _check(actor, person, supervisor=supervisor, kind=kind, held_on=held_on, minutes=minutes)
    session = SupervisionSession(
        person_id=person.id,
        supervisor_id=supervisor.id,
        kind=SupervisionKind(kind).value,
        held_on=held_on,
        minutes=minutes,
        notes=notes.strip(),
        recorded_by_id=actor.id,
        submission_key=submission_key or None,
    )
    db.session.add(session)
    db.session.flush()
    # Never the notes: the audit log is read by admins.
    audit.record("supervision.logged", actor=actor, subject=person, session=session.id)
    return session


def change_session(
    actor: User,
    session: SupervisionSession,
    *,
    supervisor: User | None,
    kind: SupervisionKind,
    held_on: date,
    minutes: int,
    notes: str,
) -> None:
    """Correct a session, with the same rules as logging one. The route checks the version
    the page showed first (``check_version``), so a stale form changes nothing."""
    _check(
        actor,
        session.person,
        supervisor=supervisor,
        kind=kind,
        held_on=held_on,
        minutes=minutes,
        keeping=session.supervisor_id,
    )
    session.supervisor_id = supervisor.id
    session.kind = SupervisionKind(kind).value
    session.held_on = held_on
    session.minutes = minutes
    session.notes = notes.strip()
    db.session.flush()
    audit.record("supervision.changed", actor=actor, subject=session.person, session=session.id)


def show_notes(viewer: User, session: SupervisionSession, where: str) -> str:
    """The session's private notes, for a page that shows them to ``viewer`` (who may read
    them: the route has checked). Each reading is recorded (who, which session, whose, and
    ``where``: the session page or its change form); the route commits it."""
    audit.record(
        "supervision.notes_viewed",
        actor=viewer,
        subject=session.person,
        session=session.id,
        where=where,
    )
    return session.notes


def sessions_of(person_id: int) -> list[SupervisionSession]:
    """A person's sessions, the latest first, with their supervisors: two queries."""
    return list(
        db.session.scalars(
            select(SupervisionSession)
            .where(SupervisionSession.person_id == person_id)
            .options(joinedload(SupervisionSession.supervisor))
            .order_by(SupervisionSession.held_on.desc(), SupervisionSession.id.desc())
        ).unique()
    )
