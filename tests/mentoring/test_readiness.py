"""Whether someone is ready for the work a peer role needs (engage.mentoring.readiness): each
kind of problem, in plain words; a redone course and a renewed check clear it; a fixed number
of queries however many people are asked about. The day is pinned (1 March 2027)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event

from engage.extensions import db
from engage.mentoring.models import (
    Application,
    Completion,
    ContactWay,
    Course,
    DbsCheck,
    PeerRole,
    Stage,
)
from engage.mentoring.readiness import ProblemKind, problems_for, problems_for_application
from engage.people.models import Role
from tests.mentoring.conftest import TODAY


@pytest.fixture
def mentor(app, roles, ctx) -> PeerRole:
    """The mentor role: an enhanced DBS check, Safeguarding (counts 36 months) and Boundaries
    (never runs out)."""
    return db.session.get(PeerRole, roles["mentor"])


def _course(name: str) -> Course:
    return db.session.scalar(db.select(Course).where(Course.name == name))


def _person(make_user, name: str) -> int:
    return make_user(name.lower(), roles={Role.PEER}, preferred_name=name).id


def _check(user_id: int | None, level: str, renewal: date | None, **changes) -> Application:
    """A DBS check on an application of theirs (checks hang off applications)."""
    application = Application(
        name="Someone",
        contact_way=ContactWay.EMAIL.value,
        email="someone@example.org",
        user_id=user_id,
        stage=Stage.ACTIVE.value,
    )
    db.session.add(application)
    values = {"certificate_date": TODAY - timedelta(days=400), "outcome": "clear"} | changes
    application.dbs_checks.append(DbsCheck(level=level, renewal_date=renewal, **values))
    db.session.flush()
    return application


def _done(user_id: int, course: str, completed: date, expires: date | None) -> None:
    db.session.add(
        Completion(
            user_id=user_id,
            course_id=_course(course).id,
            completed_on=completed,
            expires_on=expires,
        )
    )
    db.session.flush()


def _ready(user_id: int) -> None:
    """A current enhanced check and both of the mentor's courses, in date."""
    _check(user_id, "enhanced", TODAY + timedelta(days=200))
    _done(user_id, "Safeguarding", TODAY - timedelta(days=100), TODAY + timedelta(days=900))
    _done(user_id, "Boundaries", TODAY - timedelta(days=100), None)


def _kinds(found: dict, user_id: int) -> list[str]:
    return [p.kind.value for p in found.get(user_id, [])]


def test_each_kind_of_problem_is_said_plainly(make_user, mentor):
    nothing, basic, due, ran_out, ready = (
        _person(make_user, n) for n in ("Nina", "Bas", "Dee", "Rana", "Reggie")
    )
    _check(basic, "basic", TODAY + timedelta(days=200))
    _done(basic, "Safeguarding", date(2026, 1, 5), date(2029, 1, 5))
    _done(basic, "Boundaries", date(2026, 1, 5), None)
    _check(due, "enhanced", date(2027, 2, 28))  # yesterday
    _done(due, "Safeguarding", date(2026, 1, 5), date(2029, 1, 5))
    _done(due, "Boundaries", date(2026, 1, 5), None)
    _check(ran_out, "enhanced", TODAY)  # due today: not yet late
    _done(ran_out, "Safeguarding", date(2023, 3, 3), date(2026, 3, 3))
    _done(ran_out, "Boundaries", date(2020, 1, 1), None)  # never runs out
    _ready(ready)

    found = problems_for([nothing, basic, due, ran_out, ready], mentor, TODAY)

    assert ready not in found
    assert _kinds(found, nothing) == ["no_check", "no_training", "no_training"]
    assert [p.text for p in found[nothing]] == [
        "No enhanced DBS check is recorded.",
        "There is no record of them doing “Boundaries”.",
        "There is no record of them doing “Safeguarding”.",
    ]
    assert [p.text for p in found[basic]] == [
        "Their DBS check is a basic one; this needs an enhanced check."
    ]
    assert [p.text for p in found[due]] == [
        "Their DBS check was due for renewal on 28 February 2027."
    ]
    assert [p.text for p in found[ran_out]] == [
        "Their “Safeguarding” training ran out on 3 March 2026."
    ]
    assert found[ran_out][0].course_id == _course("Safeguarding").id


def test_a_completion_counts_on_its_last_day(make_user, mentor):
    person = _person(make_user, "Lara")
    _check(person, "enhanced", None)  # no renewal date: never due
    _done(person, "Safeguarding", date(2024, 3, 1), TODAY)
    _done(person, "Boundaries", date(2024, 3, 1), None)
    assert problems_for([person], mentor, TODAY) == {}
    assert _kinds(problems_for([person], mentor, TODAY + timedelta(days=1)), person) == [
        "training_ran_out"
    ]


def test_a_basic_check_is_enough_for_a_basic_role_and_no_role_needs_nothing(
    make_user, roles, mentor
):
    person = _person(make_user, "Bea")
    _check(person, "basic", TODAY + timedelta(days=30))
    mentor.check_level = "basic"
    mentor.courses = []
    assert problems_for([person], mentor, TODAY) == {}
    closed = db.session.get(PeerRole, roles["closed"])  # no check, no courses
    assert problems_for([person, 12345], closed, TODAY) == {}
    assert problems_for([person], None, TODAY) == {}
    assert problems_for([], mentor, TODAY) == {}


def test_the_latest_check_counts_across_their_applications_and_says_nothing_of_outcomes(
    make_user, mentor
):
    person = _person(make_user, "Ola")
    _done(person, "Safeguarding", date(2026, 1, 5), date(2029, 1, 5))
    _done(person, "Boundaries", date(2026, 1, 5), None)
    # An older enhanced check, due long ago, and a newer one on another application, with
    # information disclosed: that is for the risk-assessment decision, never a problem here.
    _check(person, "enhanced", date(2025, 1, 1), certificate_date=date(2022, 1, 1))
    _check(
        person, "enhanced", date(2029, 1, 1), certificate_date=date(2026, 1, 1), outcome="disclosed"
    )
    assert problems_for([person], mentor, TODAY) == {}
    other = _person(make_user, "Pat")
    _check(other, "enhanced", date(2026, 6, 1), outcome="disclosed")
    [problem] = [p for p in problems_for([other], mentor, TODAY)[other] if p.kind == "check_due"]
    assert "disclos" not in problem.text.lower() and "clear" not in problem.text.lower()


def test_a_redone_course_clears_the_problem(make_user, mentor):
    person = _person(make_user, "Rob")
    _check(person, "enhanced", TODAY + timedelta(days=300))
    _done(person, "Boundaries", date(2025, 5, 1), None)
    _done(person, "Safeguarding", date(2023, 2, 1), date(2026, 2, 1))
    assert _kinds(problems_for([person], mentor, TODAY), person) == ["training_ran_out"]
    _done(person, "Safeguarding", TODAY - timedelta(days=2), date(2030, 2, 26))
    assert problems_for([person], mentor, TODAY) == {}


def test_a_renewed_check_clears_the_problem(make_user, mentor):
    person = _person(make_user, "Rae")
    _done(person, "Safeguarding", date(2026, 1, 5), date(2029, 1, 5))
    _done(person, "Boundaries", date(2026, 1, 5), None)
    application = _check(person, "enhanced", date(2027, 1, 31))
    assert _kinds(problems_for([person], mentor, TODAY), person) == ["check_due"]
    # A new certificate ...
    application.dbs_checks.append(
        DbsCheck(
            level="enhanced",
            certificate_date=TODAY - timedelta(days=5),
            outcome="clear",
            renewal_date=date(2030, 2, 24),
        )
    )
    db.session.flush()
    assert problems_for([person], mentor, TODAY) == {}
    # ... or a renewal date moved on, on the check itself.
    other = _person(make_user, "Ros")
    _done(other, "Safeguarding", date(2026, 1, 5), date(2029, 1, 5))
    _done(other, "Boundaries", date(2026, 1, 5), None)
    check = _check(other, "enhanced", date(2027, 1, 31)).dbs_checks[0]
    assert _kinds(problems_for([other], mentor, TODAY), other) == ["check_due"]
    check.renewal_date = date(2028, 1, 31)
    db.session.flush()
    assert problems_for([other], mentor, TODAY) == {}


def _statements_for(ids: list[int], role_id: int) -> tuple[int, dict]:
    db.session.expire_all()
    role = db.session.get(PeerRole, role_id)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        found = problems_for(ids, role, TODAY)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements), found


@pytest.mark.parametrize("how_many", [3, 30])
def test_a_fixed_number_of_queries_whatever_the_number_of_people(make_user, mentor, how_many):
    people = []
    for number in range(how_many):
        person = make_user(roles={Role.PEER}).id
        people.append(person)
        if number % 3 == 0:
            _ready(person)
        elif number % 3 == 1:
            _check(person, "basic", TODAY + timedelta(days=10))
            _done(person, "Safeguarding", date(2022, 1, 1), date(2025, 1, 1))
    db.session.commit()
    statements, found = _statements_for(people, mentor.id)
    # The role's courses, the latest checks, the latest completions: however many people.
    assert statements == 3
    assert len(found) == how_many - len(range(0, how_many, 3))


def test_an_applicant_without_an_account_counts_the_checks_on_their_application(make_user, mentor):
    application = _check(None, "enhanced", TODAY + timedelta(days=300))
    application.role_id = mentor.id
    db.session.flush()
    db.session.refresh(application)
    # A new account has no training recorded yet.
    assert [p.kind for p in problems_for_application(application, TODAY)] == [
        ProblemKind.NO_TRAINING,
        ProblemKind.NO_TRAINING,
    ]
    # Linking an account that did the courses: nothing stands in the way.
    person = _person(make_user, "Lin")
    _done(person, "Safeguarding", date(2026, 1, 5), date(2029, 1, 5))
    _done(person, "Boundaries", date(2026, 1, 5), None)
    assert problems_for_application(application, TODAY, person) == []
    # Their account's own applications' checks count too: a later one, overdue.
    _check(person, "enhanced", date(2027, 2, 1), certificate_date=TODAY - timedelta(days=1))
    assert [p.kind for p in problems_for_application(application, TODAY, person)] == [
        ProblemKind.CHECK_DUE
    ]
