"""Training: sessions of the courses in the catalogue, completions with their expiry, what each
person's roles still need (the gaps matrix), and the expiry warnings ``engage tick`` sends.

A training session **is** a meeting of the training forum (one forum with ``is_training``,
made on first need, kept out of the forum lists), plus a :class:`TrainingSession` row saying
which course attending it completes. So its date, place or link, capacity, invitations,
replies, waiting list, reminders, change notices, calendar entries and attendance register are
the forums' own code and pages. Taking part (the forums' ``took_part`` signal) records the
completion here, once per person and session; the forums' ``involvement_given`` signal gives the
involvement record (the "training" activity of the rate card, paid or not per session).

Services take plain values, audit, queue messages and flush; the route commits. Every read
here runs a fixed number of queries, however many people and completions there are.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased, joinedload

from engage.core import audit, dates, outbox
from engage.core.db import utcnow
from engage.core.i18n import in_their_language
from engage.core.links import absolute_url
from engage.core.numbers import Page, page_of
from engage.extensions import db
from engage.forums import meetings, membership, replies
from engage.forums.attendance import TOOK_PART
from engage.forums.models import (
    Attendance,
    Forum,
    Invitation,
    Meeting,
    Reply,
    Rung,
)
from engage.mentoring import letters
from engage.mentoring.models import (
    Completion,
    Course,
    MentoringError,
    PeerRole,
    RoleHeld,
    TrainingExpiryWarning,
    TrainingSession,
    role_course,
)
from engage.people import services as people_services
from engage.people.models import Profile, Role, User

#: The rate-card activity a training session's attendance is given as.
TRAINING_ACTIVITY = "training"
#: What the training forum is called, and the names tried when a forum already has it.
FORUM_NAMES = ("Training", "Training sessions", "Peer training")
#: A completion that runs out within this many days is "expiring" (the first warning).
EXPIRING_DAYS = 60
#: Expiry warnings go this many days ahead, each once (as DBS renewals do).
WARN_DAYS = (60, 30, 7)
#: People a page of the gaps matrix shows.
GAPS_PAGE_SIZE = 50
#: The most people one CSV export of the matrix holds (far beyond any partnership).
EXPORT_ROWS = 100_000


class TrainingState(enum.StrEnum):
    """Where someone is with a course their role needs."""

    DONE = "done"
    EXPIRING = "expiring"  # done, but it runs out within EXPIRING_DAYS
    EXPIRED = "expired"
    MISSING = "missing"
    NOT_NEEDED = "not_needed"  # none of their roles needs it

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])

    @property
    def colour(self) -> str:
        return STATE_COLOURS[self]

    @property
    def to_do(self) -> bool:
        """They need a place on a session: never done, or it ran out."""
        return self in (TrainingState.MISSING, TrainingState.EXPIRED)


STATE_LABELS = {
    TrainingState.DONE: _l("Done"),
    TrainingState.EXPIRING: _l("Runs out soon"),
    TrainingState.EXPIRED: _l("Ran out"),
    TrainingState.MISSING: _l("Not done yet"),
    TrainingState.NOT_NEEDED: _l("Not needed"),
}

STATE_COLOURS = {
    TrainingState.DONE: "green",
    TrainingState.EXPIRING: "yellow",
    TrainingState.EXPIRED: "red",
    TrainingState.MISSING: "orange",
    TrainingState.NOT_NEEDED: "grey",
}


def expiry_of(course: Course, completed_on: date) -> date | None:
    """The day a completion of ``course`` on ``completed_on`` runs out (None: never)."""
    if not course.valid_months:
        return None
    return dates.months_after(completed_on, course.valid_months)


def state_of(
    completed: bool, never_runs_out: bool, runs_out: date | None, today: date
) -> TrainingState:
    """The state of a needed course from someone's best completion: ``runs_out`` is the latest
    expiry of their completions, ``never_runs_out`` whether any of them never expires. A
    completion counts up to the day before it runs out."""
    if not completed:
        return TrainingState.MISSING
    if never_runs_out or runs_out is None:
        return TrainingState.DONE
    if runs_out <= today:
        return TrainingState.EXPIRED
    if runs_out <= today + timedelta(days=EXPIRING_DAYS):
        return TrainingState.EXPIRING
    return TrainingState.DONE


# The training forum and its sessions --------------------------------------------------------


def training_forum(actor: User | None = None) -> Forum:
    """The forum whose meetings are training sessions, made the first time it is needed
    (invitation only, so nobody is a member and nobody is invited by belonging)."""
    forum = db.session.scalar(
        select(Forum).where(Forum.is_training.is_(True)).order_by(Forum.id).limit(1)
    )
    if forum is not None:
        return forum
    taken = {
        name.lower()
        for name in db.session.scalars(
            select(Forum.name).where(func.lower(Forum.name).in_([n.lower() for n in FORUM_NAMES]))
        )
    }
    name = next((n for n in FORUM_NAMES if n.lower() not in taken), f"Training {utcnow():%Y%m%d}")
    forum = membership.create_forum(
        actor,
        name=name,
        purpose="Training sessions for people in peer roles.",
        open_to_all=False,
    )
    forum.is_training = True
    db.session.flush()
    return forum


def create_session(
    actor: User,
    course: Course,
    *,
    starts_at: datetime,
    duration_minutes: int,
    paid: bool,
    trainer: str = "",
    title: str = "",
    venue_id: int | None = None,
    online_link: str = "",
    capacity: int | None = None,
    wellbeing_check_in: bool = True,
) -> tuple[TrainingSession, bool]:
    """Put on a session of ``course``: a meeting of the training forum (planned by the forums'
    own code, so never in the past) with the course's name as its title unless ``title`` is
    given, given as the "training" activity, paid or not.

    Returns the session and whether it is new: a session of the same course at the same
    moment is taken to be the same one made again (a double press, a resent form), and is
    returned as it is. Raises :class:`MentoringError` for a course no longer offered, and
    the forums' ``ForumError`` (both are ``IllegalMove``) for a time that has passed.
    """
    if not course.is_active:
        raise MentoringError(_("This course is no longer offered. Choose another one."))
    # One request at a time per course (PostgreSQL; SQLite writers queue anyway), so two
    # presses of the form never both find no session and make two.
    db.session.execute(select(Course.id).where(Course.id == course.id).with_for_update())
    same = db.session.scalar(
        select(TrainingSession)
        .join(Meeting, Meeting.id == TrainingSession.meeting_id)
        .where(
            TrainingSession.course_id == course.id,
            Meeting.starts_at == starts_at,
            Meeting.cancelled.is_(False),
        )
        .limit(1)
    )
    if same is not None:
        return same, False
    forum = training_forum(actor)
    (meeting,) = meetings.plan(
        actor,
        forum,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        title=(title or "").strip() or course.name,
        venue_id=venue_id,
        online_link=online_link or "",
        capacity=capacity,
        rung=Rung.INFORMING.value,
        wellbeing_check_in=wellbeing_check_in,
        activity=TRAINING_ACTIVITY,
        paid=paid,
    )
    session = TrainingSession(course_id=course.id, meeting_id=meeting.id, trainer=trainer.strip())
    db.session.add(session)
    db.session.flush()
    audit.record(
        "training.session_created",
        actor=actor,
        session=session.id,
        course=course.id,
        meeting=meeting.id,
    )
    return session, True


def session_of_meeting(meeting_id: int) -> TrainingSession | None:
    return db.session.scalar(
        select(TrainingSession).where(TrainingSession.meeting_id == meeting_id)
    )


# Completions ------------------------------------------------------------------------------


def on_took_part(sender: Any, **signal: Any) -> None:
    """Receiver of ``engage.core.signals.took_part``: taking part in a training session
    completes its course (once per person and session). Other meetings are not training."""
    meeting = signal["meeting"]
    session = session_of_meeting(meeting.id)
    if session is None:
        return
    complete_from_session(session, signal["person"], signal.get("actor"))


def complete_from_session(
    session: TrainingSession, person: User, actor: User | None = None
) -> Completion:
    """Record that ``person`` completed the session's course on the session's day (in the
    partnership's calendar), running out after the course's months. Once per person and
    session: the completion already recorded is returned."""
    earlier = db.session.scalar(
        select(Completion).where(
            Completion.session_id == session.id, Completion.user_id == person.id
        )
    )
    if earlier is not None:
        return earlier
    day = dates.local_date(session.meeting.starts_at)
    return _complete(actor, person, session.course, day, session, "training.completed")


def _complete(  # noqa: PLR0913
    actor: User | None,
    person: User,
    course: Course,
    day: date,
    session: TrainingSession | None,
    action: str,
) -> Completion:
    """Add a completion of ``course`` on ``day``, running out after the course's months,
    and audit it as ``action``."""
    completion = Completion(
        user_id=person.id,
        course_id=course.id,
        completed_on=day,
        expires_on=expiry_of(course, day),
        session_id=session.id if session else None,
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(completion)
    db.session.flush()
    details = {"session": session.id} if session else {}
    audit.record(
        action, actor=actor, subject=person, course=course.id, completion=completion.id, **details
    )
    return completion


def record_completion(
    actor: User, person: User, course: Course, completed_on: date
) -> tuple[Completion, bool]:
    """A manager records a course ``person`` did elsewhere, on ``completed_on`` (not in the
    future). The same person, course and day recorded again is the same completion (a double
    press). Returns it and whether it is new. Raises :class:`MentoringError`."""
    if completed_on > dates.local_today():
        raise MentoringError(_("Enter a date that is today or before"))
    if not person.is_active:
        raise MentoringError(_("This account is closed."))
    earlier = db.session.scalar(
        select(Completion).where(
            Completion.user_id == person.id,
            Completion.course_id == course.id,
            Completion.completed_on == completed_on,
        )
    )
    if earlier is not None:
        return earlier, False
    completion = _complete(
        actor, person, course, completed_on, None, "training.completion_recorded"
    )
    return completion, True


def session_completions(session: TrainingSession) -> list[tuple[str, Completion]]:
    """Who completed the course at this session, by name (managers' page)."""
    rows = db.session.execute(
        select(Completion, User.username, Profile.preferred_name)
        .join(User, User.id == Completion.user_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(Completion.session_id == session.id)
    ).all()
    found = [(preferred or username, completion) for completion, username, preferred in rows]
    return sorted(found, key=lambda pair: pair[0].lower())


# Who needs what ---------------------------------------------------------------------------


def _holders(role_id: int | None = None):  # noqa: ANN202
    """Active accounts holding a peer role now (``role_id``: that role only)."""
    query = (
        select(RoleHeld.user_id)
        .join(User, User.id == RoleHeld.user_id)
        .where(RoleHeld.to_date.is_(None), User.is_active.is_(True))
    )
    if role_id is not None:
        query = query.where(RoleHeld.role_id == role_id)
    return query


def _needs(role_id: int | None = None):  # noqa: ANN202
    """(user_id, course_id) for every active person and each offered course a role they hold
    now needs (``role_id``: through that role only), once each."""
    query = (
        select(RoleHeld.user_id.label("user_id"), role_course.c.course_id.label("course_id"))
        .join(role_course, role_course.c.role_id == RoleHeld.role_id)
        .join(User, User.id == RoleHeld.user_id)
        .join(Course, Course.id == role_course.c.course_id)
        .where(RoleHeld.to_date.is_(None), User.is_active.is_(True), Course.is_active.is_(True))
        .distinct()
    )
    if role_id is not None:
        query = query.where(RoleHeld.role_id == role_id)
    return query


def _best():  # noqa: ANN202
    """Each person's best completion of each course, as one aggregate: the latest day done,
    the latest expiry, and how many never run out."""
    return select(
        Completion.user_id.label("user_id"),
        Completion.course_id.label("course_id"),
        func.max(Completion.completed_on).label("completed_on"),
        func.max(Completion.expires_on).label("expires_on"),
        (func.count(Completion.id) - func.count(Completion.expires_on)).label("forever"),
    ).group_by(Completion.user_id, Completion.course_id)


def _state_sql(best, today: date):  # noqa: ANN001, ANN202
    """The SQL twin of :func:`state_of`, over a :func:`_best` subquery outer-joined."""
    return case(
        (best.c.user_id.is_(None), literal(TrainingState.MISSING.value)),
        (best.c.forever > 0, literal(TrainingState.DONE.value)),
        (best.c.expires_on.is_(None), literal(TrainingState.DONE.value)),
        (best.c.expires_on <= today, literal(TrainingState.EXPIRED.value)),
        (
            best.c.expires_on <= today + timedelta(days=EXPIRING_DAYS),
            literal(TrainingState.EXPIRING.value),
        ),
        else_=literal(TrainingState.DONE.value),
    )


def _next_meetings(now: datetime):  # noqa: ANN202
    """(course_id, meeting_id) of each course's next session: the soonest not yet started and
    not cancelled (the lowest meeting id when two start together)."""
    first = (
        select(TrainingSession.course_id, func.min(Meeting.starts_at).label("starts_at"))
        .join(Meeting, Meeting.id == TrainingSession.meeting_id)
        .where(Meeting.starts_at > now, Meeting.cancelled.is_(False))
        .group_by(TrainingSession.course_id)
        .subquery()
    )
    return (
        select(
            TrainingSession.course_id.label("course_id"),
            func.min(TrainingSession.meeting_id).label("meeting_id"),
        )
        .join(Meeting, Meeting.id == TrainingSession.meeting_id)
        .join(
            first,
            and_(
                first.c.course_id == TrainingSession.course_id,
                first.c.starts_at == Meeting.starts_at,
            ),
        )
        .where(Meeting.cancelled.is_(False))
        .group_by(TrainingSession.course_id)
    )


def next_sessions(now: datetime) -> dict[int, TrainingSession]:
    """Each course's next session (course id → session, with its meeting), in one query."""
    following = _next_meetings(now).subquery()
    rows = db.session.scalars(
        select(TrainingSession)
        .join(following, following.c.meeting_id == TrainingSession.meeting_id)
        .options(joinedload(TrainingSession.meeting))
    ).all()
    return {row.course_id: row for row in rows}


@dataclass
class Cell:
    """One person and one course of the matrix."""

    state: TrainingState
    completed_on: date | None = None
    expires_on: date | None = None


@dataclass
class GapRow:
    user_id: int
    name: str
    roles: list[str]
    cells: list[Cell]


@dataclass
class ColumnSummary:
    """A course's column over everyone in the view (not just this page)."""

    counts: Counter = field(default_factory=Counter)  # TrainingState value -> people
    to_invite: int = 0  # missing or ran out, not paused, not invited to its next session yet


@dataclass
class GapsMatrix:
    courses: list[Course]
    rows: list[GapRow]
    page: Page
    summaries: dict[int, ColumnSummary]
    next_sessions: dict[int, TrainingSession]
    roles: list[PeerRole]
    role_id: int | None


def gaps_matrix(
    today: date,
    now: datetime,
    role_id: int | None = None,
    page: int | None = None,
    page_size: int = GAPS_PAGE_SIZE,
) -> GapsMatrix:
    """Active people holding a peer role (``role_id``: that role) × the courses their roles
    need: done, running out within EXPIRING_DAYS, ran out, not done yet, or not needed; a
    page of people at a time (by name), with each course's counts over everyone and how
    many would be invited to its next session.

    Eight queries, whatever the number of people, courses or completions.
    """
    roles = list(db.session.scalars(select(PeerRole).order_by(PeerRole.name)))
    if role_id is not None and role_id not in {r.id for r in roles}:
        role_id = None
    needed_by_role: dict[int, list[int]] = {}
    courses: dict[int, Course] = {}
    for rid, course in db.session.execute(
        select(role_course.c.role_id, Course)
        .join(Course, Course.id == role_course.c.course_id)
        .where(Course.is_active.is_(True))
    ).all():
        needed_by_role.setdefault(rid, []).append(course.id)
        if role_id is None or rid == role_id:
            courses[course.id] = course
    columns = sorted(courses.values(), key=lambda c: c.name.lower())

    holders = _holders(role_id).distinct().subquery()
    total = db.session.scalar(select(func.count()).select_from(holders))
    shown = page_of(total, page_size, page)
    name = func.coalesce(func.nullif(Profile.preferred_name, ""), User.username)
    people = db.session.execute(
        shown.of(
            select(User.id, name.label("name"))
            .join(holders, holders.c.user_id == User.id)
            .outerjoin(Profile, Profile.user_id == User.id)
            .order_by(func.lower(name), User.id)
        )
    ).all()
    ids = [uid for uid, _name in people]
    held: dict[int, list[int]] = {}
    best: dict[tuple[int, int], tuple[date, date | None, int]] = {}
    if ids:
        for uid, rid in db.session.execute(
            select(RoleHeld.user_id, RoleHeld.role_id)
            .where(RoleHeld.user_id.in_(ids), RoleHeld.to_date.is_(None))
            .order_by(RoleHeld.from_date, RoleHeld.id)
        ).all():
            held.setdefault(uid, []).append(rid)
        aggregate = _best().where(Completion.user_id.in_(ids))
        for uid, cid, done_on, runs_out, forever in db.session.execute(aggregate).all():
            best[(uid, cid)] = (done_on, runs_out, forever)
    role_names = {r.id: r.name for r in roles}
    rows = []
    for uid, person_name in people:
        their_roles = [r for r in held.get(uid, []) if role_id is None or r == role_id]
        needed = {c for r in their_roles for c in needed_by_role.get(r, [])}
        cells = []
        for course in columns:
            if course.id not in needed:
                cells.append(Cell(TrainingState.NOT_NEEDED))
                continue
            done = best.get((uid, course.id))
            if done is None:
                cells.append(Cell(TrainingState.MISSING))
                continue
            done_on, runs_out, forever = done
            state = state_of(True, bool(forever), runs_out, today)
            cells.append(Cell(state, done_on, None if forever else runs_out))
        rows.append(GapRow(uid, person_name, [role_names[r] for r in their_roles], cells))
    return GapsMatrix(
        courses=columns,
        rows=rows,
        page=shown,
        summaries=column_summaries(today, now, role_id),
        next_sessions=next_sessions(now),
        roles=roles,
        role_id=role_id,
    )


def column_summaries(
    today: date, now: datetime, role_id: int | None = None
) -> dict[int, ColumnSummary]:
    """Per course, how many people in the view are in each state, and how many "invite
    everyone missing this" would invite to its next session (one aggregate query: each
    person and course's state is worked out once, in a subquery, then counted)."""
    needs = _needs(role_id).subquery()
    best = _best().subquery()
    following = _next_meetings(now).subquery()
    state = _state_sql(best, today)
    invitable = and_(
        following.c.meeting_id.is_not(None),
        Invitation.id.is_(None),
        Profile.paused_at.is_(None),
    )
    each = (
        select(
            needs.c.course_id.label("course_id"),
            state.label("state"),
            case((invitable, 1), else_=0).label("invitable"),
        )
        .select_from(needs)
        .outerjoin(
            best, and_(best.c.user_id == needs.c.user_id, best.c.course_id == needs.c.course_id)
        )
        .outerjoin(following, following.c.course_id == needs.c.course_id)
        .outerjoin(
            Invitation,
            and_(
                Invitation.meeting_id == following.c.meeting_id,
                Invitation.user_id == needs.c.user_id,
            ),
        )
        .outerjoin(Profile, Profile.user_id == needs.c.user_id)
        .subquery()
    )
    rows = db.session.execute(
        select(each.c.course_id, each.c.state, func.count(), func.sum(each.c.invitable)).group_by(
            each.c.course_id, each.c.state
        )
    ).all()
    found: dict[int, ColumnSummary] = {}
    for course_id, state_value, people, invitable_count in rows:
        summary = found.setdefault(course_id, ColumnSummary())
        summary.counts[state_value] += people
        if TrainingState(state_value).to_do:
            summary.to_invite += int(invitable_count or 0)
    return found


def missing_people(course: Course, today: date, role_id: int | None = None) -> set[int]:
    """Active people whose roles (``role_id``: that role) need ``course`` and who have not
    done it, or whose completion ran out."""
    needs = _needs(role_id).where(role_course.c.course_id == course.id).subquery()
    best = _best().where(Completion.course_id == course.id).subquery()
    state = _state_sql(best, today)
    return set(
        db.session.scalars(
            select(needs.c.user_id)
            .outerjoin(best, best.c.user_id == needs.c.user_id)
            .where(state.in_([TrainingState.MISSING.value, TrainingState.EXPIRED.value]))
        )
    )


def invite_missing(actor: User, session: TrainingSession, role_id: int | None = None) -> int:
    """Invite everyone whose roles (``role_id``: that role) need the session's course and who
    have not done it or whose completion ran out, through the forums' own invitations (each
    told in their language, by their way; paused people are not invited; nobody is invited
    twice). Returns how many were invited. Raises :class:`MentoringError` for a session that
    was cancelled or has started."""
    meeting = session.meeting
    if meeting.cancelled:
        raise MentoringError(_("This session was cancelled. Choose another one."))
    if meeting.starts_at <= utcnow():
        raise MentoringError(_("This session has already started. Choose a later one."))
    people = missing_people(session.course, dates.local_today(), role_id)
    invited = replies.invite_people(meeting, people, notify=True)
    audit.record(
        "training.invited_missing",
        actor=actor,
        session=session.id,
        course=session.course_id,
        role=role_id,
        invited=invited,
    )
    return invited


def gaps_for_export(today: date, role_id: int | None = None) -> tuple[list[Course], list[GapRow]]:
    """The whole matrix, every person, for the CSV export (same queries, no paging)."""
    matrix = gaps_matrix(today, utcnow(), role_id, page=1, page_size=EXPORT_ROWS)
    return matrix.courses, matrix.rows


# A person's own training ------------------------------------------------------------------


@dataclass
class CourseStatus:
    course: Course
    state: TrainingState
    completed_on: date | None
    expires_on: date | None


@dataclass
class OwnTraining:
    """What /training shows a person about themselves."""

    needed: list[CourseStatus]  # the courses their roles need, by name
    done: list[CourseStatus]  # every course they have done, latest completion each
    sessions: list[tuple[TrainingSession, Invitation | None, bool]]  # (session, theirs, open)

    @property
    def still_needed(self) -> list[CourseStatus]:
        return [s for s in self.needed if s.state != TrainingState.DONE]


def own_training(person: User, today: date, now: datetime) -> OwnTraining:
    """The courses ``person``'s roles need and where they are with each, what they have done
    (latest of each course, with when it runs out), and the coming sessions they are invited
    to or that are open to them because a role of theirs needs the course and they have not
    done it (or it runs out soon). Only their own rows are read. Four queries."""
    needed_ids = set(
        db.session.scalars(
            select(role_course.c.course_id)
            .join(RoleHeld, RoleHeld.role_id == role_course.c.role_id)
            .join(Course, Course.id == role_course.c.course_id)
            .where(
                RoleHeld.user_id == person.id,
                RoleHeld.to_date.is_(None),
                Course.is_active.is_(True),
            )
        )
    )
    best = {}
    for cid, done_on, runs_out, forever in db.session.execute(
        select(
            Completion.course_id,
            func.max(Completion.completed_on),
            func.max(Completion.expires_on),
            func.count(Completion.id) - func.count(Completion.expires_on),
        )
        .where(Completion.user_id == person.id)
        .group_by(Completion.course_id)
    ).all():
        best[cid] = (done_on, None if forever else runs_out, bool(forever))
    courses = {
        c.id: c
        for c in db.session.scalars(select(Course).where(Course.id.in_(needed_ids | set(best))))
    }

    def status(cid: int) -> CourseStatus:
        done = best.get(cid)
        if done is None:
            return CourseStatus(courses[cid], TrainingState.MISSING, None, None)
        done_on, runs_out, forever = done
        return CourseStatus(
            courses[cid], state_of(True, forever, runs_out, today), done_on, runs_out
        )

    by_name = lambda s: s.course.name.lower()  # noqa: E731
    needed = sorted((status(cid) for cid in needed_ids), key=by_name)
    done = sorted((status(cid) for cid in best), key=by_name)
    wanted = {s.course.id for s in needed if s.state != TrainingState.DONE}
    invited = select(Invitation.meeting_id).where(Invitation.user_id == person.id)
    rows = db.session.execute(
        select(TrainingSession, Invitation)
        .join(Meeting, Meeting.id == TrainingSession.meeting_id)
        .outerjoin(
            Invitation,
            and_(Invitation.meeting_id == Meeting.id, Invitation.user_id == person.id),
        )
        .options(
            joinedload(TrainingSession.meeting).joinedload(Meeting.venue),
            joinedload(TrainingSession.course),
        )
        .where(
            Meeting.ends_at >= now,
            Meeting.cancelled.is_(False),
            or_(Meeting.id.in_(invited), TrainingSession.course_id.in_(wanted)),
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(20)
    ).all()
    sessions = [
        (session, invitation, invitation is None and session.course_id in wanted)
        for session, invitation in rows
    ]
    return OwnTraining(needed=needed, done=done, sessions=sessions)


def needs_course(person: User, course_id: int) -> bool:
    """A role ``person`` holds now needs this course (and it is offered)."""
    return (
        db.session.scalar(
            select(role_course.c.course_id)
            .join(RoleHeld, RoleHeld.role_id == role_course.c.role_id)
            .join(Course, Course.id == role_course.c.course_id)
            .where(
                RoleHeld.user_id == person.id,
                RoleHeld.to_date.is_(None),
                role_course.c.course_id == course_id,
                Course.is_active.is_(True),
            )
            .limit(1)
        )
        is not None
    )


def take_place(person: User, session: TrainingSession) -> Invitation:
    """``person`` asks for a place on a session of a course their role needs: a yes through
    the forums' replies (a full session puts them on its waiting list). Raises
    :class:`MentoringError` (or the forums' ``ForumError``) when the session is over or
    cancelled."""
    return replies.reply(person, session.meeting, Reply.YES)


# Managers' lists of sessions ---------------------------------------------------------------


@dataclass
class SessionLine:
    session: TrainingSession
    coming: int
    waiting: int
    took_part: int


def sessions_list(now: datetime, upcoming: bool, limit: int = 50) -> list[SessionLine]:
    """Coming sessions (soonest first) or past ones (latest first), with places taken, the
    waiting list and how many took part: three queries."""
    over = Meeting.ends_at < now
    query = (
        select(TrainingSession)
        .join(Meeting, Meeting.id == TrainingSession.meeting_id)
        .options(
            joinedload(TrainingSession.meeting).joinedload(Meeting.venue),
            joinedload(TrainingSession.course),
        )
        .where(~over if upcoming else over)
        .order_by(
            Meeting.starts_at if upcoming else Meeting.starts_at.desc(),
            Meeting.id,
        )
        .limit(limit)
    )
    sessions = list(db.session.scalars(query))
    ids = [s.meeting_id for s in sessions]
    answers: dict[tuple[int, str], int] = {}
    came: dict[int, int] = {}
    if ids:
        answers = {
            (mid, reply): n
            for mid, reply, n in db.session.execute(
                select(Invitation.meeting_id, Invitation.reply, func.count(Invitation.id))
                .where(
                    Invitation.meeting_id.in_(ids),
                    Invitation.reply.in_([Reply.YES.value, Reply.WAITING.value]),
                )
                .group_by(Invitation.meeting_id, Invitation.reply)
            ).all()
        }
        came = dict(
            db.session.execute(
                select(Attendance.meeting_id, func.count(Attendance.id))
                .where(Attendance.meeting_id.in_(ids), Attendance.presence.in_(TOOK_PART))
                .group_by(Attendance.meeting_id)
            ).all()
        )
    return [
        SessionLine(
            s,
            answers.get((s.meeting_id, Reply.YES.value), 0),
            answers.get((s.meeting_id, Reply.WAITING.value), 0),
            came.get(s.meeting_id, 0),
        )
        for s in sessions
    ]


# Expiry warnings (engage tick) ------------------------------------------------------------


def _expiring_completions(today: date, last: date):  # noqa: ANN202
    """The completions that count for their person and course (no other completion of theirs
    runs out later or never) and run out from ``today`` to ``last``, for active people whose
    roles still need the course."""
    other = aliased(Completion)
    redone = exists().where(
        other.user_id == Completion.user_id,
        other.course_id == Completion.course_id,
        other.id != Completion.id,
        or_(
            other.expires_on.is_(None),
            other.expires_on > Completion.expires_on,
            and_(other.expires_on == Completion.expires_on, other.id > Completion.id),
        ),
    )
    still_needed = exists().where(
        RoleHeld.user_id == Completion.user_id,
        RoleHeld.to_date.is_(None),
        role_course.c.role_id == RoleHeld.role_id,
        role_course.c.course_id == Completion.course_id,
    )
    return (
        select(Completion)
        .join(User, User.id == Completion.user_id)
        .join(Course, Course.id == Completion.course_id)
        .where(
            Completion.expires_on.between(today, last),
            User.is_active.is_(True),
            Course.is_active.is_(True),
            ~redone,
            still_needed,
        )
        .options(joinedload(Completion.course), joinedload(Completion.user))
        .order_by(Completion.expires_on, Completion.id)
    )


def _managers() -> list[User]:
    return people_services.active_with_role(Role.MANAGER)


def send_expiry_warnings(today: date) -> int:
    """Warn the person, kindly, and the managers 60, 30 and 7 days before a completion runs
    out, each warning once (kept in ``TrainingExpiryWarning``). Only the completion that
    counts is warned about: once the course is done again, the old one says nothing. When
    ``engage tick`` has not run for a while only the nearest warning goes, and the ones it
    passed are marked as gone. Managers get one message per run listing everyone. Returns
    how many completions were warned about."""
    last = today + timedelta(days=max(WARN_DAYS))
    found = list(db.session.scalars(_expiring_completions(today, last)).unique())
    if not found:
        return 0
    sent = {
        (row.completion_id, row.days_ahead)
        for row in db.session.scalars(
            select(TrainingExpiryWarning).where(
                TrainingExpiryWarning.completion_id.in_([c.id for c in found])
            )
        )
    }
    warned: list[Completion] = []
    for completion in found:
        days_left = (completion.expires_on - today).days
        due = [days for days in WARN_DAYS if days_left <= days]
        if not due or (completion.id, min(due)) in sent:
            continue
        for days in due:
            if (completion.id, days) not in sent:
                db.session.add(TrainingExpiryWarning(completion_id=completion.id, days_ahead=days))
        person = completion.user
        with in_their_language(person):
            subject, body = letters.training_runs_out(
                person.display_name,
                completion.course.name,
                completion.expires_on,
                absolute_url("mentoring.training"),
            )
            outbox.queue(kind=outbox.Kind.UPDATE, user=person, subject=subject, body=body)
        warned.append(completion)
    if warned:
        _tell_managers(warned, today)
    db.session.flush()
    return len(warned)


def _tell_managers(warned: list[Completion], today: date) -> None:
    link = absolute_url("mentoring.gaps")
    for manager in _managers():
        with in_their_language(manager):
            lines = "\n".join(
                _(
                    "- %(name)s: %(course)s, runs out on %(day)s",
                    name=c.user.display_name,
                    course=c.course.name,
                    day=format_date(c.expires_on, "d MMMM y"),
                )
                for c in warned
            )
            outbox.queue(
                kind=outbox.Kind.UPDATE,
                user=manager,
                subject=ngettext(
                    "Training running out: %(num)d person",
                    "Training running out: %(num)d people",
                    len(warned),
                ),
                body=_(
                    "This training runs out soon. Please offer each of them a place on a "
                    "session in good time.\n\n%(lines)s\n\nWho is missing what:\n%(link)s\n",
                    lines=lines,
                    link=link,
                ),
            )
