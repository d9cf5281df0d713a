"""References and DBS checks on an application, risk-assessment decisions after a disclosure,
and the renewal warnings ``engage tick`` sends.

A DBS check keeps its level, certificate date, outcome and renewal date: never what a record
says. An outcome of "information disclosed" is not a no: it leads to an individual decision
(go ahead, go ahead with support, or not this role) with a day to look at it again. Managers
alone see outcomes and decisions, and every page that shows them records the view in the
audit log (:func:`record_view`). Audit entries and messages never carry the outcome.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.core import audit, dates, outbox
from engage.core.i18n import in_their_language
from engage.core.links import absolute_url
from engage.extensions import db
from engage.mentoring import letters
from engage.mentoring.models import (
    Application,
    CheckLevel,
    DbsCheck,
    DbsOutcome,
    DbsRenewalWarning,
    MentoringError,
    Reference,
    ReferenceOutcome,
    RiskDecision,
    RiskDecisionKind,
    Stage,
)
from engage.mentoring.services import tell_applicant
from engage.people import services as people_services
from engage.people.models import Role, User

#: Renewal warnings go this many days ahead, each once.
WARN_DAYS = (60, 30, 7)

# References --------------------------------------------------------------------------------


def _open(application: Application) -> None:
    if not application.stage_enum.is_open:
        raise MentoringError(_("This application has finished: its checks cannot change."))


def _checks_can_change(application: Application) -> None:
    """A DBS check is recorded while the application is on its way, and again once they are
    active: a renewed certificate is a new check (the renewal warnings ask for one)."""
    if not application.checks_can_change:
        raise MentoringError(_("This application has finished: its checks cannot change."))


def add_reference(
    actor: User,
    application: Application,
    *,
    referee_name: str,
    how_to_reach: str,
    requested_on: date | None,
) -> Reference:
    _open(application)
    reference = Reference(
        referee_name=referee_name.strip(),
        how_to_reach=how_to_reach.strip(),
        requested_on=requested_on,
    )
    application.references.append(reference)
    db.session.flush()
    audit.record(
        "reference.added", actor=actor, subject=application.user, application=application.id
    )
    return reference


def update_reference(
    actor: User,
    reference: Reference,
    *,
    referee_name: str,
    how_to_reach: str,
    requested_on: date | None,
    received_on: date | None,
    outcome: ReferenceOutcome | None,
) -> None:
    """Change a reference: who, when it was asked for and came back, and what it came to.
    An outcome needs the day it came back."""
    application = reference.application
    _open(application)
    if outcome is not None and outcome != ReferenceOutcome.NO_REPLY and received_on is None:
        raise MentoringError(_("Enter the date the reference came back"))
    if received_on and requested_on and received_on < requested_on:
        raise MentoringError(
            _("The date it came back must be on or after the date it was asked for")
        )
    reference.referee_name = referee_name.strip()
    reference.how_to_reach = how_to_reach.strip()
    reference.requested_on = requested_on
    reference.received_on = received_on
    reference.outcome = outcome.value if outcome else ""
    db.session.flush()
    audit.record(
        "reference.updated",
        actor=actor,
        subject=application.user,
        application=application.id,
        reference=reference.id,
    )


# DBS checks --------------------------------------------------------------------------------


def _check_fields(level: CheckLevel, certificate_date: date, renewal_date: date | None) -> None:
    if CheckLevel(level) == CheckLevel.NONE:
        raise MentoringError(_("Choose basic or enhanced"))
    if renewal_date is not None and renewal_date <= certificate_date:
        raise MentoringError(_("The renewal date must be after the certificate date"))


def record_check(
    actor: User,
    application: Application,
    *,
    level: CheckLevel,
    certificate_date: date,
    outcome: DbsOutcome,
    renewal_date: date | None,
) -> DbsCheck:
    """Record a DBS certificate's level, date, outcome and renewal date (nothing more): for an
    application on its way, or a renewal for someone active."""
    _checks_can_change(application)
    _check_fields(level, certificate_date, renewal_date)
    check = DbsCheck(
        level=CheckLevel(level).value,
        certificate_date=certificate_date,
        outcome=DbsOutcome(outcome).value,
        renewal_date=renewal_date,
        recorded_by_id=actor.id,
    )
    application.dbs_checks.append(check)
    db.session.flush()
    audit.record(
        "dbs.recorded",
        actor=actor,
        subject=application.user,
        application=application.id,
        check=check.id,
    )
    return check


def update_check(
    actor: User,
    check: DbsCheck,
    *,
    level: CheckLevel,
    certificate_date: date,
    outcome: DbsOutcome,
    renewal_date: date | None,
) -> None:
    """Correct a check. A new renewal date gets its own warnings."""
    application = check.application
    if application.stage_enum in (Stage.WITHDRAWN, Stage.NOT_PROGRESSED):
        raise MentoringError(_("This application has finished: its checks cannot change."))
    _check_fields(level, certificate_date, renewal_date)
    if renewal_date != check.renewal_date:
        db.session.execute(
            DbsRenewalWarning.__table__.delete().where(DbsRenewalWarning.check_id == check.id)
        )
    check.level = CheckLevel(level).value
    check.certificate_date = certificate_date
    check.outcome = DbsOutcome(outcome).value
    check.renewal_date = renewal_date
    db.session.flush()
    audit.record(
        "dbs.updated",
        actor=actor,
        subject=application.user,
        application=application.id,
        check=check.id,
    )


def record_decision(
    actor: User, check: DbsCheck, *, decision: RiskDecisionKind, review_date: date
) -> RiskDecision:
    """Record the individual risk-assessment decision after a disclosure. A later decision
    follows an earlier one; the latest counts."""
    if check.outcome != DbsOutcome.DISCLOSED.value:
        raise MentoringError(_("A decision is recorded only when information was disclosed."))
    if review_date <= dates.local_today():
        raise MentoringError(_("Choose a review date after today"))
    row = RiskDecision(
        decision=RiskDecisionKind(decision).value,
        review_date=review_date,
        decided_by_id=actor.id,
    )
    check.decisions.append(row)
    db.session.flush()
    audit.record(
        "dbs.decision_recorded",
        actor=actor,
        subject=check.application.user,
        application=check.application_id,
        check=check.id,
    )
    return row


def record_view(viewer: User, application: Application) -> bool:
    """A manager saw an application's DBS outcome or risk decision: recorded each time.
    Returns True when an entry was added (the route commits it)."""
    if not application.dbs_checks:
        return False
    audit.record("dbs.viewed", actor=viewer, subject=application.user, application=application.id)
    return True


# Renewal warnings (engage tick) ------------------------------------------------------------


def current_checks_query():  # noqa: ANN201
    """The latest check of each application still going (or active) that has a renewal
    date: an older check was replaced, and a finished application's check matters to no
    one. A query, to narrow further."""
    latest = select(func.max(DbsCheck.id)).group_by(DbsCheck.application_id).scalar_subquery()
    return (
        select(DbsCheck)
        .join(Application, Application.id == DbsCheck.application_id)
        .where(
            DbsCheck.id.in_(latest),
            DbsCheck.renewal_date.is_not(None),
            Application.stage.not_in([Stage.WITHDRAWN.value, Stage.NOT_PROGRESSED.value]),
        )
        .order_by(DbsCheck.renewal_date, DbsCheck.id)
    )


def _managers() -> list[User]:
    return people_services.active_with_role(Role.MANAGER)


def send_renewal_warnings(today: date) -> int:
    """Warn managers, and kindly the person, 60, 30 and 7 days before a DBS check's renewal
    date, each warning once (kept in ``DbsRenewalWarning``). When ``engage tick`` has not run
    for a while, only the nearest warning goes, and the ones it passed are marked as gone.
    Returns how many checks were warned about."""
    warned = 0
    last_warning = today + timedelta(days=max(WARN_DAYS))
    checks = list(
        db.session.scalars(
            current_checks_query().where(DbsCheck.renewal_date.between(today, last_warning))
        )
    )
    if not checks:
        return 0
    sent = {
        (row.check_id, row.days_ahead)
        for row in db.session.scalars(
            select(DbsRenewalWarning).where(DbsRenewalWarning.check_id.in_([c.id for c in checks]))
        )
    }
    managers = None
    for check in checks:
        days_left = (check.renewal_date - today).days
        due = [days for days in WARN_DAYS if days_left <= days]
        if not due or (check.id, min(due)) in sent:
            continue
        for days in due:
            if (check.id, days) not in sent:
                db.session.add(DbsRenewalWarning(check_id=check.id, days_ahead=days))
        if managers is None:
            managers = _managers()
        _warn(check, days_left, managers)
        warned += 1
    db.session.flush()
    return warned


def _warn(check: DbsCheck, days_left: int, managers: list[User]) -> None:
    application = check.application
    role = application.role.name if application.role else ""
    link = absolute_url("mentoring.application", application_id=application.id)
    for manager in managers:
        with in_their_language(manager):
            outbox.queue(
                kind=outbox.Kind.UPDATE,
                user=manager,
                subject=_(
                    "DBS check to renew for %(name)s by %(day)s",
                    name=application.name,
                    day=format_date(check.renewal_date, "d MMMM y"),
                ),
                body=_(
                    "The DBS check of %(name)s (%(role)s) is due for renewal on %(day)s, in "
                    "%(days)d days. Please help them start the renewal in good time.\n\n%(link)s\n",
                    name=application.name,
                    role=role,
                    day=format_date(check.renewal_date, "d MMMM y"),
                    days=days_left,
                    link=link,
                ),
            )
    with in_their_language(application.user or application):
        subject, body = letters.renewal_due(
            application.user.display_name if application.user else application.name,
            check.renewal_date,
        )
        tell_applicant(application, subject=subject, body=body)


def expiring_between(start: date, end: date) -> list[DbsCheck]:
    """Current checks whose renewal date falls from ``start`` to ``end`` (inclusive)."""
    return list(
        db.session.scalars(current_checks_query().where(DbsCheck.renewal_date.between(start, end)))
    )


def next_review(application: Application) -> date | None:
    """The day the current risk decision is to be looked at again, if there is one."""
    check = application.current_check
    decision = check.current_decision if check else None
    return decision.review_date if decision else None


def review_overdue(application: Application, today: date | None = None) -> bool:
    """The current risk decision's review date has passed."""
    review = next_review(application)
    return review is not None and review < (today or dates.local_today())
