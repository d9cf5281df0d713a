"""Consultation requests and opportunities, as partners, peers and managers use them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from engage.core.db import utcnow
from engage.core.outbox import Notification
from engage.core.signals import involvement_given
from engage.extensions import db
from engage.forums.models import Forum, ForumMember
from engage.opportunities import services
from engage.opportunities.models import ConsultationRequest, Interest, Opportunity
from engage.people.models import Role, User
from tests.conftest import csrf_token, post, sign_in
from tests.opportunities.conftest import REQUEST, TODAY


def _notes(app, user_id: int) -> list[Notification]:
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(Notification)
                .where(Notification.user_id == user_id)
                .order_by(Notification.id)
            )
        )


def _switch(client, username: str) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert sign_in(client, username).status_code == 303


# Requests ------------------------------------------------------------------------------------


def test_a_partner_asks_the_forum_and_follows_the_request(app, client, people, org):
    sign_in(client, "partner")
    response = post(client, "/requests/new", REQUEST)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Review our hostel leaflet" in page and "Waiting for a decision" in page
    with app.app_context():
        row = db.session.scalar(db.select(ConsultationRequest))
        assert row.status == "requested" and row.organisation_id == org
        assert row.kind == "review" and row.paid and row.effort == "about two hours"
        assert row.needed_by == date(2031, 3, 31)
    assert "Review our hostel leaflet" in client.get("/requests").get_data(as_text=True)


def test_a_request_form_keeps_what_was_typed_and_says_what_is_missing(client, people):
    sign_in(client, "partner")
    response = post(client, "/requests/new", dict(REQUEST, title="", needed_by="31/03/2031"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in body
    assert "Say in a few words what you need" in body and "like 2031-03-31" not in body
    assert "A new leaflet for people arriving" in body


def test_partners_see_only_their_own_requests(app, client, make_user, people, make_request):
    other = make_user("otherpartner", roles={Role.PARTNER})
    theirs = make_request(other, title="Someone else's secret request")
    mine = make_request(people["partner"], title="My own request")
    sign_in(client, "partner")
    listing = client.get("/requests").get_data(as_text=True)
    assert "My own request" in listing and "secret request" not in listing
    assert client.get(f"/requests/{mine}").status_code == 200
    assert client.get(f"/requests/{theirs}").status_code == 404
    assert client.get(f"/requests/{theirs}/accept").status_code == 404
    assert client.get(f"/requests/{theirs}/decline").status_code == 404
    # Their own request, but only managers decide.
    assert client.get(f"/requests/{mine}/accept").status_code == 403
    response = post(client, f"/requests/{mine}/decline", {"reason": "no"}, form_url="/requests/new")
    assert response.status_code == 403


def test_managers_see_every_request_and_can_filter_by_status(
    app, client, make_user, people, make_request
):
    other = make_user("otherpartner", roles={Role.PARTNER})
    make_request(other, title="Working group on hospital discharge")
    declined = make_request(people["partner"], title="Leaflet that was declined")
    with app.test_request_context():
        services.decline_request(
            db.session.get(User, people["manager"].id),
            db.session.get(ConsultationRequest, declined),
            "Not this time",
        )
        db.session.commit()
    sign_in(client, "manager")
    everything = client.get("/requests").get_data(as_text=True)
    assert "hospital discharge" in everything and "was declined" in everything
    only_declined = client.get("/requests?status=declined").get_data(as_text=True)
    assert "was declined" in only_declined and "hospital discharge" not in only_declined


@pytest.mark.parametrize("role", [Role.PEER, Role.BOARD, Role.FINANCE, Role.ADMIN])
def test_people_who_cannot_ask_are_refused(client, signed_in, role):
    signed_in(role)
    assert client.get("/requests").status_code == 403
    assert client.get("/requests/new").status_code == 403


def test_peers_cannot_see_or_accept_a_request(app, client, people, make_request):
    request_id = make_request(people["partner"])
    sign_in(client, "ann")
    assert client.get(f"/requests/{request_id}").status_code == 404
    response = post(
        client,
        f"/requests/{request_id}/accept",
        {"new-title": "x", "new-submit": "1"},
        form_url="/opportunities",
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(ConsultationRequest, request_id).status == "requested"
        assert db.session.scalar(db.select(db.func.count(Opportunity.id))) == 0


def test_accepting_publishes_a_prefilled_opportunity_and_tells_the_partner(
    app, client, make_user, people, make_request
):
    paused = make_user("paused", roles={Role.PEER}, email="paused@example.org")
    with app.app_context():
        user = db.session.get(User, paused.id)
        user.profile.paused_at = utcnow()
        db.session.commit()
    request_id = make_request(people["partner"])
    sign_in(client, "manager")
    page = client.get(f"/requests/{request_id}/accept").get_data(as_text=True)
    assert 'value="Review our hostel leaflet"' in page  # filled in from the request
    assert "2031-03-31" in page and "Time it takes: about two hours" in page
    response = post(
        client,
        f"/requests/{request_id}/accept",
        {
            "new-title": "Review the hostel leaflet",
            "new-description": "Read it and say what is unclear.",
            "new-activity": "document_review",
            "new-forum": "",
            "new-places": "2",
            "new-closes_on": "2031-03-01",
            "new-paid": "yes",
            "new-rung": "consultation",
            "new-submit": "Publish",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        opportunity = db.session.scalar(db.select(Opportunity))
        assert opportunity.request_id == request_id and opportunity.status == "open"
        assert opportunity.places == 2 and opportunity.activity == "document_review"
        row = db.session.get(ConsultationRequest, request_id)
        assert row.status == "accepted" and row.decided_at is not None
    told = _notes(app, people["partner"].id)
    assert [n.subject for n in told] == ["Your request was accepted: Review our hostel leaflet"]
    assert told[0].to_address == "p@example.org"
    # Peers are told of the new opportunity; a paused peer is not (the message is kept, held
    # back, so staff can see why), but can still find it.
    assert any("A new opportunity" in n.subject for n in _notes(app, people["ann"].id))
    assert [n.status for n in _notes(app, paused.id)] == ["paused"]
    _switch(client, "paused")
    assert "Review the hostel leaflet" in client.get("/opportunities").get_data(as_text=True)
    # Deciding again is refused.
    _switch(client, "manager")
    again = client.get(f"/requests/{request_id}/accept").get_data(as_text=True)
    assert "already been decided" in again


def test_a_request_of_a_kind_no_longer_offered_shows_kindly_and_can_be_accepted(
    app, client, people, make_request
):
    """Older data may hold a kind the form does not offer (the demo once seeded "interview"):
    its pages read it as "something else", never the raw word, never a 500."""
    request_id = make_request(people["partner"])
    with app.app_context():
        db.session.get(ConsultationRequest, request_id).kind = "interview"
        db.session.commit()
    sign_in(client, "manager")
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Something else" in page and ">interview<" not in page
    assert "Something else" in client.get("/requests").get_data(as_text=True)
    response = client.get(f"/requests/{request_id}/accept")
    assert response.status_code == 200
    assert 'value="other_involvement" selected' in response.get_data(as_text=True)


def test_accepting_can_link_an_opportunity_already_published(
    app, client, people, make_request, publish
):
    opportunity_id = publish(people["manager"], title="Existing panel")
    request_id = make_request(people["partner"])
    sign_in(client, "manager")
    response = post(
        client,
        f"/requests/{request_id}/accept",
        {"link-opportunity": str(opportunity_id), "link-submit": "Accept and link"},
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Opportunity, opportunity_id).request_id == request_id
        assert db.session.get(ConsultationRequest, request_id).status == "accepted"
        assert db.session.scalar(db.select(db.func.count(Opportunity.id))) == 1


def test_declining_needs_a_reason_the_partner_reads(app, client, people, make_request):
    request_id = make_request(people["partner"])
    sign_in(client, "manager")
    response = post(client, f"/requests/{request_id}/decline", {"reason": ""})
    assert response.status_code == 200 and "Give a reason the partner can read" in (
        response.get_data(as_text=True)
    )
    response = post(
        client, f"/requests/{request_id}/decline", {"reason": "The forum is full until June."}
    )
    assert response.status_code == 303
    told = _notes(app, people["partner"].id)
    assert len(told) == 1 and "The forum is full until June." in told[0].body
    _switch(client, "partner")
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Declined" in page and "The forum is full until June." in page


# Opportunities -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.PEER, 200),
        (Role.MANAGER, 200),
        (Role.PARTNER, 403),
        (Role.BOARD, 403),
        (Role.FINANCE, 403),
        (Role.ADMIN, 403),
    ],
)
def test_who_may_open_the_opportunities_pages(client, signed_in, role, status):
    signed_in(role)
    assert client.get("/opportunities").status_code == status
    assert client.get("/opportunities/new").status_code == (200 if role == Role.MANAGER else 403)


def test_a_visitor_is_sent_to_sign_in(client):
    assert client.get("/opportunities").status_code == 302
    assert client.get("/requests").status_code == 302


def test_a_manager_publishes_an_opportunity_directly(app, client, people):
    sign_in(client, "manager")
    response = post(
        client,
        "/opportunities/new",
        {
            "title": "Working group on benefits letters",
            "description": "Four meetings to rewrite the letters.",
            "activity": "working_group",
            "forum": "",
            "places": "4",
            "closes_on": "",
            "paid": "no",
            "rung": "co_design",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        opportunity = db.session.scalar(db.select(Opportunity))
        assert (opportunity.places, opportunity.paid, opportunity.rung) == (4, False, "co_design")
        assert opportunity.closes_on is None and opportunity.request_id is None
    _switch(client, "ann")
    listing = client.get("/opportunities").get_data(as_text=True)
    assert "Working group on benefits letters" in listing


def test_peers_see_open_opportunities_only(app, client, people, publish):
    publish(people["manager"], title="Still open")
    publish(people["manager"], title="Closed yesterday", closes_on=TODAY - timedelta(days=2))
    done = publish(people["manager"], title="Already done")
    with app.app_context():
        db.session.get(Opportunity, done).status = "completed"
        db.session.commit()
    sign_in(client, "ann")
    listing = client.get("/opportunities").get_data(as_text=True)
    assert "Still open" in listing
    assert "Closed yesterday" not in listing and "Already done" not in listing
    assert client.get(f"/opportunities/{done}").status_code == 404
    _switch(client, "manager")
    everything = client.get("/opportunities").get_data(as_text=True)
    assert "Still open" in everything and "Already done" in everything


def test_an_invitation_only_forums_opportunity_is_for_its_members(app, client, people, publish):
    with app.app_context():
        forum = Forum(name="Women's Forum", open_to_all=False)
        db.session.add(forum)
        db.session.flush()
        db.session.add(ForumMember(forum_id=forum.id, user_id=people["ann"].id, joined_on=TODAY))
        db.session.commit()
        forum_id = forum.id
    opportunity_id = publish(people["manager"], title="For the women's forum", forum_id=forum_id)
    assert any("A new opportunity" in n.subject for n in _notes(app, people["ann"].id))
    assert _notes(app, people["bob"].id) == []
    sign_in(client, "bob")
    assert client.get(f"/opportunities/{opportunity_id}").status_code == 404
    assert "For the women" not in client.get("/opportunities").get_data(as_text=True)
    _switch(client, "ann")
    assert client.get(f"/opportunities/{opportunity_id}").status_code == 200


def test_interest_is_expressed_once_and_a_second_press_updates_the_note(
    app, client, people, publish
):
    opportunity_id = publish(people["manager"])
    sign_in(client, "ann")
    url = f"/opportunities/{opportunity_id}"
    first = post(client, f"{url}/interest", {"note": "Mornings only"}, form_url=url)
    assert first.status_code == 303
    second = post(client, f"{url}/interest", {"note": "Any Tuesday"}, form_url=url)
    assert second.status_code == 303
    with app.app_context():
        rows = db.session.scalars(db.select(Interest)).all()
        assert len(rows) == 1 and rows[0].note == "Any Tuesday"
    page = client.get(url).get_data(as_text=True)
    assert "You said you are interested" in page and "Any Tuesday" in page


def test_a_peer_can_take_back_their_interest(app, client, people, publish):
    opportunity_id = publish(people["manager"])
    sign_in(client, "ann")
    url = f"/opportunities/{opportunity_id}"
    post(client, f"{url}/interest", {"note": ""}, form_url=url)
    assert post(client, f"{url}/interest/withdraw", form_url=url).status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Interest.id))) == 0


def test_managers_cannot_say_they_are_interested(app, client, people, publish):
    opportunity_id = publish(people["manager"])
    sign_in(client, "manager")
    url = f"/opportunities/{opportunity_id}"
    assert post(client, f"{url}/interest", {"note": "x"}, form_url=url).status_code == 403


def test_only_managers_see_who_is_interested(app, client, people, publish, interested):
    opportunity_id = publish(people["manager"])
    interested(opportunity_id, people["ann"], people["bob"])
    sign_in(client, "ann")
    page = client.get(f"/opportunities/{opportunity_id}").get_data(as_text=True)
    assert "Bob" not in page
    _switch(client, "manager")
    page = client.get(f"/opportunities/{opportunity_id}").get_data(as_text=True)
    assert "Ann" in page and "Bob" in page


def test_the_chosen_are_told_and_the_others_kindly_told_not_this_time(
    app, client, people, publish, interested
):
    opportunity_id = publish(people["manager"], places=1)
    interested(opportunity_id, people["ann"], people["bob"])
    sign_in(client, "manager")
    url = f"/opportunities/{opportunity_id}"
    too_many = post(
        client, f"{url}/select", {"people": [people["ann"].id, people["bob"].id]}, form_url=url
    )
    assert too_many.status_code == 409 and "There are 1 places" in too_many.get_data(as_text=True)
    nobody = post(client, f"{url}/select", {}, form_url=url)
    assert nobody.status_code == 400 and "Choose at least one person" in nobody.get_data(
        as_text=True
    )
    response = post(client, f"{url}/select", {"people": [people["ann"].id]}, form_url=url)
    assert response.status_code == 303
    ann = [n.subject for n in _notes(app, people["ann"].id)]
    bob = [n.subject for n in _notes(app, people["bob"].id)]
    assert "You have been chosen: Interview panel for a support worker" in ann
    assert "About Interview panel for a support worker" in bob
    assert not any("chosen" in s for s in bob)
    with app.app_context():
        opportunity = db.session.get(Opportunity, opportunity_id)
        assert opportunity.status == "selected"
    # Nobody new can say they are interested; Bob still sees what happened, kindly.
    _switch(client, "bob")
    page = client.get(url).get_data(as_text=True)
    assert "Other people were chosen this time" in page
    assert post(client, f"{url}/interest", {"note": "x"}, form_url=url).status_code == 403


def test_peers_cannot_choose_or_mark_done(app, client, people, publish, interested):
    opportunity_id = publish(people["manager"])
    interested(opportunity_id, people["ann"])
    sign_in(client, "ann")
    url = f"/opportunities/{opportunity_id}"
    assert (
        post(client, f"{url}/select", {"people": [people["ann"].id]}, form_url=url).status_code
        == 403
    )
    assert post(client, f"{url}/completed/{people['ann'].id}", form_url=url).status_code == 403


def test_completion_gives_involvement_once_and_the_request_is_met(
    app, client, people, org, make_request, interested
):
    request_id = make_request(people["partner"])
    with app.test_request_context():
        opportunity = services.accept_request(
            db.session.get(User, people["manager"].id),
            db.session.get(ConsultationRequest, request_id),
            **services.prefill(db.session.get(ConsultationRequest, request_id)) | {"places": 2},
        )
        db.session.commit()
        opportunity_id = opportunity.id
    interested(opportunity_id, people["ann"], people["bob"])
    given = []

    def receive(sender, **kwargs):
        kwargs["person"], kwargs["actor"] = kwargs["person"].id, kwargs["actor"].id
        given.append(kwargs)

    sign_in(client, "manager")
    url = f"/opportunities/{opportunity_id}"
    post(client, f"{url}/select", {"people": [people["ann"].id, people["bob"].id]}, form_url=url)
    with involvement_given.connected_to(receive):
        for _press in range(2):  # a double press records it once
            response = post(client, f"{url}/completed/{people['ann'].id}", form_url=url)
            assert response.status_code == 303
        with app.app_context():
            assert db.session.get(Opportunity, opportunity_id).status == "selected"
            assert db.session.get(ConsultationRequest, request_id).status == "accepted"
        post(client, f"{url}/completed/{people['bob'].id}", form_url=url)
    assert len(given) == 2
    first = given[0]
    assert first["person"] == people["ann"].id
    assert first["activity"] == "document_review"
    assert first["source"] == f"opportunity:{opportunity_id}"
    assert first["actor"] == people["manager"].id
    with app.app_context():
        assert db.session.get(Opportunity, opportunity_id).status == "completed"
        assert db.session.get(ConsultationRequest, request_id).status == "met"
        rows = db.session.scalars(db.select(Interest)).all()
        assert all(r.involvement_recorded_at and r.completed_at for r in rows)
    with app.app_context():
        counts = services.request_counts(TODAY, TODAY)
    assert (counts.requested, counts.accepted, counts.met) == (1, 1, 1)
    assert counts.by_organisation["City Council"].met == 1
    _switch(client, "partner")
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Met" in page and "2 people have been chosen" in page
    assert "Ann" not in page  # partners are not told who


def test_only_chosen_people_can_be_marked_done(app, client, people, publish, interested):
    opportunity_id = publish(people["manager"])
    interested(opportunity_id, people["ann"])
    sign_in(client, "manager")
    url = f"/opportunities/{opportunity_id}"
    response = post(client, f"{url}/completed/{people['ann'].id}", form_url=url)
    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalar(db.select(Interest)).involvement_recorded_at is None


# Benefits warnings while choosing people ------------------------------------------------------

#: The Wednesday the benefits-warning tests run on (pinned by ``warned``).
WARNED_DAY = date(2027, 3, 24)


@pytest.fixture
def warned(app, make_user, people, pin_today):
    """A £50 weekly limit, a panel paying £40 a task, and Wendy (who asked to be warned) with
    £40 of panel work already this week: being chosen would take her £30 over. The clock is
    pinned to a Wednesday, so "this week" never ends between her work and the page."""
    from decimal import Decimal

    pin_today(WARNED_DAY)

    from engage.payments import rate_card, thresholds
    from engage.payments.time_given import services as time_given

    wendy = make_user(
        "wendy",
        roles={Role.PEER},
        preferred_name="Wendy",
        benefits_warnings=True,
        payment_preference="bank",
    )
    admin = make_user("ratesadmin", roles={Role.ADMIN})
    with app.test_request_context():
        actor = db.session.get(User, admin.id)
        start = date(2026, 4, 6)
        rate_card.add_rate(
            actor,
            activity="interview_panel",
            unit="task",
            amount=Decimal("40.00"),
            includes_preparation=True,
            effective_from=start,
        )
        thresholds.add_threshold(
            actor,
            label="ESA permitted work weekly limit",
            period="week",
            amount=Decimal("50.00"),
            effective_from=start,
            source_note="DWP guidance",
        )
        time_given.record_involvement(
            None,
            db.session.get(User, wendy.id),
            activity="interview_panel",
            on=WARNED_DAY,
        )
        db.session.commit()
    return wendy


def test_choosing_people_shows_benefits_warnings_first_never_a_block(
    app, client, people, warned, publish, interested
):
    opportunity_id = publish(people["manager"], places=2)
    interested(opportunity_id, people["ann"], warned)
    sign_in(client, "manager")
    url = f"/opportunities/{opportunity_id}"
    page = client.get(url).get_data(as_text=True)
    assert "Wendy asked to be warned about benefits limits" in page
    assert "ESA permitted work weekly limit: £50.00 for a week" in page
    assert ": £40.00</li>" in page  # already earned this week
    assert "This work: £40.00" in page and "Total: £80.00" in page
    assert "Over by: £30.00" in page and "DWP guidance" in page
    assert 'aria-describedby="people-note-2 people-warning-2"' in page
    assert "Ann asked to be warned" not in page
    # The button still works: choosing Wendy is allowed.
    response = post(client, f"{url}/select", {"people": [warned.id]}, form_url=url)
    assert response.status_code == 303
    with app.app_context():
        row = db.session.scalar(db.select(Interest).where(Interest.user_id == warned.id))
        assert row.selected


def test_no_benefits_warning_for_unpaid_work_or_for_peers(
    app, client, people, warned, publish, interested
):
    unpaid = publish(people["manager"], paid=False)
    interested(unpaid, warned)
    sign_in(client, "manager")
    assert "asked to be warned" not in client.get(f"/opportunities/{unpaid}").get_data(as_text=True)
    paid = publish(people["manager"], title="Paid panel")
    interested(paid, warned)
    _switch(client, "wendy")
    assert "asked to be warned" not in client.get(f"/opportunities/{paid}").get_data(as_text=True)


def test_benefits_warnings_keep_the_queries_bounded(
    app, client, make_user, people, warned, publish, interested
):
    from tests.conftest import count_queries

    opportunity_id = publish(people["manager"], places=20)
    interested(opportunity_id, warned)
    sign_in(client, "manager")
    url = f"/opportunities/{opportunity_id}"
    few = count_queries(app, client, url)
    more = [
        make_user(roles={Role.PEER}, benefits_warnings=True, payment_preference="bank")
        for _ in range(8)
    ]
    with app.test_request_context():
        from engage.payments.time_given import services as time_given

        for person in more:  # each has £40 of panel work this week already
            time_given.record_involvement(
                None,
                db.session.get(User, person.id),
                activity="interview_panel",
                on=WARNED_DAY,
            )
        db.session.commit()
    interested(opportunity_id, *more)
    assert count_queries(app, client, url) == few
    page = client.get(url).get_data(as_text=True)
    assert page.count("asked to be warned") == 9
