"""Request → decision → payment run → paid: an approved request to pay a supplier joins
finance's next run in a section of its own, with the supplier's bank details in the run's
files, and is paid when the run is. It is never an involvement payment."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from engage.extensions import db
from engage.fund import services
from engage.fund.models import State
from engage.payments.models import PaymentItem, PaymentRun
from engage.people.models import Role
from tests.conftest import post, sign_in
from tests.fund.conftest import as_user, load


@pytest.fixture(autouse=True)
def _today(pin_today):
    pin_today(date(2027, 3, 10))


def _key(page: str) -> str:
    match = re.search(r'name="key" type="hidden" value="([0-9a-f]+)"', page)
    assert match, "no run key on the page"
    return match.group(1)


def test_request_decision_run_paid(app, client, make_user, make_fund, make_request, confirmed):
    fund_id = make_fund()
    worker = make_user("worker", roles={Role.MANAGER})
    approver = make_user("approver", roles={Role.MANAGER})
    make_user("fin", roles={Role.FINANCE})
    request_id = make_request(
        fund_id,
        worker,
        "85.00",
        supplier_name="=Furniture Store",
        quote="Q-1",
        sort_code="40-12-76",
        account_number="81234567",
    )
    no_details = make_request(fund_id, worker, "10.00")  # no bank details: card or cash
    with app.test_request_context():
        services.approve(as_user(approver), load(request_id))
        services.approve(as_user(approver), load(no_details))
        db.session.commit()
    sign_in(client, "fin")
    page = client.get("/payments/runs/new").get_data(as_text=True)
    assert "Fund payments to suppliers" in page
    assert f'value="fund:{request_id}"' in page
    assert f'value="fund:{no_details}"' not in page
    response = post(
        client, "/payments/runs/new", {"key": _key(page), "items": [f"fund:{request_id}"]}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    with app.app_context():
        run = db.session.scalar(select(PaymentRun))
        row = load(request_id)
        assert row.run_id == run.id and row.state_enum == State.APPROVED
        assert str(run.total) == "85.00" and run.item_count == 1
        # Never a payment item: nothing of it can count as anyone's earnings.
        assert db.session.scalar(select(func.count()).select_from(PaymentItem)) == 0
        run_id = run.id
    assert "Fund payments to suppliers" in client.get(f"/payments/runs/{run_id}").get_data(
        as_text=True
    )
    confirmed()
    body = client.get(f"/payments/runs/{run_id}.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    (line,) = [r for r in rows if r and r[0] == "Fund payments to suppliers"]
    assert line[2] == "'=Furniture Store"  # formula-safe
    assert line[4:6] == ["40-12-76", "81234567"]
    assert line[10] == "85.00"
    xlsx = client.get(f"/payments/runs/{run_id}.xlsx")
    assert xlsx.status_code == 200
    assert post(client, f"/payments/runs/{run_id}/paid", {}).status_code == 303
    with app.app_context():
        row = load(request_id)
        assert row.state_enum == State.PAID and row.paid_how == "run"
        assert row.payment_note.startswith("RUN-")
        assert load(no_details).state_enum == State.APPROVED  # still waits for card or cash


def test_a_request_in_a_run_cannot_also_be_paid_by_card(app, make_user, make_fund, make_request):
    fund_id = make_fund()
    worker = make_user("worker", roles={Role.MANAGER})
    fin = make_user("fin", roles={Role.FINANCE})
    request_id = make_request(fund_id, worker, sort_code="401276", account_number="81234567")
    with app.test_request_context():
        from engage.payments.runs import services as runs

        services.approve(as_user(fin), load(request_id))
        run, _made = runs.create_run(as_user(fin), "k" * 32, [], [], {"fund": [request_id]})
        with pytest.raises(services.FundError, match="payment run"):
            services.record_paid(as_user(fin), load(request_id), "card", "R1")
        assert run.item_count == 1
