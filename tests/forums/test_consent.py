"""Forums and opportunities respect consent to contact and paused involvement, through the
outbox alone: invitations, reminders and new opportunities are held back for a peer who
withdrew consent or paused; news about what they asked for (a meeting they said yes to, a
place that came free, being chosen or not) still reaches them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from engage.core import outbox
from engage.core.db import utcnow
from engage.extensions import db
from engage.forums.meetings import cancel, schedule
from engage.forums.membership import add_member
from engage.forums.models import Forum, Invitation, Reply
from engage.forums.replies import promote_waiting, reply, send_reminders
from engage.opportunities import services as opportunity_services
from engage.people.models import Role, User
from tests.conftest import outbox_statuses

#: The moment the meeting starts, relative to which everything else is built.
IN_A_WEEK = timedelta(days=7)


@pytest.fixture
def setting(ctx, make_user, quiet_peers):
    manager = db.session.get(User, make_user("mgr", roles={Role.MANAGER}).id)
    forum = Forum(name="Women's Forum", purpose="Advise the board")
    db.session.add(forum)
    db.session.flush()
    peers = {name: db.session.get(User, user.id) for name, user in quiet_peers.items()}
    for person in peers.values():
        add_member(manager, forum, person, date(2026, 1, 5))
    return manager, forum, peers


def _sent_to(sent_messages, subject_start: str) -> set[str]:
    db.session.commit()
    outbox.flush_committed()
    return {
        m.to_address.split("@")[0] for m in sent_messages if m.subject.startswith(subject_start)
    }


def test_meeting_invitations_and_reminders_wait_for_consent_and_an_unpaused_peer(
    setting, sent_messages
):
    manager, forum, peers = setting
    starts = (utcnow() + IN_A_WEEK).replace(microsecond=0)
    (meeting,) = schedule(manager, forum, starts_at=starts, duration_minutes=90)
    assert _sent_to(sent_messages, "You are invited") == {"agreed"}
    # Withdrawn consent: still invited (they may come), never told; a paused peer is not invited.
    assert outbox_statuses("You are invited") == {"agreed": "sent", "withdrawn": "no_consent"}
    invited = set(db.session.scalars(db.select(Invitation.user_id)))
    assert invited == {peers["agreed"].id, peers["withdrawn"].id}

    for person in peers.values():  # each said yes themselves, on the meeting page
        reply(person, meeting, Reply.YES)
    send_reminders(starts - timedelta(hours=24))
    assert _sent_to(sent_messages, "Reminder") == {"agreed"}
    assert outbox_statuses("Reminder") == {
        "agreed": "sent",
        "withdrawn": "no_consent",
        "paused": "paused",
    }

    # A change to a meeting they said yes to is news they need, paused or not.
    cancel(manager, meeting)
    assert _sent_to(sent_messages, "Cancelled") == {"agreed", "withdrawn", "paused"}


def test_a_place_that_came_free_is_told_even_when_paused_or_without_consent(
    setting, make_user, sent_messages
):
    manager, forum, peers = setting
    starts = (utcnow() + IN_A_WEEK).replace(microsecond=0)
    (meeting,) = schedule(manager, forum, starts_at=starts, duration_minutes=90, capacity=1)
    first = db.session.get(User, make_user("first").id)
    reply(first, meeting, Reply.YES)
    for name in ("withdrawn", "paused"):
        reply(peers[name], meeting, Reply.YES)  # the waiting list
    meeting.capacity = 3
    reply(first, meeting, Reply.NO)  # frees a place; places were also added
    promote_waiting(meeting, all_places=True)
    # The place is theirs at once, in answer to their own yes: they must know.
    assert _sent_to(sent_messages, "A place is free") == {"withdrawn", "paused"}


def test_new_opportunities_wait_for_consent_but_being_chosen_is_always_told(setting, sent_messages):
    manager, _forum, peers = setting
    opportunity = opportunity_services.publish(
        manager,
        title="Interview panel",
        description="Sit on a panel.",
        activity="interview_panel",
        places=1,
        paid=True,
    )
    assert _sent_to(sent_messages, "A new opportunity") == {"agreed"}
    assert outbox_statuses("A new opportunity") == {
        "agreed": "sent",
        "withdrawn": "no_consent",
        "paused": "paused",
    }
    for person in peers.values():  # they found it themselves and asked to take part
        opportunity_services.express_interest(person, opportunity)
    opportunity_services.select_people(manager, opportunity, [peers["paused"].id])
    assert _sent_to(sent_messages, "You have been chosen") == {"paused"}
    assert _sent_to(sent_messages, "About Interview panel") == {"agreed", "withdrawn"}
