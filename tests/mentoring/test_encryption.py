"""DBS outcomes, risk-assessment decisions and supervision notes are encrypted at rest, and
every staff read of them is in the audit log without the values themselves."""

from __future__ import annotations

from sqlalchemy import select, text

from engage.core.audit import AuditEntry
from engage.extensions import db
from engage.mentoring.models import Application, DbsOutcome, RiskDecisionKind
from tests.conftest import sign_in

NOTES = "Talked about the hostel move and sleeping badly 7f3a"


def _raw(app, sql: str, **params) -> list[tuple]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(text(sql), params)]


def test_dbs_outcomes_and_decisions_are_ciphertext_in_the_database(app, disclosed):
    outcomes = _raw(app, "SELECT outcome FROM dbs_check WHERE application_id = :a", a=disclosed)
    decisions = _raw(
        app,
        "SELECT d.decision FROM dbs_risk_decision d JOIN dbs_check c ON c.id = d.check_id "
        "WHERE c.application_id = :a",
        a=disclosed,
    )
    assert outcomes and decisions
    for (value,) in outcomes + decisions:
        assert value.startswith("gAAAAA")
        assert "disclosed" not in value and "proceed" not in value
    with app.app_context():
        check = db.session.get(Application, disclosed).current_check
        assert check.outcome_enum == DbsOutcome.DISCLOSED
        assert check.current_decision.decision_enum == RiskDecisionKind.PROCEED_WITH_SUPPORT


def test_supervision_notes_are_ciphertext_in_the_database(app, role_holder, log_session):
    sam = role_holder("sam")
    session_id = log_session(sam, notes=NOTES)
    [(stored,)] = _raw(app, "SELECT notes FROM supervision_session WHERE id = :i", i=session_id)
    assert NOTES not in stored and "hostel" not in stored
    with app.app_context():
        from engage.mentoring.models import SupervisionSession

        assert db.session.get(SupervisionSession, session_id).notes == NOTES


def test_a_managers_view_of_a_dbs_outcome_is_audited_without_the_outcome(
    app, client, manager, disclosed
):
    sign_in(client, "manager")
    page = client.get(f"/applications/{disclosed}").get_data(as_text=True)
    assert "Information disclosed" in page
    with app.app_context():
        [entry] = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "dbs.viewed")
        ).all()
        subject = db.session.get(Application, disclosed).user_id
        assert (entry.actor_id, entry.subject_id, entry.at is not None) == (
            manager.id,
            subject,
            True,
        )
        assert "disclosed" not in entry.detail and "proceed" not in entry.detail
