"""The proof: after a peer is erased, no table, no file in the instance folder, no log line and
no export staff can download holds their name, username, e-mail, phone, bank details or
equality answers."""

from __future__ import annotations

import io
import logging
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.people import erasure
from engage.people.models import User
from tests.conftest import sign_in
from tests.people.erasure_builders import NOW, SECRETS, build_peer


@pytest.fixture(autouse=True)
def _now(clock):
    clock(NOW)


def _found(text: str) -> list[str]:
    lowered = text.lower()
    return [secret for secret in SECRETS if secret.lower() in lowered]


def _database_leaks() -> list[tuple[str, str, str]]:
    """Every (table, column, secret) where a secret is still stored, across every column of
    every table the models know."""
    leaks = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).mappings():
            for column, value in row.items():
                if value is None:
                    continue
                for secret in _found(str(value)):
                    leaks.append((table.name, column, secret))
    return leaks


def _file_text(path: Path) -> str:
    data = path.read_bytes()
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return " ".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return data.decode("utf-8", "replace")


def _export_text(response) -> str:  # noqa: ANN001
    assert response.status_code == 200, (response.request.path, response.status_code)
    data = response.get_data()
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return " ".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return data.decode("utf-8-sig", "replace")


def test_nothing_that_says_who_they_were_is_left_anywhere(
    app, client, make_user, confirmed, caplog
):
    built, staff, _supporter = build_peer(app, make_user)
    with app.test_request_context():
        # Before: the secrets really are there, so the scan below can find them.
        before = {secret for _t, _c, secret in _database_leaks()}
        assert set(SECRETS) <= before
    assert Path(built.receipt_path).exists()

    caplog.clear()
    caplog.set_level(logging.DEBUG)
    with app.test_request_context():
        admin = db.session.get(User, staff.id)
        person = db.session.get(User, built.peer_id)
        assert erasure.erase(person, admin, "Zebedee Quillfeather asked us to forget them")
        db.session.commit()

    with app.test_request_context():
        assert _database_leaks() == []
        person = db.session.get(User, built.peer_id)
        assert person.erased_at is not None
        assert person.display_name == "A former member"

    # Files: the receipt is gone; nothing left in the instance folder names them. (The test
    # database is left out: its outer transaction is never committed, so it still has the
    # rows from before. engage keeps SQLite's secure_delete on for the real file.)
    assert not Path(built.receipt_path).exists()
    instance = Path(app.instance_path)
    scanned = []
    for path in instance.rglob("*"):
        if path.is_file() and not path.name.startswith("test.db"):
            assert _found(_file_text(path)) == [], path
            scanned.append(path)
    assert instance / "erasure-log.jsonl" in scanned
    assert any(path.parent.name == "papers" for path in scanned)

    # Exports staff can download.
    assert sign_in(client, staff.username).status_code == 303
    confirmed()
    exports = [
        "/register.csv",
        "/admin/audit.csv",
        f"/surveys/{built.round_id}/answers.csv",
        f"/surveys/{built.round_id}/results.csv",
        f"/surveys/{built.round_id}/results.xlsx",
        "/training/gaps.csv",
        "/fund/accounts.csv",
        "/fund/accounts.xlsx",
    ]
    for url in exports:
        text = _export_text(client.get(url))
        assert _found(text) == [], url
    # A paid run's files cannot be made again once a payee's bank details are gone: finance
    # is told so on the run's page, and nothing about the person is in that answer either.
    for extension in ("csv", "xlsx"):
        response = client.get(f"/payments/runs/{built.run_id}.{extension}", follow_redirects=True)
        assert _found(response.get_data(as_text=True)) == []

    assert _found(caplog.text) == []
