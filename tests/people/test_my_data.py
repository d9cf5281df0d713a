"""Download my data: every domain's part is in the ZIP (and a test fails when a table about
people is in no part), nothing about other people gets in, and the link works once and runs
out."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from engage.changes import services as register
from engage.core import dates
from engage.core.audit import AuditEntry
from engage.core.domains import personal_data_exporters
from engage.extensions import db
from engage.forums import replies
from engage.forums.meetings import schedule
from engage.forums.membership import add_member, create_forum
from engage.forums.models import Reply
from engage.payments import bank_details
from engage.payments.claims import receipts
from engage.payments.claims import services as claims
from engage.people.data_requests import DataDownload
from engage.people.models import Role, User
from engage.people.my_data import write_zip
from tests.conftest import sign_in
from tests.payments.conftest import photo_bytes

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)

#: Tables with a column pointing at ``user.id`` that no part of the download covers, each
#: with the reason. Adding a table about people means adding it to a domain's
#: ``@personal_data(tables=...)``, or here with a reason a data protection officer accepts.
NOT_IN_DOWNLOAD = {
    "rate": "the rate card: who entered a rate is a work record, not about the person",
    "mileage_rate": "the mileage rate: who entered it is a work record",
    "threshold": "benefit thresholds: who entered them is a work record",
    "payment_run": "a finance batch: each payee's part is in payment_item, which is included",
    "survey_round": "who set up a survey round is a work record; answers are included",
    "data_download": "single-use links: only a hash of the token, kept to refuse reuse",
    "report_snapshot": "who saved a funder report is a work record; it holds totals only",
}


def test_no_table_about_people_is_forgotten(app):
    declared = {table for exporter in personal_data_exporters() for table in exporter.tables}
    missing = []
    for table in db.metadata.sorted_tables:
        about_people = any(
            foreign_key.column.table.name == "user"
            for column in table.columns
            for foreign_key in column.foreign_keys
        )
        if about_people and table.name not in declared and table.name not in NOT_IN_DOWNLOAD:
            missing.append(table.name)
    assert not missing, (
        "These tables hold a link to a person but are in no part of the data download: add "
        "them to a domain's @personal_data(tables=...) or to NOT_IN_DOWNLOAD with a reason: "
        f"{missing}"
    )
    # The exclusions stay honest: each names a real table, and none is also exported.
    names = {table.name for table in db.metadata.sorted_tables}
    assert set(NOT_IN_DOWNLOAD) <= names
    assert not set(NOT_IN_DOWNLOAD) & declared


def test_every_landed_domain_registers_its_part(app):
    modules = {exporter.export.__module__ for exporter in personal_data_exporters()}
    for domain in ("people", "forums", "opportunities", "changes", "payments", "surveys"):
        assert f"engage.{domain}.personal_data" in modules
    assert "engage.mentoring.personal_data" in modules


@pytest.fixture
def shared(app, make_user, clock):
    """Two peers who share a forum meeting and a register item, and a manager.

    Ayesha raised the item (with her name shown) and has a claim with a receipt and bank
    details; Bogdan said "this happened to me too"; both are coming to the meeting."""
    clock(NOW)
    ayesha = make_user(
        "ayesha", email="ayesha@example.org", phone="07700900001", preferred_name="Ayesha Khan"
    )
    bogdan = make_user(
        "bogdan", email="bogdan@example.org", phone="07700900002", preferred_name="Bogdan Nowak"
    )
    manager = make_user("morag", roles={Role.MANAGER}, preferred_name="Morag Staffwell")
    with app.test_request_context():
        a, b, m = (db.session.get(User, p.id) for p in (ayesha, bogdan, manager))
        forum = create_forum(m, name="Women's Forum", purpose="", open_to_all=True)
        add_member(m, forum, a, dates.local_today())
        add_member(m, forum, b, dates.local_today())
        (meeting,) = schedule(
            m,
            forum,
            starts_at=NOW + timedelta(days=7),
            duration_minutes=120,
            every_weeks=None,
            count=1,
        )
        replies.invite_members(meeting, notify=False)
        replies.reply(a, meeting, Reply.YES)
        replies.reply(b, meeting, Reply.YES, actor=m)
        item = register.raise_item(
            a,
            title="Turned away at the housing desk",
            what_happened="They said I was not local enough.",
            theme="housing",
            show_name=True,
        )
        register.support(b, item, "Same thing happened to me in May.", share_with_board=True)
        register.triage(m, item)
        receipt = receipts.store(a, a, photo_bytes(), "bus-ticket.jpg")
        claims.quick_claim(
            a,
            a,
            method="bank",
            kind="bus",
            amount=Decimal("3.40"),
            spent_on=dates.local_today(),
            description='=HYPERLINK("http://evil")',
            receipts=[receipt],
        )
        bank_details.set_bank_details(
            a, a, account_name="A Khan", sort_code="123456", account_number="87654321"
        )
        db.session.commit()
    return {"ayesha": ayesha, "bogdan": bogdan, "manager": manager}


def _zip_of(app, person) -> zipfile.ZipFile:
    out = io.BytesIO()
    with app.test_request_context():
        write_zip(db.session.get(User, person.id), out)
    out.seek(0)
    return zipfile.ZipFile(out)


def _all_text(archive: zipfile.ZipFile) -> str:
    return "\n".join(
        archive.read(name).decode("utf-8", "replace")
        for name in archive.namelist()
        if not name.startswith("files/")
    )


def test_the_zip_holds_csv_json_readme_and_receipts(app, shared):
    archive = _zip_of(app, shared["ayesha"])
    names = set(archive.namelist())
    assert "README.txt" in names
    for table in (
        "account",
        "profile",
        "consents",
        "forums-replies",
        "register-items-you-raised",
        "register-updates",
        "payments-expense-claims",
        "payments-bank-details",
        "surveys-answers",
    ):
        assert f"{table}.csv" in names and f"{table}.json" in names, table
    receipts_in_zip = [name for name in names if name.startswith("files/receipts/")]
    assert len(receipts_in_zip) == 1
    assert archive.read(receipts_in_zip[0])[:2] == b"\xff\xd8"  # the JPEG itself

    account = json.loads(archive.read("account.json"))
    assert account[0]["email"] == "ayesha@example.org"
    consents = json.loads(archive.read("consents.json"))
    assert consents[0]["purpose"] == "contact" and consents[0]["wording_version"]
    replied = json.loads(archive.read("forums-replies.json"))
    assert replied[0]["reply"] == "Coming"
    raised = json.loads(archive.read("register-items-you-raised.json"))
    assert raised[0]["title"] == "Turned away at the housing desk"
    assert raised[0]["people_saying_it_happened_to_them_too"] == 1

    # Bank details: only the last digits.
    bank = json.loads(archive.read("payments-bank-details.json"))[0]
    assert bank["account_number"] == "****4321" and bank["sort_code"] == "****56"
    assert "87654321" not in _all_text(archive)

    # CSV is formula-safe and readable.
    lines = archive.read("payments-expense-lines.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(lines)))
    assert rows[0]["description"].startswith("'=HYPERLINK")
    assert rows[0]["receipts"] == receipts_in_zip[0]

    readme = archive.read("README.txt").decode("utf-8-sig")
    assert "Ayesha Khan" in readme
    assert "forums-replies.csv" in readme
    assert "Information Commissioner" in readme and "ico.org.uk" in readme
    assert "anonymous" in readme.lower()


def test_nothing_about_other_people(app, shared):
    ayesha = _all_text(_zip_of(app, shared["ayesha"]))
    for detail in ("Bogdan", "bogdan", "07700900002", "Morag", "morag"):
        assert detail not in ayesha, detail
    # Her item's update by the manager, and her reply's record, name a role instead.
    assert "a member of staff" in ayesha

    bogdan = _all_text(_zip_of(app, shared["bogdan"]))
    for detail in ("Ayesha", "ayesha", "07700900001", "Khan", "Morag"):
        assert detail not in bogdan, detail
    me_too = bogdan.split("register-me-too")[0]  # README mentions the file by name
    assert "Same thing happened to me in May." in bogdan
    assert me_too  # (the file is there)
    # Bogdan's reply was made for him by the manager: a role, not a name.
    replied = json.loads(_zip_of(app, shared["bogdan"]).read("forums-replies.json"))
    assert replied[0]["replied_by"] == "a member of staff"
    # Ayesha showed her name on the item, but it is still another person in his download.
    supported = json.loads(_zip_of(app, shared["bogdan"]).read("register-me-too.json"))
    assert supported[0]["raised_by"] == "another person"


def _prepare(client, confirmed):
    confirmed()
    page = client.get("/me/data")
    token = page.get_data(as_text=True)
    assert "Prepare my download" in token
    response = client.post("/me/data", data={"csrf_token": _csrf(page.get_data(as_text=True))})
    assert response.status_code == 303
    page = client.get("/me/data").get_data(as_text=True)
    assert "Your download is ready" in page
    return page.split('href="/data-download/')[1].split('"')[0]


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def test_download_works_once_and_is_audited(app, client, shared, confirmed):
    assert sign_in(client, "ayesha").status_code == 303
    token = _prepare(client, confirmed)
    with app.app_context():
        stored = db.session.scalar(db.select(DataDownload.token_hash))
        assert token not in stored  # only a hash is kept
    first = client.get(f"/data-download/{token}")
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "application/zip"
    assert "attachment" in first.headers["Content-Disposition"]
    assert first.headers["Cache-Control"] == "no-store"
    assert "README.txt" in zipfile.ZipFile(io.BytesIO(first.data)).namelist()
    second = client.get(f"/data-download/{token}")
    assert second.status_code == 410
    assert "This link has been used" in second.get_data(as_text=True)
    with app.app_context():
        actions = db.session.scalars(
            db.select(AuditEntry.action).where(AuditEntry.subject_id == shared["ayesha"].id)
        ).all()
    assert "data_download.prepared" in actions and actions.count("my_data.downloaded") == 1


def test_the_link_is_a_plain_link_so_a_second_press_shows_why_it_stopped(
    app, client, shared, confirmed
):
    """No ``download`` attribute: the ZIP is saved anyway (Content-Disposition: attachment),
    and a second press, or a press after it ran out, opens the page that says the link was
    used, instead of the browser saving that page as a file named after the token."""
    assert sign_in(client, "ayesha").status_code == 303
    token = _prepare(client, confirmed)
    page = client.get("/me/data").get_data(as_text=True)
    link = re.search(rf'<a [^>]*href="/data-download/{token}"[^>]*>', page).group(0)
    assert not re.search(r"\sdownload[\s>=]", link), link


def test_link_runs_out_after_a_day(app, client, shared, confirmed, clock):
    assert sign_in(client, "ayesha").status_code == 303
    token = _prepare(client, confirmed)
    clock(NOW + timedelta(hours=24, minutes=1))
    assert sign_in(client, "ayesha").status_code == 303  # a day on, signed in afresh
    response = client.get(f"/data-download/{token}")
    assert response.status_code == 410
    assert "This link has run out" in response.get_data(as_text=True)


def test_preparing_asks_to_confirm_it_is_you(client, shared):
    assert sign_in(client, "ayesha").status_code == 303
    page = client.get("/me/data").get_data(as_text=True)
    assert "First we will ask for your password" in page
    response = client.post("/me/data", data={"csrf_token": _csrf(page)})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/confirm-it-is-you")


def test_someone_elses_link_is_not_found(app, client, shared, confirmed):
    assert sign_in(client, "ayesha").status_code == 303
    token = _prepare(client, confirmed)
    other = app.test_client()
    assert sign_in(other, "bogdan").status_code == 303
    assert other.get(f"/data-download/{token}").status_code == 404
    assert other.get("/data-download/not-a-token").status_code == 404
    assert client.get(f"/data-download/{token}").status_code == 200  # still unused


def test_profile_links_to_the_download(client, shared):
    assert sign_in(client, "ayesha").status_code == 303
    assert 'href="/me/data"' in client.get("/me").get_data(as_text=True)
