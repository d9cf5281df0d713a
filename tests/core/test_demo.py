"""The demo partnership is believable whatever day `engage demo` runs: each "we did" answers
its own "you said", people's accounts are their own, and every item's history runs in order
from the day it was raised to no later than today."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import select
from sqlalchemy.orm import scoped_session, sessionmaker

from engage import demo
from engage.changes.demo import STORIES
from engage.changes.models import ActionStep, BoardMeeting, Decision, Event, Item, State, Support
from engage.core import dates
from engage.core.db import clock_at
from engage.core.demo import history_start, months_between
from engage.extensions import db, limiter
from engage.payments.models import PaymentRun
from engage.payments.runs import exports
from engage.payments.runs import services as run_services

#: Moments the demo is made at (UTC): the morning the clocks go back, a local month end that
#: is still the day before in UTC, and a month end in winter.
DAYS = [
    datetime(2026, 10, 25, 7, 30, tzinfo=UTC),  # 25 October 2026, BST ended at 02:00
    datetime(2027, 3, 31, 23, 30, tzinfo=UTC),  # 1 April 2027, 00:30 in London (BST)
    datetime(2027, 2, 28, 12, 0, tzinfo=UTC),
]


def _bound_session(connection) -> scoped_session:
    """A ``db.session`` on ``connection``, whose commits become savepoints (as in conftest)."""
    return scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
        scopefunc=_app_ctx_id,
    )


@pytest.fixture(scope="module", params=DAYS, ids=lambda d: d.strftime("%Y-%m-%d-%H%M"))
def demo_database(request, app):
    """The demo seeded at a pinned moment, once for all this module's tests on that day (a
    seeding takes seconds): inside one outer transaction, rolled back after the last of them.
    Yields the connection and the moment."""
    now = request.param
    with app.app_context():
        connection = db.engine.connect().execution_options(sqlite_begin="DEFERRED")
        transaction = connection.begin()
    original = db.session
    db.session = _bound_session(connection)
    try:
        with app.test_request_context(), clock_at(now):
            demo.seed()
            db.session.commit()  # a savepoint of the outer transaction
            db.session.remove()
    finally:
        db.session = original
    try:
        yield connection, now
    finally:
        transaction.rollback()
        connection.close()


@pytest.fixture(autouse=True)
def _rollback(app, demo_database):
    """Replace conftest's fixture of this name: each test runs in a savepoint of the seeded
    database, rolled back afterwards, so every test sees the demo exactly as it was made."""
    connection, _now = demo_database
    savepoint = connection.begin_nested()
    original = db.session
    db.session = _bound_session(connection)
    limiter.reset()
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
        db.session = original
        if savepoint.is_active:
            savepoint.rollback()


@pytest.fixture
def seeded(app, demo_database):
    """The seeded demo database, in a request context with the clock at the moment it was
    made; yields that moment."""
    _connection, now = demo_database
    with app.test_request_context(), clock_at(now):
        yield now


def test_every_we_did_answers_its_own_you_said(seeded):
    said = {account: story for story in STORIES for _title, account in story.said}
    resolved = db.session.scalars(select(Item).where(Item.state == State.RESOLVED.value)).all()
    assert resolved
    for item in resolved:
        story = said[item.what_happened]
        assert (item.what_changed, item.changed_for_whom, item.lasting) == story.did, item.title
        assert (item.title, item.what_happened) in story.said


def test_raised_items_have_their_own_accounts(seeded):
    everything = db.session.scalars(select(Item)).all()
    # The register's own 40 stories, and the one barrier the fund's demo raised from a request.
    items = [item for item in everything if not item.source_note.startswith("Fund request")]
    assert len(items) == 40
    assert len(everything) == 41
    assert len({item.what_happened for item in items}) == len(items)
    assert len({item.title for item in items}) == len(items)
    for item in items:
        accounts = [
            s.account
            for s in db.session.scalars(select(Support).where(Support.item_id == item.id))
            if s.account
        ]
        assert len(accounts) == len(set(accounts)), item.title  # nobody repeats another
    every = [s.account for s in db.session.scalars(select(Support)) if s.account]
    assert len(set(every)) > 5


def test_every_history_fits_the_items_dates(seeded):
    now = seeded
    items = db.session.scalars(select(Item)).all()
    states = {item.state for item in items}
    assert states == {s.value for s in State}  # every state is shown
    for item in items:
        raised = item.created_at
        assert raised <= now, item.title
        events = db.session.scalars(
            select(Event).where(Event.item_id == item.id).order_by(Event.id)
        ).all()
        times = [e.at for e in events]
        assert events[0].kind == "raised" and times[0] == raised, item.title
        assert times == sorted(times), item.title  # in the order they happened
        assert all(raised <= at <= now for at in times), item.title
        # The last move in the history is the state the item is in.
        moves = [e.to_state for e in events if e.kind == "state"]
        assert (moves[-1] if moves else State.RAISED.value) == item.state, item.title
        for moment in (item.triaged_at, item.planned_at, item.resolved_at, item.closed_at):
            assert moment is None or raised <= moment <= now, item.title
        for step in db.session.scalars(select(ActionStep).where(ActionStep.item_id == item.id)):
            assert raised <= step.created_at <= now
        for support in db.session.scalars(select(Support).where(Support.item_id == item.id)):
            assert raised <= support.created_at <= now
        for decision in db.session.scalars(select(Decision).where(Decision.item_id == item.id)):
            assert raised <= decision.decided_at <= now
            if decision.meeting_id:  # decided at a meeting that had already happened
                meeting = db.session.get(BoardMeeting, decision.meeting_id)
                assert meeting.starts_at <= decision.decided_at
        if item.state == State.ESCALATED.value:
            assert item.target_date is not None and item.level > 1


def test_the_demo_payment_runs_export_and_bank_details_are_asked_for(seeded):
    for run in db.session.scalars(select(PaymentRun)):
        assert run_services.unpayable_payees(run) == []
        assert exports.run_csv(run)
    assert len(run_services.missing_bank_details()) == 2


def test_payment_histories_fit_their_dates(seeded):
    from engage.payments.models import ExpenseClaim, InvolvementRecord, PaymentEvent

    now = seeded
    for model, column in ((ExpenseClaim, "claim_id"), (InvolvementRecord, "record_id")):
        for row in db.session.scalars(select(model)):
            assert row.created_at <= now
            times = [
                e.at
                for e in db.session.scalars(
                    select(PaymentEvent)
                    .where(getattr(PaymentEvent, column) == row.id)
                    .order_by(PaymentEvent.id)
                )
            ]
            assert times == sorted(times), (model.__name__, row.id)
            assert all(row.created_at <= at <= now for at in times), (model.__name__, row.id)
    runs = db.session.scalars(select(PaymentRun).order_by(PaymentRun.created_at)).all()
    # A run about every 30 days of the 18 months' history, the first a month into it.
    today = dates.local_date(now)
    assert len(runs) == (today - history_start(today)).days // 30 - 1
    for run in runs:
        assert run.created_at <= run.paid_at <= now
    assert {dates.local_date(run.created_at).replace(day=1) for run in runs} >= set(
        months_between(history_start(today) + timedelta(days=60), today - timedelta(days=30))
    )


def test_the_demo_has_a_programme_history_to_show_trends(seeded):
    """18 months of forum meetings with attendance at several rungs, involvement paid, closed
    half-yearly survey rounds with answers, register items raised and resolved, and training:
    something in most months, so the dashboard's trends are not flat."""
    from engage.changes.models import Event
    from engage.forums.models import Attendance, Meeting
    from engage.mentoring.models import Completion, TrainingSession
    from engage.payments.models import InvolvementRecord, RecordStatus
    from engage.surveys.models import Answer, SurveyRound

    now = seeded
    today = dates.local_date(now)
    begin = history_start(today)
    assert (today.year - begin.year) * 12 + today.month - begin.month == 18
    months = set(months_between(begin, today))

    def month(moment) -> date:  # noqa: ANN001
        day = moment if isinstance(moment, date) and not isinstance(moment, datetime) else None
        return (day or dates.local_date(moment)).replace(day=1)

    held = db.session.execute(
        select(Meeting.starts_at, Meeting.rung)
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .where(Meeting.starts_at < now)
        .distinct()
    ).all()
    assert len({month(at) for at, _rung in held} & months) >= 16
    assert len({rung for _at, rung in held if rung}) >= 4  # several rungs of the ladder
    assert min(at for at, _rung in held) >= dates.start_of_day(begin)
    paid = db.session.scalars(
        select(InvolvementRecord.activity_date).where(
            InvolvementRecord.status == RecordStatus.PAID.value
        )
    ).all()
    assert len({month(day) for day in paid}) >= 15
    closed = db.session.scalars(
        select(SurveyRound).where(SurveyRound.closes_at < now).order_by(SurveyRound.opens_at)
    ).all()
    partners = [r for r in closed if r.slug == "coproduction-partners"]
    assert len(partners) >= 3
    for earlier, later in itertools.pairwise(partners):
        assert 150 <= (later.opens_at - earlier.opens_at).days <= 200  # half-yearly
    for round_ in partners:
        assert db.session.scalar(
            select(db.func.count(Answer.id)).where(Answer.round_id == round_.id)
        )
    raised = db.session.scalars(select(Event.at).where(Event.kind == "raised")).all()
    resolved = db.session.scalars(select(Event.at).where(Event.to_state == "resolved")).all()
    assert len({month(at) for at in raised}) >= 10
    assert len({month(at) for at in resolved}) >= 4
    trained = db.session.execute(
        select(Meeting.starts_at)
        .join(TrainingSession, TrainingSession.meeting_id == Meeting.id)
        .where(Meeting.starts_at < now)
    ).scalars()
    assert len({month(at) for at in trained}) >= 8
    assert len({month(day) for day in db.session.scalars(select(Completion.completed_on))}) >= 8


def test_every_demo_request_is_of_a_kind_the_form_offers(seeded, client):
    from engage.opportunities.models import ConsultationRequest, RequestKind
    from tests.conftest import sign_in

    rows = db.session.scalars(select(ConsultationRequest)).all()
    assert rows
    for row in rows:
        RequestKind(row.kind)  # raises for a word the form does not offer
    sign_in(client, "manager", demo.DEMO_PASSWORD)
    for row in rows:
        if row.status == "requested":
            assert client.get(f"/requests/{row.id}/accept").status_code == 200


def test_the_register_is_as_a_running_site_leaves_it(seeded):
    """`engage tick` runs hourly on a real site, so no open item is left past its target date:
    each went up a level the morning after, through the real service, and running the tick
    now changes nothing."""
    from engage.changes import services
    from engage.core import dates

    today = dates.local_date(seeded)  # the day the demo was made, pinned
    open_items = db.session.scalars(select(Item).where(Item.state.in_(services.ESCALATABLE)))
    for item in open_items:
        assert item.target_date is None or item.target_date >= today, item.title
    assert services.escalate_overdue(today) == []
    escalated = db.session.scalars(select(Item).where(Item.state == State.ESCALATED.value)).all()
    assert escalated
    for item in escalated:
        moves = db.session.scalars(
            select(Event).where(
                Event.item_id == item.id, Event.kind == "state", Event.to_state == "escalated"
            )
        ).all()
        assert moves and all(e.actor_id is None for e in moves), item.title  # by the tick


def test_only_women_are_in_the_womens_forum_and_paid_for_it(seeded):
    from engage.forums.models import Forum, ForumMember, Meeting
    from engage.payments.models import InvolvementRecord
    from engage.people.demo import gender_of
    from engage.people.models import EqualityMonitoring, User

    forum = db.session.scalar(select(Forum).where(Forum.name == "Women's Forum"))
    members = db.session.scalars(
        select(User)
        .join(ForumMember, ForumMember.user_id == User.id)
        .where(ForumMember.forum_id == forum.id)
    ).all()
    assert len(members) >= 8
    assert {gender_of(person) for person in members} == {"woman"}
    assert gender_of(db.session.get(User, forum.chair_id)) == "woman"
    meetings = db.session.scalars(select(Meeting.id).where(Meeting.forum_id == forum.id)).all()
    paid = db.session.scalars(
        select(InvolvementRecord).where(
            InvolvementRecord.source.in_([f"meeting:{m}" for m in meetings])
        )
    ).all()
    assert paid and {gender_of(record.person) for record in paid} == {"woman"}
    # People's own equality answers agree (or they chose not to say).
    for answer in db.session.scalars(select(EqualityMonitoring)):
        person = db.session.get(User, answer.user_id)
        assert answer.gender in (gender_of(person), "prefer-not"), person.display_name


def test_sams_time_waiting_for_approval_is_spread_over_the_week(seeded):
    from engage.core import dates
    from engage.payments.models import InvolvementRecord
    from engage.people.models import User

    sam = db.session.scalar(select(User).where(User.username == "peer"))
    waiting = db.session.scalars(
        select(InvolvementRecord).where(
            InvolvementRecord.person_id == sam.id, InvolvementRecord.status == "pending"
        )
    ).all()
    assert len(waiting) >= 2
    days = {record.activity_date for record in waiting}
    # None of the pinned days is a Monday.
    assert len(days) > 1 and days != {dates.local_date(seeded)}
    for record in waiting:  # each entered on the day of the work, or after it
        assert dates.local_date(record.created_at) >= record.activity_date
