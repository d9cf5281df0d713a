"""The request and opportunity state machines: every allowed move works and every other move
is refused, leaving the status as it was."""

from __future__ import annotations

import pytest

from engage.opportunities.models import (
    OPPORTUNITY_TRANSITIONS,
    REQUEST_TRANSITIONS,
    ConsultationRequest,
    IllegalMove,
    Opportunity,
    OpportunityStatus,
    RequestStatus,
)

REQUEST_MOVES = [(a, b) for a in RequestStatus for b in RequestStatus]
OPPORTUNITY_MOVES = [(a, b) for a in OpportunityStatus for b in OpportunityStatus]


def test_every_status_has_a_row_in_its_table():
    assert set(REQUEST_TRANSITIONS) == set(RequestStatus)
    assert set(OPPORTUNITY_TRANSITIONS) == set(OpportunityStatus)


@pytest.mark.parametrize(("start", "target"), REQUEST_MOVES, ids=lambda s: s.value)
def test_every_request_move_follows_the_table(ctx, start, target):
    request = ConsultationRequest(status=start.value)
    if target in REQUEST_TRANSITIONS[start]:
        assert request.move_to(target) == start
        assert request.status == target.value
    else:
        with pytest.raises(IllegalMove, match="This cannot change from"):
            request.move_to(target)
        assert request.status == start.value


@pytest.mark.parametrize(("start", "target"), OPPORTUNITY_MOVES, ids=lambda s: s.value)
def test_every_opportunity_move_follows_the_table(ctx, start, target):
    opportunity = Opportunity(status=start.value)
    if target in OPPORTUNITY_TRANSITIONS[start]:
        assert opportunity.move_to(target) == start
        assert opportunity.status == target.value
    else:
        with pytest.raises(IllegalMove, match="This cannot change from"):
            opportunity.move_to(target)
        assert opportunity.status == start.value


def test_a_request_is_decided_once():
    assert REQUEST_TRANSITIONS[RequestStatus.DECLINED] == frozenset()
    assert REQUEST_TRANSITIONS[RequestStatus.MET] == frozenset()
    assert RequestStatus.DECLINED not in REQUEST_TRANSITIONS[RequestStatus.ACCEPTED]


def test_a_completed_opportunity_goes_nowhere_and_an_open_one_is_never_completed_directly():
    assert OPPORTUNITY_TRANSITIONS[OpportunityStatus.COMPLETED] == frozenset()
    assert OpportunityStatus.COMPLETED not in OPPORTUNITY_TRANSITIONS[OpportunityStatus.OPEN]


def test_stored_values_are_unchanged():
    """The values already in the database: renaming one would need a migration."""
    assert [s.value for s in RequestStatus] == ["requested", "accepted", "declined", "met"]
    assert [s.value for s in OpportunityStatus] == ["open", "selected", "completed"]
