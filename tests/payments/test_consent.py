"""Payments send no invitations, only news about people's own claims and payments: it reaches
them whether they withdrew consent to contact or paused (decided in the outbox, not here)."""

from __future__ import annotations

from engage.core import outbox
from engage.extensions import db
from engage.payments.claims import services as claim_services
from engage.payments.models import ExpenseClaim
from engage.payments.runs import services as run_services
from engage.people.models import Role, User
from tests.conftest import outbox_statuses


def test_claims_and_payments_are_told_to_people_who_withdrew_consent_or_paused(
    app, make_user, make_claim, quiet_peers, sent_messages
):
    manager = make_user("mgr", roles={Role.MANAGER})
    finance = make_user("fin", roles={Role.FINANCE})
    withdrawn, paused = quiet_peers["withdrawn"], quiet_peers["paused"]
    asked = make_claim(withdrawn, state="queried", decider=manager, method="cash")
    approved = make_claim(paused, state="approved", decider=manager, method="cash")
    make_claim(paused, amount="9.00", state="rejected", decider=manager, method="cash")
    with app.test_request_context():
        # Queued to go (the builders commit outside a request, so nothing has gone yet).
        assert outbox_statuses("We have a question") == {"withdrawn": "pending"}
        assert outbox_statuses("Your expenses claim is approved") == {"paused": "pending"}
        assert outbox_statuses("Your expenses claim was not approved") == {"paused": "pending"}
        actor = db.session.get(User, finance.id)
        question = db.session.get(ExpenseClaim, asked)
        claim_services.answer(db.session.get(User, withdrawn.id), question, "Yes, a return.")
        claim_services.approve(db.session.get(User, manager.id), question)
        run, _made = run_services.create_run(actor, "consent-run", [], [asked, approved])
        run_services.mark_paid(actor, run)
        db.session.commit()
        outbox.retry_failed()
        assert outbox_statuses("We have paid you") == {"withdrawn": "sent", "paused": "sent"}
    told = sorted((m.to_address.split("@")[0], m.subject) for m in sent_messages)
    assert told == [
        ("paused", "We have paid you"),
        ("paused", "Your expenses claim is approved"),
        ("paused", "Your expenses claim was not approved"),
        ("withdrawn", "We have a question about your expenses claim"),
        ("withdrawn", "We have paid you"),
        ("withdrawn", "Your expenses claim is approved"),
    ]
