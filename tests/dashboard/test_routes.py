"""/dashboard and its exports: who sees what, the period chosen, bad input, the spreadsheets."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest

from engage.extensions import db
from engage.mentoring.models import PeerRole, RoleHeld
from engage.people.models import Role
from tests.conftest import count_queries

TODAY = date(2026, 12, 7)
#: A role name an admin might type, which a spreadsheet would take for a formula.
FORMULA_ROLE = '=HYPERLINK("http://evil.example","Peer mentor")'


@pytest.fixture(autouse=True)
def _today(pin_today) -> None:
    pin_today(TODAY)


def _hold(make_user, role_name: str, n: int, since: date = date(2026, 1, 1)) -> None:
    """``n`` new peers holding a new role ``role_name`` since ``since``."""
    role = PeerRole(name=role_name)
    db.session.add(role)
    db.session.flush()
    for _ in range(n):
        person = make_user(roles={Role.PEER})
        db.session.add(RoleHeld(user_id=person.id, role_id=role.id, from_date=since))
    db.session.flush()


def test_signed_out_visitors_are_asked_to_sign_in(client) -> None:
    response = client.get("/dashboard")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]
    assert client.get("/dashboard/export.csv").status_code in (302, 303)


@pytest.mark.parametrize("role", [Role.PEER, Role.FINANCE])
def test_peers_and_finance_cannot_open_the_dashboard(client, signed_in, role) -> None:
    signed_in(role)
    assert client.get("/dashboard").status_code == 403
    assert client.get("/dashboard/export.csv").status_code == 403
    assert client.get("/dashboard/export.xlsx").status_code == 403


@pytest.mark.parametrize("role", [Role.MANAGER, Role.BOARD, Role.ADMIN])
def test_staff_and_boards_see_every_figure_with_links(client, signed_in, role) -> None:
    signed_in(role)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Programme dashboard" in page
    assert 'id="figure-checks_expiring"' in page  # not public: staff only
    assert "1 October 2026 to 7 December 2026" in page  # this quarter, by default
    assert "Compared with 1 July 2026 to 7 September 2026" in page


def test_managers_follow_figures_to_their_records(client, signed_in) -> None:
    signed_in(Role.MANAGER)
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/applications"' in page
    assert 'href="/training/gaps"' in page


def test_links_are_only_to_pages_the_reader_may_open(client, signed_in) -> None:
    signed_in(Role.BOARD)  # boards cannot open applications or the training gaps
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/applications"' not in page
    assert 'href="/training/gaps"' not in page


def test_partners_see_only_what_identifies_nobody(client, signed_in) -> None:
    signed_in(Role.PARTNER)
    response = client.get("/dashboard")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="figure-people_trained"' in page  # public
    assert 'id="figure-checks_expiring"' not in page
    assert 'id="figure-training_expiring"' not in page
    assert "See the records" not in page
    assert "You see the figures that do not identify anyone" in page
    exported = client.get("/dashboard/export.csv").get_data(as_text=True)
    assert "DBS checks" not in exported
    assert "Peers trained for co-production" in exported


def test_quick_picks_choose_the_period(client, signed_in) -> None:
    signed_in(Role.BOARD)
    page = client.get("/dashboard?period=financial-year").get_data(as_text=True)
    assert "1 April 2026 to 7 December 2026" in page
    assert "Compared with 1 April 2025 to 7 December 2025" in page
    assert '<strong aria-current="true">This financial year</strong>' in page


def test_programme_to_date_shows_no_comparison(client, signed_in) -> None:
    signed_in(Role.MANAGER)
    page = client.get("/dashboard?period=programme").get_data(as_text=True)
    assert "Compared with" not in page
    assert "Previous period" not in page


def test_an_unknown_quick_pick_shows_this_quarter(client, signed_in) -> None:
    signed_in(Role.MANAGER)
    response = client.get("/dashboard?period=%3Cscript%3Ealert(1)%3C/script%3E")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert(1)" not in page
    assert "1 October 2026 to 7 December 2026" in page


def test_dates_typed_in_are_compared_with_the_days_before(client, signed_in) -> None:
    signed_in(Role.MANAGER)
    page = client.get("/dashboard?start=2026-03-05&end=2026-03-14").get_data(as_text=True)
    assert "5 March 2026 to 14 March 2026" in page
    assert "Compared with 23 February 2026 to 4 March 2026" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-13-01&end=2026-12-01", "Enter a real date"),
        ("start=2026-05-01&end=2026-04-01", "The last day must be the same as or after"),
        ("start=2026-05-01", "Enter the last day of the period"),
        ("end=2026-05-01", "Enter the first day of the period"),
        ("start=0001-01-01&end=2026-01-01", "Enter a date between"),
        ("start=2026-01-01&end=99999-01-01", "Enter a real date"),
        ("start=%00&end=2026-01-01", "Enter a real date"),
    ],
)
def test_dates_that_cannot_be_used_get_a_kind_message(client, signed_in, query, message) -> None:
    signed_in(Role.MANAGER)
    response = client.get(f"/dashboard?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error:" in page
    assert message in page
    # What was typed stays in the boxes.
    typed = query.split("&")[0].split("=")[1]
    if typed != "%00":
        assert f'value="{typed}"' in page
    assert client.get(f"/dashboard/export.csv?{query}").status_code == 400


def test_the_csv_has_every_figure_with_both_periods(client, signed_in, make_user, ctx) -> None:
    _hold(make_user, "Peer mentor", 3)
    signed_in(Role.MANAGER)
    response = client.get("/dashboard/export.csv?period=quarter")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "2026-10-01-to-2026-12-07.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["From", "2026-10-01", "To", "2026-12-07"]
    by_measure = {row[1]: row for row in rows[3:]}
    # Three people have held the role since January: three on both last days.
    active = by_measure["Active peers on the last day"]
    assert active[3:5] == ["3", "3"]


def test_spreadsheets_are_formula_safe(client, signed_in, make_user, ctx) -> None:
    _hold(make_user, FORMULA_ROLE, 2)
    signed_in(Role.MANAGER)
    text = client.get("/dashboard/export.csv").get_data(as_text=True)
    assert "'" + FORMULA_ROLE.replace('"', '""') in text
    book = openpyxl.load_workbook(io.BytesIO(client.get("/dashboard/export.xlsx").data))
    cells = [cell.value for sheet in book for row in sheet.iter_rows() for cell in row]
    assert any(isinstance(v, str) and v.startswith("'=HYPERLINK") for v in cells)
    assert not any(isinstance(v, str) and v.startswith("=") for v in cells)


def test_the_workbook_has_one_sheet_per_section(client, signed_in) -> None:
    signed_in(Role.BOARD)
    response = client.get("/dashboard/export.xlsx?period=last-12-months")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert "People" in book.sheetnames
    assert book["People"]["A2"].value == (
        "From 2025-12-01 to 2026-11-30 · compared with 2024-12-01 to 2025-11-30"
    )


def test_the_query_count_does_not_grow_with_the_data(
    app, client, signed_in, make_user, ctx
) -> None:
    signed_in(Role.MANAGER)
    _hold(make_user, "Peer mentor", 1)
    few = count_queries(app, client, "/dashboard?period=financial-year")
    _hold(make_user, "Ambassador", 15)
    _hold(make_user, "Peer researcher", 5, since=date(2025, 5, 1))
    many = count_queries(app, client, "/dashboard?period=financial-year")
    assert few == many
