"""The fund's pages: a request on one page (errors keep what was typed), the queue with ages,
deciding with the four-eyes rule, paying, the follow-up, and who sees what."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.fund.models import FundRequest, State
from engage.people.models import Role
from tests.conftest import post, sign_in
from tests.fund.conftest import load

FORM = {
    "person_ref": "Ref 77",
    "category": "phone",
    "barrier": "No phone to take calls from the housing team",
    "amount": "35",
    "how_it_helps": "Can be reached about a flat offer",
    "pay_to": "voucher",
}


@pytest.fixture(autouse=True)
def _today(pin_today):
    pin_today(date(2027, 3, 10))


def test_a_key_worker_makes_a_request(app, client, make_user, make_fund):
    make_fund()
    make_user("worker", roles={Role.MANAGER})
    sign_in(client, "worker")
    response = post(client, "/fund/new", FORM)
    assert response.status_code == 303
    with app.app_context():
        row = db.session.scalar(select(FundRequest))
        assert row.person_ref == "Ref 77" and str(row.amount) == "35.00"
        assert row.state_enum == State.SUBMITTED
    page = client.get(response.location).get_data(as_text=True)
    assert "Waiting 0 working days" in page


def test_a_mistake_keeps_what_was_typed(client, make_user, make_fund):
    make_fund()
    make_user("worker", roles={Role.MANAGER})
    sign_in(client, "worker")
    response = post(client, "/fund/new", {**FORM, "amount": "thirty"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter an amount in pounds and pence" in page
    assert "No phone to take calls from the housing team" in page
    assert 'value="thirty"' in page


def test_too_much_is_refused_kindly(client, make_user, make_fund):
    make_fund()
    make_user("worker", roles={Role.MANAGER})
    sign_in(client, "worker")
    response = post(client, "/fund/new", {**FORM, "amount": "9000"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Ask for between" in page
    assert "<title>Error: Ask the fund" in page  # a screen reader hears it first
    assert 'value="9000"' in page  # what was typed is kept


def test_a_peer_asks_for_themselves(app, client, make_user, make_fund):
    make_fund()
    peer = make_user("sam")
    sign_in(client, "sam")
    page = client.get("/fund/new").get_data(as_text=True)
    assert "Who is it for?" not in page
    assert post(client, "/fund/new", {**FORM, "person_ref": "someone else"}).status_code == 303
    with app.app_context():
        row = db.session.scalar(select(FundRequest))
        assert row.person_id == peer.id and row.person_ref == ""


def test_approver_approves_and_the_requester_cannot(
    app, client, make_user, make_fund, make_request
):
    fund_id = make_fund()
    worker = make_user("worker", roles={Role.MANAGER})
    make_user("approver", roles={Role.MANAGER})
    request_id = make_request(fund_id, worker)
    sign_in(client, "worker")
    page = client.get(f"/fund/requests/{request_id}").get_data(as_text=True)
    assert "Someone else must decide" in page
    response = post(client, f"/fund/requests/{request_id}/approve", {}, form_url="/fund/new")
    assert response.status_code == 400
    assert "someone else must decide" in response.get_data(as_text=True)
    other = app.test_client()
    sign_in(other, "approver")
    assert "working day" in other.get("/fund").get_data(as_text=True)
    response = post(other, f"/fund/requests/{request_id}/approve", {}, form_url="/fund/new")
    assert response.status_code == 303
    with app.app_context():
        assert load(request_id).state_enum == State.APPROVED


def test_overspending_is_refused_with_a_kind_message(client, make_user, make_fund, make_request):
    fund_id = make_fund(money="20.00")
    worker = make_user("worker", roles={Role.MANAGER})
    make_user("approver", roles={Role.FINANCE})
    request_id = make_request(fund_id, worker, "40.00")
    sign_in(client, "approver")
    response = post(client, f"/fund/requests/{request_id}/approve", {}, form_url="/fund/accounts")
    assert response.status_code == 400
    assert "The fund has £20.00 left to give" in response.get_data(as_text=True)


def test_decline_needs_a_reason_and_keeps_what_was_typed(
    client, make_user, make_fund, make_request
):
    fund_id = make_fund()
    worker = make_user("worker", roles={Role.MANAGER})
    make_user("approver", roles={Role.MANAGER})
    request_id = make_request(fund_id, worker)
    sign_in(client, "approver")
    response = post(
        client, f"/fund/requests/{request_id}/decline", {"reason": ""}, form_url="/fund/new"
    )
    assert response.status_code == 400
    assert "<title>Error: Request F" in response.get_data(as_text=True)
    response = post(
        client, f"/fund/requests/{request_id}/decline", {"reason": "Ask the Jobcentre first"},
        form_url="/fund/new",
    )  # fmt: skip
    assert response.status_code == 303
    worker_client = client.application.test_client()
    sign_in(worker_client, "worker")
    assert "Ask the Jobcentre first" in worker_client.get(f"/fund/requests/{request_id}").get_data(
        as_text=True
    )


def test_finance_pays_and_the_key_worker_answers_the_follow_up(
    app, client, make_user, make_fund, make_request
):
    fund_id = make_fund()
    worker = make_user("worker", roles={Role.PARTNER})
    make_user("approver", roles={Role.MANAGER})
    make_user("fin", roles={Role.FINANCE})
    request_id = make_request(fund_id, worker)
    approver = app.test_client()
    sign_in(approver, "approver")
    post(approver, f"/fund/requests/{request_id}/approve", {}, form_url="/fund/new")
    sign_in(client, "fin")
    response = post(
        client, f"/fund/requests/{request_id}/paid", {"how": "card", "note": "Receipt 9"},
        form_url="/fund/accounts",
    )  # fmt: skip
    assert response.status_code == 303
    mine = app.test_client()
    sign_in(mine, "worker")
    url = f"/fund/requests/{request_id}/follow-up"
    assert mine.get(url).status_code == 200
    assert post(mine, url, {"helped": "yes", "how": "They got the flat"}).status_code == 303
    with app.app_context():
        row = load(request_id)
        assert row.helped is True and row.follow_up == "They got the flat"


def test_who_sees_what(app, make_user, make_fund, make_request):
    fund_id = make_fund()
    officer = make_user("officer", roles={Role.PARTNER})
    make_user("other_officer", roles={Role.PARTNER})
    peer = make_user("sam")
    make_user("kim")
    theirs = make_request(fund_id, officer)
    with app.app_context():
        from engage.people.models import User

        own = make_request(fund_id, peer, person=db.session.get(User, peer.id), person_ref="")
    for name, allowed in (("officer", {theirs}), ("other_officer", set()), ("sam", {own}),
                          ("kim", set())):  # fmt: skip
        client = app.test_client()
        sign_in(client, name)
        listing = client.get("/fund").get_data(as_text=True)
        for request_id in (theirs, own):
            status = client.get(f"/fund/requests/{request_id}").status_code
            assert status == (200 if request_id in allowed else 404), (name, request_id)
            assert (f"F{request_id:05d}" in listing) == (request_id in allowed), (name, request_id)


def test_accounts_page_and_formula_safe_exports(app, client, make_user, make_fund, make_request):
    fund_id = make_fund()
    worker = make_user("worker", roles={Role.MANAGER})
    make_user("fin", roles={Role.FINANCE})
    make_request(fund_id, worker)
    sign_in(client, "fin")
    assert post(
        client, "/fund/money-in",
        {"amount": "250", "source": "=HYPERLINK(1)", "received_on": "2027-03-01"},
    ).status_code == 303  # fmt: skip
    page = client.get("/fund/accounts").get_data(as_text=True)
    assert "£1,250.00" in page
    body = client.get("/fund/accounts.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body
    assert "Ref 12" not in body  # nobody's name or reference
    xlsx = client.get("/fund/accounts.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_home_says_what_is_next_with_the_fund(app, client, make_user, make_fund, make_request):
    fund_id = make_fund()
    worker = make_user("worker", roles={Role.PARTNER})
    make_user("approver", roles={Role.MANAGER})
    request_id = make_request(fund_id, worker)
    sign_in(client, "approver")
    assert "1 request waiting for a decision" in client.get("/").get_data(as_text=True)
    post(client, f"/fund/requests/{request_id}/ask", {"question": "Cheaper?"}, form_url="/fund")
    mine = app.test_client()
    sign_in(mine, "worker")
    assert f"Answer our question about request F{request_id:05d}" in mine.get("/").get_data(
        as_text=True
    )


def test_paid_by_card_with_a_photo_of_the_receipt(app, client, make_user, make_fund, make_request):
    import io

    from engage.fund import receipts
    from tests.payments.conftest import photo_bytes

    fund_id = make_fund()
    worker = make_user("worker", roles={Role.MANAGER})
    make_user("fin", roles={Role.FINANCE})
    request_id = make_request(fund_id, worker)
    with app.test_request_context():
        from engage.fund import services

        services.approve(db.session.get(type(worker), make_user("mgr2", roles={Role.MANAGER}).id),
                         load(request_id))  # fmt: skip
        db.session.commit()
    sign_in(client, "fin")
    url = f"/fund/requests/{request_id}/paid"
    bad = post(
        client,
        url,
        {"how": "card", "receipt": (io.BytesIO(b"<html>not a photo</html>"), "r.html")},
        form_url=f"/fund/requests/{request_id}",
    )
    assert bad.status_code == 400
    assert "A receipt must be a photo (JPEG or PNG) or a PDF." in bad.get_data(as_text=True)
    with app.app_context():
        assert load(request_id).state_enum == State.APPROVED
    good = post(
        client,
        url,
        {"how": "card", "receipt": (io.BytesIO(photo_bytes()), "till.jpg")},
        form_url=f"/fund/requests/{request_id}",
    )
    assert good.status_code == 303
    with app.app_context():
        row = load(request_id)
        assert row.state_enum == State.PAID and row.receipt_type == "image/jpeg"
        assert receipts.path(row.receipt_name).is_file()
    shown = client.get(f"/fund/requests/{request_id}/receipt")
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    other = app.test_client()
    make_user("kim")
    sign_in(other, "kim")
    assert other.get(f"/fund/requests/{request_id}/receipt").status_code == 404


def test_admin_sets_up_the_first_fund(app, client, make_user):
    make_user("boss", roles={Role.ADMIN})
    sign_in(client, "boss")
    assert "There is no fund yet" in client.get("/fund/accounts").get_data(as_text=True)
    response = post(
        client,
        "/fund/settings",
        {"name": "Changing Lives Fund", "budget": "12000", "single_approval_limit": "100"},
    )
    assert response.status_code == 303
    page = client.get("/fund/accounts").get_data(as_text=True)
    assert "Changing Lives Fund" in page and "£100.00" in page


def test_a_key_workers_download_leaves_out_what_they_wrote_about_someone_else(
    app, make_user, make_fund, make_request
):
    from engage.fund.personal_data import export

    fund_id = make_fund()
    officer = make_user("officer", roles={Role.PARTNER})
    make_request(fund_id, officer, person_ref="Jo Bloggs", barrier="Jo has no ID")
    with app.test_request_context():
        from engage.people.models import User

        files = {f.name: f for f in export(db.session.get(User, officer.id))}
    (row,) = files["fund-requests"].rows
    assert row["for"] == "another person" and row["what_is_in_the_way"] == ""
    assert "Jo" not in str(files)


def test_peers_find_the_fund_on_their_home_page_not_in_the_menu(client, make_user, make_fund):
    make_fund()
    make_user("sam")
    sign_in(client, "sam")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/fund/new"' in page
    assert 'class="govuk-service-navigation__link" href="/fund"' not in page


def test_the_accounts_page_shows_the_latest_ledger_lines_and_the_downloads_all(
    client, make_user, make_fund, monkeypatch
):
    from engage.fund import routes as fund_routes

    make_fund()  # one contribution
    make_user("fin", roles={Role.FINANCE})
    sign_in(client, "fin")
    for n, day in enumerate(("2027-03-01", "2027-03-02", "2027-03-03")):
        form = {"amount": "10", "source": f"Giver {n}", "received_on": day}
        assert post(client, "/fund/money-in", form).status_code == 303
    monkeypatch.setattr(fund_routes, "LEDGER_SHOWN", 2)
    page = client.get("/fund/accounts").get_data(as_text=True)
    assert "the latest 2 of 4 lines" in page
    assert "Giver 2" in page and "Giver 1" in page and "Giver 0" not in page
    body = client.get("/fund/accounts.csv").get_data(as_text=True)
    assert all(f"Giver {n}" in body for n in range(3))


def test_the_first_of_two_approvals_says_a_second_is_needed_once(
    app, client, make_user, make_fund, make_request
):
    fund_id = make_fund(limit="100.00")
    worker = make_user("worker", roles={Role.MANAGER})
    make_user("approver", roles={Role.MANAGER})
    request_id = make_request(fund_id, worker, "250.00")
    sign_in(client, "approver")
    response = post(client, f"/fund/requests/{request_id}/approve", {}, form_url="/fund/new")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # One banner saying what happened, not "Approved." and then a second one correcting it.
    assert page.count("govuk-notification-banner__content") == 1
    assert "A second person must approve it too." in page
    with app.app_context():
        assert load(request_id).state_enum == State.PART_APPROVED
