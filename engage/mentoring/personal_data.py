"""Peer roles' part of a person's data download: their applications and each stage they
went through, the outcome of their DBS checks (never conviction details: engage holds none),
any decision made after a check, references (the referee is not named), roles held, training
completed, and their supervision and reflective practice sessions.

A supervisor's private notes are left out. DESIGN.md keeps them for the supervisor and the
manager only, so a supervisor can write freely; they may also hold other people's details.
The README tells the person they can ask for them, so staff can check and release what the
law gives them (a subject access request covers them, with third-party details removed).
Likewise the reasons staff noted for moving an application on, written for managers."""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import gettext as _
from sqlalchemy import select

from engage.core.domains import DataFile, personal_data
from engage.extensions import db
from engage.mentoring.models import (
    Application,
    ApplicationMove,
    Completion,
    Course,
    DbsCheck,
    PeerRole,
    Reference,
    RiskDecision,
    RoleHeld,
    SupervisionSession,
)
from engage.people.models import User
from engage.people.my_data import someone


@personal_data(
    70,
    tables=(
        "application",
        "application_move",
        "application_reference",
        "dbs_check",
        "dbs_risk_decision",
        "role_held",
        "course_completion",
        "supervision_session",
    ),
)
def export(person: User) -> Iterator[DataFile]:
    name = someone(person)
    applications = list(
        db.session.scalars(
            select(Application).where(Application.user_id == person.id).order_by(Application.id)
        )
    )
    yield DataFile(
        "roles-applications",
        _("Your applications for peer roles, in your own words, and where each one is now."),
        [
            {
                "application": app.id,
                "role": app.role.name if app.role else "",
                "made": app.created_at,
                "name": app.name,
                "what_draws_you": app.what_draws,
                "when_you_are_free": app.availability,
                "what_helps_you_take_part": app.access_needs,
                "contact_by": app.contact_way,
                "email": app.email,
                "phone": app.phone,
                "postal_address": app.postal_address,
                "through_a_worker": app.worker_name,
                "worker_contact": app.worker_contact,
                "helped_by_someone": bool(app.helper_name or app.helper_organisation),
                "stage": app.stage,
                "stage_since": app.stage_since,
            }
            for app in applications
        ],
    )
    ids = [app.id for app in applications]
    moves = (
        db.session.scalars(
            select(ApplicationMove)
            .where(ApplicationMove.application_id.in_(ids))
            .order_by(ApplicationMove.id)
        )
        if ids
        else []
    )
    yield DataFile(
        "roles-application-stages",
        _("Each step your applications took: when, from which stage to which, and by whom."),
        [
            {
                "application": move.application_id,
                "when": move.at,
                "from": move.from_stage,
                "to": move.to_stage,
                "by": name(move.actor_id) or _("you"),
            }
            for move in moves
        ],
    )
    references = (
        db.session.scalars(
            select(Reference).where(Reference.application_id.in_(ids)).order_by(Reference.id)
        )
        if ids
        else []
    )
    yield DataFile(
        "roles-references",
        _("References asked for on your applications (the referees are not named here)."),
        [
            {
                "application": ref.application_id,
                "asked": ref.requested_on,
                "received": ref.received_on,
                "outcome": ref.outcome,
            }
            for ref in references
        ],
    )
    checks = list(
        db.session.scalars(
            select(DbsCheck).where(DbsCheck.application_id.in_(ids)).order_by(DbsCheck.id)
        )
        if ids
        else []
    )
    yield DataFile(
        "roles-dbs-checks",
        _(
            "The DBS checks for your applications: the level, the certificate date, the "
            "outcome and when it needs renewing. We never keep what a certificate says."
        ),
        [
            {
                "application": check.application_id,
                "level": check.level,
                "certificate_date": check.certificate_date,
                "outcome": check.outcome,
                "renew_by": check.renewal_date,
            }
            for check in checks
        ],
    )
    check_ids = [check.id for check in checks]
    decisions = (
        db.session.scalars(
            select(RiskDecision)
            .where(RiskDecision.check_id.in_(check_ids))
            .order_by(RiskDecision.id)
        )
        if check_ids
        else []
    )
    yield DataFile(
        "roles-dbs-decisions",
        _("Decisions made together with you after a DBS check, and when they will be reviewed."),
        [
            {
                "decision": decision.decision,
                "decided": decision.decided_at,
                "review_by": decision.review_date,
            }
            for decision in decisions
        ],
    )
    held = db.session.execute(
        select(RoleHeld, PeerRole)
        .join(PeerRole, PeerRole.id == RoleHeld.role_id)
        .where(RoleHeld.user_id == person.id)
        .order_by(RoleHeld.from_date)
    ).all()
    yield DataFile(
        "roles-held",
        _("Peer roles you hold or have held."),
        [{"role": role.name, "from": row.from_date, "to": row.to_date} for row, role in held],
    )
    completions = db.session.execute(
        select(Completion, Course)
        .join(Course, Course.id == Completion.course_id)
        .where(Completion.user_id == person.id)
        .order_by(Completion.completed_on)
    ).all()
    yield DataFile(
        "training-completed",
        _("Training you completed, and when it needs doing again."),
        [
            {
                "course": course.name,
                "completed": row.completed_on,
                "runs_out": row.expires_on,
                "recorded_by": name(row.recorded_by_id),
            }
            for row, course in completions
        ],
    )
    sessions = db.session.scalars(
        select(SupervisionSession)
        .where(SupervisionSession.person_id == person.id)
        .order_by(SupervisionSession.held_on)
    )
    yield DataFile(
        "supervision-sessions",
        _(
            "Your supervision and reflective practice sessions: when, what kind and how long. "
            "Your supervisor's private notes are not included (see below)."
        ),
        [
            {
                "held": row.held_on,
                "kind": row.kind,
                "minutes": row.minutes,
                "supervisor": name(row.supervisor_id),
            }
            for row in sessions
        ],
    )
