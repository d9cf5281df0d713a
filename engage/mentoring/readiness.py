"""Whether someone is ready for the work a peer role needs: a current DBS check at the level
the role asks for, and each course it needs done and not run out.

A manager is shown these problems **before** they choose someone for an opportunity that needs
a role, or make someone active in a role; going ahead anyway needs a reason, which is kept.
It is a warning, never a block, and never a judgement: the text says only what is missing or
out of date. It never says what a check found (there is nothing to say: only the level and
dates are kept), and an outcome with information disclosed is not a problem here at all (that
is the individual risk-assessment decision's, before induction).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from engage.extensions import db
from engage.mentoring.models import (
    Application,
    CheckLevel,
    Completion,
    Course,
    DbsCheck,
    PeerRole,
)


class ProblemKind(enum.StrEnum):
    """What is missing or out of date (kept in the audit log, never the person's details)."""

    NO_CHECK = "no_check"  # no DBS check recorded
    CHECK_TOO_LOW = "check_too_low"  # a basic check where the role needs an enhanced one
    CHECK_DUE = "check_due"  # the latest check's renewal date has passed
    NO_TRAINING = "no_training"  # a course the role needs was never recorded as done
    TRAINING_RAN_OUT = "training_ran_out"  # the latest completion of a course has run out


@dataclass(frozen=True)
class Problem:
    """One thing to put right, in plain words for the manager (their language, now)."""

    kind: ProblemKind
    text: str
    course_id: int | None = None  # for training problems: which course


def problems_for(
    people_ids: Iterable[int], role: PeerRole | None, on: date
) -> dict[int, list[Problem]]:
    """What stands between each person and the work ``role`` needs, on the day ``on``.

    For a role with a DBS level: each person's latest check (by certificate date, across all
    their applications) is missing, below the level, or past its renewal date. For each
    course the role needs: their latest completion is missing, or ran out before ``on``.

    Returns ``{user id: [Problem, ...]}`` for the people with at least one problem only (the
    DBS problem first, then the courses by name). Three queries at most (the role's courses,
    the checks, the completions), however many people are asked about.
    """
    ids = sorted({int(i) for i in people_ids})
    if role is None or not ids:
        return {}
    courses = list(role.courses)
    level = role.check_level_enum
    checks: dict[int, tuple[str, date | None]] = {}
    if level != CheckLevel.NONE:
        checks = _latest_checks(ids)
    completions: dict[tuple[int, int], date | None] = {}
    if courses:
        completions = _latest_completions(ids, [c.id for c in courses])
    found: dict[int, list[Problem]] = {}
    for person in ids:
        problems = _check_problems(level, checks.get(person), on)
        problems += _course_problems(courses, person, completions, on)
        if problems:
            found[person] = problems
    return found


def problems_for_application(
    application: Application, on: date, user_id: int | None = None
) -> list[Problem]:
    """What stands between an applicant and the role they apply for, on the day ``on``: as
    :func:`problems_for`, with the checks recorded on this application counted too (an
    applicant's checks hang off their applications, and they may have no account yet).
    ``user_id`` is the account that will hold the role (None: a new one, with no training
    recorded yet). Two queries at most, besides the role's courses."""
    role = application.role
    if role is None:
        return []
    level = role.check_level_enum
    latest = None
    if level != CheckLevel.NONE:
        mine = [Application.id == application.id]
        if user_id is not None:
            mine.append(Application.user_id == user_id)
        row = db.session.execute(
            select(DbsCheck.level, DbsCheck.renewal_date)
            .join(Application, Application.id == DbsCheck.application_id)
            .where(or_(*mine))
            .order_by(DbsCheck.certificate_date.desc(), DbsCheck.id.desc())
            .limit(1)
        ).first()
        latest = (row.level, row.renewal_date) if row is not None else None
    courses = list(role.courses)
    completions: dict[tuple[int, int], date | None] = {}
    if courses and user_id is not None:
        completions = _latest_completions([user_id], [c.id for c in courses])
    return _check_problems(level, latest, on) + _course_problems(courses, user_id, completions, on)


# The queries ---------------------------------------------------------------------------


def _latest_checks(ids: list[int]) -> dict[int, tuple[str, date | None]]:
    """Each person's latest DBS check (level, renewal date), across their applications."""
    ranked = (
        select(
            Application.user_id.label("user_id"),
            DbsCheck.level.label("level"),
            DbsCheck.renewal_date.label("renewal_date"),
            func.row_number()
            .over(
                partition_by=Application.user_id,
                order_by=(DbsCheck.certificate_date.desc(), DbsCheck.id.desc()),
            )
            .label("place"),
        )
        .join(Application, Application.id == DbsCheck.application_id)
        .where(Application.user_id.in_(ids))
        .subquery()
    )
    rows = db.session.execute(
        select(ranked.c.user_id, ranked.c.level, ranked.c.renewal_date).where(ranked.c.place == 1)
    )
    return {row.user_id: (row.level, row.renewal_date) for row in rows}


def _latest_completions(
    ids: list[int], course_ids: list[int]
) -> dict[tuple[int, int], date | None]:
    """(person, course) -> when their latest completion runs out (None: never)."""
    ranked = (
        select(
            Completion.user_id,
            Completion.course_id,
            Completion.expires_on,
            func.row_number()
            .over(
                partition_by=(Completion.user_id, Completion.course_id),
                order_by=(Completion.completed_on.desc(), Completion.id.desc()),
            )
            .label("place"),
        )
        .where(Completion.user_id.in_(ids), Completion.course_id.in_(course_ids))
        .subquery()
    )
    rows = db.session.execute(
        select(ranked.c.user_id, ranked.c.course_id, ranked.c.expires_on).where(ranked.c.place == 1)
    )
    return {(row.user_id, row.course_id): row.expires_on for row in rows}


# The words -------------------------------------------------------------------------------


def _day(day: date) -> str:
    return format_date(day, "d MMMM y")


def _check_problems(
    needed: CheckLevel, latest: tuple[str, date | None] | None, on: date
) -> list[Problem]:
    if needed == CheckLevel.NONE:
        return []
    if latest is None:
        text = (
            _("No enhanced DBS check is recorded.")
            if needed == CheckLevel.ENHANCED
            else _("No basic DBS check is recorded.")
        )
        return [Problem(ProblemKind.NO_CHECK, text)]
    level, renewal = latest
    if CheckLevel(level).rank < needed.rank:
        return [
            Problem(
                ProblemKind.CHECK_TOO_LOW,
                _("Their DBS check is a basic one; this needs an enhanced check."),
            )
        ]
    if renewal is not None and renewal < on:
        return [
            Problem(
                ProblemKind.CHECK_DUE,
                _("Their DBS check was due for renewal on %(date)s.", date=_day(renewal)),
            )
        ]
    return []


def _course_problems(
    courses: list[Course],
    person: int | None,
    completions: dict[tuple[int, int], date | None],
    on: date,
) -> list[Problem]:
    problems = []
    for course in courses:
        key = (person, course.id)
        if key not in completions:
            problems.append(
                Problem(
                    ProblemKind.NO_TRAINING,
                    _("There is no record of them doing “%(course)s”.", course=course.name),
                    course.id,
                )
            )
            continue
        expires = completions[key]
        if expires is not None and expires < on:
            problems.append(
                Problem(
                    ProblemKind.TRAINING_RAN_OUT,
                    _(
                        "Their “%(course)s” training ran out on %(date)s.",
                        course=course.name,
                        date=_day(expires),
                    ),
                    course.id,
                )
            )
    return problems


def kinds(problems: Iterable[Problem]) -> list[str]:
    """The kinds of ``problems``, without repeats, in order: what the audit log keeps."""
    return list(dict.fromkeys(p.kind.value for p in problems))
