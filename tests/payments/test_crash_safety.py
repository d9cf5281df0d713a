"""A worker killed (SIGKILL) in the middle of a request loses nothing and half-keeps nothing:
``engage serve`` runs the real app with pauses at the dangerous moments
(``tests/crash_app.py``), and the test kills the paused worker itself, so the kill lands at the
same point every time, never by timing.

For a peer sending an expense claim with a receipt, and for finance making and paying a run, it
proves: no partial record (no claim without its line and receipt, no run with part of its
payments, nothing marked paid outside a paid run), no file that nothing will ever clean up (a
receipt uploaded but never sent is removed by ``engage tick`` after two days, and the test
shows it), and the next request is served correctly.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.payments.conftest import photo_bytes
from tests.servers import Server, Visitor, engage_env, hidden_fields, run_engage, scratch_database


@pytest.fixture(autouse=True)
def _rollback():
    """Replace the shared rolled-back session (tests/conftest.py): the server has its own."""
    yield


class Site:
    def __init__(self, instance: Path, url: str, env: dict, server: Server, flags: Path):
        self.instance, self.url, self.env, self.server, self.flags = (
            instance,
            url,
            env,
            server,
            flags,
        )
        self.engine = sa.create_engine(url)

    def rows(self, sql: str, **params) -> list:
        with self.engine.connect() as connection:
            return list(connection.execute(sa.text(sql), params))

    def one(self, sql: str, **params):
        return self.rows(sql, **params)[0][0]

    def receipt_files(self) -> set[str]:
        folder = self.instance / "receipts"
        return {p.name for p in folder.iterdir()} if folder.exists() else set()

    def killed_during(self, name: str, request) -> None:  # noqa: ANN001
        """Send ``request()`` from another thread; when the worker reaches the pause in
        ``name``, kill it with SIGKILL, and wait until the request has failed."""
        flag, reached = self.flags / f"pause-{name}", self.flags / f"reached-{name}"
        flag.touch()
        failed: list[BaseException] = []

        def send() -> None:
            try:
                request()
            except Exception as error:  # noqa: BLE001  (the connection dies with the worker)
                failed.append(error)

        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + 60
        while not reached.exists() or not reached.read_text():
            assert time.monotonic() < deadline, "the request never reached " + name
            assert sender.is_alive(), "the request finished without reaching " + name
            time.sleep(0.02)
        os.kill(int(reached.read_text()), signal.SIGKILL)
        flag.unlink()
        reached.unlink()
        sender.join(timeout=30)
        assert not sender.is_alive() and failed, "the killed request had an answer"

    def check_nothing_half_kept(self) -> None:
        """The invariants a crash must never break, read straight from the database."""
        # Every claim that was sent or made has its lines; every line's receipts exist.
        assert (
            self.rows(
                "SELECT c.id FROM expense_claim c WHERE c.state <> 'draft' "
                "AND NOT EXISTS (SELECT 1 FROM claim_line l WHERE l.claim_id = c.id)"
            )
            == []
        )
        named = {r[0] for r in self.rows("SELECT stored_name FROM receipt")}
        assert named <= self.receipt_files(), "a receipt row names a missing file"
        # A run holds exactly the items it counts, and its fees and claims point back at it.
        for run_id, count, status in self.rows("SELECT id, item_count, status FROM payment_run"):
            items = self.rows(
                "SELECT record_id, claim_id, paid_at FROM payment_item WHERE run_id = :r", r=run_id
            )
            # Other parts of engage pay through runs too: the fund's payments to suppliers.
            others = self.one("SELECT count(*) FROM fund_request WHERE run_id = :r", r=run_id)
            held = len(items) + others
            assert held == count, f"run {run_id} holds {held} of {count} items"
            for record_id, claim_id, paid_at in items:
                table, row_id = (
                    ("expense_claim", claim_id) if claim_id else ("involvement_record", record_id)
                )
                owner = self.one(f"SELECT run_id FROM {table} WHERE id = :i", i=row_id)  # noqa: S608
                assert owner == run_id
                assert (paid_at is not None) == (status == "paid")
        # Nothing is paid outside a paid run (cash on the day is paid without one).
        for table, column in (("involvement_record", "status"), ("expense_claim", "state")):
            assert (
                self.rows(
                    f"SELECT t.id FROM {table} t JOIN payment_run r ON r.id = t.run_id "  # noqa: S608
                    f"WHERE t.{column} = 'paid' AND r.status <> 'paid'"
                )
                == []
            )
        assert (
            self.rows(
                "SELECT i.id FROM payment_item i JOIN payment_run r ON r.id = i.run_id "
                "WHERE i.paid_at IS NOT NULL AND r.status <> 'paid'"
            )
            == []
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    instance = tmp_path_factory.mktemp("crash-safety")
    flags = instance / "flags"
    flags.mkdir()
    with scratch_database(instance, "test_crash_safety") as url:
        env = engage_env(
            instance / "instance",
            url,
            ENGAGE_TEST_PAUSE_DIR=str(flags),
            FLASK_APP="tests.crash_app:create_app()",
        )
        run_engage(env, "demo", "--peers", "3")
        server = Server(env, "serve", instance / "server.log", "--workers", "2")
        made = Site(instance / "instance", url, env, server, flags)
        try:
            yield made
        finally:
            server.stop()
            made.engine.dispose()


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, filename, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def send_claim(peer: Visitor, amount: str, method: str = "bank"):
    fields = hidden_fields(peer.get("/claims/new").text, "/claims/new")
    fields += [
        ("kind", "bus"),
        ("when", "today"),
        ("amount", amount),
        ("method", method),
        ("send", "Send claim"),
    ]
    body, headers = multipart(fields, [("receipts", "ticket.jpg", photo_bytes())])
    return peer.request("POST", "/claims/new", body, headers)


def test_a_claim_with_a_receipt_survives_a_killed_worker(site):
    peer = Visitor(site.server.url).sign_in("peer")
    peer_id = site.one("SELECT id FROM \"user\" WHERE username = 'peer'")
    claims_before = site.one("SELECT count(*) FROM expense_claim WHERE claimant_id = :p", p=peer_id)
    files_before = site.receipt_files()

    # Killed with the receipt's file written and its row not yet committed.
    site.killed_during("store", lambda: send_claim(peer, "3.10"))
    [orphan] = site.receipt_files() - files_before
    assert site.rows("SELECT id FROM receipt WHERE stored_name = :n", n=orphan) == []

    # Killed with the claim and its line flushed, the receipt kept but the claim not committed.
    site.killed_during("quick_claim", lambda: send_claim(peer, "3.20"))
    assert (
        site.one("SELECT count(*) FROM expense_claim WHERE claimant_id = :p", p=peer_id)
        == claims_before
    )
    waiting = site.rows("SELECT stored_name FROM receipt WHERE line_id IS NULL")
    assert len(waiting) == 1  # kept for the form's next try, swept after two days
    site.check_nothing_half_kept()

    # The next request is served as if nothing happened.
    answer = send_claim(peer, "3.30")
    assert answer.status == 303, answer.text[:500]
    [(claim_id, state, total)] = site.rows(
        "SELECT id, state, total FROM expense_claim WHERE claimant_id = :p AND total = 3.30",
        p=peer_id,
    )
    assert state == "submitted"
    lines = site.rows("SELECT id FROM claim_line WHERE claim_id = :c", c=claim_id)
    assert len(lines) == 1
    assert len(site.rows("SELECT id FROM receipt WHERE line_id = :l", l=lines[0][0])) == 1
    assert peer.get(f"/claims/{claim_id}").status == 200
    site.check_nothing_half_kept()

    # Two days later, engage tick removes what the killed requests left behind.
    leftovers = {orphan, waiting[0][0]}
    assert leftovers <= site.receipt_files()
    three_days_ago = time.time() - 3 * 24 * 3600
    for name in leftovers:
        os.utime(site.instance / "receipts" / name, (three_days_ago, three_days_ago))
    _age_waiting_receipts(site)
    output = run_engage(site.env, "tick")
    assert "Removed 2 receipt(s)" in output, output
    assert not leftovers & site.receipt_files()
    named = {r[0] for r in site.rows("SELECT stored_name FROM receipt")}
    assert site.receipt_files() == named, "every receipt file is named by a receipt"
    assert not site.server.server_errors()


def _age_waiting_receipts(site: Site) -> None:
    """Move the unattached receipts' upload time three days back."""
    long_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=3)
    with site.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE receipt SET created_at = :t WHERE line_id IS NULL"), {"t": long_ago}
        )


def _new_run_fields(finance: Visitor) -> list[tuple[str, str]]:
    answer = finance.get("/payments/runs/new")
    assert answer.status == 200, (answer.status, answer.location)
    page = answer.text
    fields = hidden_fields(page, "/payments/runs/new")
    ticked = re.findall(r'name="items" type="checkbox" value="([^"]+)"[^>]*checked', page)
    assert ticked, "the demo has nothing ready to pay:\n" + page[-3000:]
    return fields + [("items", value) for value in ticked]


def test_a_payment_run_survives_a_killed_worker(site):
    # A peer's claim, approved by their manager, is ready to pay.
    peer = Visitor(site.server.url).sign_in("peer")
    sent = send_claim(peer, "7.70", method="cash")  # the demo peer has no bank details
    assert sent.status == 303
    claim = sent.location
    manager = Visitor(site.server.url).sign_in("manager")
    approved = manager.post(f"{claim}/approve", {}, form_page=claim)
    assert approved.status == 303, approved.text[:500]

    finance = Visitor(site.server.url).sign_in("finance")
    runs_before = site.one("SELECT count(*) FROM payment_run")
    items_before = site.one("SELECT count(*) FROM payment_item")
    outbox_before = site.one("SELECT count(*) FROM notification")

    # Killed with the run and all its items flushed, not committed.
    fields = _new_run_fields(finance)
    site.killed_during("create_run", lambda: finance.send("POST", "/payments/runs/new", fields))
    assert site.one("SELECT count(*) FROM payment_run") == runs_before
    assert site.one("SELECT count(*) FROM payment_item") == items_before
    site.check_nothing_half_kept()

    # The next request makes the run whole.
    answer = finance.send("POST", "/payments/runs/new", _new_run_fields(finance))
    assert answer.status == 303, answer.text[:500]
    run_id = int(re.search(r"/payments/runs/(\d+)", answer.location).group(1))
    count = site.one("SELECT item_count FROM payment_run WHERE id = :r", r=run_id)
    assert count > 0
    site.check_nothing_half_kept()

    # Killed with the run, its items, fees and claims marked paid and flushed, not committed.
    paid = f"/payments/runs/{run_id}/paid"
    site.killed_during("mark_paid", lambda: finance.post(paid, {}))
    assert site.one("SELECT status FROM payment_run WHERE id = :r", r=run_id) == "ready"
    assert (
        site.rows("SELECT id FROM payment_item WHERE run_id = :r AND paid_at IS NOT NULL", r=run_id)
        == []
    )
    assert site.one("SELECT count(*) FROM notification") == outbox_before
    site.check_nothing_half_kept()

    # The next request pays it, whole.
    answer = finance.post(paid, {})
    assert answer.status == 303, answer.text[:500]
    assert site.one("SELECT status FROM payment_run WHERE id = :r", r=run_id) == "paid"
    unpaid = "SELECT count(*) FROM payment_item WHERE run_id = :r AND paid_at IS NULL"
    assert site.one(unpaid, r=run_id) == 0
    assert finance.get(f"/payments/runs/{run_id}").status == 200
    site.check_nothing_half_kept()
    assert not site.server.server_errors()
