"""Every date a person types has a sensible range, and a date out of it gets a message that
says what to type, never a server error and never a change. Today is pinned: nothing here
depends on the real date."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from engage.changes.models import Board, Item, State
from engage.core.db import utcnow
from engage.extensions import db
from engage.people.models import Role, User
from tests.conftest import post, sign_in

TODAY = date(2026, 6, 10)

PAST_2 = "Enter a date that is today or in the past, and not more than 2 years ago"
NEXT_5 = "Enter a date that is today or later, and not more than 5 years from now"
PLANS = "Enter a date between 2021 and 2036"
MEETINGS = "Enter a date between 2021 and 2031"
MEMBERS = "Enter a date between 2016 and 2027"
SETTINGS = "Enter a date between 2006 and 2036"


@pytest.fixture
def world(app, make_user, pin_today):
    """Someone who may use every form, a peer, and one of each thing the forms belong to."""
    from engage.changes import services as register
    from engage.forums.meetings import schedule
    from engage.forums.membership import add_member, create_forum
    from engage.opportunities import services as opportunities
    from engage.payments import rate_card

    pin_today(TODAY)
    everyone = make_user("everyone", roles=set(Role))
    peer = make_user("pat", roles={Role.PEER})
    with app.test_request_context():
        staff = db.session.get(User, everyone.id)
        person = db.session.get(User, peer.id)
        item = register.raise_item(
            person, title="No ID", what_happened="Turned away.", theme="housing", show_name=False
        )
        item.state = State.TRIAGED.value
        board = Board(name="Delivery board", level=2, purpose="Unblocks things.")
        forum = create_forum(staff, name="Women's Forum", purpose="Advise")
        add_member(staff, forum, person, TODAY)
        db.session.add(board)
        (meeting,) = schedule(
            staff,
            forum,
            starts_at=utcnow() + timedelta(days=7),
            duration_minutes=60,
            online_link="https://meet.example/x",
        )
        rate = rate_card.add_rate(
            staff,
            activity="forum_meeting",
            unit="hour",
            amount=Decimal("15"),
            includes_preparation=True,
            effective_from=date(2026, 4, 6),
        )
        request = opportunities.make_request(
            staff,
            title="Leaflet",
            description="Review it",
            kind="review",
            needed_by=None,
            effort="",
            paid=True,
        )
        db.session.commit()
        ids = {
            "peer": person.id,
            "item": item.id,
            "version": item.version,
            "board": board.id,
            "forum": forum.id,
            "meeting": meeting.id,
            "rate": rate.id,
            "request": request.id,
        }
    return ids


#: (form page, where it posts or None for the same page, the date field, other values, message)
FORMS = {
    "expense": ("/claims/new", None, "spent_on", {"when": "other"}, PAST_2),
    "cash expense": ("/claims/cash?for={peer}", None, "spent_on", {"when": "other"}, PAST_2),
    "time given": ("/payments/time/new", None, "activity_date", {}, PAST_2),
    "target date": ("/register/{item}/owner", None, "target_date", {"version": "{version}"}, PLANS),
    "plan step": ("/register/{item}/step", None, "due_date", {"version": "{version}"}, PLANS),
    "board meeting": ("/boards/{board}/meetings/new", None, "date", {}, MEETINGS),
    "forum member joins": ("/forums/{forum}", "/forums/{forum}/members", "joined_on", {}, MEMBERS),
    "forum member leaves": ("/forums/{forum}/members/{peer}/leave", None, "left_on", {}, MEMBERS),
    "meeting": ("/forums/{forum}/schedule", None, "date", {}, MEETINGS),
    "meeting change": ("/meetings/{meeting}/edit", None, "date", {}, MEETINGS),
    "action": (
        "/meetings/{meeting}/minutes",
        "/meetings/{meeting}/actions",
        "action-due_date",
        {},
        MEETINGS,
    ),
    "request": ("/requests/new", None, "needed_by", {}, NEXT_5),
    "opportunity": ("/opportunities/new", None, "closes_on", {}, NEXT_5),
    "opportunity from request": (
        "/requests/{request}/accept",
        None,
        "new-closes_on",
        {"new-submit": "Publish"},
        NEXT_5,
    ),
    "rate": ("/payments/rates/new", None, "effective_from", {}, SETTINGS),
    "rate ends": (
        "/payments/rates/{rate}/edit",
        "/payments/rates/{rate}/end",
        "end-last_day",
        {},
        SETTINGS,
    ),
    "mileage rate": ("/payments/mileage", None, "effective_from", {}, SETTINGS),
    "threshold": ("/payments/thresholds/new", None, "effective_to", {}, SETTINGS),
}


@pytest.mark.parametrize("typed", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("name", FORMS)
def test_every_typed_date_out_of_range_is_refused_kindly(app, client, world, name, typed):
    page, target, field, others, message = FORMS[name]
    page, target = page.format(**world), (target or page).format(**world)
    assert sign_in(client, "everyone").status_code == 303
    data = {k: v.format(**world) for k, v in others.items()} | {field: typed}
    with app.app_context():
        before = _counts()
    response = post(client, target, data, form_url=page)
    body = response.get_data(as_text=True)
    assert response.status_code == 200, (name, response.status_code)
    assert message in body, name
    assert typed in body, name  # what was typed is kept
    with app.app_context():
        assert _counts() == before, name


def _counts() -> tuple:
    from engage.changes.models import ActionStep, BoardMeeting, Event
    from engage.forums.models import Action, ForumMember, Meeting
    from engage.opportunities.models import Opportunity
    from engage.payments.models import ClaimLine, InvolvementRecord, MileageRate, Rate, Threshold

    models = (
        BoardMeeting,
        Event,
        ActionStep,
        Action,
        ForumMember,
        Meeting,
        Opportunity,
        ClaimLine,
        InvolvementRecord,
        MileageRate,
        Rate,
        Threshold,
    )
    changed = db.session.scalar(db.select(db.func.max(Item.version)))
    return (
        changed,
        *(db.session.scalar(db.select(db.func.count()).select_from(m)) for m in models),
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [("0001-01-01", "0001-12-31"), ("9999-01-01", "9999-12-31"), ("0001-01-01", "9999-12-31")],
)
def test_a_statement_for_years_nobody_means_says_what_to_type(
    client, signed_in, pin_today, start, end
):
    pin_today(TODAY)
    signed_in(Role.PEER)
    response = client.get(f"/me/payments/statement?start={start}&end={end}")
    assert response.status_code == 200
    assert SETTINGS in response.get_data(as_text=True)


def test_the_range_moves_with_today(client, signed_in, pin_today):
    """The same typed date is fine one year and refused years later: the bound is today's."""
    data = {"when": "other", "spent_on": "01/03/2026", "kind": "bus", "amount": "3.00"}
    pin_today(date(2026, 6, 10))
    peer = signed_in(Role.PEER)
    assert PAST_2 not in post(client, "/claims/new", data).get_data(as_text=True)
    pin_today(date(2028, 6, 10))  # two years on, signed in again (sessions end after 14 days)
    assert sign_in(client, peer.username).status_code == 303
    assert PAST_2 in post(client, "/claims/new", data).get_data(as_text=True)
