"""How fast are a 50,000-line payment run's exports and the expense claims queue at 100,000
claims, and does the number of SQL queries each page makes stay the same as they grow?

    .venv/bin/python bench/payments.py [--claims 100000] [--run-lines 50000] [--payees 5000]
        [--requests 200] [--export-requests 5] [--export-repeats 5] [--page-budget 15]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--scratch-database engage_bench_payments] [--sqlite-analyze] [--explain] [--profile]
        [--show-queries]

Steps (see bench/README.md, "payments.py"):

1. A scratch database, as ``bench/home_profile.py`` makes it: SQLite in a temporary folder, or
   with ``--database-url`` a database ``--scratch-database`` (``engage_bench_payments``, so that
   it never meets another bench's ``engage_bench``) created and dropped again on that
   PostgreSQL server on 127.0.0.1. Then the migrations.
2. ``engage.demo.seed(extra_peers=20)``: the named accounts (password ``engage-demo``) and
   the demo's payments (rate card, claims, two runs). Then ``--payees`` peers without a
   password (``user``, ``user_role`` and ``profile`` rows, each with a payment preference:
   bank, voucher or cash) and bank details for those paid by bank, 24 monthly payment runs
   (paid) over two years, and one payment run "ready to pay", all with SQLAlchemy Core
   ``insert()`` executemany.
3. In two steps (the demo's claims and 100 more, and 100 run lines; then ``--claims`` and
   ``--run-lines``): expense claims in every state (mostly paid and not approved, some
   thousands waiting, drafts) sent over two years, each with one or two lines and the history
   a claim gets; each paid claim has its ledger line in the monthly run that paid it. The demo
   ``peer`` owns about 50 of them. The ready run gets its lines: fees and expenses across the
   payees, paid by bank transfer, voucher or cash. On PostgreSQL, ``ANALYZE`` after each step
   (autovacuum would gather the same statistics within a minute); on SQLite only with
   ``--sqlite-analyze``.
4. After each step an in-process ``app.test_client()`` signs in as ``manager``, ``peer`` and
   ``finance`` and counts each page's SQL statements. The counts of both steps must be equal.
   Before the run's files are downloaded, here and over HTTP, finance confirms it is them (the
   password again at ``/confirm-it-is-you``), as engage asks of a person.
5. In-process at full size: ``exports.run_csv`` and ``exports.run_xlsx`` of the ready run,
   ``--export-repeats`` times each (min and median), their peak memory (``tracemalloc``, in a
   separate call), where ``run_xlsx`` spends its time, and checks: the CSV total equals the
   seeded total; every XLSX amount read back with openpyxl equals the seeded one to the penny;
   no text cell starts like a formula.
   Each page's time against its SQL time, and with ``--explain`` the plans of its slowest
   statements. ``--profile`` (or an export over 2 s) prints a cProfile of the exports.
6. gunicorn with 2 sync workers on 127.0.0.1, sign in over HTTP (stdlib ``http.client``), time
   ``--requests`` sequential requests of each page (``--export-requests`` for the exports and
   the run page), then the ceiling: a static page of the manager's ``/claims`` bytes. The
   exports downloaded over HTTP are checked as well.
7. A table, then gunicorn stopped and everything removed.

Only 127.0.0.1 is contacted (a ``--database-url`` for another host is refused).
"""

from __future__ import annotations

import argparse
import bisect
import cProfile
import csv
import datetime as dt
import gc
import io
import os
import platform
import pstats
import random
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.home_profile import (  # noqa: E402
    WARM_UP,
    Client,
    Database,
    Page,
    Timing,
    csrf_from,
    growth,
    normalise,
    scratch_site,
    sign_in,
)
from bench.register import fix_sequence, timed  # noqa: E402

SCRATCH_DB = "engage_bench_payments"
DEMO_EXTRA_PEERS = 20
#: Claims added to the demo's before the first count. The first count's size is relative to
#: the demo: a fixed total (it was 100) stopped adding any claim, so no claim waited for
#: /claims/<waiting>, once the demo itself held more than 100 (104 on 2026-12-07).
FIRST_NEW_CLAIMS = 100
FIRST_LINES = 100  # lines of the ready run at the first count
PEER_CLAIMS = 50  # claims of the demo ``peer`` at full size
FAR_PAGE = 200  # /claims?state=paid&page=200 (or the last page, when there are fewer)
EXPORT_BUDGET = 2.0  # seconds: the limit for a 50,000-line export
PENNY = Decimal("0.01")
PASSWORD = "engage-demo"  # every named demo account's
CONFIRM = "/confirm-it-is-you"  # engage.people.reauth: the password again before a download
CEILING = Page("/bench/ceiling", "anonymous", "/bench/ceiling")

#: How often a claim ends in each state (at 100,000 claims: 5,000 waiting for a decision).
CLAIM_STATES = {
    "paid": 68,
    "rejected": 17,
    "approved": 1.5,
    "submitted": 3.5,
    "queried": 1.5,
    "draft": 8.5,
}
PREFERENCES = {"bank": 55, "voucher": 30, "cash": 15}
SURNAMES = ["Ahmed", "Brown", "Campbell", "Davies", "Evans", "Fraser", "Green", "Hughes",
            "Iqbal", "Jones", "Kowalski", "Lewis", "Murphy", "Nowak", "O'Neill", "Patel",
            "Quinn", "Roberts", "Smith", "Taylor", "Walsh", "Young"]  # fmt: skip
#: Names people type, not only ASCII ones (the exports must keep them).
OTHER_NAMES = ["Zoë", "Łukasz", "Siobhán", "José", "Oluwaseun", "Thảo", "Ayşe", "Renée"]
PURPOSES = [
    "Expert Citizen Forum",
    "Housing board",
    "Interview panel: outreach lead",
    "Peer research training",
    "Women's safety working group",
    "Hospital discharge review",
    "Recovery café planning",
    "Benefits letters workshop",
]
#: What people type that a spreadsheet could take for a formula: it must come out as text.
FORMULA_LIKE = ["+44 7700 900123 top-up", "-", "=cost of 2 tickets", "@ the Hub, bus both ways"]
#: kind: (weight, lowest, highest amount in pennies, description)
LINE_KINDS = {
    "bus": (38, 180, 650, "Bus to the Hub and back"),
    "train": (14, 540, 3890, "Off-peak return"),
    "taxi": (4, 800, 2600, "Taxi home after the evening meeting"),
    "mileage": (8, 0, 0, "Drove to the meeting"),
    "childcare": (7, 1200, 4800, "Nursery for the afternoon"),
    "carer": (3, 2000, 6000, "Cover for my caring role"),
    "subsistence": (16, 350, 900, "Lunch"),
    "phone": (8, 500, 1500, "Data top-up to join online"),
    "other": (2, 200, 2000, "Printing the papers"),
}
QUESTIONS = ["Was the train ticket a return? Please add a photo.", "Which meeting was this for?"]
REASONS = [
    "This was paid already, in cash at the meeting on the day.",
    "The receipt is for a different date. Please claim again with the right one.",
]
#: Fees in a run: (activity label, description, pennies) as the rate card would price them.
FEES = [
    ("Forum meeting", "Expert Citizen Forum, 2 hours", 3200),
    ("Forum meeting", "Expert Citizen Forum, 1 hour 30 minutes", 2400),
    ("Sitting on a board", "Housing board, half day", 4500),
    ("Interview panel", "Interview panel: outreach lead, 2 hours 15 minutes", 4500),
    ("Training", "Safeguarding training, 3 hours", 3750),
    ("Reviewing a document", "Housing strategy draft", 2500),
    ("Peer research", "Peer research interviews, 5 hours", 7500),
    ("Working group", "Women's safety working group, 1 hour 45 minutes", 2800),
]


def pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def pennies(rng: random.Random, low: int, high: int) -> int:
    """An amount that looks typed: mostly to 5p or 10p, sometimes odd pennies."""
    value = rng.randint(low, high)
    if rng.random() < 0.7:
        value -= value % 5
    return max(value, 1)


def money(pence: int) -> Decimal:
    return (Decimal(pence) / 100).quantize(PENNY)


# ---------------------------------------------------------------------------------------------
# Pages


def pages(ids: dict[str, int]) -> list[Page]:
    far = ids["far_page"]
    return [
        Page("/claims", "manager", "/claims"),
        Page("/claims?state=all", "manager", "/claims?state=all"),
        Page(f"/claims?state=paid&page={FAR_PAGE}", "manager", f"/claims?state=paid&page={far}"),
        Page("/claims/<waiting>", "manager", f"/claims/{ids['claim']}"),
        Page("/payments/time", "manager", "/payments/time"),
        Page("/claims", "peer", "/claims"),
        Page("/payments", "finance", "/payments"),
        Page("/payments/runs", "finance", "/payments/runs"),
        Page("/payments/runs/<ready>", "finance", f"/payments/runs/{ids['run']}"),
        Page("/payments/runs/<ready>.csv", "finance", f"/payments/runs/{ids['run']}.csv"),
        Page("/payments/runs/<ready>.xlsx", "finance", f"/payments/runs/{ids['run']}.xlsx"),
    ]


def heavy(page: Page) -> bool:
    """The run's own page and its exports: timed ``--export-requests`` times only."""
    return "<ready>" in page.label


def export(page: Page) -> bool:
    """An export: timed in-process by ``time_exports``, not by ``profile_pages``."""
    return page.label.endswith((".csv", ".xlsx"))


# ---------------------------------------------------------------------------------------------
# Seeding with SQLAlchemy Core


@dataclass
class Ids:
    manager: int = 0
    finance: int = 0
    peer: int = 0
    meetings: list[int] = field(default_factory=list)


class PaymentsSeeder:
    """The demo, payees with bank details and runs, then claims and run lines in steps."""

    def __init__(
        self, app, payees: int, claims: int, run_lines: int, sqlite_analyze: bool = False
    ) -> None:
        self.app = app
        self.sqlite_analyze = sqlite_analyze
        self.payees_total = payees
        self.claims_total = claims
        self.lines_total = run_lines
        self.rng = random.Random(2026)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.ids = Ids()
        self.next = Counter()  # next explicit id per table
        self.rows = Counter()  # rows inserted per table
        self.payees: list[int] = []
        self.preference: dict[int, str] = {}
        self.weights: list[float] = []  # how many run lines each payee gets, relatively
        self.runs: list[tuple[datetime, int]] = []  # the monthly runs, oldest first
        self.run_ids: list[int] = []
        self.run_dates: list[datetime] = []
        self.ready_run = 0
        self.claim_count = 0
        self.peer_count = 0
        self.waiting_claim = 0  # a claim sent and waiting, with two lines: /claims/<id>
        self.line_count = 0  # lines of the ready run
        self.line_number = 10_000_000  # line keys of the ready run: fee:<n>:1, claim:<n>:1
        self.expected: dict[int, Decimal] = {}  # the ready run's amounts by item number
        self.by_method = Counter()
        self.by_kind = Counter()

    def _id(self, table: str) -> int:
        value = self.next[table]
        self.next[table] += 1
        return value

    # -- the demo, the payees and the runs ---------------------------------------------------

    def base(self) -> None:
        from sqlalchemy import func, insert, select

        from engage import demo
        from engage.extensions import db
        from engage.forums.models import Meeting
        from engage.payments.models import (
            BankDetails,
            ClaimLine,
            ExpenseClaim,
            PaymentEvent,
            PaymentItem,
            PaymentRun,
        )
        from engage.people.models import Profile, Role, User, UserRole

        with self.app.test_request_context():
            demo.seed(extra_peers=DEMO_EXTRA_PEERS)
            db.session.commit()

            def user_id(name: str) -> int:
                return db.session.scalar(select(User.id).where(User.username == name))

            self.ids = Ids(
                manager=user_id("manager"),
                finance=user_id("finance"),
                peer=user_id("peer"),
                meetings=list(db.session.scalars(select(Meeting.id))),
            )
            for model in (User, ExpenseClaim, ClaimLine, PaymentItem, PaymentRun, PaymentEvent):
                top = db.session.scalar(select(func.max(model.id))) or 0
                self.next[model.__tablename__] = top + 1
            self.claim_count = db.session.scalar(select(func.count(ExpenseClaim.id)))
            self.peer_count = db.session.scalar(
                select(func.count(ExpenseClaim.id)).where(ExpenseClaim.claimant_id == self.ids.peer)
            )
            db.session.commit()  # end the read transaction before the bulk inserts

        rng = self.rng
        users, roles, profiles, banks = [], [], [], []
        for i in range(self.payees_total):
            uid = self._id("user")
            first = rng.choice(OTHER_NAMES) if rng.random() < 0.05 else rng.choice(demo.FIRST_NAMES)
            surname = rng.choice(SURNAMES)
            preference = pick(rng, PREFERENCES)
            users.append(
                {
                    "id": uid,
                    "username": f"pay.{i}",
                    "email": None,
                    "phone": f"07700 7{i:05d}" if rng.random() < 0.6 else None,
                    "password_hash": None,
                    "is_active": True,
                    "created_at": self.now - timedelta(days=rng.uniform(60, 1500)),
                    "created_by_id": self.ids.manager,
                }
            )
            roles.append({"user_id": uid, "role": Role.PEER.value})
            profiles.append(
                {
                    "user_id": uid,
                    # A few never gave a name: the export shows their username.
                    "preferred_name": "" if rng.random() < 0.02 else f"{first} {surname[0]}",
                    "contact_channel": "worker",
                    "payment_preference": preference,
                }
            )
            if preference == "bank":
                building_society = rng.random() < 0.05
                banks.append(
                    {
                        "user_id": uid,
                        "account_name": f"{first} {surname}".upper()[:18],
                        "sort_code": f"{rng.randint(0, 999999):06d}",
                        "account_number": f"{rng.randint(0, 99999999):08d}",
                        "roll_number": f"{rng.randint(0, 99999999):08d}/A"
                        if building_society
                        else "",
                        "updated_at": self.now - timedelta(days=rng.uniform(1, 400)),
                        "updated_by_id": uid,
                    }
                )
            self.payees.append(uid)
            self.preference[uid] = preference
            # A few people are paid often, most a handful of times.
            self.weights.append(min(rng.paretovariate(1.6), 12.0))

        # 24 monthly runs, paid, the last one 9 days ago; then the run ready to pay.
        run_rows = []
        last = self.now - timedelta(days=9)
        for k in range(23, -1, -1):
            paid_at = (last - timedelta(days=30 * k)).replace(hour=10, minute=30, second=0)
            run_id = self._id("payment_run")
            run_rows.append(
                {
                    "id": run_id,
                    "key": f"bench-month-{k}",
                    "created_by_id": self.ids.finance,
                    "status": "paid",
                    "item_count": 0,
                    "total": Decimal("0.00"),
                    "paid_at": paid_at,
                    "paid_by_id": self.ids.finance,
                    "version": 2,
                    "created_at": paid_at - timedelta(days=1),
                }
            )
            self.runs.append((paid_at, run_id))
            self.run_dates.append(paid_at)
            self.run_ids.append(run_id)
        self.ready_run = self._id("payment_run")
        run_rows.append(
            {
                "id": self.ready_run,
                "key": "bench-ready-run",
                "created_by_id": self.ids.finance,
                "status": "ready",
                "item_count": 0,
                "total": Decimal("0.00"),
                "paid_at": None,
                "paid_by_id": None,
                "version": 1,
                "created_at": self.now - timedelta(hours=3),
            }
        )
        with self.app.app_context():
            with db.engine.begin() as connection:
                connection.execute(insert(User.__table__), users)
                connection.execute(insert(UserRole.__table__), roles)
                connection.execute(insert(Profile.__table__), profiles)
                connection.execute(insert(BankDetails.__table__), banks)
                connection.execute(insert(PaymentRun.__table__), run_rows)
                fix_sequence(connection, User.__tablename__)
                fix_sequence(connection, PaymentRun.__tablename__)
            db.session.remove()
        self.rows.update(
            user=len(users), profile=len(profiles), bank_details=len(banks), run=len(run_rows)
        )

    # -- claims and run lines ----------------------------------------------------------------

    def grow_to(self, claims: int, run_lines: int) -> None:
        from sqlalchemy import func, insert, select, update

        from engage.extensions import db
        from engage.payments.models import (
            ClaimLine,
            ExpenseClaim,
            PaymentEvent,
            PaymentItem,
            PaymentRun,
        )

        claim_rows, line_rows, event_rows, item_rows = [], [], [], []
        add = max(claims - self.claim_count, 0)
        peer_target = max(round(PEER_CLAIMS * claims / self.claims_total), self.peer_count + 1)
        peer_add = set(self.rng.sample(range(add), k=min(peer_target - self.peer_count, add)))
        for n in range(add):
            first = not self.waiting_claim
            claimant = self.ids.peer if n in peer_add else self.rng.choice(self.payees)
            if first:
                claimant = self.payees[0]
            self._claim(claimant, claim_rows, line_rows, event_rows, item_rows, first)
        self.claim_count += add
        self.peer_count += len(peer_add)
        ready = self._run_lines(max(run_lines - self.line_count, 0))
        item_rows += ready
        self.line_count = max(run_lines, self.line_count)

        with self.app.app_context():
            with db.engine.begin() as connection:
                for model, rows in (
                    (ExpenseClaim, claim_rows),
                    (ClaimLine, line_rows),
                    (PaymentEvent, event_rows),
                    (PaymentItem, item_rows),
                ):
                    if rows:
                        connection.execute(insert(model.__table__), rows)
                        fix_sequence(connection, model.__tablename__)
                        self.rows[model.__tablename__] += len(rows)
                # Each run's count and total, as create_run leaves them.
                item = PaymentItem.__table__
                run = PaymentRun.__table__
                connection.execute(
                    update(run)
                    .where(run.c.id.in_([*self.run_ids, self.ready_run]))
                    .values(
                        item_count=select(func.count(item.c.id))
                        .where(item.c.run_id == run.c.id)
                        .scalar_subquery(),
                        total=select(func.coalesce(func.sum(item.c.amount), 0))
                        .where(item.c.run_id == run.c.id)
                        .scalar_subquery(),
                    )
                )
                if connection.dialect.name == "postgresql" or self.sqlite_analyze:
                    # PostgreSQL: the planner's statistics, as autovacuum gathers them within a
                    # minute of inserts like these (without them it guesses 100 rows for
                    # 50,000 and sorts on disk). SQLite gathers none unless asked, and engage
                    # does not ask: only with --sqlite-analyze.
                    connection.exec_driver_sql("ANALYZE")
            db.session.remove()

    def _claim(self, claimant, claims, lines, events, items, first: bool) -> None:
        rng, now = self.rng, self.now
        claim_id = self._id("expense_claim")
        state = "submitted" if first else pick(rng, CLAIM_STATES)
        last_run = self.runs[-1][0]
        decided = paid_at = run_id = None
        if state == "paid":
            sent = now - timedelta(days=rng.uniform(10, 730))
            sent = min(sent, last_run - timedelta(days=4))
            decided = min(sent + timedelta(days=rng.uniform(0.3, 6)), last_run - timedelta(days=1))
            # Paid by the first monthly run at least a day after the decision.
            index = bisect.bisect_left(self.run_dates, decided + timedelta(days=1))
            paid_at, run_id = self.runs[min(index, len(self.runs) - 1)]
        elif state == "rejected":
            sent = now - timedelta(days=rng.uniform(2, 730))
            decided = min(sent + timedelta(days=rng.uniform(0.3, 10)), now)
        elif state == "approved":  # decided since the last run: waits for the next one
            sent = last_run - timedelta(days=rng.uniform(0, 5))
            decided = last_run + (now - last_run) * rng.random()
        elif state in ("submitted", "queried"):
            sent = now - timedelta(days=75 * rng.random() ** 1.7, minutes=rng.uniform(5, 600))
        else:  # a draft, mostly recent, some left long ago
            sent = None
        created = (sent or now - timedelta(days=120 * rng.random() ** 2)) - timedelta(
            minutes=rng.uniform(1, 90)
        )
        method = self.preference.get(claimant, "cash")  # the demo peer is paid in cash
        if method == "bank" and rng.random() < 0.05:
            method = "cash"  # paid back at the meeting
        behalf = not first and rng.random() < 0.05  # a manager entered it for them
        decider = self.ids.finance if behalf or rng.random() < 0.2 else self.ids.manager
        total = 0
        count = 2 if first or rng.random() < 0.4 else 1
        spent = (sent or created) - timedelta(days=rng.uniform(0, 14))
        for _ in range(count):
            kind = pick(rng, {k: v[0] for k, v in LINE_KINDS.items()})
            _w, low, high, description = LINE_KINDS[kind]
            miles = per_mile = None
            if kind == "mileage":
                miles = Decimal(rng.randint(30, 400)) / 10
                per_mile = Decimal("0.450")
                amount = int((miles * per_mile * 100).quantize(Decimal(1), ROUND_HALF_UP))
            else:
                amount = pennies(rng, low, high)
            if rng.random() < 0.002:
                description = rng.choice(FORMULA_LIKE)
            total += amount
            lines.append(
                {
                    "id": self._id("claim_line"),
                    "claim_id": claim_id,
                    "kind": kind,
                    "spent_on": spent.date(),
                    "description": description,
                    "amount": money(amount),
                    "miles": miles,
                    "per_mile": per_mile,
                    "reason": "The last bus had gone." if kind == "taxi" else "",
                    "submission_key": None,
                    "created_at": created,
                }
            )
        purpose = rng.choice(PURPOSES)
        question = rng.choice(QUESTIONS) if state == "queried" else ""
        reason = rng.choice(REASONS) if state == "rejected" else ""
        claims.append(
            {
                "id": claim_id,
                "claimant_id": claimant,
                "entered_by_id": self.ids.manager if behalf else None,
                "state": state,
                "method": method,
                "purpose": purpose,
                "meeting_id": rng.choice(self.ids.meetings)
                if self.ids.meetings and rng.random() < 0.2
                else None,
                "opportunity_id": None,
                "total": money(total),
                "submission_key": None,
                "submitted_at": sent,
                "decided_at": decided,
                "decided_by_id": decider if decided else None,
                "question": question,
                "answer": "",
                "reject_reason": reason,
                "paid_on_day": False,
                "signature_note": "",
                "run_id": run_id,
                "paid_at": paid_at,
                "pay_attempt": 1,
                "version": 1 + (sent is not None) + (decided is not None) + (paid_at is not None),
                "created_at": created,
            }
        )

        def event(at, actor, frm, to, note=""):  # as history.event writes a state change
            events.append(
                {
                    "id": self._id("payment_event"),
                    "at": at,
                    "actor_id": actor,
                    "claim_id": claim_id,
                    "record_id": None,
                    "run_id": None,
                    "kind": "state",
                    "from_state": frm,
                    "to_state": to,
                    "note": note,
                }
            )

        if sent is not None:
            event(sent, claimant, "draft", "submitted")
        if state == "queried":
            event(sent + (now - sent) * rng.random(), self.ids.manager, "submitted", "queried",
                  question)  # fmt: skip
        if state in ("approved", "paid"):
            event(decided, decider, "submitted", "approved")
        if state == "rejected":
            event(decided, decider, "submitted", "rejected", reason)
        if state == "paid":
            reference = f"RUN-{run_id:05d}"
            event(paid_at, self.ids.finance, "approved", "paid", reference)
            items.append(
                {
                    "id": self._id("payment_item"),
                    "run_id": run_id,
                    "payee_id": claimant,
                    "kind": "expenses",
                    "method": method,
                    "amount": money(total),
                    "record_id": None,
                    "claim_id": claim_id,
                    "reverses_id": None,
                    "description": purpose,
                    "activity_date": sent.date(),
                    "reason": "",
                    "line_key": f"claim:{claim_id}:1",
                    "paid_at": paid_at,
                    "created_by_id": self.ids.finance,
                    "created_at": paid_at - timedelta(days=1),
                }
            )
        if first:
            self.waiting_claim = claim_id

    def _run_lines(self, add: int) -> list[dict]:
        """Lines for the ready run: fees (two in three) and expenses, for payees chosen by
        weight, each paid their preferred way (some expenses in cash)."""
        rng, rows = self.rng, []
        chosen = rng.choices(self.payees, weights=self.weights, k=add)
        for payee in chosen:
            self.line_number += 1
            preference = self.preference[payee]
            if rng.random() < 0.65:
                kind = "fee"
                activity, description, amount = rng.choice(FEES)
                if rng.random() < 0.3:  # more or less time than usual, to the penny
                    amount = amount * rng.choice([3, 5, 7]) // 4
                description = f"{activity}: {description}"
            else:
                kind = "expenses"
                amount = pennies(rng, 180, 6000)
                description = rng.choice(PURPOSES)
                if rng.random() < 0.002:
                    description = rng.choice(FORMULA_LIKE)
            method = preference
            if kind == "expenses" and preference == "bank" and rng.random() < 0.1:
                method = "cash"  # paid back in cash at the next meeting
            key = f"{'fee' if kind == 'fee' else 'claim'}:{self.line_number}:1"
            value = money(amount)
            item_id = self._id("payment_item")
            self.expected[item_id] = value
            self.by_method[method] += 1
            self.by_kind[kind] += 1
            rows.append(
                {
                    "id": item_id,
                    "run_id": self.ready_run,
                    "payee_id": payee,
                    "kind": kind,
                    "method": method,
                    "amount": value,
                    "record_id": None,
                    "claim_id": None,
                    "reverses_id": None,
                    "description": description,
                    "activity_date": (self.now - timedelta(days=rng.uniform(3, 40))).date(),
                    "reason": "",
                    "line_key": key,
                    "paid_at": None,
                    "created_by_id": self.ids.finance,
                    "created_at": self.now - timedelta(hours=3),
                }
            )
        return rows

    @property
    def run_total(self) -> Decimal:
        return sum(self.expected.values(), Decimal("0.00"))

    def page_ids(self) -> dict[str, int]:
        """The ids and page numbers the pages need now (the far page exists at every step)."""
        from sqlalchemy import func, select

        from engage.extensions import db
        from engage.payments.claims.routes import PAGE_SIZE
        from engage.payments.models import ExpenseClaim

        with self.app.app_context():
            paid = db.session.scalar(
                select(func.count(ExpenseClaim.id)).where(ExpenseClaim.state == "paid")
            )
            db.session.remove()
        last = max((paid + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        if not self.waiting_claim:
            raise RuntimeError("no waiting claim: the first step added no claims to the demo's")
        return {"claim": self.waiting_claim, "run": self.ready_run, "far_page": min(FAR_PAGE, last)}

    def sizes(self) -> dict:
        from sqlalchemy import func, select

        from engage.extensions import db
        from engage.payments.models import (
            BankDetails,
            ClaimLine,
            ExpenseClaim,
            PaymentEvent,
            PaymentItem,
            PaymentRun,
        )
        from engage.people.models import User

        with self.app.app_context():
            count = db.session.scalar
            ready = db.session.execute(
                select(
                    func.count(PaymentItem.id),
                    func.count(func.distinct(PaymentItem.payee_id)),
                    func.sum(PaymentItem.amount),
                ).where(PaymentItem.run_id == self.ready_run)
            ).one()
            result = {
                "users": count(select(func.count(User.id))),
                "bank details": count(select(func.count(BankDetails.id))),
                "claims": count(select(func.count(ExpenseClaim.id))),
                "claim lines": count(select(func.count(ClaimLine.id))),
                "payment events": count(select(func.count(PaymentEvent.id))),
                "payment items": count(select(func.count(PaymentItem.id))),
                "runs": count(select(func.count(PaymentRun.id))),
                "peer's claims": count(
                    select(func.count(ExpenseClaim.id)).where(
                        ExpenseClaim.claimant_id == self.ids.peer
                    )
                ),
            }
            states = dict(
                db.session.execute(
                    select(ExpenseClaim.state, func.count()).group_by(ExpenseClaim.state)
                ).all()
            )
            stored_total = count(select(PaymentRun.total).where(PaymentRun.id == self.ready_run))
            db.session.remove()
        result["states"] = states
        result["ready"] = {
            "lines": ready[0],
            "payees": ready[1],
            "total": Decimal(ready[2] or 0).quantize(PENNY),
            "stored total": stored_total,
        }
        return result


# ---------------------------------------------------------------------------------------------
# In-process: query counts, SQL time per page, plans


@dataclass
class Statement:
    sql: str
    parameters: object
    seconds: float


@contextmanager
def recording(app) -> Iterator[list[Statement]]:
    """Every statement the app's engine sends (transaction BEGINs left out, as in
    ``home_profile.counting``), with its parameters and how long the database took."""
    from sqlalchemy import event

    from engage.extensions import db

    statements: list[Statement] = []
    started: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        started.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - started.pop()
        if statement.strip().upper() != "BEGIN":
            statements.append(Statement(statement, parameters, elapsed))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def in_process_clients(app, who: set[str]) -> dict:
    clients = {}
    for login in sorted(who - {"anonymous"}):
        client = app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        response = client.post(
            "/login", data={"login": login, "password": PASSWORD, "csrf_token": token}
        )
        if response.status_code != 303:
            raise RuntimeError(f"in-process sign in as {login} answered {response.status_code}")
        clients[login] = client
    clients["anonymous"] = app.test_client()
    return clients


def run_page(export_path: str) -> str:
    """``/payments/runs/<id>`` of ``/payments/runs/<id>.csv``: where the export sends someone
    back to after confirming."""
    return export_path.rsplit(".", 1)[0]


def confirm_it_is_you(client, back: str) -> None:
    """Type the password again at "confirm it is you", as a person does when a run's file asks
    for it, coming back to ``back``; ``client`` is an in-process test client or an HTTP
    ``Client``, signed in.

    Signing in again would not do: a new session starts unconfirmed
    (``people.services.start_session`` leaves ``UserSession.confirmed_at`` empty) and an export
    asks for a confirmation of the session's own, at most ``REAUTH_MINUTES`` (5) old
    (``people.reauth.confirmed_recently``). So this is called right before each export's
    requests, never counted or timed itself."""
    path = f"{CONFIRM}?{urlencode({'next': back})}"
    if isinstance(client, Client):
        status, html = client.get(path)
    else:
        response = client.get(path)
        status, html = response.status_code, response.get_data()
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {html[:300]!r}")
    form = {"password": PASSWORD, "csrf_token": csrf_from(html.decode()), "next": back}
    if isinstance(client, Client):
        status, body = client.request("POST", CONFIRM, form)
    else:
        response = client.post(CONFIRM, data=form)
        status, body = response.status_code, response.get_data()
    # 303 back to ``back`` when confirmed; a wrong password shows the form again (200).
    if status != 303:
        raise RuntimeError(f"confirm it is you for {back} answered {status}: {body[:300]!r}")


def count_queries(app, page_list: list[Page]) -> dict[tuple[str, str], list[str]]:
    """As ``home_profile.count_queries``, with finance as well: each page's statements in
    one request, after a warm-up request."""
    clients = in_process_clients(app, {p.who for p in page_list})
    result = {}
    for page in page_list:
        client = clients[page.who]
        if export(page):
            confirm_it_is_you(client, run_page(page.path))
        client.get(page.path)
        with recording(app) as statements:
            response = client.get(page.path)
        if response.status_code != 200:
            raise RuntimeError(f"{page.path} as {page.who} answered {response.status_code}")
        result[(page.label, page.who)] = [s.sql for s in statements]
    return result


@dataclass
class PageProfile:
    page_ms: float
    sql_ms: float
    statements: list[Statement]


def profile_pages(
    app, page_list: list[Page], repeats: int = 5
) -> dict[tuple[str, str], PageProfile]:
    """Each page in-process: the median of the whole request and of its SQL time."""
    clients = in_process_clients(app, {p.who for p in page_list})
    result = {}
    for page in [p for p in page_list if not export(p)]:
        client = clients[page.who]
        n = 2 if heavy(page) else repeats
        client.get(page.path)
        whole, sql, last = [], [], []
        for _ in range(n):
            with recording(app) as statements:
                start = time.perf_counter()
                response = client.get(page.path)
                whole.append(time.perf_counter() - start)
            if response.status_code != 200:
                raise RuntimeError(f"{page.path} as {page.who} answered {response.status_code}")
            sql.append(sum(s.seconds for s in statements))
            last = list(statements)
        result[(page.label, page.who)] = PageProfile(
            statistics.median(whole) * 1000, statistics.median(sql) * 1000, last
        )
    return result


#: Statements every signed-in page sends (its session), left out of the plans.
SESSION_SQL = ("FROM user_session", "FROM user_role", "WHERE user.id = ", 'WHERE "user".id = ')


def page_query(sql: str) -> bool:
    """A SELECT of the page itself, not of the session."""
    return sql.lstrip().upper().startswith("SELECT") and not any(m in sql for m in SESSION_SQL)


def explain(app, statement: Statement) -> list[str]:
    """The plan of one SELECT with its own parameters: EXPLAIN QUERY PLAN on SQLite,
    EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL."""
    from engage.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            prefix = "EXPLAIN (ANALYZE, BUFFERS) "
            rows = connection.exec_driver_sql(prefix + statement.sql, statement.parameters)
            plan = [row[0] for row in rows]
        else:
            rows = connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement.sql, statement.parameters
            )
            plan = [row[-1] for row in rows]
        connection.rollback()
    return plan


# ---------------------------------------------------------------------------------------------
# In-process: the exports


@dataclass
class ExportFigures:
    seconds: list[float]
    peak_bytes: int
    size: int

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def time_exports(app, run_id: int, repeats: int, profile: bool) -> tuple[dict, str, bytes]:
    """``items_frame``, ``run_csv`` and ``run_xlsx`` of the run, each ``repeats`` times, then
    once more under tracemalloc for the peak. Returns the figures and the last outputs."""
    from engage.extensions import db
    from engage.payments.models import PaymentRun
    from engage.payments.runs import exports

    figures: dict[str, ExportFigures] = {}
    outputs: dict[str, object] = {}
    with app.test_request_context():
        run = db.session.get(PaymentRun, run_id)
        calls = {
            "items_frame (SELECT + pandas)": lambda: exports.items_frame(run),
            "run_csv": lambda: exports.run_csv(run),
            "run_xlsx": lambda: exports.run_xlsx(run),
        }
        for name, call in calls.items():
            call()  # warm: imports, the first query plan
            seconds = []
            for _ in range(repeats):
                gc.collect()
                start = time.perf_counter()
                out = call()
                seconds.append(time.perf_counter() - start)
            outputs[name] = out
            gc.collect()
            tracemalloc.start()
            call()
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            size = len(out) if isinstance(out, str | bytes) else 0
            if isinstance(out, str):
                size = len(out.encode("utf-8"))
            figures[name] = ExportFigures(seconds, peak, size)
            print(f"timed {name}: median {figures[name].median:.2f} s", flush=True)
        split = xlsx_split(run, repeats)
        slow = [n for n in ("run_csv", "run_xlsx") if figures[n].median > EXPORT_BUDGET]
        for name in ("run_csv", "run_xlsx") if profile else slow:
            print(f"\ncProfile of {name} (top 18 by cumulative time):")
            profiler = cProfile.Profile()
            profiler.enable()
            calls[name]()
            profiler.disable()
            stream = io.StringIO()
            pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(18)
            print("\n".join(stream.getvalue().splitlines()[:45]))
        db.session.remove()
    return figures, split, outputs["run_csv"], outputs["run_xlsx"]


def xlsx_split(run, repeats: int) -> dict[str, float]:
    """Where ``run_xlsx`` spends its time, without a profiler's overhead: the median seconds
    in ``items_frame`` (SELECT + pandas), ``payments_frame``, xlsxwriter's ``close`` (the
    sheets' XML and the zip) and the rest (writing the cells), over ``repeats`` calls. The
    three functions are wrapped with a timer for these calls only."""
    import xlsxwriter

    from engage.payments.runs import exports

    spent: dict[str, float] = {}
    wrapped = [
        (exports, "items_frame", "items_frame"),
        (exports, "payments_frame", "payments_frame"),
        (xlsxwriter.Workbook, "close", "close (XML + zip)"),
    ]
    originals = [getattr(owner, name) for owner, name, _label in wrapped]

    def timer(function, label):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - start

        return timed

    rounds = []
    try:
        for (owner, name, label), original in zip(wrapped, originals, strict=True):
            setattr(owner, name, timer(original, label))
        for _ in range(repeats):
            spent.clear()
            gc.collect()
            start = time.perf_counter()
            exports.run_xlsx(run)
            total = time.perf_counter() - start
            spent["writing the cells"] = total - sum(spent.values())
            spent["total"] = total
            rounds.append(dict(spent))
    finally:
        for (owner, name, _label), original in zip(wrapped, originals, strict=True):
            setattr(owner, name, original)
    return {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}


def check_csv(text: str, expected: dict[int, Decimal]) -> list[str]:
    """The CSV's total equals the seeded total, its item counts add up to the lines, every
    row's fees and expenses add up to its amount, and no text starts like a formula."""
    from engage.core.spreadsheets import FORMULA_STARTS

    problems = []
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    header, body = rows[0], rows[1:]
    if len(header) != 12:
        problems.append(f"CSV header has {len(header)} columns, not 12: {header}")
        return problems
    total = sum((Decimal(r[10]) for r in body), Decimal("0.00"))
    seeded = sum(expected.values(), Decimal("0.00"))
    if total != seeded:
        problems.append(f"CSV total {total} is not the seeded total {seeded}")
    items = sum(int(r[7]) for r in body)
    if items != len(expected):
        problems.append(f"CSV counts {items} items, the run has {len(expected)}")
    wrong = [r for r in body if Decimal(r[8]) + Decimal(r[9]) != Decimal(r[10])]
    if wrong:
        problems.append(f"{len(wrong)} CSV rows: fees + expenses is not the amount")
    if any(str(Decimal(r[10])) != r[10] or "." not in r[10] for r in body):
        problems.append("a CSV amount is not written as an exact decimal with pennies")
    formulas = [c for r in body for c in (r[2], r[3], r[6]) if c.startswith(FORMULA_STARTS)]
    if formulas:
        problems.append(f"CSV text cells starting like a formula: {formulas[:3]}")
    return problems


def check_xlsx(data: bytes, expected: dict[int, Decimal]) -> list[str]:
    """Every amount on the items sheets, read back with openpyxl, equals the seeded amount of
    its item to the penny; the run's total on the Payments sheet equals the seeded total."""
    from openpyxl import load_workbook

    from engage.core.spreadsheets import FORMULA_STARTS

    problems = []
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    payments = book.worksheets[0]
    seen: set[int] = set()
    wrong, formulas = [], []
    for items in book.worksheets[1:]:  # one sheet of items per section
        for row in items.iter_rows(min_row=2, values_only=True):
            key, value = row[6], row[5]
            amount = Decimal(str(value)).quantize(PENNY)
            if expected.get(key) != amount:
                wrong.append((key, value, expected.get(key)))
            seen.add(key)
            formulas += [c for c in (row[1], row[3]) if isinstance(c, str) and c.startswith(
                FORMULA_STARTS)]  # fmt: skip
    if wrong:
        problems.append(f"{len(wrong)} XLSX amounts differ, e.g. {wrong[:3]}")
    if seen != set(expected):
        problems.append(f"XLSX holds {len(seen)} lines, the run {len(expected)}")
    if formulas:
        problems.append(f"XLSX text cells starting like a formula: {formulas[:3]}")
    seeded = sum(expected.values(), Decimal("0.00"))
    last = [r for r in payments.iter_rows(values_only=True) if r and r[0] is not None][-1]
    run_total = Decimal(str(last[10])).quantize(PENNY)
    if run_total != seeded:
        problems.append(f"XLSX run total {run_total} is not the seeded total {seeded}")
    book.close()
    return problems


# ---------------------------------------------------------------------------------------------
# Behind gunicorn


def worker_memory(master_pid: int) -> list[int]:
    """Peak resident memory (VmHWM, KiB) of each gunicorn worker."""
    peaks = []
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    except OSError:
        return peaks
    for pid in children:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]))
        except OSError:
            continue
    return peaks


def fetch_export(client: Client, path: str) -> bytes:
    status, body = client.get(path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
    return body


# ---------------------------------------------------------------------------------------------
# Report


def report(
    app,
    args,
    database: Database,
    page_list: list[Page],
    timings: dict[tuple[str, str], Timing],
    queries: dict[str, dict[tuple[str, str], list[str]]],
    profiles: dict[tuple[str, str], PageProfile],
    exports_: dict[str, ExportFigures],
    split: dict[str, float],
    checks: dict[str, list[str]],
    sizes: dict,
    seeder: PaymentsSeeder,
    memory: list[int],
    seconds: dict[str, float],
    load: list[float],
) -> bool:
    ceiling = timings[(CEILING.label, CEILING.who)].pct(0.5) if timings else 0.0
    steps = list(queries)
    print()
    print(
        f"engage payments benchmark, {dt.date.today().isoformat()}: {database.label}, "
        f"gunicorn 2 sync workers, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.1f} before / {load[1]:.1f} before timing / {load[-1]:.1f} after"
    )
    states = sizes.pop("states")
    ready = sizes.pop("ready")
    print("rows: " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
    print("claims by state: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
    if database.admin_url:
        print("planner statistics: ANALYZE after each seeding step (as autovacuum would)")
    else:
        print(
            "planner statistics: "
            + ("ANALYZE after each seeding step (--sqlite-analyze)" if args.sqlite_analyze
               else "none, as engage leaves SQLite (no ANALYZE, no PRAGMA optimize)")
        )  # fmt: skip
    print(
        f"ready run RUN-{seeder.ready_run:05d}: {ready['lines']} lines, {ready['payees']} "
        f"payees, total £{ready['total']:,} (stored on the run: £{ready['stored total']:,}); "
        + ", ".join(f"{k} {v}" for k, v in sorted(seeder.by_method.items()))
        + "; "
        + ", ".join(f"{k} {v}" for k, v in sorted(seeder.by_kind.items()))
    )
    print()
    print(
        f"exports of {ready['lines']} lines in-process ({args.export_repeats} runs each; "
        f"peak = tracemalloc's peak of Python allocations in one more call):"
    )
    print("| export | min s | median s | peak MB | bytes | ≤ 2 s |")
    print("|---|---|---|---|---|---|")
    for name, f in exports_.items():
        within = "" if name.startswith("items_frame") else (
            "yes" if f.median <= EXPORT_BUDGET else "NO")  # fmt: skip
        print(
            f"| `{name}` | {f.best:.2f} | {f.median:.2f} | {f.peak_bytes / 2**20:.0f} | "
            f"{f.size or ''} | {within} |"
        )
    print(
        "run_xlsx, median split (s): "
        + ", ".join(f"{name} {value:.2f}" for name, value in split.items())
    )
    print()
    for name, problems in checks.items():
        print(f"{name}: " + ("OK" if not problems else "FAIL: " + "; ".join(problems)))
    if memory:
        print("gunicorn workers' peak RSS after the timings: " + ", ".join(
            f"{kib / 1024:.0f} MB" for kib in memory))  # fmt: skip
    print()
    header = ["page", "as", "n", "p50 ms", "p95 ms", "req/s", "p50 / ceiling", "bytes"]
    header += [f"queries @{s}" for s in steps]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for page in [*page_list, CEILING]:
        t = timings.get((page.label, page.who))
        if t is None or not t.latencies:
            continue
        row = [
            f"`{page.label}`",
            page.who,
            str(len(t.latencies)),
            f"{t.pct(0.5):.1f}",
            f"{t.pct(0.95):.1f}",
            f"{t.rps:.1f}" if t.rps < 10 else f"{t.rps:.0f}",
            f"{t.pct(0.5) / ceiling:.1f}x" if ceiling else "",
            str(t.size),
        ]
        row += [str(len(queries[s].get((page.label, page.who), []))) for s in steps]
        print("| " + " | ".join(row) + " |")
    print()
    print(
        f"in-process at {steps[-1]} (median; SQL = time in cursor.execute, which on SQLite "
        "leaves out fetching the rows):"
    )
    print("| page | as | page ms | SQL ms | statements | slowest statement ms |")
    print("|---|---|---|---|---|---|")
    for page in [p for p in page_list if not export(p)]:
        p = profiles[(page.label, page.who)]
        slowest = max((s.seconds for s in p.statements), default=0) * 1000
        print(
            f"| `{page.label}` | {page.who} | {p.page_ms:.1f} | {p.sql_ms:.1f} | "
            f"{len(p.statements)} | {slowest:.1f} |"
        )
    if args.explain:
        for page in [p for p in page_list if not export(p)]:
            p = profiles[(page.label, page.who)]
            selects = [s for s in p.statements if page_query(s.sql)]
            for statement in sorted(selects, key=lambda s: -s.seconds)[:3]:
                print(f"\n-- {page.label} as {page.who}: {statement.seconds * 1000:.1f} ms")
                print("   " + normalise(statement.sql)[:400])
                try:
                    for line in explain(app, statement):
                        print("   | " + line)
                except Exception as error:  # a plan we cannot get is reported, not fatal
                    print(f"   (no plan: {error})")
    print()
    print("timings (s): " + ", ".join(f"{name} {value:.1f}" for name, value in seconds.items()))
    same = True
    for page in page_list:
        by_step = {i: queries[s][(page.label, page.who)] for i, s in enumerate(steps)}
        changes = growth(by_step)
        if len(by_step[0]) != len(by_step[len(steps) - 1]) or changes:
            same = False
            print(f"\nQUERY COUNT CHANGES for {page.label} as {page.who}:")
            for line in changes:
                print("  " + line[:300])
    if same:
        print(f"query counts are the same at {' and '.join(steps)} for every page")
    if args.show_queries:
        for page in page_list:
            print(f"\n-- {page.label} as {page.who} @{steps[-1]}:")
            for statement in queries[steps[-1]][(page.label, page.who)]:
                print("   " + normalise(statement)[:300])
    return same


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=100_000, help="expense claims in all")
    parser.add_argument("--run-lines", type=int, default=50_000, help="lines of the ready run")
    parser.add_argument("--payees", type=int, default=5000, help="peers who are paid")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument(
        "--export-requests",
        type=int,
        default=5,
        help="timed requests of the run page and of each export over HTTP",
    )
    parser.add_argument(
        "--export-repeats", type=int, default=5, help="in-process runs of each export"
    )
    parser.add_argument(
        "--page-budget", type=float, default=15.0, help="stop timing a page after this many s"
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server on 127.0.0.1 to make the scratch database on",
    )
    parser.add_argument(
        "--scratch-database",
        default=SCRATCH_DB,
        help=f"the scratch PostgreSQL database, created and dropped (default {SCRATCH_DB})",
    )
    parser.add_argument(
        "--explain", action="store_true", help="print the plans of each page's slowest SELECTs"
    )
    parser.add_argument(
        "--sqlite-analyze",
        action="store_true",
        help="run ANALYZE on SQLite after seeding (engage never does; PostgreSQL always gets it)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile both exports")
    parser.add_argument("--show-queries", action="store_true", help="print each page's SQL")
    args = parser.parse_args(argv)
    # --claims is checked against the first count once the demo's claims are known (below).
    if args.claims <= FIRST_NEW_CLAIMS or args.run_lines <= FIRST_LINES:
        parser.error(
            f"--claims must be over the demo's claims plus {FIRST_NEW_CLAIMS}, "
            f"--run-lines over {FIRST_LINES}"
        )
    if args.payees < 50:
        parser.error("--payees must be at least 50")

    started = time.perf_counter()
    load = [os.getloadavg()[0]]  # other work on the machine skews the timings
    seconds: dict[str, float] = {}
    with scratch_site(
        "engage-bench-payments-",
        args.database_url,
        scratch_database=args.scratch_database,
        freeze=False,
    ) as site:
        app, database = site.app, site.database
        seconds["migrate"] = site.migrate_seconds

        t = time.perf_counter()
        seeder = PaymentsSeeder(app, args.payees, args.claims, args.run_lines, args.sqlite_analyze)
        seeder.base()
        seconds["demo, payees, runs"] = time.perf_counter() - t
        # The first count: the demo's claims and FIRST_NEW_CLAIMS more, so that the first step
        # always adds claims (the waiting one among them) however big the demo grows; the
        # second step must be bigger still.
        first_claims = seeder.claim_count + FIRST_NEW_CLAIMS
        if args.claims <= first_claims:
            parser.error(
                f"--claims must be over {first_claims} (the demo's {seeder.claim_count} claims "
                f"and {FIRST_NEW_CLAIMS} more are counted first)"
            )

        queries: dict[str, dict[tuple[str, str], list[str]]] = {}
        page_list: list[Page] = []
        seed_time = count_time = 0.0
        for claims, lines in ((first_claims, FIRST_LINES), (args.claims, args.run_lines)):
            t = time.perf_counter()
            seeder.grow_to(claims, lines)
            seed_time += time.perf_counter() - t
            page_list = pages(seeder.page_ids())
            t = time.perf_counter()
            queries[f"{claims}c/{lines}l"] = count_queries(app, page_list)
            count_time += time.perf_counter() - t
            print(f"seeded {claims} claims and {lines} run lines, counted queries", flush=True)
        seconds["seed claims and lines"] = seed_time
        seconds["count queries"] = count_time
        sizes = seeder.sizes()

        t = time.perf_counter()
        exports_, split, csv_text, xlsx_bytes = time_exports(
            app, seeder.ready_run, args.export_repeats, args.profile
        )
        seconds["time exports"] = time.perf_counter() - t
        t = time.perf_counter()
        checks = {
            "CSV in-process (total, item count, exact amounts, no formulas)": check_csv(
                csv_text, seeder.expected
            ),
            "XLSX in-process (every amount read back, run total, no formulas)": check_xlsx(
                xlsx_bytes, seeder.expected
            ),
        }
        if sizes["ready"]["stored total"] != seeder.run_total:
            checks["run total stored"] = [f"{sizes['ready']['stored total']} != seeded"]
        seconds["check exports"] = time.perf_counter() - t

        t = time.perf_counter()
        profiles = profile_pages(app, page_list)
        seconds["profile pages"] = time.perf_counter() - t

        # The ceiling serves the bytes of the manager's /claims, captured once now.
        site.set_ceiling(in_process_clients(app, {"manager"})["manager"].get("/claims").get_data())

        t = time.perf_counter()
        port = site.start_gunicorn()
        seconds["start gunicorn"] = time.perf_counter() - t
        print(f"gunicorn (2 sync workers) on 127.0.0.1:{port}", flush=True)

        t = time.perf_counter()
        load.append(os.getloadavg()[0])
        clients = {who: sign_in(port, who) for who in ("manager", "peer", "finance")} | {
            "anonymous": Client(port)
        }
        timings: dict[tuple[str, str], Timing] = {}
        for page in [*page_list, CEILING]:
            big = heavy(page)
            if export(page):
                # Confirmed right before, as a person would be: a confirmation lasts
                # REAUTH_MINUTES (5), an export's requests take at most 4 x --page-budget
                # (60 s by default), but the pages timed since signing in can take 3 minutes
                # and both exports with them more than 5.
                confirm_it_is_you(clients[page.who], run_page(page.path))
            timings[(page.label, page.who)] = timed(
                clients[page.who],
                page.path,
                args.export_requests if big else args.requests,
                1 if big else WARM_UP,
                args.page_budget * (4 if big else 1),
            )
            print(f"timed {page.label} as {page.who}", flush=True)
        seconds["measure"] = time.perf_counter() - t
        finance = clients["finance"]
        run = seeder.ready_run
        # Again: the downloads checked here come after the XLSX timing and the ceiling's.
        confirm_it_is_you(finance, f"/payments/runs/{run}")
        checks["CSV over HTTP (same bytes as in-process, with a BOM)"] = (
            []
            if fetch_export(finance, f"/payments/runs/{run}.csv") == csv_text.encode("utf-8-sig")
            else ["the CSV over HTTP differs from the in-process one"]
        )
        checks["XLSX over HTTP (every amount read back, run total)"] = check_xlsx(
            fetch_export(finance, f"/payments/runs/{run}.xlsx"), seeder.expected
        )
        memory = worker_memory(site.process.pid)
        for client in clients.values():
            client.close()
        site.stop_gunicorn()
        load.append(os.getloadavg()[0])
        seconds["total"] = time.perf_counter() - started
        same = report(
            app, args, database, page_list, timings, queries, profiles, exports_, split,
            checks, sizes, seeder, memory, seconds, load,
        )  # fmt: skip
        fine = same and not any(checks.values())
        return 0 if fine else 1


if __name__ == "__main__":
    sys.exit(main())
