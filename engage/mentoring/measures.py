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

from sqlalchemy import and_, func, or_, select

from engage.core import dates
from engage.extensions import db
from engage.forums.attendance import TOOK_PART
from engage.forums.models import Attendance, Meeting
from engage.mentoring import checks
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
    came = select(Attendance.meeting_id).where(Attendance.presence.in_(TOOK_PART))
    return db.session.scalar(
        select(func.count(TrainingSession.id))
        .join(Meeting, Meeting.id == TrainingSession.meeting_id)
        .where(
            Meeting.cancelled.is_(False),
            _between(Meeting.starts_at, start, end),
            Meeting.id.in_(came),
        )
    )
