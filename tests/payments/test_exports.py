"""The payment run files, downloaded as finance does and read back: exact amounts, one section
per way of paying, bank details only for bank transfers, and no formulas from typed text."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.payments import bank_details
from engage.payments.models import InvolvementRecord, PaymentItem
from engage.payments.runs import services as run_services
from engage.payments.time_given import services as time_given
from engage.people.models import Role, User
from tests.conftest import sign_in

PENNY = Decimal("0.01")
HYPERLINK = '=HYPERLINK("http://x")'
SECTIONS = ["Bank transfer", "Shopping voucher", "Cash"]


def exact(cell) -> Decimal:
    """A spreadsheet number back to the penny, as finance's system would read it."""
    return Decimal(str(cell)).quantize(PENNY)


@pytest.fixture
def run(app, client, make_user, make_rate, make_record, make_claim, confirmed):
    """A run with bank, voucher and cash payees; one payee's name is a formula, one is paid
    three claims of 10p. Returns the run id, signed in as finance."""
    finance = make_user("fin", roles={Role.FINANCE})
    manager = make_user("boss", roles={Role.MANAGER})
    ann = make_user("ann", preferred_name="Ann Apple", payment_preference="bank")
    evil = make_user("evil", preferred_name=HYPERLINK, payment_preference="bank")
    vic = make_user("vic", preferred_name="Vic Voucher", payment_preference="voucher")
    cas = make_user("cas", preferred_name="Cas Cash", payment_preference="cash")
    make_rate("forum_meeting", "15.00")
    make_rate("document_review", "12.35", unit="task")
    records = [
        make_record(ann, minutes=95),  # £23.75
        make_record(evil, minutes=60),  # £15.00
        make_record(vic, activity="document_review", minutes=None),  # £12.35
        make_record(cas, minutes=20),  # £5.00
    ]
    claims = [make_claim(ann, amount="0.10", state="approved", decider=manager) for _ in range(3)]
    claims.append(make_claim(cas, amount="7.99", state="approved", decider=manager, method="cash"))
    with app.test_request_context():
        boss = db.session.get(User, manager.id)
        for record_id in records:
            time_given.approve_record(boss, db.session.get(InvolvementRecord, record_id))
        for person, digits in ((ann, "11111111"), (evil, "22222222"), (vic, "33333333")):
            user = db.session.get(User, person.id)
            bank_details.set_bank_details(
                user,
                user,
                account_name=f"Account {person.username}",
                sort_code="12-34-56",
                account_number=digits,
            )
        made, _now = run_services.create_run(
            db.session.get(User, finance.id), "exports", records, claims
        )
        db.session.commit()
        run_id = made.id
    assert sign_in(client, "fin").status_code == 303
    confirmed()  # the files ask for the password again
    return run_id


def stored(app, run_id: int) -> dict[str, Decimal]:
    with app.app_context():
        return {
            i.id: i.amount
            for i in db.session.scalars(select(PaymentItem).where(PaymentItem.run_id == run_id))
        }


def payments_sheet(body: bytes):
    """The "Payments" sheet as (section, rows, section total) and the run's total."""
    book = openpyxl.load_workbook(io.BytesIO(body))
    rows = list(book["Payments"].iter_rows(values_only=True))
    sections, current, total = [], None, None
    for row in rows[1:]:
        first = row[0]
        if first in SECTIONS and row[1] is None:
            current = (first, [], None)
            sections.append(current)
        elif first == "Total":
            sections[-1] = (current[0], current[1], row[10])
        elif first == "Total for the run":
            total = row[10]
        elif first in SECTIONS:
            current[1].append(row)
    return book, sections, total


def test_xlsx_amounts_are_exact_and_sections_separate(app, client, run):
    response = client.get(f"/payments/runs/{run}.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="engage-run-{run:05d}.xlsx"'
    )
    book, sections, total = payments_sheet(response.data)
    assert [name for name, _rows, _total in sections] == SECTIONS
    for name, rows, _total in sections:
        assert all(row[0] == name for row in rows)
    bank, voucher, cash = sections
    by_payee = {row[2]: row for _name, rows, _t in sections for row in rows}
    # Ann: £23.75 for her time and three claims of 10p: exactly £0.30 of expenses.
    ann = by_payee["Ann Apple"]
    assert (ann[7], exact(ann[8]), exact(ann[9]), exact(ann[10])) == (
        4,
        Decimal("23.75"),
        Decimal("0.30"),
        Decimal("24.05"),
    )
    assert exact(by_payee["Vic Voucher"][10]) == Decimal("12.35")
    assert exact(by_payee["Cas Cash"][10]) == Decimal("12.99")
    assert [row[2] for row in voucher[1]] == ["Vic Voucher"]
    assert [row[2] for row in cash[1]] == ["Cas Cash"]
    # Section totals and the run's total, to the penny.
    assert exact(bank[2]) == Decimal("39.05")
    assert exact(voucher[2]) == Decimal("12.35")
    assert exact(cash[2]) == Decimal("12.99")
    assert exact(total) == sum(stored(app, run).values()) == Decimal("64.39")
    # Every item, on its section's own sheet, as stored.
    assert book.sheetnames == ["Payments", *SECTIONS]
    items = [row for name in SECTIONS for row in list(book[name].iter_rows(values_only=True))[1:]]
    assert {row[6]: exact(row[5]) for row in items} == stored(app, run)
    assert [row[1] for row in list(book["Shopping voucher"].iter_rows(values_only=True))[1:]] == [
        "Vic Voucher"
    ]


def test_bank_details_only_for_bank_transfers(app, client, run):
    _book, sections, _total = payments_sheet(client.get(f"/payments/runs/{run}.xlsx").data)
    bank, voucher, cash = sections
    for row in bank[1]:
        assert row[3].startswith("Account ") and row[4] == "12-34-56"
        assert row[5] in ("11111111", "22222222")
    # Vic gave bank details but is paid in vouchers: they are not in the file.
    for row in voucher[1] + cash[1]:
        assert not any(row[3:7]), row
    text = client.get(f"/payments/runs/{run}.csv").data.decode("utf-8-sig")
    assert "33333333" not in text
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows[1:]:
        if row[0] != "Bank transfer":
            assert row[3:7] == ["", "", "", ""], row
        else:
            assert row[4] == "12-34-56"


def test_csv_amounts_and_order(app, client, run):
    response = client.get(f"/payments/runs/{run}.csv")
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="engage-run-{run:05d}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "Section" and rows[0][10] == "Amount"
    sections = [row[0] for row in rows[1:]]
    assert sections == sorted(sections, key=SECTIONS.index)  # bank, then voucher, then cash
    amounts = {row[2]: (row[8], row[9], row[10]) for row in rows[1:]}
    assert amounts["Ann Apple"] == ("23.75", "0.30", "24.05")
    assert amounts["Vic Voucher"][2] == "12.35"
    assert amounts["Cas Cash"] == ("5.00", "7.99", "12.99")
    assert sum(Decimal(row[10]) for row in rows[1:]) == Decimal("64.39")


def test_formulas_typed_as_names_are_neutralised(app, client, run):
    text = client.get(f"/payments/runs/{run}.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    names = [row[2] for row in rows[1:]]
    assert "'" + HYPERLINK in names
    assert HYPERLINK not in names
    assert all(not cell.startswith("=") for row in rows for cell in row)
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/payments/runs/{run}.xlsx").data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith("="), (sheet.title, cell.coordinate)
    payees = [row[1] for row in book["Bank transfer"].iter_rows(values_only=True)]
    assert "'" + HYPERLINK in payees


def test_a_run_page_renders_the_formula_name_as_text(client, run):
    page = client.get(f"/payments/runs/{run}").get_data(as_text=True)
    assert "=HYPERLINK(&#34;http://x&#34;)" in page or "=HYPERLINK(&quot;http://x&quot;)" in page
