"""What forums and opportunities offer an expenses claim: recent meetings someone was invited
to and the opportunities they were chosen for, registered with payments (which imports
neither)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from engage.extensions import db
from engage.forums.claim_links import recent_meetings
from engage.forums.models import Forum, Invitation, Meeting
from engage.opportunities.claim_links import chosen_opportunities
from engage.opportunities.models import Interest, Opportunity
from engage.payments.claims import links
from engage.people.models import Role, User

TODAY = date(2026, 6, 10)


def _meeting(forum: Forum, person: User, days_ago: int, title: str = "") -> Meeting:
    starts = datetime(2026, 6, 10, 10, tzinfo=UTC) - timedelta(days=days_ago)
    meeting = Meeting(
        forum=forum, title=title, starts_at=starts, ends_at=starts + timedelta(hours=2)
    )
    db.session.add(meeting)
    db.session.flush()
    db.session.add(Invitation(meeting_id=meeting.id, user_id=person.id))
    db.session.flush()
    return meeting


def test_forums_offers_recent_meetings_and_chosen_opportunities(ctx, make_user, pin_today):
    pin_today(TODAY)
    peer = db.session.get(User, make_user(roles={Role.PEER}).id)
    other = db.session.get(User, make_user(roles={Role.PEER}).id)
    forum = Forum(name="Women's Forum")
    db.session.add(forum)
    named = _meeting(forum, peer, days_ago=2, title="Spring session")
    unnamed = _meeting(forum, peer, days_ago=20)
    _meeting(forum, peer, days_ago=90)  # too long ago to claim for from the form
    _meeting(forum, other, days_ago=1)  # someone else's
    chosen = Opportunity(title="Interview panel", description="x")
    passed_over = Opportunity(title="Reading group", description="x")
    db.session.add_all([chosen, passed_over])
    db.session.flush()
    db.session.add_all(
        [
            Interest(opportunity_id=chosen.id, user_id=peer.id, selected=True),
            Interest(opportunity_id=passed_over.id, user_id=peer.id, selected=False),
        ]
    )
    db.session.flush()
    assert recent_meetings(peer, TODAY) == [
        (f"meeting:{named.id}", "Spring session", date(2026, 6, 8)),
        (f"meeting:{unnamed.id}", "Women's Forum", date(2026, 5, 21)),
    ]
    assert [value for value, _title, _day in chosen_opportunities(peer, TODAY)] == [
        f"opportunity:{chosen.id}"
    ]
    # Registered when forums is set up: the claim form offers all three, newest first.
    offered = [value for value, _title, _day in links.recent_work(peer, TODAY)]
    assert offered == [f"opportunity:{chosen.id}", f"meeting:{named.id}", f"meeting:{unnamed.id}"]
