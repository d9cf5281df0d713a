"""When bank details change, the person gets a kind note (whoever changed them), so a change
they did not make is caught before money goes astray. The note never holds the numbers."""

from __future__ import annotations

from engage.core import outbox
from engage.extensions import db
from engage.payments import bank_details
from engage.people.models import Role, User


def test_a_change_tells_the_person_without_the_numbers(app, make_user, sent_messages):
    peer = make_user("pat", roles={Role.PEER}, email="pat@example.org")
    manager = make_user("mo", roles={Role.MANAGER})
    with app.test_request_context():
        bank_details.set_bank_details(
            db.session.get(User, manager.id),
            db.session.get(User, peer.id),
            account_name="Pat Pear",
            sort_code="40-11-62",
            account_number="31926819",
        )
        db.session.commit()
        outbox.retry_failed()
    [note] = [m for m in sent_messages if m.subject == "Your bank details were changed"]
    assert note.to_address == "pat@example.org"
    assert "If it was not, please tell us straight away" in note.body
    for secret in ("31926819", "6819", "401162", "40-11-62", "Pat Pear"):
        assert secret not in note.body


def test_it_goes_even_to_someone_who_paused_invitations(app, quiet_peers, sent_messages):
    paused = quiet_peers["paused"]
    with app.test_request_context():
        person = db.session.get(User, paused.id)
        bank_details.set_bank_details(
            person, person, account_name="P", sort_code="123456", account_number="11112222"
        )
        db.session.commit()
        outbox.retry_failed()
    assert any(m.subject == "Your bank details were changed" for m in sent_messages)
