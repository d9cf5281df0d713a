"""The item state machine: every allowed move works and every other move is refused."""

from __future__ import annotations

from datetime import date

import pytest

from engage.changes.models import TRANSITIONS, ActionStep, IllegalMove, Item, State


def _item(state: State, planned: bool = True, checked: bool = True) -> Item:
    item = Item(
        title="t",
        what_happened="w",
        theme="housing",
        state=state.value,
        what_changed="",
        changed_for_whom="",
        lasting="",
    )
    item.steps = (
        [ActionStep(description="d", owner_name="o", due_date=date(2027, 1, 1))] if planned else []
    )
    if checked:
        item.what_changed, item.changed_for_whom, item.lasting = "a", "b", "c"
    return item


ALL_MOVES = [(a, b) for a in State for b in State]


@pytest.mark.parametrize(("start", "target"), ALL_MOVES, ids=lambda s: s.value)
def test_every_move_follows_the_table(start, target):
    item = _item(start)
    if target in TRANSITIONS[start]:
        assert item.move_to(target) == start
        assert item.state == target.value
    else:
        with pytest.raises(IllegalMove):
            item.move_to(target)
        assert item.state == start.value  # nothing changed half-way


def test_work_cannot_start_without_an_action_plan():
    item = _item(State.ACTION_PLANNED, planned=False)
    with pytest.raises(IllegalMove, match="action plan"):
        item.move_to(State.IN_PROGRESS)


def test_resolving_needs_an_effectiveness_check():
    item = _item(State.IN_PROGRESS, checked=False)
    item.what_changed = "Renamed the form"
    with pytest.raises(IllegalMove, match="what changed, for whom"):
        item.move_to(State.RESOLVED)
    assert item.state == State.IN_PROGRESS.value


def test_merged_items_go_nowhere():
    assert TRANSITIONS[State.MERGED] == frozenset()


def test_reopening_clears_the_resolution_date():
    item = _item(State.IN_PROGRESS)
    item.move_to(State.RESOLVED)
    assert item.resolved_at is not None
    item.move_to(State.REOPENED)
    assert item.resolved_at is None


def test_overdue_only_when_open_and_past_target():
    item = _item(State.IN_PROGRESS)
    item.target_date = date(2026, 1, 1)
    assert item.is_overdue(date(2026, 1, 2))
    assert not item.is_overdue(date(2026, 1, 1))
    item.state = State.RESOLVED.value
    assert not item.is_overdue(date(2026, 6, 1))
