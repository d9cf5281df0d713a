"""The stages an application moves through: the table of allowed moves, the reasons some
moves need, on hold going back where it left, and the gates (a role before references, the
DBS check and any decision before induction, an account before active)."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from engage.core.encryption import EncryptedText
from engage.mentoring.models import (
    REASON_NEEDED,
    ROUTE,
    TRANSITIONS,
    Application,
    CheckLevel,
    DbsCheck,
    DbsOutcome,
    MentoringError,
    PeerRole,
    RiskDecision,
    RiskDecisionKind,
    Stage,
)


def _application(
    stage: Stage, *, level: CheckLevel = CheckLevel.NONE, held_from=None
) -> Application:
    """An application at ``stage`` for a role needing ``level``, with an account, in memory."""
    return Application(
        name="Ann",
        contact_way="email",
        stage=stage.value,
        held_from=held_from.value if held_from else None,
        role=PeerRole(name="Role", check_level=level.value),
        user_id=7,
        moves=[],
        dbs_checks=[],
    )


ALL_PAIRS = list(itertools.product(Stage, Stage))


@pytest.mark.parametrize(("start", "target"), ALL_PAIRS, ids=lambda s: s.value)
def test_every_move_is_allowed_or_refused_by_the_table(ctx, start, target):
    held_from = Stage.REFERENCES if start == Stage.ON_HOLD else None
    application = _application(start, held_from=held_from)
    allowed = target in TRANSITIONS[start] and not (
        start == Stage.ON_HOLD and target in ROUTE and target != held_from
    )
    if allowed:
        before = application.move_to(target, None, reason="Because")
        assert before == start
        assert application.stage == target.value
        move = application.moves[-1]
        assert (move.from_stage, move.to_stage, move.reason) == (
            start.value,
            target.value,
            "Because",
        )
    else:
        with pytest.raises(MentoringError):
            application.move_to(target, None, reason="Because")
        assert application.stage == start.value
        assert application.moves == []


def test_the_way_to_active_is_one_step_at_a_time(ctx):
    application = _application(Stage.APPLIED)
    for stage in ROUTE[1:]:
        application.move_to(stage, None)
    assert application.stage == Stage.ACTIVE.value
    assert [m.to_stage for m in application.moves] == [s.value for s in ROUTE[1:]]
    with pytest.raises(MentoringError):
        _application(Stage.APPLIED).move_to(Stage.REFERENCES, None)  # skipping a stage


@pytest.mark.parametrize("target", sorted(REASON_NEEDED), ids=lambda s: s.value)
def test_withdrawn_and_not_progressed_need_a_reason(ctx, target):
    application = _application(Stage.CONVERSATION)
    for blank in ("", "   "):
        with pytest.raises(MentoringError, match="Give a reason"):
            application.move_to(target, None, reason=blank)
    assert application.stage == Stage.CONVERSATION.value
    application.move_to(target, None, reason="Moved away")
    assert application.stage == target.value


def test_on_hold_goes_back_to_the_stage_it_left_and_nowhere_else(ctx):
    application = _application(Stage.CHECKS)
    application.move_to(Stage.ON_HOLD, None)  # no reason needed
    assert application.held_from == Stage.CHECKS.value
    assert application.next_moves() == [Stage.CHECKS, Stage.WITHDRAWN, Stage.NOT_PROGRESSED]
    for elsewhere in (Stage.APPLIED, Stage.INDUCTION, Stage.REFERENCES):
        with pytest.raises(MentoringError):
            application.move_to(elsewhere, None)
    application.move_to(Stage.CHECKS, None)
    assert application.stage == Stage.CHECKS.value and application.held_from is None


def test_a_role_is_chosen_before_references(ctx):
    application = _application(Stage.CONVERSATION)
    application.role = None
    with pytest.raises(MentoringError, match="Choose a role"):
        application.move_to(Stage.REFERENCES, None)


def test_active_needs_an_account(ctx):
    application = _application(Stage.TRAINING)
    application.user_id = None
    with pytest.raises(MentoringError, match="account"):
        application.move_to(Stage.ACTIVE, None)


def _check(level: CheckLevel, outcome: DbsOutcome, *decisions: RiskDecisionKind) -> DbsCheck:
    return DbsCheck(
        level=level.value,
        certificate_date=date(2027, 1, 1),
        outcome=outcome.value,
        decisions=[RiskDecision(decision=d.value, review_date=date(2027, 6, 1)) for d in decisions],
    )


def test_a_role_needing_a_dbs_check_goes_to_induction_once_it_is_recorded(ctx):
    application = _application(Stage.CHECKS, level=CheckLevel.ENHANCED)
    with pytest.raises(MentoringError, match="Record the DBS check"):
        application.move_to(Stage.INDUCTION, None)
    application.dbs_checks.append(_check(CheckLevel.BASIC, DbsOutcome.CLEAR))
    with pytest.raises(MentoringError, match="Enhanced DBS check"):
        application.move_to(Stage.INDUCTION, None)  # a lower level than the role needs
    application.dbs_checks.append(_check(CheckLevel.ENHANCED, DbsOutcome.CLEAR))
    application.move_to(Stage.INDUCTION, None)
    assert application.stage == Stage.INDUCTION.value


def test_a_disclosure_needs_a_decision_and_is_not_a_no(ctx):
    application = _application(Stage.CHECKS, level=CheckLevel.BASIC)
    application.dbs_checks.append(_check(CheckLevel.BASIC, DbsOutcome.DISCLOSED))
    with pytest.raises(MentoringError, match="risk-assessment decision"):
        application.move_to(Stage.INDUCTION, None)
    # "Not this role" stops this role only; a new decision can follow.
    application.dbs_checks[-1].decisions.append(
        RiskDecision(
            decision=RiskDecisionKind.NOT_FOR_THIS_ROLE.value, review_date=date(2027, 6, 1)
        )
    )
    with pytest.raises(MentoringError, match="not the right fit"):
        application.move_to(Stage.INDUCTION, None)
    application.dbs_checks[-1].decisions.append(
        RiskDecision(
            decision=RiskDecisionKind.PROCEED_WITH_SUPPORT.value, review_date=date(2027, 6, 1)
        )
    )
    application.move_to(Stage.INDUCTION, None)
    assert application.stage == Stage.INDUCTION.value


def test_a_role_needing_no_check_goes_to_induction_without_one(ctx):
    application = _application(Stage.CHECKS, level=CheckLevel.NONE)
    application.move_to(Stage.INDUCTION, None)
    assert application.stage == Stage.INDUCTION.value


def test_the_models_never_keep_what_a_certificate_says():
    """No column of a check or a decision can hold free text about a record: the only text
    columns are the level and the (encrypted) outcome and decision, each one of its enum's
    values."""
    text_columns = {
        column.name
        for table in (DbsCheck.__table__, RiskDecision.__table__)
        for column in table.columns
        if isinstance(column.type, EncryptedText) or column.type.python_type is str
    }
    assert text_columns == {"level", "outcome", "decision"}
    encrypted = {
        column.name
        for table in (DbsCheck.__table__, RiskDecision.__table__)
        for column in table.columns
        if isinstance(column.type, EncryptedText)
    }
    assert encrypted == {"outcome", "decision"}
