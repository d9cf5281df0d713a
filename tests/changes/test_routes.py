"""Register pages as each kind of person uses them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from engage.changes.models import Item, State, Support
from engage.extensions import db
from engage.people import services as people_services
from engage.people.models import ConsentPurpose, Organisation, Role, User
from tests.conftest import csrf_token, post, sign_in


def _state(app, item_id):
    with app.app_context():
        return db.session.get(Item, item_id).state


def test_a_peer_raises_an_item_and_is_told_what_happens_next(app, client, signed_in):
    me = signed_in(Role.PEER)
    response = post(
        client,
        "/register/new",
        {
            "title": "Turned away without ID",
            "what_happened": "They said no photo ID, no help.",
            "agency": "other",
            "agency_other": "Housing office",
            "theme": "housing",
            "show_name": "no",
        },
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you, we have your item" in page and "What happens next" in page
    with app.app_context():
        item = db.session.scalar(db.select(Item))
        assert item.raised_by_id == me.id and item.agency_other == "Housing office"
    assert "Turned away without ID" in client.get("/register").get_data(as_text=True)


def test_register_filters_with_a_nul_are_read_without_it(client, signed_in):
    """PostgreSQL refuses a NUL in text: /register?q=%00 was a server error there."""
    signed_in(Role.MANAGER)
    for address in ("/register?q=%00", "/register?q=a%00b&state=%00&theme=%00"):
        assert client.get(address).status_code == 200, address


def test_raising_for_a_peer_speaks_to_the_manager_about_the_peer(app, client, make_user, signed_in):
    kit = make_user("kit", preferred_name="Kit")
    signed_in(Role.MANAGER)
    url = f"/register/new?for={kit.id}"
    form = client.get(url).get_data(as_text=True)
    assert "got in the way of Kit" in form and "we tell Kit what happens" in form
    # "This happened to me too" would be the manager's own, so it is not offered here.
    assert "got in your way. We take it" not in form and "happened to you too" not in form
    response = post(
        client,
        url,
        {
            "title": "Turned away without ID",
            "what_happened": "They said no photo ID, no help.",
            "agency": "other",
            "agency_other": "Housing office",
            "theme": "housing",
            "show_name": "no",
        },
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Item raised for Kit" in page and "We tell Kit each time it moves on" in page
    assert f'href="/people/{kit.id}"' in page and "See the item" in page
    assert "your item" not in page and "We tell you" not in page
    with app.app_context():
        assert db.session.scalar(db.select(Item)).raised_by_id == kit.id


def test_raising_keeps_what_was_typed_when_something_is_missing(client, signed_in):
    signed_in(Role.PEER)
    response = post(
        client,
        "/register/new",
        {"title": "", "what_happened": "Long story", "agency": "other", "theme": "housing"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in body
    assert "Long story" in body


def test_a_double_click_makes_one_item(app, client, signed_in):
    signed_in(Role.PEER)
    page = client.get("/register/new").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="(\w+)"', page).group(1)
    data = {
        "title": "Same",
        "what_happened": "w",
        "agency": "other",
        "theme": "health",
        "show_name": "no",
        "submission_key": key,
        "csrf_token": csrf_token(client, "/register/new"),
    }
    first = client.post("/register/new", data=data)
    second = client.post("/register/new", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Item.id))) == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.PEER, 404),
        (Role.FINANCE, 404),
        (Role.PARTNER, 404),
        (Role.BOARD, 200),
        (Role.MANAGER, 200),
    ],
)
def test_who_can_open_someone_elses_item(app, client, make_user, make_item, role, status):
    item_id = make_item(make_user("raiser"))
    make_user("viewer", roles={role})
    sign_in(client, "viewer")
    assert client.get(f"/register/{item_id}").status_code == status


def test_partners_see_items_their_organisation_owns(app, client, make_user, make_item):
    with app.app_context():
        org = Organisation(name="Council")
        db.session.add(org)
        db.session.commit()
        org_id = org.id
    item_id = make_item(make_user("raiser"), owner_organisation_id=org_id)
    other_id = make_item(make_user("raiser2"))
    make_user("officer", roles={Role.PARTNER}, organisation_id=org_id)
    sign_in(client, "officer")
    assert client.get(f"/register/{item_id}").status_code == 200
    assert client.get(f"/register/{other_id}").status_code == 404
    listing = client.get("/register").get_data(as_text=True)
    assert f"/register/{item_id}" in listing and f"/register/{other_id}" not in listing


def test_the_owner_list_names_people_and_their_organisation(app, client, make_user, make_item):
    with app.app_context():
        org = Organisation(name="City Council")
        db.session.add(org)
        db.session.commit()
        org_id = org.id
    item_id = make_item(make_user("raiser"), state=State.TRIAGED.value)
    helen = make_user("helenb", roles={Role.BOARD}, preferred_name="Helen", organisation_id=org_id)
    priya = make_user("pmgr", roles={Role.MANAGER}, preferred_name="Priya")
    make_user("peerpat", preferred_name="Pat")  # a peer is not offered as an owner
    sign_in(client, "pmgr")
    page = client.get(f"/register/{item_id}/owner").get_data(as_text=True)
    owners = re.search(r'<select[^>]*name="owner".*?</select>', page, re.S).group(0)
    options = dict(re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', owners))
    assert options[str(helen.id)] == "Helen, City Council"
    assert options[str(priya.id)] == "Priya"
    assert "helenb" not in page and "pmgr" not in options.values() and "Pat" not in options.values()


def test_an_item_is_overdue_from_midnight_in_the_uk(app, client, clock, make_user, make_item):
    overdue = 'govuk-tag--red">Overdue</strong>'
    # 23:30 on Sunday 28 March 2027 in the UK (22:30 in UTC): due today, so not overdue yet.
    clock(datetime(2027, 3, 28, 22, 30, tzinfo=UTC))
    item_id = make_item(make_user("raiser"), target_date=date(2027, 3, 28))
    make_user("boss", roles={Role.MANAGER})
    sign_in(client, "boss")
    assert overdue not in client.get(f"/register/{item_id}").get_data(as_text=True)
    # 00:30 on the Monday in the UK, though still Sunday in UTC: overdue.
    clock(datetime(2027, 3, 28, 23, 30, tzinfo=UTC))
    assert overdue in client.get(f"/register/{item_id}").get_data(as_text=True)


def test_names_are_hidden_where_the_raiser_asked(app, client, make_user, make_item):
    hidden = make_item(make_user("shy", preferred_name="Shy Person"), show_name=False)
    shown = make_item(make_user("open", preferred_name="Open Person"), show_name=True)
    make_user("boardie", roles={Role.BOARD})
    sign_in(client, "boardie")
    assert "Shy Person" not in client.get(f"/register/{hidden}").get_data(as_text=True)
    assert "Open Person" in client.get(f"/register/{shown}").get_data(as_text=True)


def test_supporter_accounts_reach_the_board_only_with_consent(app, client, make_user, make_item):
    item_id = make_item(make_user("raiser"), state=State.TRIAGED.value)
    make_user("yes")
    make_user("no")
    for name, share in (("yes", "y"), ("no", "")):
        sign_in(client, name)
        data = {"account": f"Account from {name}"}
        if share:
            data["share_with_board"] = "y"
        assert post(client, f"/register/{item_id}/support", data).status_code == 303
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    make_user("boardie", roles={Role.BOARD})
    sign_in(client, "boardie")
    page = client.get(f"/register/{item_id}").get_data(as_text=True)
    assert "Account from yes" in page and "Account from no" not in page
    with app.app_context():
        assert db.session.get(Item, item_id).supporter_count == 2
        assert db.session.scalar(db.select(db.func.count(Support.id))) == 2


def test_supporters_can_follow_the_item_afterwards(app, client, make_user, make_item):
    item_id = make_item(make_user("raiser"), state=State.TRIAGED.value)
    make_user("me")
    sign_in(client, "me")
    assert client.get(f"/register/{item_id}").status_code == 404
    post(client, f"/register/{item_id}/support", {"account": ""})
    assert client.get(f"/register/{item_id}").status_code == 200


def test_the_whole_loop_through_the_pages(
    app, client, make_user, make_item, sent_messages, pin_today
):
    pin_today(date(2026, 6, 10))  # the step's typed due date is within the plans' years
    raiser = make_user("raiser", email="raiser@example.org")
    item_id = make_item(raiser)
    make_user("mgr", roles={Role.MANAGER})
    sign_in(client, "mgr")
    base = f"/register/{item_id}"
    assert post(client, f"{base}/triage", {"version": "1"}).status_code == 303
    refused = post(client, f"{base}/start", {})
    assert refused.status_code == 200
    assert "cannot be made in progress" in refused.get_data(as_text=True)
    assert (
        post(
            client,
            f"{base}/step",
            {"description": "Accept other ID", "owner_name": "Pat", "due_date": "2027-01-31"},
        ).status_code
        == 303
    )
    assert post(client, f"{base}/start", {}).status_code == 303
    assert (
        post(client, f"{base}/decision", {"text": "Agreed", "co_produced": "y"}).status_code == 303
    )
    assert (
        post(
            client,
            f"{base}/resolve",
            {
                "what_changed": "Two proofs of ID accepted",
                "for_whom": "Everyone",
                "lasting": "In policy",
            },
        ).status_code
        == 303
    )
    assert _state(app, item_id) == State.RESOLVED.value
    assert "Two proofs of ID accepted" in client.get("/you-said-we-did").get_data(as_text=True)
    assert len([m for m in sent_messages if m.to_address == "raiser@example.org"]) >= 4


def test_two_people_editing_at_once_do_not_overwrite_each_other(
    app, client, make_user, make_item, pin_today
):
    pin_today(date(2026, 6, 10))  # the step's typed due date is within the plans' years
    item_id = make_item(make_user("raiser"), state=State.TRIAGED.value)
    make_user("mgr", roles={Role.MANAGER})
    sign_in(client, "mgr")
    page = client.get(f"/register/{item_id}/close").get_data(as_text=True)
    seen = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    # Someone else changes the item in the meantime.
    other = app.test_client()
    make_user("boardie", roles={Role.BOARD})
    sign_in(other, "boardie")
    assert (
        post(
            other,
            f"/register/{item_id}/step",
            {"description": "Fix it", "owner_name": "Jo", "due_date": "2027-02-01"},
        ).status_code
        == 303
    )
    response = post(
        client,
        f"/register/{item_id}/close",
        {"version": seen, "reason": "My carefully typed reason"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this" in body and "My carefully typed reason" in body
    assert _state(app, item_id) == State.ACTION_PLANNED.value
    # Saving again after seeing the change works.
    fresh = re.search(r'name="version" type="hidden" value="(\d+)"', body).group(1)
    assert (
        post(
            client,
            f"/register/{item_id}/close",
            {"version": fresh, "reason": "My carefully typed reason"},
        ).status_code
        == 303
    )


def test_staff_actions_are_refused_to_peers(client, make_user, make_item):
    me = make_user("me")
    item_id = make_item(me)
    sign_in(client, "me")
    for action in ("triage", "close", "merge", "owner", "step", "start", "resolve", "decision"):
        assert client.get(f"/register/{item_id}/{action}").status_code == 403
    assert client.get(f"/register/{item_id}/nonsense").status_code == 404


def test_free_text_is_escaped(client, make_user, make_item):
    item_id = make_item(make_user("raiser"), title="<img src=x onerror=alert(1)>")
    make_user("mgr", roles={Role.MANAGER})
    sign_in(client, "mgr")
    body = client.get(f"/register/{item_id}").get_data(as_text=True)
    assert "<img src=x" not in body and "&lt;img src=x" in body


def test_peers_and_partners_never_read_other_supporters_accounts(app, client, make_user, make_item):
    raiser = make_user("raiser")
    item_id = make_item(raiser, state=State.TRIAGED.value)
    make_user("sharer")
    sign_in(client, "sharer")
    post(
        client,
        f"/register/{item_id}/support",
        {"account": "Shared with the board only", "share_with_board": "y"},
    )
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, "raiser")  # the raiser can follow the item, but not read others' words
    page = client.get(f"/register/{item_id}").get_data(as_text=True)
    assert "Shared with the board only" not in page


def test_a_manager_raises_an_item_for_a_peer(app, client, make_user):
    from engage.core.audit import AuditEntry

    peer = make_user("kit", preferred_name="Kit")
    manager = make_user("mgr", roles={Role.MANAGER})
    sign_in(client, "mgr")
    page = client.get(f"/people/{peer.id}").get_data(as_text=True)
    assert f"/register/new?for={peer.id}" in page
    form = client.get(f"/register/new?for={peer.id}").get_data(as_text=True)
    assert "You are working on behalf of Kit" in form
    response = post(
        client,
        f"/register/new?for={peer.id}",
        {
            "title": "No bus home",
            "what_happened": "Discharged at 3am",
            "agency": "other",
            "theme": "health",
            "show_name": "yes",
            "for": str(peer.id),
        },
        form_url=f"/register/new?for={peer.id}",
    )
    assert response.status_code == 303
    with app.app_context():
        item = db.session.scalar(db.select(Item))
        assert item.raised_by_id == peer.id and item.entered_by_id == manager.id
        entry = db.session.scalar(db.select(AuditEntry).filter_by(action="register.raised"))
        assert entry.on_behalf and entry.subject_id == peer.id
    # The item is Kit's (Kit hears back), and its page says who entered it for them.
    page = client.get(f"/register/{item.id}").get_data(as_text=True)
    assert "Kit · entered by Mgr on their behalf" in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, "kit")
    page = client.get(f"/register/{item.id}").get_data(as_text=True)
    assert "No bus home" in page and "entered by Mgr on their behalf" in page


def test_only_managers_raise_for_someone_else(client, make_user):
    other = make_user("other")
    make_user("me")
    sign_in(client, "me")
    assert client.get(f"/register/new?for={other.id}").status_code == 404


def test_you_said_we_did_is_in_a_peers_menu_and_on_their_home_page(
    app, client, make_user, make_item
):
    from datetime import UTC, datetime

    raiser = make_user("raiser")
    with app.test_request_context():  # titles are their words: shown as they agreed
        person = db.session.get(User, raiser.id)
        people_services.give_consent(person, person, ConsentPurpose.PHOTOS_QUOTES)
        db.session.commit()
    nav_link = 'class="govuk-service-navigation__link" href="/you-said-we-did"'
    make_user("reader")
    sign_in(client, "reader")
    # Nothing changed yet: the home page says where it will be told.
    home = client.get("/").get_data(as_text=True)
    assert nav_link in home
    assert "When a board changes something people raised" in home
    assert 'href="/you-said-we-did"' in home.split("</nav>", 1)[1]
    for day, title in ((1, "Oldest"), (2, "Older"), (3, "Newer"), (4, "Newest")):
        make_item(
            raiser,
            title=f"{title} blockage",
            state=State.RESOLVED.value,
            what_changed=f"{title} change made",
            changed_for_whom="Everyone",
            lasting="In policy",
            resolved_at=datetime(2026, 3, day, 12, tzinfo=UTC),
        )
    home = client.get("/").get_data(as_text=True)
    panel = home.split('<h3 class="govuk-heading-s">You said, we did</h3>', 1)[1]
    panel = panel.split("</section>", 1)[0]
    # The latest three, newest first, in plain words, with a link to all of them.
    assert panel.index("Newest blockage") < panel.index("Newer blockage") < panel.index("Older")
    assert "We did: Newest change made" in panel
    assert "Oldest" not in panel
    assert 'href="/you-said-we-did"' in panel
    # Staff reach it from the register; it is not added to their longer menu.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    make_user("mgr", roles={Role.MANAGER})
    sign_in(client, "mgr")
    assert nav_link not in client.get("/").get_data(as_text=True)


#: For every state in the table: its tag, what it means and what happens next on the item
#: page, and what the action plan part says while there is no step.
STATE_WORDING = {
    State.RAISED: (
        "Raised",
        "The lived experience team has not read it yet.",
        "Next: the team reads it within 2 weeks.",
        "No plan yet. Once the item is accepted, a board agrees one.",
    ),
    State.TRIAGED: (
        "Accepted",
        "The lived experience team accepted this item into the register.",
        "Next: a board gives it an owner and a target date, and agrees an action plan.",
        "No plan yet. The board is working on one.",
    ),
    State.ACTION_PLANNED: (
        "Action planned",
        "The board agreed an action plan to fix this.",
        "Next: the people named in the plan start the work.",
        None,
    ),
    State.IN_PROGRESS: (
        "In progress",
        "Work on the action plan has started.",
        "Next: when it is fixed, the board checks what changed, for whom, and that it lasts.",
        None,
    ),
    State.ESCALATED: (
        "Escalated",
        "This was not sorted out in time, so it moved up to the Strategic board.",
        "Next: the Strategic board agrees how to move it on, with a new target date.",
        "No plan yet. The board is working on one.",
    ),
    State.RESOLVED: (
        "Resolved",
        "This is fixed. You can read what changed below.",
        "If it starts happening again, tell the lived experience team: they can reopen it.",
        None,
    ),
    State.CLOSED: (
        "Closed",
        "This item is closed. You can read why below.",
        "If you think it should stay open, tell the lived experience team: they can reopen it.",
        "No plan was made.",
    ),
    State.REOPENED: (
        "Reopened",
        "This was fixed or closed, then opened again because it is still happening.",
        "Next: the team and the board look at it again and agree what to do.",
        "No plan yet. The board is working on one.",
    ),
    State.MERGED: (
        "Merged",
        "This was the same as another item, so they were joined.",
        "Next: follow the other item to see what happens.",
        "No plan was made. The other item has the plan.",
    ),
}


def test_every_state_has_its_own_explanation_on_the_item_page(app, client, make_user, make_item):
    from datetime import date

    from engage.changes.models import ActionStep, Level

    assert set(STATE_WORDING) == set(State)  # a new state needs its wording here too
    raiser = make_user("raiser")
    make_user("mgr", roles={Role.MANAGER})
    sign_in(client, "mgr")
    other = make_item(raiser, title="The item that carries on")
    for state, (tag, meaning, next_step, no_plan) in STATE_WORDING.items():
        item_id = make_item(
            raiser,
            title=f"An item {state.value}",
            state=state.value,
            level=Level.STRATEGIC.value,
            merged_into_id=other if state == State.MERGED else None,
            close_reason="Sorted by the service" if state == State.CLOSED else "",
            what_changed="A change" if state == State.RESOLVED else "",
        )
        if no_plan is None:  # states that need a plan have one
            with app.app_context():
                db.session.add(
                    ActionStep(
                        item_id=item_id,
                        description="Change the form",
                        owner_name="Pat",
                        due_date=date(2027, 1, 31),
                    )
                )
                db.session.commit()
        page = client.get(f"/register/{item_id}").get_data(as_text=True)
        shown = re.search(r'govuk-tag govuk-tag--[a-z-]+">([^<]+)</strong>', page).group(1)
        assert shown == tag, state
        explanation = page.split('id="state-explanation"', 1)[1].split("</div>", 1)[0]
        assert meaning in explanation and next_step in explanation, state
        if no_plan is not None:
            assert no_plan in page, state
        else:
            assert "No plan" not in page, state
        # The old wording that contradicted an accepted item's tag is gone everywhere.
        assert "after the item is accepted" not in page
        if state == State.MERGED:
            assert f'href="/register/{other}">Follow item {other}</a>' in explanation
