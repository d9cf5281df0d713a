"""Involvement records pages: the approval queue with benefits warnings, entering time by hand,
one record with its history, approving and not approving."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm.exc import StaleDataError

from engage.extensions import db
from engage.payments import earnings, thresholds
from engage.payments.models import IllegalMove, InvolvementRecord, PaymentEvent, RecordStatus
from engage.payments.time_given import services as time_given
from engage.payments.time_given.forms import parse_duration
from engage.people.models import Role, User
from tests.conftest import count_queries, csrf_token, post, sign_in
from tests.payments.conftest import DAY

#: The Monday of DAY's week: earlier work in the same week counts towards a weekly limit.
MONDAY = DAY - timedelta(days=DAY.weekday())
LIMIT = "ESA permitted work weekly limit"


@pytest.fixture(autouse=True)
def _today(pin_today):
    """Time is entered for DAY, which must be a recent day whenever the tests run."""
    pin_today(DAY + timedelta(days=1))


@pytest.fixture
def wendy(make_user):
    """A peer who asked to be warned about benefits limits."""
    return make_user(
        "wendy",
        roles={Role.PEER},
        preferred_name="Wendy",
        benefits_warnings=True,
        payment_preference="bank",
    )


@pytest.fixture
def nora(make_user):
    """A peer who did not ask to be warned."""
    return make_user("nora", roles={Role.PEER}, preferred_name="Nora", payment_preference="bank")


@pytest.fixture
def threshold(app, admin):
    with app.test_request_context():
        row = thresholds.add_threshold(
            db.session.get(User, admin.id),
            label=LIMIT,
            period="week",
            amount=Decimal("100.00"),
            effective_from=date(2026, 4, 6),
            source_note="DWP permitted work rules, April 2026",
        )
        db.session.commit()
        return row.id


@pytest.fixture
def rate(make_rate):
    """Forum meetings pay £20 an hour."""
    return make_rate("forum_meeting", "20.00", unit="hour")


def _approve(app, record_id: int, actor: User) -> None:
    with app.test_request_context():
        time_given.approve_record(
            db.session.get(User, actor.id), db.session.get(InvolvementRecord, record_id)
        )
        db.session.commit()


def _record(app, record_id: int) -> InvolvementRecord:
    with app.app_context():
        row = db.session.get(InvolvementRecord, record_id)
        db.session.expunge(row)
        return row


def _events(app, record_id: int) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [
            (e.kind, e.from_state, e.to_state)
            for e in db.session.scalars(
                db.select(PaymentEvent)
                .where(PaymentEvent.record_id == record_id)
                .order_by(PaymentEvent.id)
            )
        ]


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(InvolvementRecord.id)))


@pytest.fixture
def near_limit(app, manager, wendy, nora, threshold, rate, make_record):
    """Wendy earned £60 earlier in the week (approved); she and Nora each have 2.5 hours
    (£50) waiting. £60 + £50 = £110 takes Wendy £10 over her £100 weekly limit."""
    earlier = make_record(wendy, on=MONDAY, minutes=180)
    _approve(app, earlier, manager)
    return {
        "earlier": earlier,
        "wendy": make_record(wendy, on=DAY, minutes=150),
        "nora": make_record(nora, on=DAY, minutes=150),
    }


def _warning_numbers(page: str) -> None:
    assert "Wendy asked to be warned about benefits limits" in page
    assert f"{LIMIT}: £100.00 for a week" in page
    assert "Already earned from 8 Jun 2026 to 14 Jun 2026: £60.00" in page
    assert "This work: £50.00" in page
    assert "Total: £110.00" in page
    assert "Limit: £100.00" in page
    assert "Over by: £10.00" in page
    assert "DWP permitted work rules, April 2026" in page
    assert "This is a warning, not a block" in page
    assert "Nora asked to be warned" not in page


# The queue ------------------------------------------------------------------------------------


def test_the_queue_shows_each_waiting_record_with_its_warning(client, near_limit):
    sign_in(client, "boss")
    response = client.get("/payments/time")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    _warning_numbers(page)
    assert page.count("asked to be warned") == 1
    # Both waiting records can be ticked; the approved one is not in the default list.
    assert (
        f'id="record-{near_limit["wendy"]}"' in page and f'id="record-{near_limit["nora"]}"' in page
    )
    assert f'id="record-{near_limit["earlier"]}"' not in page
    assert f'aria-describedby="warning-{near_limit["wendy"]}"' in page
    assert "Approve selected" in page
    assert "2 records" in page


def test_filters_by_status_and_activity(client, near_limit, make_record, nora, make_rate):
    make_rate("training", "10.00")
    training = make_record(nora, activity="training", minutes=60)
    sign_in(client, "boss")
    approved = client.get("/payments/time?status=approved").get_data(as_text=True)
    assert "1 record" in approved and "Approved, to be paid" in approved
    assert "asked to be warned" not in approved  # only waiting records are warned about
    assert "Approve selected" not in approved
    everything = client.get("/payments/time?status=all").get_data(as_text=True)
    assert "4 records" in everything
    only = client.get("/payments/time?activity=training").get_data(as_text=True)
    assert "1 record" in only and f'id="record-{training}"' in only
    # Nonsense filters fall back to the waiting list, never an error.
    odd = client.get("/payments/time?status=%3Cscript%3E&activity=nope&page=x")
    assert odd.status_code == 200 and "3 records" in odd.get_data(as_text=True)
    assert client.get("/payments/time?status=declined").status_code == 200
    assert "No records match" in client.get("/payments/time?status=paid").get_data(as_text=True)


def test_the_queue_pages_by_25_newest_first(app, client, manager, nora, rate, make_record):
    ids = [make_record(nora, minutes=60) for _ in range(27)]
    sign_in(client, "boss")
    first = client.get("/payments/time").get_data(as_text=True)
    assert "27 records" in first and "Page 1 of 2" in first
    assert f'id="record-{ids[-1]}"' in first and f'id="record-{ids[0]}"' not in first
    second = client.get("/payments/time?page=2").get_data(as_text=True)
    assert f'id="record-{ids[0]}"' in second and f'id="record-{ids[1]}"' in second
    assert f'id="record-{ids[-1]}"' not in second


def test_the_queue_runs_as_many_queries_for_50_records_as_for_5(
    app, client, manager, make_user, threshold, rate, make_record
):
    people = [
        make_user(roles={Role.PEER}, benefits_warnings=True, payment_preference="bank")
        for _ in range(5)
    ]
    for person in people:
        make_record(person, on=DAY, minutes=300)  # £100: each is at the limit
    sign_in(client, "boss")
    few = count_queries(app, client, "/payments/time")
    for i in range(45):
        make_record(people[i % 5], on=DAY, minutes=30)
    many = count_queries(app, client, "/payments/time")
    assert few == many
    page = client.get("/payments/time").get_data(as_text=True)
    assert page.count("asked to be warned") == 25  # every record on the page crosses


def test_finance_may_look_but_not_act(app, client, signed_in, near_limit):
    signed_in(Role.FINANCE)
    page = client.get("/payments/time")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Wendy" in text and "Approve selected" not in text and 'name="records"' not in text
    assert client.get("/payments/time/new").status_code == 403
    record = f"/payments/time/{near_limit['wendy']}"
    assert client.get(record).status_code == 200
    assert client.get(f"{record}/approve").status_code == 403
    assert client.get(f"{record}/reject").status_code == 403
    token = csrf_token(client, "/payments/time")
    response = client.post(
        "/payments/time/approve", data={"records": [near_limit["wendy"]], "csrf_token": token}
    )
    assert response.status_code == 403
    assert _record(app, near_limit["wendy"]).status == "pending"


@pytest.mark.parametrize("role", [Role.PEER, Role.BOARD, Role.PARTNER, Role.ADMIN])
def test_other_roles_cannot_open_the_queue(client, signed_in, role):
    signed_in(role)
    assert client.get("/payments/time").status_code == 403
    assert client.get("/payments/time/new").status_code == 403
    token = csrf_token(client, "/")
    assert client.post("/payments/time/approve", data={"csrf_token": token}).status_code == 403


def test_visitors_are_sent_to_sign_in(client):
    for url in ("/payments/time", "/payments/time/new", "/payments/time/1"):
        assert client.get(url).status_code in (302, 303)


# Approving --------------------------------------------------------------------------------------


def test_approving_one_shows_the_warning_first_and_is_not_blocked(app, client, near_limit):
    sign_in(client, "boss")
    url = f"/payments/time/{near_limit['wendy']}/approve"
    confirm = client.get(url)
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    _warning_numbers(page)
    assert "Approve anyway" in page
    response = post(client, url)
    assert response.status_code == 303
    record = _record(app, near_limit["wendy"])
    assert record.status == "approved" and record.amount == Decimal("50.00")
    assert ("state", "pending", "approved") in _events(app, record.id)
    queue = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Approved: Wendy, £50.00" in queue
    # A double click changes nothing.
    again = client.post(url, data={"csrf_token": csrf_token(client, "/payments/time")})
    assert again.status_code == 303
    assert "already approved" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert _events(app, record.id).count(("state", "pending", "approved")) == 1
    assert _record(app, record.id).version == record.version


def test_no_warning_for_a_peer_who_did_not_ask(client, near_limit):
    sign_in(client, "boss")
    page = client.get(f"/payments/time/{near_limit['nora']}/approve").get_data(as_text=True)
    assert "asked to be warned" not in page and "Over by" not in page
    assert ">Approve<" in page


def test_bulk_approve_approves_the_ticked_ones_once(app, client, near_limit):
    sign_in(client, "boss")
    ids = [near_limit["wendy"], near_limit["nora"]]
    response = post(
        client,
        "/payments/time/approve",
        {"records": ids, "status": "pending", "activity": "forum_meeting"},
        form_url="/payments/time",
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/payments/time?activity=forum_meeting")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 records approved, £100.00 in all" in page
    assert [_record(app, i).status for i in ids] == ["approved", "approved"]
    versions = [_record(app, i).version for i in ids]
    again = post(client, "/payments/time/approve", {"records": ids}, form_url="/payments/time")
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "2 records were already approved. Nothing changed." in page
    assert [_record(app, i).version for i in ids] == versions


def test_bulk_approve_with_nothing_ticked_or_nonsense_changes_nothing(app, client, near_limit):
    sign_in(client, "boss")
    nothing = post(client, "/payments/time/approve", {}, form_url="/payments/time")
    assert nothing.status_code == 303
    assert "Tick at least one record" in client.get(nothing.headers["Location"]).get_data(
        as_text=True
    )
    junk = post(client, "/payments/time/approve", {"records": ["x"]}, form_url="/payments/time")
    assert junk.status_code == 303
    missing = post(
        client, "/payments/time/approve", {"records": [99999]}, form_url="/payments/time"
    )
    assert missing.status_code == 303
    assert _record(app, near_limit["wendy"]).status == "pending"


def test_a_manager_never_approves_their_own_time(app, client, make_user, rate, make_record):
    both = make_user("mo", roles={Role.MANAGER, Role.PEER}, preferred_name="Mo")
    make_user("other", roles={Role.MANAGER})
    own = make_record(both, minutes=60)
    sign_in(client, "mo")
    page = client.get("/payments/time").get_data(as_text=True)
    assert f'id="record-{own}"' not in page and "Your own time: another manager approves it" in page
    response = post(client, "/payments/time/approve", {"records": [own]}, form_url="/payments/time")
    assert "This is your own time, so another manager must approve it" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert client.get(f"/payments/time/{own}/approve").status_code == 403
    assert client.get(f"/payments/time/{own}/reject").status_code == 403
    shown = client.get(f"/payments/time/{own}").get_data(as_text=True)
    assert "another manager must approve it" in shown
    assert _record(app, own).status == "pending"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, "other")
    assert post(client, f"/payments/time/{own}/approve").status_code == 303
    assert _record(app, own).status == "approved"


def test_a_record_without_a_rate_cannot_be_approved_and_says_why(
    app, client, manager, nora, make_record, make_rate
):
    lonely = make_record(nora, activity="peer_research", minutes=60)
    sign_in(client, "boss")
    page = client.get("/payments/time").get_data(as_text=True)
    assert f'id="record-{lonely}"' not in page
    assert "there is no rate for this activity on this day" in page
    assert 'href="/payments/rates"' in page
    confirm = client.get(f"/payments/time/{lonely}/approve").get_data(as_text=True)
    assert "This cannot be approved yet" in confirm and 'href="/payments/rates"' in confirm
    refused = client.post(
        f"/payments/time/{lonely}/approve",
        data={"csrf_token": csrf_token(client, "/payments/time"), "version": "1"},
    )
    assert refused.status_code == 200
    assert "There is no rate for this activity on 10 Jun 2026" in refused.get_data(as_text=True)
    bulk = post(client, "/payments/time/approve", {"records": [lonely]}, form_url="/payments/time")
    assert "There is no rate for that activity on that day" in client.get(
        bulk.headers["Location"]
    ).get_data(as_text=True)
    assert _record(app, lonely).status == "pending"
    # Once the card has a rate, the record is priced from it and can be approved.
    record_url = f"/payments/time/{lonely}"
    assert "Price it from the rate card" in client.get(record_url).get_data(as_text=True)
    still = post(client, f"{record_url}/price", form_url=record_url)
    assert "There is still no rate" in client.get(still.headers["Location"]).get_data(as_text=True)
    make_rate("peer_research", "18.00")
    priced = post(client, f"{record_url}/price", form_url=record_url)
    assert "Priced from the rate card: £18.00" in client.get(priced.headers["Location"]).get_data(
        as_text=True
    )
    assert _record(app, lonely).amount == Decimal("18.00")
    assert post(client, f"{record_url}/approve").status_code == 303
    assert _record(app, lonely).status == "approved"


def test_not_approving_needs_a_reason_the_peer_can_read(app, client, near_limit):
    sign_in(client, "boss")
    url = f"/payments/time/{near_limit['nora']}/reject"
    form = client.get(url)
    assert form.status_code == 200 and "Why is it not approved?" in form.get_data(as_text=True)
    empty = post(client, url, {"reason": "   "})
    assert empty.status_code == 200
    assert "Say why, so the person can read it" in empty.get_data(as_text=True)
    too_long = post(client, url, {"reason": "x" * 1001})
    assert too_long.status_code == 200 and "x" * 1001 in too_long.get_data(as_text=True)
    assert _record(app, near_limit["nora"]).status == "pending"
    done = post(client, url, {"reason": "This was recorded twice."})
    assert done.status_code == 303
    record = _record(app, near_limit["nora"])
    assert record.status == "rejected" and record.reason == "This was recorded twice."
    assert record.amount == Decimal("0.00")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, "nora")
    page = client.get(f"/payments/time/{record.id}").get_data(as_text=True)
    assert "This was recorded twice." in page and "Not approved" in page


def test_two_managers_at_once_get_a_kind_message(app, client, near_limit, monkeypatch):
    def clash(actor, record):
        record.status = "approved"
        raise StaleDataError("the row changed")

    monkeypatch.setattr(time_given, "approve_record", clash)
    sign_in(client, "boss")
    url = f"/payments/time/{near_limit['wendy']}/approve"
    single = post(client, url)
    assert single.status_code == 303
    assert "Someone else changed this" in client.get(single.headers["Location"]).get_data(
        as_text=True
    )
    bulk = post(
        client,
        "/payments/time/approve",
        {"records": [near_limit["nora"]]},
        form_url="/payments/time",
    )
    assert "Someone else changed this" in client.get(bulk.headers["Location"]).get_data(
        as_text=True
    )
    assert _record(app, near_limit["wendy"]).status == "pending"


def test_a_page_shown_before_someone_else_changed_the_record_is_not_acted_on(
    app, client, near_limit
):
    sign_in(client, "boss")
    url = f"/payments/time/{near_limit['nora']}/reject"
    token = csrf_token(client, url)
    with app.test_request_context():  # another manager re-prices or changes it meanwhile
        row = db.session.get(InvolvementRecord, near_limit["nora"])
        row.description = "changed"
        db.session.commit()
    response = client.post(url, data={"csrf_token": token, "version": "1", "reason": "No."})
    assert response.status_code == 303
    assert "Someone else changed this" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert _record(app, near_limit["nora"]).status == "pending"


# One record -------------------------------------------------------------------------------------


def test_the_record_page_shows_rate_and_history(app, client, near_limit):
    sign_in(client, "boss")
    page = client.get(f"/payments/time/{near_limit['earlier']}").get_data(as_text=True)
    assert "£20.00 per hour" in page and "Included in the rate" in page
    assert "Recorded: Waiting for approval" in page
    assert "From “Waiting for approval” to “Approved, to be paid”" in page
    assert "Bea Boss" in page  # who approved
    assert "3 hours" in page and "£60.00" in page


def test_a_peer_sees_their_own_record_read_only_and_nobody_elses(
    app, client, near_limit, make_user
):
    sign_in(client, "wendy")
    own = client.get(f"/payments/time/{near_limit['wendy']}")
    page = own.get_data(as_text=True)
    assert own.status_code == 200 and "Forum meeting" in page
    assert "/approve" not in page and "/reject" not in page and "asked to be warned" not in page
    assert "Do not pay me for this" in page
    assert client.get(f"/payments/time/{near_limit['nora']}").status_code == 404
    assert client.get(f"/payments/time/{near_limit['nora']}/approve").status_code == 404
    assert client.get(f"/payments/time/{near_limit['nora']}/reject").status_code == 404
    assert client.get(f"/payments/time/{near_limit['wendy']}/approve").status_code == 403
    assert client.get("/payments/time/99999").status_code == 404
    token = csrf_token(client, "/")
    price = client.post(f"/payments/time/{near_limit['nora']}/price", data={"csrf_token": token})
    assert price.status_code == 404


@pytest.mark.parametrize("role", [Role.BOARD, Role.PARTNER, Role.ADMIN])
def test_other_roles_cannot_see_a_record(client, signed_in, near_limit, role):
    signed_in(role)
    assert client.get(f"/payments/time/{near_limit['wendy']}").status_code == 404


def test_a_manager_can_decline_for_a_peer_from_the_record(app, client, near_limit):
    sign_in(client, "boss")
    url = f"/payments/time/{near_limit['nora']}"
    page = client.get(url).get_data(as_text=True)
    action = f"/people/{_record(app, near_limit['nora']).person_id}/payments/"
    assert f'action="{action}{near_limit["nora"]}/decline"' in page
    response = post(client, f"{action}{near_limit['nora']}/decline", form_url=url)
    assert response.status_code == 303
    record = _record(app, near_limit["nora"])
    assert record.status == "declined" and record.amount == Decimal("0.00")
    assert record.fee == Decimal("50.00")
    assert "Pay them for this" in client.get(url).get_data(as_text=True)


# Entering time by hand --------------------------------------------------------------------------


def _entry(who: User, **changes) -> dict:
    return {
        "person": str(who.id),
        "activity": "forum_meeting",
        "activity_date": DAY.isoformat(),
        "length": "2",
        "preparation_minutes": "",
        "description": "Planning the summer forum",
        "method": "theirs",
        "submission_key": "k" * 32,
    } | changes


def test_the_entry_form_preselects_a_peer_and_lists_only_active_peers(
    client, manager, nora, make_user
):
    make_user("gone", roles={Role.PEER}, preferred_name="Gone Away", is_active=False)
    make_user("staffer", roles={Role.FINANCE}, preferred_name="Fin Staff")
    sign_in(client, "boss")
    page = client.get(f"/payments/time/new?for={nora.id}").get_data(as_text=True)
    assert re.search(
        rf'<option selected value="{nora.id}">|<option value="{nora.id}" selected', page
    )
    assert "The way they chose (Bank transfer)" in page
    assert "Gone Away" not in page and "Fin Staff" not in page
    assert 'name="submission_key" type="hidden" value="' in page
    assert "Only paid when the rate for this activity does not already include preparation" in page
    # An id that is not an active peer preselects nobody.
    plain = client.get(f"/payments/time/new?for={manager.id}").get_data(as_text=True)
    assert "The way they chose on their profile" in plain


def test_entering_time_twice_with_the_same_form_records_it_once(app, client, manager, nora, rate):
    sign_in(client, "boss")
    first = post(client, "/payments/time/new", _entry(nora))
    assert first.status_code == 303
    again = post(client, "/payments/time/new", _entry(nora))
    assert again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert _count(app) == 1
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "Planning the summer forum" in page and "£40.00" in page
    with app.app_context():
        record = db.session.scalar(db.select(InvolvementRecord))
        assert record.source == "manual" and record.source_key == "manual:" + "k" * 32
        assert record.entered_by_id == manager.id and record.minutes == 120
        assert record.status == "pending" and record.method == "bank"


def test_entering_time_as_declined_keeps_the_fee_at_0(app, client, manager, nora, rate):
    sign_in(client, "boss")
    response = post(client, "/payments/time/new", _entry(nora, method="declined", length="90 min"))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "as declined: £0.00 is paid" in page and "£30.00" in page
    with app.app_context():
        record = db.session.scalar(db.select(InvolvementRecord))
        assert record.status == "declined" and record.method == "declined"
        assert record.amount == Decimal("0.00") and record.fee == Decimal("30.00")


def test_entering_time_warns_first_and_records_it_anyway(app, client, near_limit, wendy):
    sign_in(client, "boss")
    entry = _entry(wendy, length="2.5", submission_key="w" * 32)
    first = post(client, "/payments/time/new", entry)
    page = first.get_data(as_text=True)
    assert first.status_code == 200
    # £60 approved + £50 waiting already this week, + £50 of new work.
    assert "Already earned from 8 Jun 2026 to 14 Jun 2026: £110.00" in page
    assert "This work: £50.00" in page and "Total: £160.00" in page
    assert "Over by: £60.00" in page and "Record it anyway" in page
    assert "They are already over this limit before this work" in page
    assert "Planning the summer forum" in page  # what was typed comes back
    assert _count(app) == 3
    confirmed = re.search(r'name="confirmed" type="hidden" value="([^"]+)"', page).group(1)
    saved = post(client, "/payments/time/new", entry | {"confirmed": confirmed})
    assert saved.status_code == 303
    assert _count(app) == 4


def test_changing_the_work_after_a_warning_checks_it_again(app, client, near_limit, wendy):
    sign_in(client, "boss")
    entry = _entry(wendy, length="1", submission_key="v" * 32)
    page = post(client, "/payments/time/new", entry).get_data(as_text=True)
    confirmed = re.search(r'name="confirmed" type="hidden" value="([^"]+)"', page).group(1)
    bigger = post(client, "/payments/time/new", entry | {"length": "3", "confirmed": confirmed})
    assert bigger.status_code == 200 and "This work: £60.00" in bigger.get_data(as_text=True)
    assert _count(app) == 3


def test_no_warning_when_the_peer_did_not_ask_or_declines(app, client, near_limit, nora, wendy):
    sign_in(client, "boss")
    assert post(client, "/payments/time/new", _entry(nora, length="10")).status_code == 303
    declined = _entry(wendy, method="declined", submission_key="d" * 32)
    assert post(client, "/payments/time/new", declined).status_code == 303
    assert _count(app) == 5


def test_entering_time_with_no_rate_still_records_it(app, client, manager, nora):
    sign_in(client, "boss")
    response = post(client, "/payments/time/new", _entry(nora, activity="peer_research"))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "waits for one on the rate card before it can be approved" in page
    with app.app_context():
        record = db.session.scalar(db.select(InvolvementRecord))
        assert record.rate_id is None and record.status == "pending"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"person": ""}, "Choose who gave their time"),
        ({"activity": ""}, "Choose what they did"),
        ({"activity": "juggling"}, "Not a valid choice"),
        ({"activity_date": ""}, "Enter the date"),
        ({"activity_date": "10/06/2026"}, "Enter a real date, as year-month-day"),
        ({"activity_date": "2026-06-12"}, "today or in the past, and not more than 2 years ago"),
        ({"activity_date": "2024-06-10"}, "today or in the past, and not more than 2 years ago"),
        ({"length": ""}, "Enter how long it took"),
        ({"length": "a while"}, "Enter how long, like 2 or 1.5 hours, or 90 min"),
        ({"length": "999"}, "Enter a time from 1 minute to 24 hours"),
        ({"length": "0"}, "Enter a time from 1 minute to 24 hours"),
        ({"preparation_minutes": "lots"}, "Enter preparation time as a number of minutes"),
        ({"preparation_minutes": "100000"}, "Enter minutes from 0 to 600"),
        ({"description": "x" * 201}, "Keep this to 200 characters or fewer"),
        ({"method": "gold"}, "Not a valid choice"),
    ],
)
def test_bad_entries_keep_what_was_typed_and_record_nothing(
    app, client, manager, nora, rate, changes, message
):
    sign_in(client, "boss")
    response = post(client, "/payments/time/new", _entry(nora, **changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in page
    assert message in page
    typed = changes.get("description", "Planning the summer forum")
    assert typed in page
    if changes.get("length"):
        assert f'value="{changes["length"]}"' in page
    assert _count(app) == 0


def test_time_cannot_be_entered_for_someone_who_is_not_an_active_peer(
    app, client, manager, make_user, rate
):
    staff = make_user("fin", roles={Role.FINANCE})
    gone = make_user("gone", roles={Role.PEER}, is_active=False)
    sign_in(client, "boss")
    for person in (staff, gone):
        response = post(client, "/payments/time/new", _entry(person))
        assert response.status_code == 200 and "Not a valid choice" in response.get_data(
            as_text=True
        )
    response = post(client, "/payments/time/new", _entry(staff, person="99999"))
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    assert _count(app) == 0


# Services touched by these pages ------------------------------------------------------------


def test_parse_duration_reads_what_people_type():
    assert parse_duration("2") == 120
    assert parse_duration("1.5") == 90
    assert parse_duration("1,25") == 75
    assert parse_duration("1:30") == 90
    assert parse_duration("90 min") == 90
    assert parse_duration("90 Minutes") == 90
    assert parse_duration("2h 30m") == 150
    assert parse_duration("2 hours 15") == 135
    assert parse_duration("3 hours") == 180
    for bad in ("", "abc", "1:75", "-2", "1e9", "2.555"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_a_paid_record_cannot_be_approved_again(app, ctx, near_limit, manager):
    record = db.session.get(InvolvementRecord, near_limit["earlier"])
    record.status = RecordStatus.PAID.value
    db.session.flush()
    with pytest.raises(IllegalMove):
        time_given.approve_record(db.session.get(User, manager.id), record)
    assert record.status == "paid"


def test_batched_warnings_match_one_by_one(app, ctx, near_limit, wendy, nora):
    records = db.session.scalars(db.select(InvolvementRecord)).all()
    batched = earnings.warnings_for_records(records)
    for record in records:
        if record.status != "pending":
            assert record.id not in batched
            continue
        alone = earnings.warnings_for(
            record.person, record.activity_date, record.amount, exclude_record_id=record.id
        )
        assert batched.get(record.id, []) == alone
    people = [db.session.get(User, wendy.id), db.session.get(User, nora.id)]
    offered = earnings.warnings_for_people(people, DAY, Decimal("45.00"))
    assert [w.total for w in offered[wendy.id]] == [Decimal("155.00")]
    assert nora.id not in offered
    assert offered[wendy.id] == earnings.warnings_for(people[0], DAY, Decimal("45.00"))
