"""Peer roles' part of erasing a person, and of the retention rule for applications that were
not taken forward.

An application keeps its stage, its history of moves and its checks' dates and levels (so the
numbers on the board still add up), but everything that says who the applicant is, or what
they told us in their own words, goes: name, contact details, worker, helper, references,
access needs, and the reasons written on its moves. Messages sent about it go too. The roles
they held, their training and their supervision sessions stay with the tombstone, without
the supervision notes.
"""

from __future__ import annotations

from sqlalchemy import delete, func, or_, select, update

from engage.core.dates import local_today
from engage.core.domains import erasure_step
from engage.core.outbox import Notification
from engage.extensions import db
from engage.mentoring.models import (
    Application,
    ApplicationMessage,
    ApplicationMove,
    Reference,
    RoleHeld,
    SupervisionSession,
)

#: The name an anonymised application shows: a mark, not words, so it reads in any language.
ANONYMISED_NAME = "—"


def anonymise_application(application: Application) -> None:
    """Take out of ``application`` everything that says who the applicant is (flushes)."""
    application.name = ANONYMISED_NAME
    for column in (
        "what_draws",
        "availability",
        "access_needs",
        "email",
        "phone",
        "postal_address",
        "worker_name",
        "worker_contact",
        "helper_name",
        "helper_organisation",
    ):
        setattr(application, column, "")
    application.user_id = None
    db.session.execute(
        update(Reference)
        .where(Reference.application_id == application.id)
        .values(referee_name=ANONYMISED_NAME, how_to_reach="")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(ApplicationMove)
        .where(ApplicationMove.application_id == application.id)
        .values(reason="")
        .execution_options(synchronize_session=False)
    )
    notifications = list(
        db.session.scalars(
            select(ApplicationMessage.notification_id).where(
                ApplicationMessage.application_id == application.id
            )
        )
    )
    db.session.execute(
        delete(ApplicationMessage).where(ApplicationMessage.application_id == application.id)
    )
    if notifications:
        db.session.execute(delete(Notification).where(Notification.id.in_(notifications)))
    db.session.flush()


@erasure_step(60)
def erase_from_peer_roles(person, actor) -> None:  # noqa: ANN001
    theirs = [Application.user_id == person.id]
    if person.email:
        theirs.append(func.lower(Application.email) == person.email.lower())
    for application in db.session.scalars(select(Application).where(or_(*theirs))):
        anonymise_application(application)
    # Messages to them about anything else go with the account (the people domain's step);
    # their application messages' links must go first.
    addresses = [a.lower() for a in (person.email, person.phone) if a]
    to_them = select(Notification.id).where(
        or_(
            Notification.user_id == person.id,
            *[func.lower(Notification.to_address) == a for a in addresses],
        )
    )
    db.session.execute(
        delete(ApplicationMessage).where(ApplicationMessage.notification_id.in_(to_them))
    )
    db.session.execute(
        update(RoleHeld)
        .where(RoleHeld.user_id == person.id, RoleHeld.to_date.is_(None))
        .values(to_date=local_today())
    )
    db.session.execute(
        update(SupervisionSession)
        .where(SupervisionSession.person_id == person.id)
        .values(notes="")
        .execution_options(synchronize_session=False)
    )
