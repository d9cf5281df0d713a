"""The demo's recruitment: applications at every stage with histories that run in order, one
made with a worker, checks coming up for renewal, and the demo peer holding a role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from engage import demo
from engage.core import dates
from engage.core.db import clock_at
from engage.extensions import db
from engage.mentoring import measures
from engage.mentoring.models import Application, RoleHeld, Stage
from engage.people.models import User


def test_the_demo_has_applications_at_every_stage(app):
    now = datetime(2027, 3, 31, 23, 30, tzinfo=UTC)  # 1 April in London, a month end
    with app.test_request_context(), clock_at(now):
        demo.seed(extra_peers=5)
        db.session.flush()
        today = dates.local_date(now)  # 1 April
        rows = db.session.scalars(select(Application)).all()
        assert 24 <= len(rows) <= 30
        assert {row.stage for row in rows} == {stage.value for stage in Stage}
        assert sum(row.made_with_worker for row in rows) == 1
        for row in rows:
            times = [move.at for move in row.moves]
            assert times == sorted(times) and times[0] == row.created_at, row.name
            assert all(at <= now for at in times), row.name
            assert row.moves[-1].to_stage == row.stage, row.name
            if row.stage == Stage.ACTIVE.value:
                assert row.user_id is not None
        assert measures.checks_expiring(today, today + timedelta(days=60)) >= 3
        peer = db.session.scalar(select(User).where(User.username == "peer"))
        held = db.session.scalars(select(RoleHeld).where(RoleHeld.user_id == peer.id)).all()
        assert [h.role.name for h in held] == ["Peer mentor"] and held[0].to_date is None
        assert sum(measures.active_peers_by_role(today).values()) >= 3
        _check_training(peer, today, now)


def test_the_demo_has_an_opportunity_whose_warning_shows(app):
    """The leaflet review needs an ambassador's training; one peer interested in it has let
    their confidentiality course run out, so choosing shows the warning."""
    from engage.opportunities import services as opportunities
    from engage.opportunities.models import Opportunity

    now = datetime(2027, 3, 31, 12, 0, tzinfo=UTC)
    with app.test_request_context(), clock_at(now):
        demo.seed(extra_peers=5)
        db.session.flush()
        opportunity = db.session.scalar(
            select(Opportunity).where(Opportunity.title == "Review our new hostel leaflet")
        )
        assert opportunity.peer_role.name == "Ambassador"
        waiting = opportunities.interests(opportunity)
        warned = opportunities.chosen_problems(opportunity, [row.user_id for row in waiting])
        peer2 = db.session.scalar(select(User).where(User.username == "peer2"))
        assert list(warned) == [peer2.id]
        [problem] = warned[peer2.id]
        assert problem.kind == "training_ran_out" and "Confidentiality" in problem.text


def _check_training(peer: User, today, now) -> None:
    """Past sessions delivered, coming ones with invitations, training running out within
    weeks (and one ran out), and the demo peer with completions and a coming session."""
    from engage.forums.models import Invitation, Meeting
    from engage.mentoring import training
    from engage.mentoring.models import Completion, TrainingSession

    sessions = db.session.scalars(select(TrainingSession)).all()
    meetings = [db.session.get(Meeting, s.meeting_id) for s in sessions]
    assert sum(m.starts_at < now for m in meetings) >= 3
    assert sum(m.starts_at > now for m in meetings) >= 3
    assert measures.training_sessions_delivered(today - timedelta(days=365), today) >= 3
    assert measures.people_trained(today - timedelta(days=365), today) >= 2
    for completion in db.session.scalars(select(Completion)):
        assert completion.completed_on <= today
        assert dates.local_date(completion.created_at) >= completion.completed_on
    matrix = training.gaps_matrix(today, now)
    states = {cell.state for row in matrix.rows for cell in row.cells}
    assert {"done", "expiring", "expired", "missing"} <= {s.value for s in states}
    assert any(summary.to_invite for summary in matrix.summaries.values())
    own = training.own_training(peer, today, now)
    assert len(own.done) >= 4
    invited = [(s, i) for s, i, _open in own.sessions if i is not None]
    assert any(i.reply == "yes" for _s, i in invited)
    assert db.session.scalar(
        select(db.func.count(Invitation.id)).where(Invitation.user_id == peer.id)
    )
