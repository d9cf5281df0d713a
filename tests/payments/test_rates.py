"""Payments settings pages: the rate card, mileage rates, benefits thresholds and the wording
of the benefits letter, as admins, finance and managers use them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask_babel import format_date
from sqlalchemy import func, select

from engage.core import dates
from engage.core.audit import AuditEntry
from engage.extensions import db
from engage.payments import benefits_letter, rate_card, thresholds
from engage.payments.models import InvolvementRecord, MileageRate, Rate, Threshold
from engage.people.models import Role, User
from tests.conftest import csrf_token, post, sign_in
from tests.payments.conftest import DAY, switch_to

RATE = {
    "activity": "forum_meeting",
    "unit": "hour",
    "amount": "15.00",
    "includes_preparation": "yes",
    "effective_from": "2026-04-06",
    "note": "Agreed by the board",
}

THRESHOLD = {
    "label": "ESA permitted work weekly limit",
    "period": "week",
    "amount": "195.00",
    "effective_from": "2026-04-06",
    "effective_to": "",
    "source_note": "GOV.UK, April 2026",
}


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def _rates(app, activity="forum_meeting") -> list[tuple]:
    with app.app_context():
        return [
            (r.amount, r.effective_from, r.effective_to)
            for r in db.session.scalars(
                select(Rate).where(Rate.activity == activity).order_by(Rate.effective_from)
            )
        ]


def _day(app, day: date, fmt: str = "medium") -> str:
    """A date as the pages show it (Babel, in the default language)."""
    with app.test_request_context():
        return format_date(day, fmt)


# Who may open what ---------------------------------------------------------------------------

SETTINGS_PAGES = {
    "/payments/rates": {Role.ADMIN, Role.FINANCE, Role.MANAGER},
    "/payments/rates/new": {Role.ADMIN, Role.FINANCE},
    "/payments/mileage": {Role.ADMIN, Role.FINANCE, Role.MANAGER},
    "/payments/thresholds": {Role.ADMIN, Role.FINANCE, Role.MANAGER},
    "/payments/thresholds/new": {Role.ADMIN},
    "/payments/letter": {Role.ADMIN},
}


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_settings_pages_answer_each_role_as_they_should(client, signed_in, role):
    signed_in(role)
    for url, allowed in SETTINGS_PAGES.items():
        status = client.get(url).status_code
        assert status == (200 if role in allowed else 403), (role, url, status)


def test_visitors_are_sent_to_sign_in(client):
    for url in SETTINGS_PAGES:
        assert client.get(url).status_code == 302


def test_edit_pages_answer_each_role(app, client, make_user, make_rate):
    rate_id = make_rate()
    with app.test_request_context():
        admin = db.session.scalar(select(User).where(User.username == "ratesadmin"))
        threshold = thresholds.add_threshold(
            admin, label="UC", period="month", amount=Decimal("100"), effective_from=DAY
        )
        db.session.commit()
        threshold_id = threshold.id
    for role, rate_status, threshold_status in [
        (Role.ADMIN, 200, 200),
        (Role.FINANCE, 200, 403),
        (Role.MANAGER, 403, 403),
        (Role.PEER, 403, 403),
    ]:
        make_user(f"u{role.value}", roles={role})
        switch_to(client, f"u{role.value}")
        assert client.get(f"/payments/rates/{rate_id}/edit").status_code == rate_status
        got = client.get(f"/payments/thresholds/{threshold_id}/edit").status_code
        assert got == threshold_status, role
    switch_to(client, "uadmin")
    assert client.get("/payments/rates/99999/edit").status_code == 404
    assert client.get("/payments/thresholds/99999/edit").status_code == 404
    assert client.get("/payments/rates/99999999999999999999999/edit").status_code == 404


def test_managers_see_the_rate_card_but_cannot_change_it(app, client, signed_in, make_rate):
    rate_id = make_rate()
    signed_in(Role.MANAGER)
    page = client.get("/payments/rates").get_data(as_text=True)
    assert "£15.00 per hour" in page and "Add a rate" not in page
    assert "Correct or end" not in page
    response = post(client, "/payments/rates/new", RATE, form_url="/payments/rates")
    assert response.status_code == 403
    response = post(
        client, f"/payments/rates/{rate_id}/end", {"end-last_day": "2026-12-31"}, "/payments/rates"
    )
    assert response.status_code == 403
    assert _rates(app) == [(Decimal("15.00"), date(2026, 4, 6), None)]


# The rate card -------------------------------------------------------------------------------


def test_a_mid_year_change_never_changes_time_already_recorded(
    app, client, signed_in, make_user, make_record, clock
):
    finance = signed_in(Role.FINANCE)
    assert post(client, "/payments/rates/new", RATE).status_code == 303
    peer = make_user("ann", preferred_name="Ann")
    before = make_record(peer, on=date(2026, 6, 10), minutes=120)

    rise = dict(RATE, amount="20.00", effective_from="2026-09-01", note="")
    response = post(client, "/payments/rates/new", rise)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/payments/rates#forum_meeting")
    after = make_record(peer, on=date(2026, 10, 1), minutes=120)

    assert _rates(app) == [
        (Decimal("15.00"), date(2026, 4, 6), date(2026, 8, 31)),
        (Decimal("20.00"), date(2026, 9, 1), None),
    ]
    with app.app_context():
        old, new = (
            db.session.get(InvolvementRecord, before),
            db.session.get(InvolvementRecord, after),
        )
        assert (old.unit_amount, old.fee, old.amount) == (Decimal("15.00"),) + (
            Decimal("30.00"),
        ) * 2
        assert (new.unit_amount, new.fee) == (Decimal("20.00"), Decimal("40.00"))
        assert rate_card.rate_for("forum_meeting", date(2026, 8, 31)).amount == Decimal("15.00")
        assert rate_card.rate_for("forum_meeting", date(2026, 9, 1)).amount == Decimal("20.00")

    # Months later, once the rise is in force (the old session has ended by then).
    clock(datetime(2026, 10, 2, 11, 0, tzinfo=UTC))
    assert sign_in(client, finance.username).status_code == 303
    page = client.get("/payments/rates").get_data(as_text=True)
    assert "£15.00 per hour" in page and "£20.00 per hour" in page
    assert _day(app, date(2026, 8, 31)) in page and _day(app, date(2026, 9, 1)) in page
    assert "Ended" in page and "Agreed by the board" in page


def test_a_rate_that_overlaps_is_refused_on_the_date_and_keeps_what_was_typed(
    app, client, signed_in
):
    signed_in(Role.ADMIN)
    assert post(client, "/payments/rates/new", dict(RATE, effective_from="2026-09-01")).status_code
    clash = dict(RATE, amount="17.50", effective_from="2026-06-01", note="Typed note")
    response = post(client, "/payments/rates/new", clash)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is already one from 1 Sept 2026" in body
    assert 'id="effective_from-error"' in body
    assert 'value="17.50"' in body and 'value="Typed note"' in body
    assert 'value="2026-06-01"' in body
    assert _rates(app) == [(Decimal("15.00"), date(2026, 9, 1), None)]


def test_a_resent_rate_form_adds_the_rate_once(app, client, signed_in):
    signed_in(Role.ADMIN)
    token = csrf_token(client, "/payments/rates/new")
    for _ in range(2):
        response = client.post("/payments/rates/new", data=dict(RATE, csrf_token=token))
        assert response.status_code == 303
    assert _count(app, Rate) == 1
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == "rate.added")
            )
            == 1
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"activity": ""}, "Choose an activity"),
        ({"activity": "juggling"}, "Not a valid choice"),
        ({"unit": ""}, "Choose how it is paid"),
        ({"amount": ""}, "Enter the amount"),
        ({"amount": "fifteen"}, "Enter an amount in pounds and pence"),
        ({"amount": "0"}, "Enter an amount more than £0"),
        ({"amount": "-3"}, "Enter an amount in pounds and pence"),
        ({"amount": "99999999999999999999"}, "Enter an amount less than"),
        ({"amount": "15.555"}, "Enter an amount in pounds and pence"),
        ({"effective_from": ""}, "Enter the date"),
        ({"effective_from": "31/02/2026"}, "Enter a real date"),
        ({"effective_from": "0001-01-01"}, "Enter a date between 2006 and 2036"),
        ({"effective_from": "2037-01-01"}, "Enter a date between 2006 and 2036"),
        ({"includes_preparation": ""}, "Say whether preparation time is included"),
        ({"note": "x" * 201}, "Keep this to 200 characters or fewer"),
    ],
)
def test_a_rate_with_bad_input_is_refused_and_nothing_is_saved(
    app, client, signed_in, pin_today, changes, message
):
    pin_today(date(2026, 6, 10))
    signed_in(Role.ADMIN)
    response = post(client, "/payments/rates/new", dict(RATE, **changes))
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:300]
    assert "There is a problem" in body and message in body
    assert _count(app, Rate) == 0
    for name, value in changes.items():
        if value and name not in ("activity", "unit", "includes_preparation"):
            assert f'value="{value}"' in body, name


def test_the_activity_in_the_address_is_chosen_already(client, signed_in):
    signed_in(Role.ADMIN)
    body = client.get("/payments/rates/new?activity=training").get_data(as_text=True)
    assert '<option value="training" selected' in body
    assert "keeps the amount it was recorded with" in body
    body = client.get("/payments/rates/new?activity=nonsense").get_data(as_text=True)
    assert "selected" not in body.split('name="activity"')[1].split("</select>")[0]


def test_a_rate_nobody_is_paid_at_can_be_corrected(app, client, signed_in, make_rate):
    rate_id = make_rate(amount="15.00")
    signed_in(Role.FINANCE)
    page = client.get(f"/payments/rates/{rate_id}/edit").get_data(as_text=True)
    assert 'value="15.00"' in page and "Save the correction" in page
    response = post(
        client,
        f"/payments/rates/{rate_id}/edit",
        {"unit": "day", "amount": "90", "includes_preparation": "no", "note": "Typo fixed"},
    )
    assert response.status_code == 303
    with app.app_context():
        rate = db.session.get(Rate, rate_id)
        assert (rate.unit, rate.amount, rate.includes_preparation, rate.note) == (
            "day",
            Decimal("90.00"),
            False,
            "Typo fixed",
        )


def test_a_rate_in_use_cannot_be_corrected_and_a_new_rate_is_offered(
    app, client, signed_in, make_user, make_rate, make_record
):
    rate_id = make_rate(amount="15.00")
    make_record(make_user("ann"), on=date(2026, 6, 10))
    signed_in(Role.ADMIN)
    page = client.get(f"/payments/rates/{rate_id}/edit").get_data(as_text=True)
    assert "cannot be changed" in page and "Save the correction" not in page
    assert "/payments/rates/new?activity=forum_meeting" in page
    response = post(
        client,
        f"/payments/rates/{rate_id}/edit",
        {"unit": "hour", "amount": "99", "includes_preparation": "yes", "note": ""},
    )
    assert response.status_code == 200
    assert "Payments already use this rate" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Rate, rate_id).amount == Decimal("15.00")


def test_a_rate_can_be_ended_with_a_last_day(app, client, signed_in, make_rate):
    rate_id = make_rate()
    signed_in(Role.ADMIN)
    url = f"/payments/rates/{rate_id}/end"
    edit = f"/payments/rates/{rate_id}/edit"
    response = post(client, url, {"end-last_day": "2026-01-01"}, form_url=edit)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The last day cannot be before the rate starts" in body
    assert 'value="2026-01-01"' in body and 'id="end-last_day-error"' in body
    response = post(client, url, {"end-last_day": "not a date"}, form_url=edit)
    assert "Enter a real date" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Rate, rate_id).effective_to is None
    response = post(client, url, {"end-last_day": "2027-03-31"}, form_url=edit)
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Rate, rate_id).effective_to == date(2027, 3, 31)
        assert rate_card.rate_for("forum_meeting", date(2027, 4, 1)) is None


def test_ending_a_rate_cannot_run_into_the_next_one(app, client, signed_in, make_rate):
    first = make_rate(amount="15.00", effective_from=date(2026, 4, 6))
    make_rate(amount="18.00", effective_from=date(2026, 9, 1))
    signed_in(Role.ADMIN)
    response = post(
        client,
        f"/payments/rates/{first}/end",
        {"end-last_day": "2026-12-31"},
        form_url=f"/payments/rates/{first}/edit",
    )
    assert response.status_code == 200
    assert "Another rate starts on 1 Sept 2026" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Rate, first).effective_to == date(2026, 8, 31)


# Mileage -------------------------------------------------------------------------------------


def test_mileage_rates_are_added_from_a_date(app, client, signed_in):
    signed_in(Role.FINANCE)
    page = client.get("/payments/mileage").get_data(as_text=True)
    assert "HMRC" in page and "no mileage rate yet" in page
    data = {"per_mile": "0.45", "effective_from": "2026-04-06", "note": "HMRC rate"}
    assert post(client, "/payments/mileage", data).status_code == 303
    # A resent form adds nothing.
    assert post(client, "/payments/mileage", data).status_code == 303
    assert (
        post(
            client, "/payments/mileage", dict(data, per_mile="0.50", effective_from="2026-10-01")
        ).status_code
        == 303
    )
    with app.app_context():
        rows = db.session.scalars(select(MileageRate).order_by(MileageRate.effective_from)).all()
        assert [(r.per_mile, r.effective_from, r.effective_to) for r in rows] == [
            (Decimal("0.450"), date(2026, 4, 6), date(2026, 9, 30)),
            (Decimal("0.500"), date(2026, 10, 1), None),
        ]
        assert rate_card.mileage_rate(date(2026, 6, 1)).per_mile == Decimal("0.45")
    page = client.get("/payments/mileage").get_data(as_text=True)
    assert "£0.45" in page and "£0.50" in page and "HMRC rate" in page


def test_a_mileage_rate_that_overlaps_or_is_wrong_is_refused(app, client, signed_in):
    signed_in(Role.ADMIN)
    post(client, "/payments/mileage", {"per_mile": "0.45", "effective_from": "2026-09-01"})
    response = post(
        client, "/payments/mileage", {"per_mile": "0.40", "effective_from": "2026-05-01"}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is already one from 1 Sept 2026" in body
    assert 'value="0.40"' in body
    response = post(client, "/payments/mileage", {"per_mile": "lots", "effective_from": ""})
    body = response.get_data(as_text=True)
    assert "Enter an amount in pounds and pence, like 0.45" in body and "Enter the date" in body
    assert 'value="lots"' in body
    assert _count(app, MileageRate) == 1


def test_managers_may_look_at_mileage_rates_but_not_add_one(app, client, signed_in):
    signed_in(Role.MANAGER)
    page = client.get("/payments/mileage").get_data(as_text=True)
    assert "Add the mileage rate" not in page
    response = post(
        client,
        "/payments/mileage",
        {"per_mile": "0.45", "effective_from": "2026-04-06"},
        form_url="/payments/rates",
    )
    assert response.status_code == 403
    assert _count(app, MileageRate) == 0


# Thresholds ----------------------------------------------------------------------------------


def test_an_admin_adds_changes_and_lists_thresholds(app, client, signed_in):
    signed_in(Role.ADMIN)
    page = client.get("/payments/thresholds/new").get_data(as_text=True)
    assert "never blocked" in page
    response = post(client, "/payments/thresholds/new", THRESHOLD)
    assert response.status_code == 303
    # A resent form does not add a second one.
    assert post(client, "/payments/thresholds/new", THRESHOLD).status_code == 303
    assert _count(app, Threshold) == 1
    page = client.get("/payments/thresholds").get_data(as_text=True)
    assert "ESA permitted work weekly limit" in page and "£195.00 in a week" in page
    assert "GOV.UK, April 2026" in page and "never blocked" in page

    with app.app_context():
        threshold_id = db.session.scalar(select(Threshold.id))
    edit = f"/payments/thresholds/{threshold_id}/edit"
    page = client.get(edit).get_data(as_text=True)
    assert 'value="195.00"' in page and 'value="ESA permitted work weekly limit"' in page
    response = post(client, edit, dict(THRESHOLD, amount="200.50", effective_to="2027-04-05"))
    assert response.status_code == 303
    with app.app_context():
        row = db.session.get(Threshold, threshold_id)
        assert (row.amount, row.effective_to) == (Decimal("200.50"), date(2027, 4, 5))
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("threshold.%"))
        ).all()
        assert sorted(actions) == ["threshold.added", "threshold.changed"]


def test_a_new_years_figure_ends_last_years(app, client, signed_in):
    signed_in(Role.ADMIN)
    post(client, "/payments/thresholds/new", dict(THRESHOLD, effective_from="2025-04-06"))
    post(
        client,
        "/payments/thresholds/new",
        dict(THRESHOLD, amount="205", effective_from="2026-04-06"),
    )
    with app.app_context():
        rows = db.session.scalars(select(Threshold).order_by(Threshold.effective_from)).all()
        assert [(r.amount, r.effective_to) for r in rows] == [
            (Decimal("195.00"), date(2026, 4, 5)),
            (Decimal("205.00"), None),
        ]


def test_thresholds_that_may_be_out_of_date_are_flagged(app, client, signed_in, monkeypatch):
    monkeypatch.setattr(dates, "local_today", lambda: date(2026, 6, 1))
    signed_in(Role.ADMIN)
    post(client, "/payments/thresholds/new", dict(THRESHOLD, effective_from="2025-04-06"))
    page = client.get("/payments/thresholds").get_data(as_text=True)
    assert "Thresholds change every April: check these are this year" in page
    post(client, "/payments/thresholds/new", dict(THRESHOLD, effective_from="2026-04-06"))
    page = client.get("/payments/thresholds").get_data(as_text=True)
    assert "Thresholds change every April" not in page


@pytest.mark.parametrize(
    ("changes", "message", "field"),
    [
        ({"label": ""}, "Enter a name for the threshold", "label"),
        ({"period": "fortnight"}, "Not a valid choice", "period"),
        ({"amount": "0"}, "Enter an amount more than £0", "amount"),
        ({"amount": "£1,000,000,000"}, "Enter an amount less than", "amount"),
        (
            {"effective_to": "2026-01-01"},
            "The end date must be after the start date",
            "effective_to",
        ),
        ({"effective_from": "2026-13-01"}, "Enter a real date", "effective_from"),
    ],
)
def test_a_threshold_with_bad_input_is_refused(app, client, signed_in, changes, message, field):
    signed_in(Role.ADMIN)
    response = post(client, "/payments/thresholds/new", dict(THRESHOLD, **changes))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and message in body
    assert f'id="{field}-error"' in body
    assert "GOV.UK, April 2026" in body  # what was typed comes back
    assert _count(app, Threshold) == 0


def test_finance_and_managers_may_look_at_thresholds_but_not_change_them(app, client, make_user):
    make_user("fin", roles={Role.FINANCE})
    make_user("mgr", roles={Role.MANAGER})
    for username in ("fin", "mgr"):
        switch_to(client, username)
        page = client.get("/payments/thresholds").get_data(as_text=True)
        assert "Add a threshold" not in page and "Admins can change the thresholds" in page
        response = post(
            client, "/payments/thresholds/new", THRESHOLD, form_url="/payments/thresholds"
        )
        assert response.status_code == 403
    assert _count(app, Threshold) == 0


# The letter's wording --------------------------------------------------------------------------


def test_the_letter_wording_is_saved_and_used_with_the_name_filled_in_and_escaped(
    app, client, make_user
):
    make_user("boss", roles={Role.ADMIN})
    make_user("ann", preferred_name="Ann <b>Bold</b>")
    sign_in(client, "boss")
    page = client.get("/payments/letter").get_data(as_text=True)
    assert "To whom it may concern" in page  # the standard wording, ready to change
    assert "Sam Example" in page and "{name}" in page and "{partnership}" in page
    wording = "Dear adviser,\n{name} helps <script>alert(1)</script> {partnership}.\n{date}"
    assert post(client, "/payments/letter", {"wording": wording}).status_code == 303
    page = client.get("/payments/letter").get_data(as_text=True)
    assert "Sam Example helps &lt;script&gt;" in page
    assert "Put back the standard wording" in page

    switch_to(client, "ann")
    letter = client.get("/me/payments/letter").get_data(as_text=True)
    assert "Ann &lt;b&gt;Bold&lt;/b&gt; helps &lt;script&gt;alert(1)&lt;/script&gt;" in letter
    assert "<script>alert(1)" not in letter and "<b>Bold</b>" not in letter
    assert "{name}" not in letter and "{date}" not in letter
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(
                    AuditEntry.action == "payments.letter_changed"
                )
            )
            == 1
        )


def test_the_letter_wording_refuses_what_cannot_be_filled_in(app, client, signed_in):
    signed_in(Role.ADMIN)
    response = post(client, "/payments/letter", {"wording": "Dear {adviser}, {name} helps."})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "We cannot fill in {adviser}" in body
    assert "Dear {adviser}, {name} helps." in body
    response = post(client, "/payments/letter", {"wording": "   "})
    assert "Enter the wording of the letter" in response.get_data(as_text=True)
    with app.app_context():
        assert benefits_letter.letter_wording() == benefits_letter.DEFAULT_LETTER


def test_the_standard_wording_can_be_put_back(app, client, signed_in):
    signed_in(Role.ADMIN)
    post(client, "/payments/letter", {"wording": "Short letter for {name}."})
    with app.app_context():
        assert benefits_letter.letter_wording() == "Short letter for {name}."
    response = post(client, "/payments/letter", {"action": "standard"})
    assert response.status_code == 303
    with app.app_context():
        assert benefits_letter.letter_wording() == benefits_letter.DEFAULT_LETTER.strip()
    assert "Put back the standard wording" not in client.get("/payments/letter").get_data(
        as_text=True
    )


@pytest.mark.parametrize("role", [Role.FINANCE, Role.MANAGER, Role.PEER])
def test_only_admins_change_the_letter(app, client, signed_in, role):
    signed_in(role)
    response = post(
        client, "/payments/letter", {"wording": "Hacked {name}"}, form_url="/me/payments"
    )
    assert response.status_code == 403
    with app.app_context():
        assert benefits_letter.letter_wording() == benefits_letter.DEFAULT_LETTER
