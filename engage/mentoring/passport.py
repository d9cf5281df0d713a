"""The progression passport: one person's journey in facts they can take with them, the roles
they held and when, the training they did, their hours of supervision and of involvement, the
forums they took part in and the opportunities they did.

:func:`passport_of` builds it in a fixed number of queries (six), however long the journey.
It holds no supervision notes, no DBS outcome and no risk decision: it is what the person
sees and prints, and what a reference letter is written from. Time given comes from the
payments domain and forums and opportunities from theirs, each through its own read function.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from engage.core import dates
from engage.extensions import db
from engage.forums.attendance import ForumTakenPart, forums_taken_part
from engage.mentoring.models import (
    Completion,
    Course,
    PeerRole,
    RoleHeld,
    SupervisionKind,
    SupervisionSession,
)
from engage.opportunities.services import DoneOpportunity, completed_by
from engage.payments.time_given.services import TimeGiven, time_given_by
from engage.people.models import User


@dataclass(frozen=True)
class RoleLine:
    """A peer role held from one day to another (``to_date`` None: holds it now)."""

    role: str
    from_date: date
    to_date: date | None

    @property
    def current(self) -> bool:
        return self.to_date is None


@dataclass(frozen=True)
class TrainingLine:
    """A course done, with the latest completion's day and when it runs out (None: never)."""

    course: str
    completed_on: date
    expires_on: date | None

    def current_on(self, day: date) -> bool:
        return self.expires_on is None or self.expires_on >= day


@dataclass(frozen=True)
class SupervisionLine:
    """One session's day, kind and length: never its notes or who led it."""

    held_on: date
    kind: SupervisionKind
    minutes: int


@dataclass(frozen=True)
class SupervisionTotal:
    kind: SupervisionKind
    sessions: int
    minutes: int


@dataclass(frozen=True)
class Passport:
    """What :func:`passport_of` found for one person, as of ``today``."""

    person_id: int
    name: str
    today: date
    roles: list[RoleLine]
    training: list[TrainingLine]
    supervision: list[SupervisionLine]  # the latest first
    time_given: list[TimeGiven]  # by activity, the most first
    forums: list[ForumTakenPart]  # the most meetings first
    opportunities: list[DoneOpportunity]  # the latest first

    @property
    def supervised_minutes(self) -> int:
        return sum(line.minutes for line in self.supervision)

    @property
    def supervision_totals(self) -> list[SupervisionTotal]:
        """Sessions and minutes of each kind there is (supervision first)."""
        totals = []
        for kind in SupervisionKind:
            lines = [line for line in self.supervision if line.kind == kind]
            if lines:
                totals.append(SupervisionTotal(kind, len(lines), sum(x.minutes for x in lines)))
        return totals

    @property
    def involvement_minutes(self) -> int:
        return sum(row.minutes for row in self.time_given)

    @property
    def pending_minutes(self) -> int:
        """Of the involvement minutes, those still waiting for a manager's approval."""
        return sum(row.pending_minutes for row in self.time_given)

    @property
    def involvement_records(self) -> int:
        return sum(row.records for row in self.time_given)

    @property
    def meetings(self) -> int:
        return sum(row.meetings for row in self.forums)

    @property
    def since(self) -> date | None:
        """The day they first took on a peer role, if they have."""
        return min((line.from_date for line in self.roles), default=None)

    @property
    def is_empty(self) -> bool:
        return not (
            self.roles
            or self.training
            or self.supervision
            or self.time_given
            or self.forums
            or self.opportunities
        )


def _roles(person_id: int) -> list[RoleLine]:
    rows = db.session.execute(
        select(PeerRole.name, RoleHeld.from_date, RoleHeld.to_date)
        .join(PeerRole, PeerRole.id == RoleHeld.role_id)
        .where(RoleHeld.user_id == person_id)
        .order_by(RoleHeld.from_date, RoleHeld.id)
    ).all()
    return [RoleLine(name, start, end) for name, start, end in rows]


def _training(person_id: int) -> list[TrainingLine]:
    """Each course once, with its latest completion (a course done again replaces the old
    date), by course name."""
    rows = db.session.execute(
        select(Course.name, Completion.completed_on, Completion.expires_on)
        .join(Course, Course.id == Completion.course_id)
        .where(Completion.user_id == person_id)
        .order_by(Course.name, Course.id, Completion.completed_on.desc(), Completion.id.desc())
    ).all()
    lines: dict[str, TrainingLine] = {}
    for name, completed_on, expires_on in rows:
        lines.setdefault(name, TrainingLine(name, completed_on, expires_on))
    return list(lines.values())


def _supervision(person_id: int) -> list[SupervisionLine]:
    rows = db.session.execute(
        select(SupervisionSession.held_on, SupervisionSession.kind, SupervisionSession.minutes)
        .where(SupervisionSession.person_id == person_id)
        .order_by(SupervisionSession.held_on.desc(), SupervisionSession.id.desc())
    ).all()
    return [
        SupervisionLine(held_on, SupervisionKind(kind), minutes) for held_on, kind, minutes in rows
    ]


def passport_of(person: User, today: date | None = None) -> Passport:
    """Build ``person``'s passport as of ``today`` (the partnership's today by default). Six
    queries, whatever the number of roles, courses, sessions, records or meetings."""
    return Passport(
        person_id=person.id,
        name=person.display_name,
        today=today or dates.local_today(),
        roles=_roles(person.id),
        training=_training(person.id),
        supervision=_supervision(person.id),
        time_given=time_given_by(person.id),
        forums=forums_taken_part(person.id),
        opportunities=completed_by(person.id),
    )
