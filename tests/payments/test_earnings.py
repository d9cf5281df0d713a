"""A person's own payments: totals in plain words, their time and the choice not to be paid,
the statement, the benefits letter and bank details, for the person, a manager on their behalf
and finance."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import format_date
from sqlalchemy import func, select

from engage.core.audit import AuditEntry
from engage.extensions import db
from engage.payments.models import (
    BankDetails,
    ExpenseClaim,
    InvolvementRecord,
    PaymentEvent,
    Period,
    period_bounds,
)
from engage.payments.runs import services as run_services
from engage.payments.time_given import services as time_given
from engage.people.models import Role, User
from tests.conftest import csrf_token, post, sign_in
from tests.payments.conftest import NOW, give_bank_details, switch_to

#: A Friday in June 2026: the week runs from Monday 8 June, the tax year from 6 April 2026.
TODAY = NOW.date()
SORT_CODE, ACCOUNT = "401162", "31926819"
BANK = {
    "account_name": "Ann Peer",
    "sort_code": "40-11-62",
    "account_number": ACCOUNT,
    "roll_number": "",
}


@pytest.fixture
def people(make_user, make_rate):
    """A forum rate of £15 an hour, two peers, a manager, finance and an admin."""
    make_rate("forum_meeting", "15.00", effective_from=date(2026, 4, 6))
    make_rate("document_review", "25.00", unit="task", effective_from=date(2026, 4, 6))
    return {
        "ann": make_user("ann", preferred_name="Ann", payment_preference="bank"),
        "bob": make_user("bob", preferred_name="Bob", payment_preference="voucher"),
        "mgr": make_user("mgr", roles={Role.MANAGER}, preferred_name="Mo"),
        "fin": make_user("fin", roles={Role.FINANCE}, preferred_name="Fi"),
        "adm": make_user("adm", roles={Role.ADMIN}),
    }


@pytest.fixture
def today():
    """The partnership's today at conftest's NOW."""
    return TODAY


def _day(app, day: date, fmt: str = "long") -> str:
    with app.test_request_context():
        return format_date(day, fmt)


def _record(app, record_id: int) -> InvolvementRecord:
    with app.app_context():
        record = db.session.get(InvolvementRecord, record_id)
        db.session.expunge(record)
        return record


def _audits(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


def _pay(app, finance, manager, record_ids=(), claim_ids=()) -> None:
    """Approve the records and pay them, with the claims, in one run."""
    with app.test_request_context():
        mgr = db.session.get(User, manager.id)
        fin = db.session.get(User, finance.id)
        for record_id in record_ids:
            time_given.approve_record(mgr, db.session.get(InvolvementRecord, record_id))
        run, _made = run_services.create_run(
            fin, f"key-{record_ids}-{claim_ids}", list(record_ids), list(claim_ids)
        )
        run_services.mark_paid(fin, run)
        db.session.commit()


# The page in plain words -----------------------------------------------------------------------


def test_totals_are_told_in_plain_words(app, client, people, make_record, make_claim, today):
    ann = people["ann"]
    make_record(ann, on=date(2026, 6, 10), minutes=120)  # this week: £30
    make_record(ann, on=date(2026, 5, 1), minutes=60)  # this month? no: May, £15
    make_record(ann, on=date(2026, 4, 1), minutes=600)  # last tax year: not counted
    make_record(people["bob"], on=date(2026, 6, 10), minutes=600)  # someone else's
    make_claim(ann, amount="9.99", decider=people["mgr"], state="approved")  # never earnings
    sign_in(client, "ann")
    page = client.get("/me/payments").get_data(as_text=True)
    start, end = _day(app, date(2026, 4, 6)), _day(app, date(2027, 4, 5))
    assert f"This tax year ({start} to {end}) you have earned £45.00 for your time." in page
    assert "This month: £30.00." in page and "This week: £30.00." in page
    assert "Expenses paid back to you are not earnings, so they are not counted here." in page
    assert "the day the time was given" in page
    # Month by month, from April to this month.
    assert page.index(_day(app, date(2026, 4, 1), "MMMM yyyy")) < page.index(
        _day(app, date(2026, 6, 1), "MMMM yyyy")
    )
    assert "£9.99" not in page and "£150.00" not in page
    assert 'href="/claims"' in page
    assert 'href="/me/payments/statement"' in page and 'href="/me/payments/letter"' in page
    assert 'href="/me/payment"' in page  # change how to be paid


def test_months_are_named_on_their_own_in_every_language(app, client, people, make_record):
    """A month heading is the month on its own: Polish "kwiecień 2026", not "kwietnia 2026"
    (the form used inside a date)."""
    ann = people["ann"]
    make_record(ann, on=date(2026, 6, 10), minutes=120)
    with app.app_context():
        db.session.get(User, ann.id).locale = "pl"
        db.session.commit()
    sign_in(client, "ann")
    page = client.get("/me/payments").get_data(as_text=True)
    rows = re.findall(r'<th scope="row" class="govuk-table__header">([^<]+)</th>', page)
    assert rows[:3] == ["kwiecień 2026", "maj 2026", "czerwiec 2026"]
    assert "6 kwietnia 2026" in page  # inside a date, the month takes the other form


def test_records_are_listed_newest_first_with_status_and_reason(app, client, people, make_record):
    ann = people["ann"]
    older = make_record(ann, on=date(2026, 5, 1), minutes=90, description="May forum")
    newer = make_record(ann, on=date(2026, 6, 10), minutes=120, description="June forum")
    with app.test_request_context():
        time_given.reject_record(
            db.session.get(User, people["mgr"].id),
            db.session.get(InvolvementRecord, older),
            "Recorded twice <by mistake>",
        )
        db.session.commit()
    sign_in(client, "ann")
    page = client.get("/me/payments").get_data(as_text=True)
    assert page.index("June forum") < page.index("May forum")
    assert "Forum meeting" in page and "2 hours" in page and "1 hour and 30 minutes" in page
    assert "Waiting for approval" in page and "Not approved" in page
    assert "Recorded twice &lt;by mistake&gt;" in page
    assert f'id="record-{newer}"' in page
    # Only the waiting one can be declined; the rejected one has no buttons.
    assert page.count("I do not want to be paid for this") == 1
    assert f"/me/payments/{newer}/decline" in page and f"/me/payments/{older}/" not in page


def test_records_are_paginated(app, client, people, make_record):
    for day in range(25):
        make_record(people["ann"], on=date(2026, 5, 1) + timedelta(days=day), minutes=60)
    sign_in(client, "ann")
    first = client.get("/me/payments").get_data(as_text=True)
    second = client.get("/me/payments?page=2").get_data(as_text=True)
    assert first.count('class="govuk-summary-card__title"') == 20
    assert second.count('class="govuk-summary-card__title"') == 5
    assert "/me/payments?page=2" in first and "Page 2 of 2" in second
    assert "/decline?page=2" in second


def test_empty_page_for_staff_renders(client, people):
    for username in ("mgr", "fin", "adm"):
        switch_to(client, username)
        response = client.get("/me/payments")
        assert response.status_code == 200
        assert "No time recorded yet" in response.get_data(as_text=True)


# Declining and accepting ----------------------------------------------------------------------


def test_declining_and_accepting_are_equally_easy(app, client, people, make_record):
    record_id = make_record(people["ann"], on=date(2026, 6, 10), minutes=120)
    sign_in(client, "ann")
    page = client.get("/me/payments").get_data(as_text=True)
    decline_button = page.split("I do not want to be paid for this")[0].rsplit("<button", 1)[1]

    response = post(client, f"/me/payments/{record_id}/decline", form_url="/me/payments")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/me/payments#record-{record_id}")
    record = _record(app, record_id)
    assert (record.status, record.amount, record.method) == (
        "declined",
        Decimal("0.00"),
        "declined",
    )
    assert record.fee == Decimal("30.00")  # what it was worth is kept

    page = client.get("/me/payments").get_data(as_text=True)
    assert "Payment declined" in page and "It would have been £30.00" in page
    assert "This tax year" in page and "you have earned £0.00" in page
    accept_button = page.split("I want to be paid for this after all")[0].rsplit("<button", 1)[1]
    assert accept_button == decline_button  # the same kind of button, just as easy

    response = post(client, f"/me/payments/{record_id}/accept", form_url="/me/payments")
    assert response.status_code == 303
    record = _record(app, record_id)
    assert (record.status, record.amount, record.method) == ("pending", Decimal("30.00"), "bank")


def test_a_double_click_changes_a_record_once(app, client, people, make_record):
    record_id = make_record(people["ann"], on=date(2026, 6, 10))
    sign_in(client, "ann")
    token = csrf_token(client, "/me/payments")
    for _ in range(2):
        response = client.post(f"/me/payments/{record_id}/decline", data={"csrf_token": token})
        assert response.status_code == 303
    for _ in range(2):
        response = client.post(f"/me/payments/{record_id}/accept", data={"csrf_token": token})
        assert response.status_code == 303
    with app.app_context():
        moves = db.session.scalars(
            select(PaymentEvent.to_state)
            .where(PaymentEvent.record_id == record_id, PaymentEvent.kind == "state")
            .order_by(PaymentEvent.id)
        ).all()
    assert moves == ["declined", "pending"]


def test_a_payment_already_being_made_cannot_be_declined(app, client, people, make_record):
    give_bank_details(app, people["ann"], **BANK)
    record_id = make_record(people["ann"], on=date(2026, 6, 10))
    with app.test_request_context():
        time_given.approve_record(
            db.session.get(User, people["mgr"].id), db.session.get(InvolvementRecord, record_id)
        )
        run_services.create_run(db.session.get(User, people["fin"].id), "run-1", [record_id], [])
        db.session.commit()
    sign_in(client, "ann")
    page = client.get("/me/payments").get_data(as_text=True)
    assert "I do not want to be paid for this" not in page
    response = post(client, f"/me/payments/{record_id}/decline", form_url="/me/payments")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This payment is already being made" in page
    assert _record(app, record_id).status == "approved"


def test_a_peer_cannot_touch_another_peers_record(app, client, people, make_record):
    bobs = make_record(people["bob"], on=date(2026, 6, 10))
    sign_in(client, "ann")
    for url in (
        f"/me/payments/{bobs}/decline",
        f"/me/payments/{bobs}/accept",
        f"/people/{people['bob'].id}/payments/{bobs}/decline",
        f"/people/{people['ann'].id}/payments/{bobs}/decline",
        "/me/payments/999999/decline",
        "/me/payments/99999999999999999999999/decline",
    ):
        assert post(client, url, form_url="/me/payments").status_code == 404, url
    assert _record(app, bobs).status == "pending"
    for url in (
        f"/people/{people['bob'].id}/payments",
        f"/people/{people['bob'].id}/payments/statement",
        f"/people/{people['bob'].id}/payments/letter",
        f"/people/{people['bob'].id}/bank-details",
        "/people/999999/payments",
        "/people/99999999999999999999999/payments",
    ):
        assert client.get(url).status_code == 404, url


# On behalf, and finance -----------------------------------------------------------------------


def test_a_manager_declines_on_a_peers_behalf_and_it_is_recorded(app, client, people, make_record):
    ann = people["ann"]
    record_id = make_record(ann, on=date(2026, 6, 10))
    sign_in(client, "mgr")
    url = f"/people/{ann.id}/payments"
    page = client.get(url).get_data(as_text=True)
    assert "You are working on behalf of Ann" in page and "Payments: Ann" in page
    assert "Ann has earned" in page
    assert f"/people/{ann.id}/payments/{record_id}/decline" in page
    assert "They do not want to be paid for this" in page and "how they are paid" in page
    assert "I do not want to be paid" not in page and "how you are paid" not in page
    response = post(client, f"{url}/{record_id}/decline", form_url=url)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{url}#record-{record_id}")
    page = client.get(url).get_data(as_text=True)
    assert "They want to be paid for this after all" in page and "I want to be paid" not in page
    assert _record(app, record_id).status == "declined"
    entry = _audits(app, "involvement.state_changed")[-1]
    assert (entry.actor_id, entry.subject_id, entry.on_behalf) == (
        people["mgr"].id,
        ann.id,
        True,
    )
    # The /me address is for one's own records only.
    assert post(client, f"/me/payments/{record_id}/accept", form_url=url).status_code == 404


def test_finance_may_look_at_anyones_payments_but_changes_nothing(app, client, people, make_record):
    record_id = make_record(people["ann"], on=date(2026, 6, 10))
    give_bank_details(app, people["ann"], **BANK)
    sign_in(client, "fin")
    url = f"/people/{people['ann'].id}/payments"
    page = client.get(url).get_data(as_text=True)
    assert "You can look, but you cannot change anything here" in page
    assert "working on behalf" not in page
    assert "I do not want to be paid for this" not in page
    assert "••••6819" in page and ACCOUNT not in page
    assert post(client, f"{url}/{record_id}/decline", form_url=url).status_code == 403
    assert _record(app, record_id).status == "pending"
    for suffix in ("/statement", "/letter"):
        assert client.get(url + suffix).status_code == 200
    # Staff pages too: finance may see a manager's.
    assert client.get(f"/people/{people['mgr'].id}/payments").status_code == 200


@pytest.mark.parametrize(
    ("username", "status"),
    [("ann", 200), ("bob", 404), ("mgr", 200), ("fin", 200), ("adm", 404)],
)
def test_who_may_open_a_peers_payments_pages(client, people, username, status):
    sign_in(client, username)
    ann = people["ann"].id
    for suffix in ("/payments", "/payments/statement", "/payments/letter"):
        assert client.get(f"/people/{ann}{suffix}").status_code == status, suffix


@pytest.mark.parametrize(
    ("username", "status"),
    [("ann", 200), ("bob", 404), ("mgr", 200), ("fin", 200), ("adm", 404)],
)
def test_who_may_open_a_peers_bank_details(client, confirmed, people, username, status):
    sign_in(client, username)
    confirmed()
    assert client.get(f"/people/{people['ann'].id}/bank-details").status_code == status


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_everyone_has_their_own_payments_pages(client, confirmed, signed_in, role):
    signed_in(role)
    confirmed()
    for url in (
        "/me/payments",
        "/me/payments/statement",
        "/me/payments/letter",
        "/me/bank-details",
    ):
        assert client.get(url).status_code == 200, url


def test_managers_cannot_open_staff_payments(client, people):
    sign_in(client, "mgr")
    assert client.get(f"/people/{people['fin'].id}/payments").status_code == 404
    assert client.get(f"/people/{people['fin'].id}/bank-details").status_code == 404


def test_visitors_are_sent_to_sign_in(client, people):
    for url in ("/me/payments", "/me/payments/statement", "/me/bank-details"):
        assert client.get(url).status_code == 302


# The statement -------------------------------------------------------------------------------


def test_the_statement_lists_payments_with_totals(app, client, people, make_record, make_claim):
    ann = people["ann"]
    give_bank_details(app, ann, **BANK)
    fee = make_record(ann, on=date(2026, 6, 10), minutes=120, description="June forum")
    claim_id = make_claim(ann, amount="4.50", decider=people["mgr"], state="approved")
    _pay(app, people["fin"], people["mgr"], [fee], [claim_id])
    sign_in(client, "ann")
    response = client.get("/me/payments/statement")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    with app.app_context():
        start, end = period_bounds(Period.TAX_YEAR, TODAY)
    assert f'value="{start.isoformat()}"' in page and f'value="{end.isoformat()}"' in page
    assert "June forum" in page and "Expert Citizen Forum" in page
    assert "Involvement payment" in page and "Expenses" in page and "Bank transfer" in page
    assert "£30.00" in page and "£4.50" in page and "£34.50" in page
    assert "They are not earnings" in page
    assert re.search(r"Paid to</dt>\s*<dd[^>]*>Ann</dd>", page)
    assert re.search(rf"Paid by</dt>\s*<dd[^>]*>{app.config['PARTNERSHIP_NAME']}</dd>", page)
    assert "use your browser's Print button" in page

    # Dates without a payment in them show none.
    page = client.get("/me/payments/statement?start=2020-01-01&end=2020-12-31").get_data(
        as_text=True
    )
    assert "No payments were made in these dates." in page and "June forum" not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-06-01&end=2026-05-01", "The end date must be the same as or after the start"),
        ("start=2024-01-01&end=2026-01-01", "Choose dates no more than 2 years apart"),
        ("start=2026-02-30&end=2026-05-01", "Enter a real date"),
        ("start=&end=2026-05-01", "Enter the date"),
        ("start=1000-01-01&end=1000-02-01", "Enter a date between 2006 and 2036"),
        ("start=9999-01-01&end=9999-12-31", "Enter a date between 2006 and 2036"),
    ],
)
def test_statement_dates_are_checked_kindly(client, people, today, query, message):
    sign_in(client, "ann")
    response = client.get(f"/me/payments/statement?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and message in page
    assert "Total paid" not in page
    for part in query.split("&"):
        value = part.split("=", 1)[1]
        if value:
            assert f'value="{value}"' in page


def test_two_whole_tax_years_fit_on_a_statement(client, people):
    sign_in(client, "ann")
    page = client.get("/me/payments/statement?start=2025-04-06&end=2027-04-05").get_data(
        as_text=True
    )
    assert "There is a problem" not in page and "Total paid" in page


# The letter ----------------------------------------------------------------------------------


def test_the_letter_is_filled_in_for_the_person(app, client, people, today):
    sign_in(client, "ann")
    page = client.get("/me/payments/letter").get_data(as_text=True)
    assert "Ann takes part in the work of " + app.config["PARTNERSHIP_NAME"] in page
    assert _day(app, TODAY) in page
    assert "{name}" not in page and "{partnership}" not in page
    assert 'class="govuk-body engage-message"' in page
    assert "Print button" in page
    # A manager prints it for a peer with the peer's name.
    switch_to(client, "mgr")
    page = client.get(f"/people/{people['ann'].id}/payments/letter").get_data(as_text=True)
    assert "Ann takes part" in page and "You are working on behalf of Ann" in page


# Bank details ---------------------------------------------------------------------------------


def _never_in_full(page: str) -> None:
    assert ACCOUNT not in page and SORT_CODE not in page and "40-11-62" not in page


def test_a_peer_gives_bank_details_and_only_ever_sees_them_masked(app, client, confirmed, people):
    sign_in(client, "ann")
    confirmed()
    page = client.get("/me/bank-details").get_data(as_text=True)
    assert "Only our finance team can see them" in page and "Give bank details" in page
    response = post(client, "/me/bank-details", BANK)
    assert response.status_code == 303 and response.headers["Location"].endswith("/me/payments")
    with app.app_context():
        row = db.session.scalar(select(BankDetails).where(BankDetails.user_id == people["ann"].id))
        assert (row.sort_code, row.account_number, row.account_name) == (
            SORT_CODE,
            ACCOUNT,
            "Ann Peer",
        )
    for url in ("/me/payments", "/me/bank-details"):
        page = client.get(url).get_data(as_text=True)
        _never_in_full(page)
        assert "••••6819" in page
    page = client.get("/me/bank-details").get_data(as_text=True)
    assert "We have your details ending 6819. To change them, enter the new ones." in page
    assert "••-••-62" in page
    # The form starts empty: nothing we hold is put back into it.
    for field in ("account_name", "sort_code", "account_number", "roll_number"):
        assert re.search(rf'<input[^>]*name="{field}"[^>]*value=""', page), field


def test_every_staff_view_of_bank_details_is_audited(app, client, confirmed, people):
    """Finance looking is recorded (who, whose, where, when); the person looking at their
    own details is not."""
    give_bank_details(app, people["ann"], **BANK)
    before = len(_audits(app, "bank_details.viewed"))
    sign_in(client, "ann")
    confirmed()
    assert "••••6819" in client.get("/me/payments").get_data(as_text=True)
    assert "••••6819" in client.get("/me/bank-details").get_data(as_text=True)
    assert len(_audits(app, "bank_details.viewed")) == before
    switch_to(client, "fin")
    client.get(f"/people/{people['ann'].id}/bank-details")
    client.get(f"/people/{people['ann'].id}/payments")
    views = _audits(app, "bank_details.viewed")[before:]
    assert [(v.actor_id, v.subject_id, v.on_behalf) for v in views] == [
        (people["fin"].id, people["ann"].id, True),
        (people["fin"].id, people["ann"].id, True),
    ]
    assert [v.detail_dict["where"] for v in views] == ["bank page", "payments page"]
    # A manager sees only whether they are given, so nothing is shown and nothing is logged.
    switch_to(client, "mgr")
    confirmed()
    page = client.get(f"/people/{people['ann'].id}/bank-details").get_data(as_text=True)
    assert "Bank details have been given." in page and "••••" not in page and "6819" not in page
    page = client.get(f"/people/{people['ann'].id}/payments").get_data(as_text=True)
    assert re.search(r"Bank details</dt>\s*<dd[^>]*>\s*Given\s*</dd>", page)
    assert "6819" not in page
    assert len(_audits(app, "bank_details.viewed")) == before + 2


def test_a_manager_gives_bank_details_on_behalf_and_it_is_recorded(app, client, confirmed, people):
    ann = people["ann"]
    sign_in(client, "mgr")
    confirmed()
    url = f"/people/{ann.id}/bank-details"
    page = client.get(url).get_data(as_text=True)
    assert "You are working on behalf of Ann" in page
    response = post(client, url, BANK)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/people/{ann.id}/payments")
    entry = _audits(app, "bank_details.changed")[-1]
    assert (entry.actor_id, entry.subject_id, entry.on_behalf) == (people["mgr"].id, ann.id, True)
    assert ACCOUNT not in entry.detail and SORT_CODE not in entry.detail
    page = client.get(url).get_data(as_text=True)
    _never_in_full(page)
    assert "The ones we have are not shown here" in page


def test_finance_sees_bank_details_masked_but_cannot_change_them(app, client, confirmed, people):
    give_bank_details(app, people["ann"], **BANK)
    sign_in(client, "fin")
    confirmed()
    url = f"/people/{people['ann'].id}/bank-details"
    page = client.get(url).get_data(as_text=True)
    _never_in_full(page)
    assert "••••6819" in page and "Save bank details" not in page
    response = post(client, url, dict(BANK, account_number="11112222"), form_url="/me/bank-details")
    assert response.status_code == 403
    with app.app_context():
        row = db.session.scalar(select(BankDetails))
        assert row.account_number == ACCOUNT


@pytest.mark.parametrize(
    ("changes", "message", "field"),
    [
        ({"sort_code": "12-34"}, "A sort code is 6 numbers", "sort_code"),
        ({"account_number": "1234"}, "An account number is 8 numbers", "account_number"),
        ({"account_number": "abcdefgh"}, "An account number is 8 numbers", "account_number"),
        ({"account_name": "  "}, "Enter the name on the account", "account_name"),
        ({"sort_code": ""}, "Enter the sort code", "sort_code"),
        ({"account_name": "x" * 61}, "Keep this to 60 characters or fewer", "account_name"),
        ({"roll_number": "R" * 19}, "Keep this to 18 characters or fewer", "roll_number"),
    ],
)
def test_bank_details_that_cannot_be_right_are_refused(
    app, client, confirmed, people, changes, message, field
):
    sign_in(client, "ann")
    confirmed()
    response = post(client, "/me/bank-details", dict(BANK, **changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page and f'id="{field}-error"' in page
    if field != "account_name":
        assert 'value="Ann Peer"' in page  # what was typed comes back
    with app.app_context():
        assert db.session.scalar(select(func.count(BankDetails.id))) == 0


def test_a_manager_sees_given_or_not_on_the_payments_page(app, client, people):
    sign_in(client, "mgr")
    url = f"/people/{people['ann'].id}/payments"
    assert "Not given yet" in client.get(url).get_data(as_text=True)
    give_bank_details(app, people["ann"], **BANK)
    page = client.get(url).get_data(as_text=True)
    assert "Not given yet" not in page and "Given" in page and "6819" not in page


def test_claims_are_never_counted_as_earnings_on_the_page(app, client, people, make_claim):
    make_claim(people["ann"], amount="12.00", decider=people["mgr"], state="approved")
    sign_in(client, "ann")
    page = client.get("/me/payments").get_data(as_text=True)
    assert "you have earned £0.00" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(ExpenseClaim.id))) == 1
