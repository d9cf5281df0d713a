"""How fast is the programme dashboard for the last 12 months, and the board pack PDF, at the
scale of a big partnership's two years: 10,000 people, 100,000 involvement records, 50,000
survey answers and 10,000 register items?

    .venv/bin/python bench/dashboard.py [--people 10000] [--records 100000] [--answers 50000]
        [--items 10000] [--repeats 15] [--pack-repeats 5] [--show-queries] [--explain]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--scratch-database engage_bench_dashboard]

Steps (see bench/README.md, "dashboard.py"):

1. A scratch database, as ``bench/home_profile.py`` makes it: SQLite in a temporary folder, or
   with ``--database-url`` a database ``--scratch-database`` created and dropped again on that
   PostgreSQL server on 127.0.0.1. Then the migrations.
2. ``engage.demo.seed(extra_peers=20)``: the named accounts (password ``engage-demo``), the
   forums, rate card, boards, courses and survey definitions, and the demo's own 18 months of
   history. The dashboard's queries are counted once here, on the demo alone.
3. Bulk inserts (psycopg ``COPY`` on PostgreSQL, SQLAlchemy Core ``insert()`` executemany on
   SQLite), spread over the two years before today, so both the last 12 months and the 12
   before them (the comparison) are full: ``--people`` peers (account, profile, role, half of
   them with equality answers); 27 more forums and their meetings (about 20 people marked at
   each), with the rung of the ladder of co-production growing over time; ``--records``
   involvement records (those who took part in a meeting, the rest entered by hand), paid in
   24 monthly payment runs, with some pending, approved, declined and voluntary; expense
   claims (a fifth as many as records) with a line each, in every state; board meetings
   monthly with attendance and expert-by-experience members; partner requests; training
   sessions and course completions; four half-yearly rounds of the co-production partners
   survey (made through the services before the people, as opening a round invites every
   peer) with ``--answers`` answers (tallies summed once in SQL, as ``bench/surveys.py``
   does); ``--items`` register items in every state with their history (raised, each move)
   and board decisions, some co-produced. ``ANALYZE`` after seeding (``VACUUM ANALYZE`` on
   PostgreSQL).
4. In-process (``app.test_client()``, signed in as ``manager``): ``/dashboard?period=
   last-12-months`` ``--repeats`` times after a warm-up, each the first view after a change
   (the data generation moved on, so the figures are worked out: ``engage.core.generation``),
   then ``--repeats`` times with nothing changed (the figures kept): the median and best
   server time and the SQL statements of one request (counted as in ``home_profile.py``),
   then each section built on its own (``engage.dashboard.services.build(only=...,
   fresh=True)``) with its time and query count, and the slowest statements. ``--explain``
   prints the plans of the five slowest.
5. The board pack PDF ``/boards/<id>/pack.pdf`` of the delivery board, ``--pack-repeats``
   times after a change to what it shows (figures worked out, the PDF drawn anew), then
   ``--pack-repeats`` times with nothing changed (figures and PDF kept), when the route
   exists (a 404 is reported and skipped).

Targets (issue 14): the dashboard for 12 months in 300 ms server time or less, the board pack
PDF in 2 s or less. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.home_profile import (  # noqa: E402
    counting,
    csrf_from,
    normalise,
    scratch_site,
)
from bench.register import fix_sequence  # noqa: E402
from bench.surveys import SurveySeeder, _rebuild_tallies  # noqa: E402

SCRATCH_DB = "engage_bench_dashboard"
DEMO_EXTRA_PEERS = 20
DAYS = 730  # two years of history: the last 12 months and the 12 before them
CHUNK = 20_000  # rows inserted at a time
DASHBOARD = "/dashboard?period=last-12-months"
TARGET_DASHBOARD_MS = 300.0
TARGET_PACK_MS = 2000.0
FORUMS = 30  # with the demo's three
PER_MEETING = 20  # people marked at a forum meeting
PRESENCE = {"attended": 70, "late": 8, "left_early": 3, "apologies": 12, "no_show": 7}
TOOK_PART = {"attended", "late", "left_early"}
RUNGS = ["informing", "consultation", "engagement", "co_design", "co_production"]
RECORD_STATUS = {"paid": 76, "approved": 4, "pending": 6, "declined": 8, "voluntary": 5,
                 "rejected": 1}  # fmt: skip
CLAIM_STATE = {"paid": 78, "approved": 4, "submitted": 6, "queried": 2, "rejected": 5,
               "draft": 5}  # fmt: skip
ITEM_STATE = {"raised": 6, "triaged": 8, "action_planned": 14, "in_progress": 18,
              "escalated": 5, "resolved": 35, "closed": 9, "reopened": 3, "merged": 2}  # fmt: skip
ROUTE = ["raised", "triaged", "action_planned", "in_progress", "resolved"]
THEMES = ["housing", "health", "mental_health", "substance_use", "criminal_justice",
          "welfare_benefits", "domestic_abuse", "other"]  # fmt: skip
GENDERS = {"woman": 40, "man": 48, "non-binary": 3, "prefer-not": 9}
AGES = {"18-24": 10, "25-34": 28, "35-44": 30, "45-54": 20, "55-64": 10, "65+": 2}
ETHNICITY = {"white-british": 70, "black-caribbean": 6, "asian-pakistani": 6, "mixed": 5,
             "white-other": 8, "prefer-not": 5}  # fmt: skip
LIVED = ["homelessness", "substance-use", "mental-health", "offending", "domestic-abuse"]
PAYMENT = {"bank": 55, "voucher": 15, "cash": 15, "decline": 15}


def pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), list(weights.values()))[0]


def moment(day: date, hour: int, rng: random.Random) -> datetime:
    """A time on ``day`` in the working day, as naive UTC (the columns' own form)."""
    return datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Bulk inserts


class Bulk:
    """Rows for one table at a time, inserted in chunks with explicit ids (so other rows can
    point at them), every column not given taking its model's scalar default (else NULL)."""

    def __init__(self, engine) -> None:
        from engage.extensions import db

        self.engine = engine
        self.tables = db.metadata.tables
        self.next_id: dict[str, int] = {}
        self.rows = Counter()

    def start(self, table: str) -> int:
        """The next free id of ``table``."""
        if table not in self.next_id:
            with self.engine.connect() as connection:
                top = connection.exec_driver_sql(f'SELECT max(id) FROM "{table}"').scalar()
            self.next_id[table] = (top or 0) + 1
        return self.next_id[table]

    def take(self, table: str) -> int:
        number = self.start(table)
        self.next_id[table] = number + 1
        return number

    def defaults(self, table: str) -> dict[str, object]:
        return {
            column.name: column.default.arg
            if column.default is not None and column.default.is_scalar
            else None
            for column in self.tables[table].columns
        }

    def insert(self, table: str, rows: list[dict]) -> None:
        """psycopg COPY on PostgreSQL (encrypting the encrypted columns, as the models would);
        Core insert() executemany on SQLite."""
        from sqlalchemy import insert

        from engage.core.encryption import EncryptedText, encrypt

        if not rows:
            return
        base = self.defaults(table)
        columns = self.tables[table].c
        for start in range(0, len(rows), CHUNK):
            batch = [base | row for row in rows[start : start + CHUNK]]
            names = list(batch[0])
            with self.engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    encrypted = {n for n in names if isinstance(columns[n].type, EncryptedText)}
                    cursor = connection.connection.driver_connection.cursor()
                    quoted = ", ".join(f'"{name}"' for name in names)
                    with cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                        for row in batch:
                            copy.write_row(
                                [encrypt(row[n]) if n in encrypted else row[n] for n in names]
                            )
                    cursor.close()
                else:
                    connection.execute(insert(self.tables[table]), batch)
                if (
                    columns["id"].autoincrement is not False
                    and columns["id"].type.python_type is int
                ):
                    fix_sequence(connection, table)
        self.rows[table] += len(rows)


class DashboardSeeder:
    """Two years of a big partnership, on top of the demo."""

    def __init__(self, app, args) -> None:
        self.app = app
        self.args = args
        self.rng = random.Random(14)
        self.today: date | None = None
        self.ids: dict[str, object] = {}

    def base(self) -> None:
        from sqlalchemy import select

        from engage import demo
        from engage.changes.models import Board, Organisation
        from engage.core import dates
        from engage.extensions import db
        from engage.forums.models import Forum
        from engage.mentoring.models import Course
        from engage.payments.models import Rate
        from engage.people.models import User

        with self.app.test_request_context():
            demo.seed(extra_peers=DEMO_EXTRA_PEERS)
            db.session.commit()
            self.today = dates.local_today()
            users = dict(db.session.execute(select(User.username, User.id)).all())
            self.ids = {
                "manager": users["manager"],
                "finance": users["finance"],
                "board": users["board"],
                "partner": users["partner"],
                "training": db.session.scalar(select(Forum.id).where(Forum.is_training)),
                "forums": list(
                    db.session.scalars(select(Forum.id).where(Forum.is_training.is_(False)))
                ),
                "boards": list(db.session.scalars(select(Board.id).order_by(Board.id))),
                "organisations": list(db.session.scalars(select(Organisation.id))),
                "courses": dict(db.session.execute(select(Course.id, Course.valid_months)).all()),
                "rate": db.session.scalar(
                    select(Rate.id)
                    .where(Rate.activity == "forum_meeting")
                    .order_by(Rate.effective_from.desc())
                ),
            }
            db.session.remove()

    def day(self, days_ago_max: int = DAYS, days_ago_min: int = 1) -> date:
        return self.today - timedelta(days=self.rng.randint(days_ago_min, days_ago_max))

    def grow(self) -> dict[str, int]:
        from engage.extensions import db

        with self.app.app_context():
            engine = db.engine
        bulk = Bulk(engine)
        timings = {}
        self._rounds()
        for name, step in (
            ("people", self._people),
            ("forums and meetings", self._meetings),
            ("involvement and runs", self._money),
            ("boards, requests, training", self._boards_training),
            ("register", self._register),
        ):
            t = time.perf_counter()
            with self.app.app_context():  # encrypted columns need the app's keys
                step(bulk)
            timings[name] = time.perf_counter() - t
            print(f"  {name}: {timings[name]:.1f} s", flush=True)
        t = time.perf_counter()
        self._surveys(bulk, engine)
        timings["surveys"] = time.perf_counter() - t
        print(f"  surveys: {timings['surveys']:.1f} s", flush=True)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # What autovacuum does soon after a bulk load on PostgreSQL: statistics, and the
            # visibility map without which no index is read alone (every row is checked in the
            # table). SQLite's ANALYZE is all it has.
            postgresql = engine.dialect.name == "postgresql"
            connection.exec_driver_sql("VACUUM ANALYZE" if postgresql else "ANALYZE")
        with self.app.app_context():
            db.session.remove()
        self.timings = timings
        return dict(bulk.rows)

    # -- people ------------------------------------------------------------------------------

    def _people(self, bulk: Bulk) -> None:
        rng, manager = self.rng, self.ids["manager"]
        users, profiles, roles, equality = [], [], [], []
        existing = bulk.start("user") - 1
        for n in range(max(0, self.args.people - existing)):
            uid = bulk.take("user")
            created = moment(self.day(DAYS + 60, 20), 10, rng)
            users.append(
                {"id": uid, "username": f"bench.{uid}", "is_active": rng.random() > 0.02,
                 "totp_required": False, "created_by_id": manager, "created_at": created}
            )  # fmt: skip
            profiles.append(
                {"id": bulk.take("profile"), "user_id": uid,
                 "preferred_name": f"Peer {n}", "contact_channel": "worker",
                 "payment_preference": pick(rng, PAYMENT) if rng.random() < 0.9 else None,
                 "benefits_warnings": rng.random() < 0.3,
                 "paused_at": created if rng.random() < 0.05 else None}
            )  # fmt: skip
            roles.append({"id": bulk.take("user_role"), "user_id": uid, "role": "peer"})
            if rng.random() < 0.5:
                equality.append(
                    {"id": bulk.take("equality_monitoring"), "user_id": uid,
                     "gender": pick(rng, GENDERS), "ethnicity": pick(rng, ETHNICITY),
                     "age_band": pick(rng, AGES), "disability": "prefer-not",
                     "sexual_orientation": "prefer-not",
                     "lived_experience": ",".join(rng.sample(LIVED, k=rng.randint(1, 3))),
                     "updated_at": created}
                )  # fmt: skip
        # The profile's other columns are NOT NULL strings and flags: their defaults.
        bulk.insert("user", users)
        bulk.insert("profile", profiles)
        bulk.insert("user_role", roles)
        bulk.insert("equality_monitoring", equality)
        self.people = [u["id"] for u in users if u["is_active"]]
        self.payment = {p["user_id"]: p["payment_preference"] for p in profiles}

    # -- forums and meetings -------------------------------------------------------------------

    def _meetings(self, bulk: Bulk) -> None:
        rng = self.rng
        forums = list(self.ids["forums"])
        new = []
        for n in range(FORUMS - len(forums)):
            fid = bulk.take("forum")
            new.append(
                {"id": fid, "name": f"Bench forum {n + 1}", "purpose": "A local forum.",
                 "terms_of_reference": "", "open_to_all": True, "is_training": False,
                 "created_at": moment(self.today - timedelta(days=DAYS + 30), 9, rng)}
            )  # fmt: skip
            forums.append(fid)
        bulk.insert("forum", new)
        # Took part at meetings: about 45% of the records; the rest are entered by hand.
        meetings_needed = int(self.args.records * 0.45 / (PER_MEETING * 0.81)) + 1
        meetings, marks = [], []
        self.took_part: list[tuple[int, int, date]] = []  # (meeting, person, day)
        for _n in range(meetings_needed):
            mid = bulk.take("meeting")
            day = self.day()
            starts = moment(day, 10, rng).replace(minute=30)
            progress = 1 - (self.today - day).days / DAYS  # 0 two years ago, 1 today
            rung = RUNGS[min(4, max(0, round(progress * 2 + rng.uniform(-0.5, 2.5))))]
            cancelled = rng.random() < 0.03
            meetings.append(
                {"id": mid, "forum_id": rng.choice(forums), "title": "", "starts_at": starts,
                 "ends_at": starts + timedelta(hours=2), "online_link": "", "rung": rung,
                 "cancelled": cancelled, "detached": False, "minutes": "", "decisions": "",
                 "wellbeing_check_in": False, "activity": "forum_meeting", "paid": True,
                 "created_at": starts - timedelta(days=21)}
            )  # fmt: skip
            if cancelled:
                continue
            for person in rng.sample(self.people, k=PER_MEETING):
                presence = pick(rng, PRESENCE)
                marks.append(
                    {"id": bulk.take("meeting_attendance"), "meeting_id": mid,
                     "user_id": person, "presence": presence,
                     "marked_at": starts + timedelta(hours=2, minutes=30),
                     "involvement_recorded_at": starts + timedelta(hours=2, minutes=30)
                     if presence in TOOK_PART else None}
                )  # fmt: skip
                if presence in TOOK_PART:
                    self.took_part.append((mid, person, day))
        bulk.insert("meeting", meetings)
        bulk.insert("meeting_attendance", marks)

    # -- involvement, runs and claims ------------------------------------------------------------

    def _money(self, bulk: Bulk) -> None:
        rng, manager, finance = self.rng, self.ids["manager"], self.ids["finance"]
        runs, run_days = [], []
        for months_ago in range(DAYS // 30, 0, -1):
            day = self.today - timedelta(days=30 * months_ago - 5)
            rid = bulk.take("payment_run")
            runs.append(
                {"id": rid, "key": f"bench-run-{rid}", "created_by_id": finance,
                 "status": "paid", "item_count": 0, "total": Decimal("0.00"),
                 "paid_at": moment(day, 15, rng), "paid_by_id": finance, "version": 1,
                 "created_at": moment(day, 10, rng)}
            )  # fmt: skip
            run_days.append((day, rid))

        def run_after(day: date) -> tuple[int, datetime] | None:
            for run_day, rid in run_days:
                if run_day > day + timedelta(days=2):
                    return rid, datetime.combine(run_day, datetime.min.time(), UTC) + timedelta(
                        hours=15
                    )
            return None

        bulk.insert("payment_run", runs)  # totals filled in below, once they are known
        totals: Counter = Counter()
        records = []
        hand = max(0, self.args.records - len(self.took_part))
        sources = [("meeting", m, p, d, 120) for m, p, d in self.took_part]
        activities = ["document_review", "working_group", "interview_panel", "peer_research",
                      "board_seat", "other_involvement"]  # fmt: skip
        for _n in range(hand):
            sources.append(("hand", None, rng.choice(self.people), self.day(), 60))
        for kind, mid, person, day, minutes in sources[: self.args.records]:
            status = pick(rng, RECORD_STATUS)
            preference = self.payment.get(person)
            if preference == "decline":
                status = "declined" if status != "voluntary" else status
            elif status == "declined":
                status = "paid"
            method = None if status in ("declined", "voluntary") else (preference or "bank")
            if method == "decline":
                method = "bank"
            if kind == "hand":
                minutes = rng.choice([60, 90, 120, 180])
            hours = Decimal(minutes) / 60
            fee = (hours * Decimal("16.00")).quantize(Decimal("0.01"))
            amount = Decimal("0.00") if status in ("declined", "voluntary") else fee
            created = moment(day, 17, rng)
            run = run_after(day) if status == "paid" else None
            if status == "paid" and run is None:
                status = "approved"
            rid = bulk.take("involvement_record")
            source = f"meeting:{mid}" if kind == "meeting" else "manual"
            records.append(
                {"id": rid, "person_id": person,
                 "activity": "forum_meeting" if kind == "meeting" else rng.choice(activities),
                 "activity_date": day, "description": "Bench", "minutes": minutes,
                 "preparation_minutes": 0, "units": hours.quantize(Decimal("0.01")),
                 "rate_id": self.ids["rate"], "unit_amount": Decimal("16.00"), "fee": fee,
                 "amount": amount, "method": method, "status": status, "source": source,
                 "source_key": f"{source}:person:{person}" if kind == "meeting" else None,
                 "entered_by_id": manager,
                 "decided_by_id": manager if status not in ("pending", "voluntary") else None,
                 "decided_at": created + timedelta(days=2)
                 if status not in ("pending", "voluntary") else None,
                 "reason": "Entered twice" if status == "rejected" else "",
                 "run_id": run[0] if run else None, "paid_at": run[1] if run else None,
                 "pay_attempt": 0, "version": 1, "created_at": created}
            )  # fmt: skip
            if run:
                totals[run[0]] += amount
        bulk.insert("involvement_record", records)

        claims, lines, events = [], [], []
        kinds = [("bus", "4.50"), ("train", "9.80"), ("subsistence", "6.20"),
                 ("childcare", "24.00"), ("phone", "10.00")]  # fmt: skip
        for _n in range(self.args.records // 5):
            person = rng.choice(self.people)
            day = self.day()
            state = pick(rng, CLAIM_STATE)
            created = moment(day, 19, rng)
            submitted = created if state != "draft" else None
            decided = (
                created + timedelta(hours=rng.uniform(3, 24 * 12))
                if state in ("approved", "rejected", "paid", "queried")
                else None
            )
            run = run_after(decided.date()) if state == "paid" else None
            if state == "paid" and run is None:
                state = "approved"
            kind, money = rng.choice(kinds)
            cid = bulk.take("expense_claim")
            method = self.payment.get(person) or "bank"
            method = "bank" if method == "decline" else method
            claims.append(
                {"id": cid, "claimant_id": person, "entered_by_id": person, "state": state,
                 "method": method, "purpose": "Forum meeting", "total": Decimal(money),
                 "submitted_at": submitted, "decided_at": decided,
                 "decided_by_id": manager if decided else None, "question": "", "answer": "",
                 "reject_reason": "Paid already" if state == "rejected" else "",
                 "paid_on_day": False, "signature_note": "",
                 "run_id": run[0] if run else None, "paid_at": run[1] if run else None,
                 "pay_attempt": 0, "version": 1, "created_at": created}
            )  # fmt: skip
            lines.append(
                {"id": bulk.take("claim_line"), "claim_id": cid, "kind": kind, "spent_on": day,
                 "description": kind, "amount": Decimal(money), "reason": "",
                 "created_at": created}
            )  # fmt: skip
            if submitted:
                events.append(
                    {"id": bulk.take("payment_event"), "at": submitted, "actor_id": person,
                     "claim_id": cid, "kind": "state", "from_state": "draft",
                     "to_state": "submitted", "note": ""}
                )  # fmt: skip
            if decided:
                events.append(
                    {"id": bulk.take("payment_event"), "at": decided, "actor_id": manager,
                     "claim_id": cid, "kind": "state", "from_state": "submitted",
                     "to_state": "approved" if state == "paid" else state, "note": ""}
                )  # fmt: skip
            if run:
                events.append(
                    {"id": bulk.take("payment_event"), "at": run[1], "actor_id": finance,
                     "claim_id": cid, "run_id": run[0], "kind": "state",
                     "from_state": "approved", "to_state": "paid", "note": ""}
                )  # fmt: skip
                totals[run[0]] += Decimal(money)
        bulk.insert("expense_claim", claims)
        bulk.insert("claim_line", lines)
        bulk.insert("payment_event", events)
        from sqlalchemy import update

        table = bulk.tables["payment_run"]
        with bulk.engine.begin() as connection:
            for run in runs:
                connection.execute(
                    update(table).where(table.c.id == run["id"]).values(total=totals[run["id"]])
                )

    # -- boards, partner requests, training ------------------------------------------------------

    def _boards_training(self, bulk: Bulk) -> None:
        rng = self.rng
        members, meetings, attendance = [], [], []
        experts = rng.sample(self.people, k=12)
        self.board_meetings: list[tuple[int, datetime]] = []
        for board in self.ids["boards"]:
            people = [self.ids["board"], self.ids["manager"], *rng.sample(self.people, k=6)]
            for n, person in enumerate(people + experts[:2]):
                members.append(
                    {"id": bulk.take("board_member"), "board_id": board, "user_id": person,
                     "expert_by_experience": n >= len(people), "role": "Member"}
                )  # fmt: skip
            experts = experts[2:]
            for months_ago in range(DAYS // 30, 0, -1):
                starts = moment(self.today - timedelta(days=30 * months_ago), 10, rng)
                mid = bulk.take("board_meeting")
                meetings.append(
                    {"id": mid, "board_id": board, "starts_at": starts, "place": "Town Hall"}
                )
                self.board_meetings.append((mid, starts))
                for person in people:
                    attendance.append(
                        {"id": bulk.take("attendance"), "meeting_id": mid, "user_id": person,
                         "attended": rng.random() < 0.8}
                    )  # fmt: skip
        # Leave out the demo's own members (it gave its boards a few).
        with bulk.engine.connect() as connection:
            held = set(
                connection.exec_driver_sql("SELECT board_id, user_id FROM board_member").all()
            )
        bulk.insert(
            "board_member", [m for m in members if (m["board_id"], m["user_id"]) not in held]
        )
        bulk.insert("board_meeting", meetings)
        bulk.insert("attendance", attendance)

        requests = []
        for _n in range(self.args.items // 20):
            created = moment(self.day(), 11, rng)
            status = pick(rng, {"requested": 15, "accepted": 25, "met": 45, "declined": 15})
            requests.append(
                {"id": bulk.take("consultation_request"),
                 "organisation_id": rng.choice(self.ids["organisations"]),
                 "requested_by_id": self.ids["partner"], "title": "A request",
                 "description": "Shape this with us.", "kind": "review", "effort": "2 hours",
                 "paid": True, "status": status,
                 "decided_at": created + timedelta(days=5) if status != "requested" else None,
                 "decision_note": "", "created_at": created}
            )  # fmt: skip
        bulk.insert("consultation_request", requests)

        sessions, session_meetings, completions = [], [], []
        courses = self.ids["courses"]
        for _n in range(max(24, self.args.people // 50)):
            day = self.day()
            starts = moment(day, 10, rng)
            mid = bulk.take("meeting")
            course = rng.choice(list(courses))
            session_meetings.append(
                {"id": mid, "forum_id": self.ids["training"], "title": "", "starts_at": starts,
                 "ends_at": starts + timedelta(hours=3), "online_link": "", "rung": "",
                 "cancelled": False, "detached": False, "minutes": "", "decisions": "",
                 "wellbeing_check_in": False, "activity": "training", "paid": False,
                 "created_at": starts - timedelta(days=21)}
            )  # fmt: skip
            sid = bulk.take("training_session")
            sessions.append(
                {"id": sid, "course_id": course, "meeting_id": mid, "trainer": "Bench",
                 "created_at": starts - timedelta(days=21)}
            )  # fmt: skip
            for person in rng.sample(self.people, k=12):
                months = courses[course]
                completions.append(
                    {"id": bulk.take("course_completion"), "user_id": person,
                     "course_id": course, "completed_on": day,
                     "expires_on": day + timedelta(days=30 * months) if months else None,
                     "session_id": sid, "recorded_by_id": self.ids["manager"],
                     "created_at": starts + timedelta(hours=4)}
                )  # fmt: skip
        bulk.insert("meeting", session_meetings)
        bulk.insert("training_session", sessions)
        bulk.insert("course_completion", completions)

    # -- the register ----------------------------------------------------------------------------

    def _register(self, bulk: Bulk) -> None:
        rng, manager, board_user = self.rng, self.ids["manager"], self.ids["board"]
        items, events, decisions = [], [], []
        now = datetime.now(UTC)
        for _n in range(self.args.items):
            state = pick(rng, ITEM_STATE)
            raised = moment(self.day(DAYS, 2), 12, rng)
            iid = bulk.take("item")
            at, path = raised, ["raised"]
            steps = {"raised": 0, "triaged": 1, "action_planned": 2, "in_progress": 3,
                     "escalated": 3, "resolved": 4, "reopened": 4, "closed": 1,
                     "merged": 0}[state]  # fmt: skip
            stamps: dict[str, datetime] = {}
            item_events = [("raised", "", "raised", raised, raised and None)]
            for target in ROUTE[1 : steps + 1]:
                gap = {"triaged": (1, 14), "action_planned": (3, 45), "in_progress": (2, 20),
                       "resolved": (14, 120)}[target]  # fmt: skip
                following = at + timedelta(days=rng.uniform(*gap))
                if following >= now:
                    break
                item_events.append(("state", path[-1], target, following, None))
                path.append(target)
                at = stamps[target] = following
            final = path[-1]
            if state in ("closed", "escalated", "reopened", "merged"):
                following = at + timedelta(days=rng.uniform(3, 40))
                if following < now:
                    item_events.append(("state", final, state, following, None))
                    final, at = state, following
                    stamps[state] = following
            level = 1 + (final == "escalated") + (rng.random() < 0.3)
            triaged = stamps.get("triaged")
            items.append(
                {"id": iid, "title": "Turned away without ID", "what_happened": "Bench.",
                 "who_affected": "", "theme": rng.choice(THEMES),
                 "agency_id": rng.choice(self.ids["organisations"]), "agency_other": "",
                 "source": "peer", "source_note": "", "raised_by_id": rng.choice(self.people),
                 "show_name": False, "state": final, "level": level,
                 "owner_id": board_user if triaged else None,
                 "owner_organisation_id": rng.choice(self.ids["organisations"])
                 if triaged else None,
                 "target_date": (triaged + timedelta(days=rng.randint(30, 120))).date()
                 if triaged else None,
                 "triaged_at": triaged, "planned_at": stamps.get("action_planned"),
                 "resolved_at": stamps.get("resolved") if final in ("resolved", "reopened")
                 else None,
                 "closed_at": stamps.get("closed"), "close_reason": "Fixed already"
                 if final == "closed" else "",
                 "what_changed": "Staff now accept a worker's letter."
                 if final == "resolved" else "",
                 "changed_for_whom": "", "lasting": "", "supporter_count": rng.randint(0, 4),
                 "updated_at": at, "version": len(item_events), "created_at": raised}
            )  # fmt: skip
            for kind, frm, to, when, _ in item_events:
                events.append(
                    {"id": bulk.take("event"), "item_id": iid, "at": when,
                     "actor_id": manager, "kind": kind, "from_state": frm,
                     "to_state": to, "note": ""}
                )  # fmt: skip
            planned = stamps.get("action_planned")
            if planned:
                meeting = max(
                    (m for m in self.board_meetings if m[1] <= planned),
                    key=lambda m: m[1],
                    default=None,
                )
                decisions.append(
                    {"id": bulk.take("decision"), "item_id": iid,
                     "meeting_id": meeting[0] if meeting else None,
                     "text": "Agreed the plan.", "co_produced": rng.random() < 0.55,
                     "decided_at": planned, "recorded_by_id": board_user}
                )  # fmt: skip
        bulk.insert("item", items)
        bulk.insert("event", events)
        bulk.insert("decision", decisions)

    # -- surveys ---------------------------------------------------------------------------------

    def _surveys(self, bulk: Bulk, engine) -> None:
        """The rounds' responses and answers in bulk (the bench/surveys.py answer maker), then
        the tallies summed in SQL, as engage keeps them."""
        rounds = self.rounds
        maker = SurveySeeder(self.app, earlier=[1.0], text_share=0.15)
        maker.rng = self.rng
        definition = self.definition
        per_round = self.args.answers // len(rounds)
        columns = maker.columns
        groups = {"gender": GENDERS, "ethnicity": ETHNICITY, "age_band": AGES}
        for round_id, opens, lean in rounds:
            self._round_answers(bulk, maker, definition, columns, groups, round_id, opens, lean,
                                per_round)  # fmt: skip
        _rebuild_tallies(engine)

    def _rounds(self) -> None:
        """Four half-yearly rounds of the co-production partners survey, made through the
        services at their moments before the people are added: opening a round invites every
        peer (one row each), which is not what is measured here."""
        from engage.core.demo import happened_at, local_moment
        from engage.extensions import db
        from engage.people.models import User
        from engage.surveys import definitions as defs
        from engage.surveys import services
        from engage.surveys.models import Audience

        rounds = []
        with self.app.test_request_context():
            definition = defs.latest(defs.all_definitions(), "coproduction-partners")
            manager = db.session.get(User, self.ids["manager"])
            for opened, lean in ((700, 0.4), (520, 0.45), (340, 0.55), (160, 0.6)):
                opens_at = local_moment(self.today - timedelta(days=opened), 9)
                closes_at = opens_at + timedelta(days=28)
                with happened_at(opens_at):
                    round_ = services.create_round(
                        manager,
                        definition,
                        title=f"Bench partners {opened}",
                        audience=Audience.ALL_PEERS,
                        opens_at=opens_at,
                        closes_at=closes_at,
                    )
                with happened_at(closes_at):
                    services.close_round(None, round_)
                rounds.append((round_.id, opens_at.date(), lean))
            db.session.commit()
            db.session.remove()
        self.rounds, self.definition = rounds, definition

    def _round_answers(self, bulk, maker, definition, columns, groups, round_id, opens, lean,  # noqa: ANN001, PLR0913
                       per_round: int) -> None:  # fmt: skip
        """One round's responses and about ``per_round`` answers."""
        rng = self.rng
        responses, answers, count = [], [], 0
        while count < per_round:
            rid = f"{rng.getrandbits(128):032x}"
            response = {
                "id": rid, "round_id": round_id, "user_id": None,
                "definition_version": definition.version,
                "submitted_on": opens + timedelta(days=rng.randint(0, 27)),
                "on_paper": False, "forum_id": rng.choice(self.ids["forums"]),
            }  # fmt: skip
            for name, weights in groups.items():
                if name in columns:
                    response[name] = pick(rng, weights)
            responses.append(response)
            for question in definition.questions:
                row = maker._answer(question, lean + rng.gauss(0, 0.12))
                if row is None:
                    continue
                value, number, text = row
                answers.append(
                    {"id": bulk.take("survey_answer"), "response_id": rid,
                     "round_id": round_id, "question_id": question.id, "value": value,
                     "number": number, "text": text}
                )  # fmt: skip
                count += 1
        bulk.insert("survey_response", responses)
        bulk.insert("survey_answer", answers)


# ---------------------------------------------------------------------------------------------
# Measuring


def signed_in(app, who: str = "manager"):
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"login": who, "password": "engage-demo", "csrf_token": token}
    )
    if response.status_code != 303:
        raise RuntimeError(f"in-process sign in as {who} answered {response.status_code}")
    return client


def timed_get(client, path: str, repeats: int, before=None) -> tuple[list[float], int, int]:  # noqa: ANN001
    """(seconds of each request after one warm-up, status, bytes). ``before()`` runs before
    each timed request, untimed."""
    response = client.get(path)
    status, size = response.status_code, len(response.get_data())
    times = []
    if status != 200:
        return times, status, size
    for _ in range(repeats):
        if before is not None:
            before()
        start = time.perf_counter()
        response = client.get(path)
        response.get_data()
        times.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
    return times, status, size


def change_something(app) -> None:
    """A committed change, as any write makes: the data generation moves on, so the kept
    figures (``engage.core.generation``) are worked out again on the next view."""
    from sqlalchemy import update

    from engage.core.generation import DataGeneration
    from engage.extensions import db

    with app.app_context():
        db.session.execute(update(DataGeneration).values(number=DataGeneration.number + 1))
        db.session.commit()
        db.session.remove()


def statements_of(app, client, path: str) -> list[str]:
    with counting(app) as statements:
        client.get(path)
    return list(statements)


def slowest_statements(app, client, path: str) -> list[tuple[float, str, object]]:
    """Each statement of one request with its time (ms) and parameters, slowest first."""
    from sqlalchemy import event

    from engage.extensions import db

    with app.app_context():
        engine = db.engine
    found, started = [], {}

    def before(conn, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        t = time.perf_counter() - started.pop(id(cursor), time.perf_counter())
        found.append((t * 1000, statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return sorted(found, key=lambda row: row[0], reverse=True)


def sections_apart(app, repeats: int) -> list[tuple[str, float, int]]:
    """Each dashboard section built on its own for the last 12 months: (key, median ms,
    statements)."""
    from engage.core import dates
    from engage.core.domains import dashboard_sections
    from engage.dashboard import periods, services

    out = []
    with app.test_request_context():
        chosen = periods.quick_pick("last-12-months", dates.local_today())
        for section in dashboard_sections():
            times = []
            for _ in range(repeats + 1):
                start = time.perf_counter()
                with counting(app) as statements:
                    services.build(chosen.current, chosen.previous, only={section.key}, fresh=True)
                times.append(time.perf_counter() - start)
            out.append((section.key, statistics.median(times[1:]) * 1000, len(statements)))
    return out


def explain(app, rows: list[tuple[float, str, object]]) -> None:
    from engage.extensions import db

    with app.app_context():
        engine = db.engine
        with engine.connect() as connection:
            for ms, statement, parameters in rows:
                prefix = (
                    "EXPLAIN ANALYZE "
                    if connection.dialect.name == "postgresql"
                    else "EXPLAIN QUERY PLAN "
                )
                print(f"\n-- {ms:.1f} ms\n{statement}")
                try:
                    plan = connection.exec_driver_sql(prefix + statement, parameters).all()
                except Exception as error:  # noqa: BLE001  (a plan is a nicety)
                    print(f"(no plan: {error})")
                    continue
                for row in plan:
                    print("   ", " | ".join(str(v) for v in row))


def pack_path(app) -> str | None:
    from sqlalchemy import select

    from engage.changes.models import Board
    from engage.extensions import db

    with app.app_context():
        board = db.session.scalar(
            select(Board.id).where(Board.name == "Changing Futures Delivery Board")
        )
        db.session.remove()
    return f"/boards/{board}/pack.pdf" if board else None


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f}" if values else "-"


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000, help="accounts in all")
    parser.add_argument("--records", type=int, default=100_000, help="involvement records")
    parser.add_argument("--answers", type=int, default=50_000, help="survey answers")
    parser.add_argument("--items", type=int, default=10_000, help="register items")
    parser.add_argument("--repeats", type=int, default=15, help="timed dashboard requests")
    parser.add_argument("--pack-repeats", type=int, default=5, help="timed board pack PDFs")
    parser.add_argument(
        "--database-url", help="a PostgreSQL server on 127.0.0.1 to make the scratch database on"
    )
    parser.add_argument("--scratch-database", default=SCRATCH_DB)
    parser.add_argument("--show-queries", action="store_true", help="print the dashboard's SQL")
    parser.add_argument(
        "--explain", action="store_true", help="print the plans of the five slowest statements"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    load = [os.getloadavg()[0]]
    with scratch_site(
        "engage-bench-dashboard-", args.database_url, scratch_database=args.scratch_database
    ) as site:
        app, database = site.app, site.database
        t = time.perf_counter()
        seeder = DashboardSeeder(app, args)
        seeder.base()
        print(f"demo seeded in {time.perf_counter() - t:.1f} s", flush=True)
        client = signed_in(app)
        change_something(app)
        small = statements_of(app, client, DASHBOARD)
        small_times, status, _size = timed_get(client, DASHBOARD, 3, lambda: change_something(app))
        if status != 200:
            raise RuntimeError(f"{DASHBOARD} answered {status}")

        t = time.perf_counter()
        print("bulk inserts:", flush=True)
        rows = seeder.grow()
        seed_seconds = time.perf_counter() - t
        print(f"seeded in {seed_seconds:.1f} s: {dict(sorted(rows.items()))}", flush=True)

        client = signed_in(app)
        change_something(app)
        big = statements_of(app, client, DASHBOARD)
        load.append(os.getloadavg()[0])

        def changed() -> None:
            change_something(app)

        times, status, size = timed_get(client, DASHBOARD, args.repeats, changed)
        kept_times, _status, _size = timed_get(client, DASHBOARD, args.repeats)
        sections = sections_apart(app, max(3, args.repeats // 3))
        change_something(app)
        slow = slowest_statements(app, client, DASHBOARD)
        path = pack_path(app)

        def pack_changed() -> None:
            # A change to what the pack shows makes a new page, so its PDF is drawn anew.
            change_something(app)
            app.extensions.pop("engage.kept_pdfs", None)

        pack_times, pack_status, pack_size = (
            timed_get(client, path, args.pack_repeats, pack_changed) if path else ([], 404, 0)
        )
        kept_pack, _status, _size = (
            timed_get(client, path, args.pack_repeats) if path else ([], 404, 0)
        )
        load.append(os.getloadavg()[0])

        print()
        print(f"## /dashboard at scale ({database.label})")
        print(
            f"Python {platform.python_version()}, {os.cpu_count()} cores, load average "
            f"{min(load):.1f}–{max(load):.1f}, {time.perf_counter() - started:.0f} s in all"
        )
        print()
        print("| what | median ms | best ms | runs | bytes | queries (demo only) | queries |")
        print("|---|---|---|---|---|---|---|")
        print(
            f"| `{DASHBOARD}` as manager, first view after a change | **{ms(times)}** | "
            f"{min(times) * 1000:.1f} | {len(times)} | {size:,} | {len(small)} | {len(big)} |"
        )
        print(
            f"| the same, nothing changed since (figures kept) | **{ms(kept_times)}** | "
            f"{min(kept_times) * 1000:.1f} | {len(kept_times)} | | | |"
        )
        if pack_status == 200 and pack_times:
            print(
                f"| `{path}`, first after a change to what it shows | **{ms(pack_times)}** | "
                f"{min(pack_times) * 1000:.1f} | {len(pack_times)} | {pack_size:,} | | |"
            )
            print(
                f"| the same, figures and PDF kept | **{ms(kept_pack)}** | "
                f"{min(kept_pack) * 1000:.1f} | {len(kept_pack)} | | | |"
            )
        elif pack_status == 200:
            print(f"| `{path}` | not timed (--pack-repeats 0) |")
        else:
            print(f"| `{path}` | skipped: answered {pack_status} (no board pack route yet) |")
        print()
        print("| section (built alone) | median ms | queries |")
        print("|---|---|---|")
        for key, section_ms, count in sections:
            print(f"| {key} | {section_ms:.1f} | {count} |")
        print()
        print("Slowest statements of one dashboard request:")
        for statement_ms, statement, _parameters in slow[:5]:
            print(f"  {statement_ms:7.1f} ms  {normalise(statement)[:160]}")

        def verdict(values: list[float], target: float) -> str:
            return "met" if statistics.median(values) * 1000 <= target else "NOT met"

        print()
        print(
            f"Dashboard target ≤ {TARGET_DASHBOARD_MS:.0f} ms: first view after a change "
            f"{verdict(times, TARGET_DASHBOARD_MS)}, figures kept "
            f"{verdict(kept_times, TARGET_DASHBOARD_MS)}; small-to-big query counts "
            f"{'equal' if len(small) == len(big) else 'DIFFER'} ({len(small)} → {len(big)})."
        )
        if pack_status == 200 and pack_times:
            print(
                f"Board pack target ≤ {TARGET_PACK_MS:.0f} ms: first after a change "
                f"{verdict(pack_times, TARGET_PACK_MS)}, figures and PDF kept "
                f"{verdict(kept_pack, TARGET_PACK_MS)}."
            )
        if len(small) != len(big):
            extra = Counter(map(normalise, big)) - Counter(map(normalise, small))
            for statement, n in extra.items():
                print(f"  +{n}  {statement[:200]}")
        if args.show_queries:
            for statement in big:
                print(normalise(statement), end="\n\n")
        if args.explain:
            explain(app, slow[:5])
        print(f"(first requests on the demo alone: {ms(small_times)} ms)")
        return 0


if __name__ == "__main__":
    sys.exit(main())
