"""What recruitment and training count, for the dashboard: applications by stage and period,
people active in each peer role, DBS checks coming up for renewal, people trained, training
sessions delivered and hours of supervision.

Every function takes plain dates (the partnership's days, inclusive) and returns plain
numbers, so a page, a board pack or a funder report can use them alike. Each runs a fixed
number of queries, however many applications there are.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import noload

from engage.core import dates
from engage.core.figures import Figure, Period, Section, Table, both
from engage.extensions import db
from engage.forums.attendance import TOOK_PART
from engage.forums.models import Attendance, Meeting
from engage.mentoring import checks
from engage.mentoring import permissions as mentoring_perm
from engage.mentoring.models import (
    Application,
    ApplicationMove,
    Completion,
    DbsCheck,
    PeerRole,
    RoleHeld,
    Stage,
    SupervisionSession,
    TrainingSession,
)
from engage.people.models import Role, UserRole


def _between(column, start: date, end: date):  # noqa: ANN001, ANN202
    """``column`` (a UTC time) falls on one of the partnership's days ``start`` to ``end``."""
    return (column >= dates.start_of_day(start)) & (
        column < dates.start_of_day(end + timedelta(days=1))
    )


def applications_by_stage(start: date, end: date) -> dict[Stage, int]:
    """Applications made from ``start`` to ``end``, by the stage each is at now (every stage
    is in the answer, with 0 where there are none)."""
    rows = db.session.execute(
        select(Application.stage, func.count(Application.id))
        .where(_between(Application.created_at, start, end))
        .group_by(Application.stage)
    ).all()
    found = dict(rows)
    return {stage: found.get(stage.value, 0) for stage in Stage}


def reached_stage(start: date, end: date) -> dict[Stage, int]:
    """How many applications moved into each stage from ``start`` to ``end`` (applying counts
    as reaching "applied"): "how many became active this quarter"."""
    rows = db.session.execute(
        select(ApplicationMove.to_stage, func.count(func.distinct(ApplicationMove.application_id)))
        .where(_between(ApplicationMove.at, start, end))
        .group_by(ApplicationMove.to_stage)
    ).all()
    found = dict(rows)
    return {stage: found.get(stage.value, 0) for stage in Stage}


def active_peers_by_role(on: date) -> dict[str, int]:
    """People holding each peer role on the day ``on``, by role name (roles nobody holds are
    0). Someone holding two roles counts once in each."""
    held = (
        select(RoleHeld.role_id, func.count(func.distinct(RoleHeld.user_id)).label("people"))
        .where(
            RoleHeld.from_date <= on,
            or_(RoleHeld.to_date.is_(None), RoleHeld.to_date >= on),
        )
        .group_by(RoleHeld.role_id)
        .subquery()
    )
    rows = db.session.execute(
        select(PeerRole.name, func.coalesce(held.c.people, 0))
        .outerjoin(held, held.c.role_id == PeerRole.id)
        .order_by(PeerRole.name)
    ).all()
    return dict(rows)


def active_peers(on: date) -> int:
    """Distinct people holding any peer role on the day ``on``."""
    return db.session.scalar(
        select(func.count(func.distinct(RoleHeld.user_id))).where(
            RoleHeld.from_date <= on,
            or_(RoleHeld.to_date.is_(None), RoleHeld.to_date >= on),
        )
    )


def checks_expiring(start: date, end: date) -> int:
    """Current DBS checks due for renewal from ``start`` to ``end`` (inclusive)."""
    query = checks.current_checks_query().where(DbsCheck.renewal_date.between(start, end))
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def _hours(minutes: int | None) -> Decimal:
    """Minutes as hours to one decimal place (90 -> 1.5)."""
    return (Decimal(minutes or 0) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def supervised_hours(start: date, end: date) -> Decimal:
    """Hours of supervision and reflective practice held from ``start`` to ``end``
    (inclusive), to one decimal place. One query."""
    minutes = db.session.scalar(
        select(func.coalesce(func.sum(SupervisionSession.minutes), 0)).where(
            SupervisionSession.held_on.between(start, end)
        )
    )
    return _hours(minutes)


def supervised_hours_by_role(start: date, end: date) -> dict[str, Decimal]:
    """:func:`supervised_hours` by the peer role the person held on the day of each session,
    by role name (roles with none are left out). A session of someone holding two roles that
    day counts in both; one before any role (in training, say) counts in neither. One query."""
    rows = db.session.execute(
        select(PeerRole.name, func.sum(SupervisionSession.minutes))
        .join(
            RoleHeld,
            and_(
                RoleHeld.user_id == SupervisionSession.person_id,
                RoleHeld.from_date <= SupervisionSession.held_on,
                or_(RoleHeld.to_date.is_(None), RoleHeld.to_date >= SupervisionSession.held_on),
            ),
        )
        .join(PeerRole, PeerRole.id == RoleHeld.role_id)
        .where(SupervisionSession.held_on.between(start, end))
        .group_by(PeerRole.name)
        .order_by(PeerRole.name)
    ).all()
    return {name: _hours(minutes) for name, minutes in rows}


def people_trained(start: date, end: date) -> int:
    """Peers trained for co-production from ``start`` to ``end``: distinct peers who completed
    any course on one of those days (at a session, or recorded as done elsewhere)."""
    peers = select(UserRole.user_id).where(UserRole.role == Role.PEER.value)
    return db.session.scalar(
        select(func.count(func.distinct(Completion.user_id))).where(
            Completion.completed_on.between(start, end), Completion.user_id.in_(peers)
        )
    )


def training_sessions_delivered(start: date, end: date) -> int:
    """Training sessions delivered from ``start`` to ``end``: not cancelled, on one of those
    days (the partnership's), and at least one person took part."""
    # EXISTS per session's meeting (read from the register's index), not IN a list of every
    # meeting anyone ever took part in, which was built in full on every request.
    came = (
        select(Attendance.meeting_id)
        .where(Attendance.meeting_id == Meeting.id, Attendance.presence.in_(TOOK_PART))
        .exists()
    )
    return db.session.scalar(
        select(func.count(TrainingSession.id))
        .join(Meeting, Meeting.id == TrainingSession.meeting_id)
        .where(Meeting.cancelled.is_(False), _between(Meeting.starts_at, start, end), came)
    )


def training_expiring(start: date, end: date) -> int:
    """Completions that count (none of the person's later ones replaces them) for a course an
    active person's role still needs, running out from ``start`` to ``end``. One query."""
    from engage.mentoring.training import _expiring_completions

    query = _expiring_completions(start, end).options(noload("*")).order_by(None)
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


# The dashboard's "People" section --------------------------------------------------------------


def people_section(current: Period, previous: Period | None) -> Section:
    """People identified and trained for co-production, sessions delivered, active peers by
    role, the recruitment pipeline and what runs out soon. 12 queries (6 without a previous
    period)."""
    trained, trained_before = both(lambda p: people_trained(p.start, p.end), current, previous)
    sessions, sessions_before = both(
        lambda p: training_sessions_delivered(p.start, p.end), current, previous
    )
    applied, applied_before = both(lambda p: reached_stage(p.start, p.end), current, previous)
    active, active_before = both(lambda p: active_peers(p.end), current, previous)
    by_role = active_peers_by_role(current.end)
    pipeline = applications_by_stage(current.start, current.end)
    # What runs out in the 90 days after the period: what a board should plan for now.
    ahead = Period(current.end + timedelta(days=1), current.end + timedelta(days=90))
    return Section(
        key="people",
        title=_("People"),
        figures=[
            Figure(
                "people_identified",
                _("People who applied to be peers"),
                applied[Stage.APPLIED],
                applied_before[Stage.APPLIED] if applied_before else None,
                how=_("Applications made in the period, through /join or by a worker with them."),
                link=url_for("mentoring.applications"),
                opens=mentoring_perm.can_run_recruitment,
                public=True,
            ),
            Figure(
                "people_trained",
                _("Peers trained for co-production"),
                trained,
                trained_before,
                how=_(
                    "Different peers who completed any course in the period, at a training "
                    "session or recorded as done elsewhere."
                ),
                link=url_for("mentoring.gaps"),
                opens=mentoring_perm.can_run_training,
                public=True,
            ),
            Figure(
                "training_sessions",
                _("Training sessions delivered"),
                sessions,
                sessions_before,
                how=_("Training sessions in the period that went ahead with at least one person."),
                link=url_for("mentoring.training"),
                opens=mentoring_perm.can_run_training,
                public=True,
            ),
            Figure(
                "active_peers",
                _("Active peers on the last day"),
                active,
                active_before,
                how=_("Different people holding any peer role on the period's last day."),
                public=True,
            ),
            Figure(
                "became_active",
                _("People who became active peers"),
                applied[Stage.ACTIVE],
                applied_before[Stage.ACTIVE] if applied_before else None,
                how=_("Applications moved to 'active' in the period."),
                link=url_for("mentoring.applications"),
                opens=mentoring_perm.can_run_recruitment,
                public=True,
            ),
            Figure(
                "checks_expiring",
                _("DBS checks due for renewal in the next 90 days"),
                checks_expiring(ahead.start, ahead.end),
                how=_(
                    "Current DBS checks whose renewal date falls in the 90 days after the period."
                ),
                higher_is_better=False,
                compares=False,
            ),
            Figure(
                "training_expiring",
                _("Training running out in the next 90 days"),
                training_expiring(ahead.start, ahead.end),
                how=_(
                    "Course completions that active peers' roles still need, running out in the "
                    "90 days after the period and not yet done again."
                ),
                link=url_for("mentoring.gaps"),
                opens=mentoring_perm.can_run_training,
                higher_is_better=False,
                compares=False,
            ),
        ],
        tables=[
            Table(
                "active_by_role",
                _("Active peers by role on the last day"),
                _("Role"),
                [_("People")],
                [(name, n) for name, n in by_role.items()],
                public=True,
            ),
            Table(
                "pipeline",
                _("Applications made in the period, by the stage they are at now"),
                _("Stage"),
                [_("Applications")],
                [(stage.label, n) for stage, n in pipeline.items()],
                public=True,
            ),
        ],
    )
