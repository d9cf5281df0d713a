"""The funder report (``/dashboard/report``) and its saved snapshots (``/dashboard/reports``):
who may make and read them, the period and sections chosen, the PDF, a snapshot that late data
does not change, and a double submit that saves once."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from engage.core.figures import Figure, Kind, Section, Table
from engage.dashboard import snapshots
from engage.dashboard.models import ReportSnapshot
from engage.extensions import db
from engage.mentoring.models import Application, ApplicationMove, Stage
from engage.people.models import Role
from tests.conftest import csrf_token, sign_in

#: Reports are made on 10 May 2027; "this quarter" is 1 April to 10 May.
TODAY = date(2027, 5, 10)
QUARTER = "period=quarter&sections=1&section=people"


def _applied(app, when: datetime, name: str = "Sam") -> None:
    """Someone applies to be a peer at ``when``: the people section's first figure."""
    with app.app_context():
        application = Application(name=name, contact_way="email", email="sam@example.org")
        db.session.add(application)
        db.session.flush()
        db.session.add(
            ApplicationMove(application_id=application.id, to_stage=Stage.APPLIED.value, at=when)
        )
        db.session.commit()


def _applied_figure(page: str) -> str:
    """The value shown for "People who applied to be peers"."""
    match = re.search(r'id="figure-people_identified".*?engage-figure__value">([^<]+)<', page, re.S)
    assert match, "no applications figure on the page"
    return match.group(1).strip()


@pytest.fixture
def today(pin_today):
    return pin_today(TODAY)


# --- who may do what ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "report", "listing"),
    [
        (Role.MANAGER, 200, 200),
        (Role.ADMIN, 200, 200),
        (Role.BOARD, 403, 200),  # reads saved reports, does not make them
        (Role.PARTNER, 403, 403),
        (Role.PEER, 403, 403),
        (Role.FINANCE, 403, 403),
    ],
)
def test_who_may_make_and_read_reports(client, signed_in, today, role, report, listing):
    signed_in(role)
    assert client.get("/dashboard/report").status_code == report
    assert client.get("/dashboard/report.pdf").status_code == report
    assert client.get("/dashboard/reports").status_code == listing


def _save(client, query: str = QUARTER, title: str = "Funder report Q1", key: str | None = None):
    token = csrf_token(client, f"/dashboard/report?{query}")
    data = {"csrf_token": token, "title": title}
    if key is not None:
        data["submission_key"] = key
    return client.post(f"/dashboard/reports?{query}", data=data)


def test_saved_reports_are_for_managers_admins_and_boards_only(
    app, client, signed_in, make_user, today
):
    signed_in(Role.MANAGER)
    response = _save(client)
    assert response.status_code == 303
    url = response.headers["Location"]
    assert client.get(url).status_code == 200
    for role, status in [
        (Role.BOARD, 200),
        (Role.ADMIN, 200),
        (Role.PARTNER, 404),
        (Role.PEER, 404),
    ]:
        other = app.test_client()
        sign_in(other, make_user(roles={role}).username)
        assert other.get(url).status_code == status, role
        assert other.get(url + ".pdf").status_code == status, role


def test_a_snapshot_that_does_not_exist_is_not_found(client, signed_in, today):
    signed_in(Role.MANAGER)
    assert client.get("/dashboard/reports/999999").status_code == 404
    assert client.get("/dashboard/reports/999999.pdf").status_code == 404


# --- the live report ---------------------------------------------------------------------------


def test_the_report_shows_the_period_and_only_the_sections_ticked(app, client, signed_in, today):
    # In London, British Summer Time began on 28 March 2027: 23:30 UTC on 31 March is 00:30 on
    # 1 April (this quarter), 22:30 UTC is 23:30 on 31 March (last quarter). With 2 April:
    # this quarter 1 + 1 = 2.
    _applied(app, datetime(2027, 3, 31, 23, 30, tzinfo=UTC))
    _applied(app, datetime(2027, 3, 31, 22, 30, tzinfo=UTC))
    _applied(app, datetime(2027, 4, 2, 9, tzinfo=UTC))
    signed_in(Role.MANAGER)
    page = client.get(f"/dashboard/report?{QUARTER}").text
    assert "1 April 2027 to 10 May 2027" in page
    assert _applied_figure(page) == "2"
    assert 'value="people" checked' in page


def test_no_section_ticked_is_refused_kindly(client, signed_in, today):
    signed_in(Role.MANAGER)
    response = client.get("/dashboard/report?period=quarter&sections=1")
    assert response.status_code == 400
    assert "Choose at least one section for the report" in response.text


def test_a_bad_period_is_refused_kindly_with_what_was_typed_kept(client, signed_in, today):
    signed_in(Role.MANAGER)
    response = client.get("/dashboard/report?start=2027-04-31&end=2027-06-30")
    assert response.status_code == 400
    assert "Enter a real date" in response.text
    assert 'value="2027-04-31"' in response.text
    backwards = client.get("/dashboard/report.pdf?start=2027-06-30&end=2027-04-01")
    assert backwards.status_code == 400
    assert "The last day must be the same as or after the first day" in backwards.text


def test_the_pdf_is_a_pdf_whose_first_page_has_the_title_and_a_figure(
    app, client, signed_in, today
):
    _applied(app, datetime(2027, 4, 2, 9, tzinfo=UTC))
    signed_in(Role.MANAGER)
    response = client.get(f"/dashboard/report.pdf?{QUARTER}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    first = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Funder report" in first
    assert "People who applied to be peers" in first
    # On paper, each figure says how it is counted.
    assert "Applications made in the period" in first


# --- snapshots ---------------------------------------------------------------------------------


def test_a_snapshot_keeps_its_figures_when_late_data_arrives(app, client, signed_in, today):
    _applied(app, datetime(2027, 4, 2, 9, tzinfo=UTC))
    signed_in(Role.MANAGER)
    response = _save(client, title="Q1 for the funder")
    assert response.status_code == 303
    url = response.headers["Location"]
    saved = client.get(url).text
    assert "Q1 for the funder" in saved
    assert _applied_figure(saved) == "1"

    # An application from 20 April is entered late.
    _applied(app, datetime(2027, 4, 20, 9, tzinfo=UTC), name="Late")
    assert _applied_figure(client.get(f"/dashboard/report?{QUARTER}").text) == "2"
    assert _applied_figure(client.get(url).text) == "1"
    first = PdfReader(io.BytesIO(client.get(url + ".pdf").data)).pages[0].extract_text()
    assert "Q1 for the funder" in first
    assert "People who applied to be peers" in first
    listing = client.get("/dashboard/reports").text
    assert "Q1 for the funder" in listing


def test_the_same_form_sent_twice_saves_once(app, client, signed_in, today):
    signed_in(Role.MANAGER)
    first = _save(client, key="k" * 32)
    second = _save(client, key="k" * 32)
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count(ReportSnapshot.id))) == 1


def test_a_report_needs_a_name(app, client, signed_in, today):
    signed_in(Role.MANAGER)
    response = _save(client, title="  ")
    assert response.status_code == 400
    assert "Give the report a name" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(ReportSnapshot.id))) == 0


def test_figures_come_back_exactly_as_they_were_saved():
    sections = [
        Section(
            "money",
            "Involvement and money",
            [
                Figure("paid", "Paid", Decimal("1234.50"), Decimal("0.10"), kind=Kind.MONEY),
                Figure("share", "Paid in 14 days", 62.5, None, kind=Kind.PERCENT, public=True),
            ],
            [
                Table(
                    "by_month",
                    "By month",
                    "Month",
                    ["Fees"],
                    [("April", Decimal("10.01")), ("May", None)],
                    kind=Kind.MONEY,
                    chart="line",
                )
            ],
            note="A note",
        )
    ]
    text = snapshots.dumps(sections)
    assert '"1234.50"' in text  # a Decimal as its exact string
    assert '"money"' in text  # a kind by its value
    assert snapshots.loads(text) == sections


def test_without_pango_a_pdf_is_a_kind_503_and_the_page_still_prints(
    client, signed_in, monkeypatch
) -> None:
    from tests.core.test_checks import _without_pango

    signed_in(Role.MANAGER)
    _without_pango(monkeypatch)
    response = client.get("/dashboard/report.pdf?period=quarter")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "This server cannot make PDF files yet" in page
    assert "Print command" in page
    assert client.get("/dashboard/report?period=quarter").status_code == 200
