"""The register sends no invitations, only news about what people raised, backed or own: that
news reaches them whether they withdrew consent to contact or paused, because it answers
something they did themselves (decided in the outbox, not here)."""

from __future__ import annotations

from datetime import date, timedelta

from engage.changes import services
from engage.changes.models import Board, BoardMember, Level
from engage.core import outbox
from engage.extensions import db
from engage.people.models import Role, User
from tests.changes.conftest import load
from tests.conftest import outbox_statuses

TODAY = date(2026, 11, 2)


def test_people_who_withdrew_consent_or_paused_still_hear_about_their_items(
    ctx, make_user, make_item, quiet_peers, sent_messages
):
    peers = {name: db.session.get(User, user.id) for name, user in quiet_peers.items()}
    manager = db.session.get(User, make_user("mgr", roles={Role.MANAGER}).id)
    item = load(make_item(peers["withdrawn"]))
    services.support(peers["paused"], item, "Same for me at the council.", False)
    services.triage(manager, item)
    db.session.commit()
    outbox.flush_committed()
    told = {m.to_address for m in sent_messages if m.subject.startswith("Update on")}
    assert told == {"withdrawn@example.org", "paused@example.org"}
    assert outbox_statuses("Update on") == {"withdrawn": "sent", "paused": "sent"}


def test_a_paused_board_member_is_still_told_an_item_escalated(
    ctx, make_user, make_item, quiet_peers, sent_messages
):
    """Escalation tells the owner and the board: work they look after, not an invitation."""
    paused = db.session.get(User, quiet_peers["paused"].id)
    paused.set_roles({Role.PEER, Role.BOARD})
    board = Board(name="Delivery", level=Level.DELIVERY.value)
    db.session.add(board)
    db.session.flush()
    db.session.add(BoardMember(board_id=board.id, user_id=paused.id))
    manager = db.session.get(User, make_user("mgr", roles={Role.MANAGER}).id)
    item = load(make_item(make_user("raiser")))
    services.triage(manager, item)
    item.target_date = TODAY - timedelta(days=1)
    services.escalate_overdue(TODAY)
    db.session.commit()
    outbox.flush_committed()
    assert [m.to_address for m in sent_messages if m.subject.startswith("Overdue")] == [
        "paused@example.org"
    ]
