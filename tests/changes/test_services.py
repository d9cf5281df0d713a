"""Register use cases: raising, supporting, merging, planning, resolving, escalating."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from engage.changes import services
from engage.changes.models import (
    Board,
    BoardMember,
    Event,
    IllegalMove,
    Item,
    Level,
    State,
    Support,
)
from engage.cli import main
from engage.core.conflicts import ChangedMeanwhile, check_version
from engage.core.outbox import Notification
from engage.extensions import db
from engage.people.models import Role, User
from tests.changes.conftest import load


def _user(make_user, **kwargs) -> User:
    return db.session.get(User, make_user(**kwargs).id)


def test_staff_items_from_meetings_are_anonymised(ctx, make_user):
    manager = _user(make_user, roles={Role.MANAGER})
    item = services.raise_item(
        manager,
        title="t",
        what_happened="w",
        theme="health",
        show_name=True,
        source=services.Source.MEETING,
        source_note="Women's Forum",
    )
    assert item.raised_by_id is None and item.entered_by_id == manager.id
    assert item.show_name is False


def test_support_counts_once_per_person(ctx, make_user, make_item):
    raiser, other = _user(make_user), _user(make_user)
    item = load(make_item(raiser))
    services.support(other, item, "Me too", share_with_board=False)
    services.support(other, item, "Me too, and worse", share_with_board=True)  # double click
    db.session.flush()
    assert db.session.get(Item, item.id).supporter_count == 1
    row = db.session.scalar(db.select(Support).filter_by(item_id=item.id))
    assert row.account == "Me too, and worse" and row.share_with_board


def test_merge_keeps_supporters_accounts_and_history(ctx, make_user, make_item):
    a, b, c = (_user(make_user) for _ in range(3))
    manager = _user(make_user, roles={Role.MANAGER})
    keep = load(make_item(a, title="Keep"))
    dup = load(make_item(b, title="Duplicate"))
    services.triage(manager, keep)
    services.support(c, dup, "Same for me", share_with_board=True)
    services.support(a, dup, "Mine too", share_with_board=False)  # already the survivor's raiser
    services.merge(manager, dup, keep)
    db.session.flush()
    assert dup.state == State.MERGED.value and dup.merged_into_id == keep.id
    supporters = {
        s.user_id for s in db.session.scalars(db.select(Support).filter_by(item_id=keep.id))
    }
    assert supporters == {b.id, c.id}  # the duplicate's raiser became a supporter
    assert db.session.get(Item, keep.id).supporter_count == 2
    # Each keeps its own history: nothing from before the survivor was raised lands on it.
    kept = db.session.scalars(db.select(Event).filter_by(item_id=keep.id)).all()
    assert [e.kind for e in kept] == ["raised", "state", "merged"]
    assert kept[-1].note == str(dup.id)
    gone = db.session.scalars(db.select(Event).filter_by(item_id=dup.id)).all()
    assert gone[0].kind == "raised"
    assert (gone[-1].kind, gone[-1].to_state) == ("state", State.MERGED.value)


def test_merge_refuses_itself_and_closed_items(ctx, make_user, make_item):
    manager = _user(make_user, roles={Role.MANAGER})
    item = load(make_item(_user(make_user)))
    with pytest.raises(IllegalMove):
        services.merge(manager, item, item)
    closed = load(make_item(_user(make_user)))
    services.close(manager, closed, "Not a service blockage")
    with pytest.raises(IllegalMove):
        services.merge(manager, item, closed)


def test_closing_needs_a_reason(ctx, make_user, make_item):
    manager = _user(make_user, roles={Role.MANAGER})
    item = load(make_item(_user(make_user)))
    with pytest.raises(IllegalMove):
        services.close(manager, item, "  ")


def test_the_raiser_and_supporters_are_told_of_every_change(ctx, make_user, make_item):
    raiser = _user(make_user, email="raiser@example.org")
    supporter = _user(make_user, email="me-too@example.org")
    manager = _user(make_user, roles={Role.MANAGER})
    item = load(make_item(raiser))
    services.support(supporter, item, "", share_with_board=False)
    services.triage(manager, item)
    db.session.flush()
    to = sorted(n.to_address for n in db.session.scalars(db.select(Notification)))
    assert to == ["me-too@example.org", "raiser@example.org"]


def test_planning_then_resolving(ctx, make_user, make_item):
    board = _user(make_user, roles={Role.BOARD})
    manager = _user(make_user, roles={Role.MANAGER})
    item = load(make_item(_user(make_user)))
    services.triage(manager, item)
    with pytest.raises(IllegalMove):
        services.start(board, item)
    services.add_step(board, item, "Change the ID rule", "Pat, Council", date(2027, 1, 31))
    assert item.state == State.ACTION_PLANNED.value and item.planned_at is not None
    services.start(board, item)
    with pytest.raises(IllegalMove):
        services.resolve(board, item, "Renamed the leaflet", "", "")
    services.resolve(
        board,
        item,
        "Any two proofs of ID now accepted",
        "Everyone without photo ID",
        "Written into the allocation policy",
    )
    assert item.state == State.RESOLVED.value


def test_overdue_items_escalate_once_a_day(ctx, make_user, make_item):
    owner = _user(make_user, roles={Role.BOARD}, email="owner@example.org")
    member = _user(make_user, roles={Role.BOARD}, email="member@example.org")
    manager = _user(make_user, roles={Role.MANAGER})
    board = Board(name="Delivery", level=Level.DELIVERY.value)
    db.session.add(board)
    db.session.flush()
    db.session.add(BoardMember(board_id=board.id, user_id=member.id))
    item = load(make_item(_user(make_user)))
    services.triage(manager, item)
    item.owner_id = owner.id
    today = date(2027, 3, 29)
    item.target_date = today - timedelta(days=1)
    db.session.flush()
    assert [i.id for i in services.escalate_overdue(today)] == [item.id]
    assert item.level == Level.DELIVERY.value and item.state == State.ESCALATED.value
    assert item.target_date > today
    assert services.escalate_overdue(today) == []  # idempotent: a second run does nothing
    db.session.flush()
    told = {
        n.to_address
        for n in db.session.scalars(
            db.select(Notification).where(Notification.subject.like("Overdue%"))
        )
    }
    assert told == {"owner@example.org", "member@example.org"}


def test_the_hourly_tick_escalates_by_the_partnerships_date(app, clock, make_user, make_item):
    # 00:30 on Monday 29 March 2027 in the UK, the night the clocks went forward: still
    # Sunday 28 March in UTC. An item due on the Sunday is overdue now, not an hour later.
    clock(datetime(2027, 3, 28, 23, 30, tzinfo=UTC))
    with app.test_request_context():
        manager = _user(make_user, roles={Role.MANAGER})
        item = load(make_item(_user(make_user)))
        services.triage(manager, item)
        item.target_date = date(2027, 3, 28)
        item_id = item.id
        db.session.commit()
    result = app.test_cli_runner().invoke(main, ["tick"], catch_exceptions=False)
    assert "Escalated 1 overdue item(s)" in result.output, result.output
    with app.app_context():
        item = load(item_id)
        assert item.state == State.ESCALATED.value
        assert item.target_date == date(2027, 3, 29) + timedelta(days=app.config["ESCALATION_DAYS"])


def test_stale_versions_are_refused(ctx, make_user, make_item):
    item = load(make_item(_user(make_user)))
    check_version(item, item.version)
    with pytest.raises(ChangedMeanwhile):
        check_version(item, item.version - 1 if item.version > 1 else 99)


def test_an_overdue_reopened_item_escalates_too(ctx, make_user, make_item):
    """``engage tick`` escalates every overdue open item; a reopened one made it fail."""
    item = load(make_item(_user(make_user), state=State.REOPENED.value))
    item.target_date = date(2026, 3, 1)
    db.session.flush()
    assert [i.id for i in services.escalate_overdue(date(2026, 3, 2))] == [item.id]
    assert item.state == State.ESCALATED.value and item.level == Level.DELIVERY.value
