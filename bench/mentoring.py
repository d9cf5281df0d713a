"""How fast are the recruitment pipeline (``/applications``: the board by stage, its filters,
the list and one application) with 5,000 applications and the training gaps matrix
(``/training/gaps``: active people × the courses their roles need) with 2,000 people × 10
courses, how much memory does a worker need, and does the number of SQL queries stay the same
as applications and people grow?

    .venv/bin/python bench/mentoring.py [--applications 5000] [--first-step 100]
        [--people 2000] [--people-first-step 100] [--requests 100] [--page-budget 15]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--scratch-database engage_bench_mentoring] [--explain] [--show-queries]

Steps (see bench/README.md, "mentoring.py"):

1. A scratch database, as ``bench/home_profile.py`` makes it: SQLite in a temporary folder, or
   with ``--database-url`` a database ``--scratch-database`` (``engage_bench_mentoring``)
   created and dropped again on that PostgreSQL server on 127.0.0.1. Then the migrations.
2. ``engage.demo.seed(extra_peers=20)``: the named accounts (password ``engage-demo``), the
   four demo peer roles and the demo's ~25 applications. Then one "busy" application made
   here with a long history: two trips on hold, three references, two DBS checks (the
   second with information disclosed and two risk decisions). It is the application page
   measured, at both steps.
3. In two steps (``--first-step`` applications in all, then ``--applications``) applications
   are bulk-inserted (SQLAlchemy Core ``insert()`` executemany; psycopg ``COPY`` on
   PostgreSQL) across every stage, each with the ``application_move`` rows of the way it
   took (some on hold and back), the references and DBS checks its stage implies, and a
   risk decision after each disclosure. On PostgreSQL ``VACUUM (ANALYZE)`` after each step.
   At the same two steps (``--people-first-step`` people, then ``--people``), active people
   are bulk-inserted for the gaps matrix (``TrainingSeeder``): an account with a profile,
   a peer role held (a fifth hold two), and for each course their roles need a completion
   done long ago, running out within 60 days, ran out, or none (the catalogue is made 10
   courses, and the roles need between 4 and 8 of them). Three coming sessions, some of
   those missing invited. The demo's own sessions and people come first.
4. After each step an in-process ``app.test_client()`` signs in as ``manager`` and counts
   each page's SQL statements (the counts of both steps must be equal; if not, the
   statements that changed are printed and the script exits with 1), and times each page
   in-process (median of the whole request and of its time in ``cursor.execute``).
5. ``engage --app bench.wsgi_app:create_app() serve`` (gunicorn, 2 sync workers) on
   127.0.0.1, sign in over HTTP as ``manager`` (stdlib ``http.client``), then for each page,
   in fresh workers (SIGHUP), 2 warm-up requests and ``--requests`` timed ones (or as many as
   ``--page-budget`` seconds allow), and the larger worker's ``VmHWM`` afterwards. Then fresh
   workers serve every page 3 times in turn: the peak of mixed use.
6. A table; with ``--explain`` (or for any page whose p50 is over 100 ms) the plans of its
   three slowest SELECTs. Then gunicorn is stopped and everything removed.

Only 127.0.0.1 is contacted (a ``--database-url`` for another host is refused).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.home_profile import (  # noqa: E402
    Client,
    Database,
    Page,
    Timing,
    growth,
    normalise,
    scratch_site,
    sign_in,
)
from bench.payments import count_queries, explain, in_process_clients, page_query  # noqa: E402
from bench.register import fix_sequence, timed  # noqa: E402
from bench.surveys import (  # noqa: E402
    PageMemory,
    PageProfile,
    mixed_peaks,
    profile_pages,
    timed_with_memory,
)

SCRATCH_DB = "engage_bench_mentoring"
DEMO_EXTRA_PEERS = 20
CHUNK = 2_000  # applications generated and inserted at a time
CEILING = Page("/bench/ceiling", "anonymous", "/bench/ceiling")
SLOW_MS = 100.0  # a page slower than this at full size gets its plans printed

#: Where applications end up (share of all), roughly a pipeline a year or two old: most have
#: finished (active, withdrawn, not progressed), a few hundred are on the way at any stage.
STAGE_WEIGHTS = {
    "applied": 10,
    "conversation": 8,
    "references": 7,
    "checks": 6,
    "induction": 4,
    "training": 4,
    "on_hold": 5,
    "active": 22,
    "withdrawn": 15,
    "not_progressed": 19,
}
ROUTE = ["applied", "conversation", "references", "checks", "induction", "training", "active"]
#: The stage a withdrawn / not progressed / on hold application left, weighted.
LEFT_FROM = {"applied": 3, "conversation": 5, "references": 3, "checks": 2, "induction": 1}
CONTACT = {"email": 45, "text": 30, "phone": 10, "post": 5, "worker": 10}
NAMES = ["Aisha", "Ben", "Chloe", "Dariusz", "Ewa", "Farah", "Gary", "Hannah", "Imran", "Jo",
         "Kwame", "Lena", "Marek", "Niamh", "Olu", "Priya", "Rhys", "Siobhán", "Tariq",
         "Zoë"]  # fmt: skip
WHAT_DRAWS = [
    "I want to give back. A peer mentor helped me when nobody else did.",
    "I know what it is like to be passed from service to service.",
    "I would like to use what I went through to help someone else.",
    "My worker said I would be good at this, and I think she is right.",
    "I want services to listen to people like me.",
]
REASONS = {
    "withdrawn": ["Started a new job and has less time for now.", "Moving away."],
    "not_progressed": ["Would like to start with the forum first.", "Not the right time."],
    "on_hold": ["In hospital for a few weeks.", "Moving house this month."],
}


def pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), list(weights.values()))[0]


def pages(ids: dict[str, int], list_pages: int, gaps_pages: int = 1) -> list[Page]:
    role = ids["role"]
    return [
        Page("/applications", "manager", "/applications"),
        Page("/applications?role=<peer mentor>", "manager", f"/applications?role={role}"),
        Page("/applications?stage=references", "manager", "/applications?stage=references"),
        Page("/applications/list", "manager", "/applications/list"),
        # The last page of the list: the deepest OFFSET.
        Page("/applications/list?page=<last>", "manager", f"/applications/list?page={list_pages}"),
        Page("/applications/<busy>", "manager", f"/applications/{ids['busy']}"),
        Page("/training/gaps", "manager", "/training/gaps"),
        Page("/training/gaps?role=<peer mentor>", "manager", f"/training/gaps?role={role}"),
        # The last page of the matrix: the deepest OFFSET.
        Page("/training/gaps?page=<last>", "manager", f"/training/gaps?page={gaps_pages}"),
        Page("/training (manager)", "manager", "/training"),
    ]


@dataclass
class Sizes:
    applications: int = 0
    moves: int = 0
    references: int = 0
    checks: int = 0
    decisions: int = 0


class MentoringSeeder:
    """The demo, one busy application made through the services, then applications in bulk."""

    def __init__(self, app) -> None:
        self.app = app
        self.rng = random.Random(2026)
        self.manager = 0
        self.roles: dict[int, str] = {}  # id -> check level
        self.peer_mentor = 0
        self.peers: list[int] = []
        self.busy = 0
        self.made = Sizes()
        self.today = date.today()

    def base(self) -> None:
        from sqlalchemy import select

        from engage import demo
        from engage.core import dates
        from engage.core.db import clock_at
        from engage.extensions import db
        from engage.mentoring import checks, services
        from engage.mentoring.models import (
            CheckLevel,
            ContactWay,
            DbsOutcome,
            PeerRole,
            ReferenceOutcome,
            RiskDecisionKind,
            Stage,
        )
        from engage.people.models import Role, User, UserRole

        with self.app.test_request_context():
            demo.seed(extra_peers=DEMO_EXTRA_PEERS)
            db.session.commit()
            manager = db.session.scalar(select(User).where(User.username == "manager"))
            self.manager = manager.id
            self.today = dates.local_today()
            for role in db.session.scalars(select(PeerRole)):
                self.roles[role.id] = role.check_level
                if role.name == "Peer mentor":
                    self.peer_mentor = role.id
            self.peers = list(
                db.session.scalars(select(UserRole.user_id).where(UserRole.role == Role.PEER.value))
            )
            role = db.session.get(PeerRole, self.peer_mentor)

            def at(days_ago: int) -> datetime:
                return datetime.combine(self.today - timedelta(days=days_ago), dt.time(11), UTC)

            # The busy application: everything its page can show, at both steps.
            with clock_at(at(200)):
                application, _ = services.apply(
                    role=role,
                    name="Bench Busy",
                    contact_way=ContactWay.EMAIL,
                    email="busy@example.org",
                    what_draws=WHAT_DRAWS[0],
                    availability="Weekdays",
                    access_needs="Large print, please",
                )
            steps = [
                (190, Stage.CONVERSATION),
                (180, Stage.ON_HOLD),
                (150, Stage.CONVERSATION),
                (140, Stage.REFERENCES),
                (120, Stage.ON_HOLD),
                (100, Stage.REFERENCES),
                (90, Stage.CHECKS),
            ]
            for days_ago, target in steps:
                with clock_at(at(days_ago)):
                    reason = REASONS["on_hold"][0] if target == Stage.ON_HOLD else ""
                    if target == Stage.REFERENCES and not application.references:
                        for n in range(3):
                            reference = checks.add_reference(
                                manager,
                                application,
                                referee_name=f"Referee {n + 1}",
                                how_to_reach=f"0117 496 01{n:02d}",
                                requested_on=dates.local_today(),
                            )
                            if n < 2:
                                checks.update_reference(
                                    manager,
                                    reference,
                                    referee_name=reference.referee_name,
                                    how_to_reach=reference.how_to_reach,
                                    requested_on=reference.requested_on,
                                    received_on=dates.local_today(),
                                    outcome=ReferenceOutcome.SUPPORTS,
                                )
                    services.move(manager, application, target, reason=reason)
            with clock_at(at(80)):
                checks.record_check(
                    manager,
                    application,
                    level=CheckLevel.BASIC,
                    certificate_date=self.today - timedelta(days=80),
                    outcome=DbsOutcome.CLEAR,
                    renewal_date=self.today + timedelta(days=600),
                )
            with clock_at(at(40)):
                check = checks.record_check(
                    manager,
                    application,
                    level=CheckLevel.ENHANCED,
                    certificate_date=self.today - timedelta(days=40),
                    outcome=DbsOutcome.DISCLOSED,
                    renewal_date=self.today + timedelta(days=1000),
                )
            for kind in (RiskDecisionKind.NOT_FOR_THIS_ROLE, RiskDecisionKind.PROCEED_WITH_SUPPORT):
                checks.record_decision(
                    manager, check, decision=kind, review_date=self.today + timedelta(days=90)
                )
            self.busy = application.id
            db.session.commit()
            db.session.remove()

    # -- applications in bulk ------------------------------------------------------------------

    def count(self) -> int:
        from sqlalchemy import func, select

        from engage.extensions import db
        from engage.mentoring.models import Application

        with self.app.app_context():
            n = db.session.scalar(select(func.count()).select_from(Application))
            db.session.remove()
        return n

    def grow_to(self, total: int) -> None:
        from engage.extensions import db

        with self.app.app_context():
            engine = db.engine
            have = self.count()
            while have < total:
                n = min(CHUNK, total - have)
                self._insert(engine, *self._chunk(engine, n))
                have += n
            if engine.dialect.name == "postgresql":
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    for table in ("application", "application_move", "application_reference",
                                  "dbs_check", "dbs_risk_decision"):  # fmt: skip
                        c.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
            db.session.remove()

    def _next_ids(self, engine) -> dict[str, int]:
        from sqlalchemy import text

        ids = {}
        with engine.connect() as connection:
            for table in ("application", "application_move", "application_reference",
                          "dbs_check", "dbs_risk_decision"):  # fmt: skip
                ids[table] = connection.execute(
                    text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
                ).scalar()
        return ids

    def _chunk(self, engine, n: int) -> tuple[dict[str, list[dict]], dict[str, int]]:
        """``n`` applications with their moves, references, checks and decisions, as rows
        with explicit ids (the sequences are moved past them after the insert)."""
        rng = self.rng
        ids = self._next_ids(engine)
        rows: dict[str, list[dict]] = {t: [] for t in ids}
        now = datetime.now(UTC)
        role_ids = list(self.roles)
        for _ in range(n):
            app_id = ids["application"]
            ids["application"] += 1
            end = pick(rng, STAGE_WEIGHTS)
            role = rng.choice(role_ids)
            if end in ("applied", "conversation") and rng.random() < 0.25:
                role = None  # "not sure yet"
            # The way it took.
            if end in ROUTE:
                way = ROUTE[1 : ROUTE.index(end) + 1]
            else:
                left = pick(rng, LEFT_FROM)
                way = ROUTE[1 : ROUTE.index(left) + 1] + [end]
            if len(way) >= 3 and rng.random() < 0.1:  # a trip on hold and back on the way
                i = rng.randrange(1, len(way) - 1)
                if way[i] in ROUTE and way[i - 1] in ROUTE:
                    way = way[:i] + ["on_hold", way[i - 1]] + way[i:]
            if role is None and any(s in way for s in ROUTE[2:]):
                role = rng.choice(role_ids)
            finished = end in ("active", "withdrawn", "not_progressed")
            gap = rng.uniform(3, 20)  # days between moves
            recent = rng.expovariate(1 / (120 if finished else 25))
            applied_at = now - timedelta(days=recent + gap * len(way) + rng.uniform(0, 2))
            applied_at = max(applied_at, now - timedelta(days=3 * 365))
            step = (now - timedelta(days=recent) - applied_at) / max(len(way), 1)
            moments = [applied_at + step * (i + 1) for i in range(len(way))]
            moves = [(None, "", "applied", applied_at, "")]
            previous = "applied"
            for stage, moment in zip(way, moments, strict=True):
                reason = rng.choice(REASONS[stage]) if stage in REASONS else ""
                moves.append((self.manager, previous, stage, moment, reason))
                previous = stage
            held_from = way[-2] if end == "on_hold" and len(way) > 1 else None
            if end == "on_hold" and held_from is None:
                held_from = "applied"
            way_ = pick(rng, CONTACT)
            name = f"{rng.choice(NAMES)} {app_id}"
            rows["application"].append(
                {
                    "id": app_id,
                    "created_at": applied_at,
                    "role_id": role,
                    "name": name,
                    "what_draws": rng.choice(WHAT_DRAWS),
                    "availability": rng.choice(["Weekday mornings", "Afternoons", "Any day"]),
                    "access_needs": "Easy read, please" if rng.random() < 0.1 else "",
                    "contact_way": way_,
                    "email": f"applicant{app_id}@example.org" if way_ == "email" else "",
                    "phone": f"07700 9{app_id:05d}" if way_ in ("text", "phone") else "",
                    "postal_address": f"Flat {app_id % 90 + 1}, 12 River Street"
                    if way_ == "post"
                    else "",
                    "worker_name": "Rachel" if way_ == "worker" else "",
                    "worker_contact": "Riverside Outreach Team" if way_ == "worker" else "",
                    "locale": "pl" if rng.random() < 0.05 else "en",
                    "helper_name": "Rachel" if way_ == "worker" else "",
                    "helper_organisation": "Riverside Outreach Team" if way_ == "worker" else "",
                    "stage": end,
                    "held_from": held_from,
                    "stage_since": moves[-1][3],
                    "user_id": rng.choice(self.peers) if end == "active" and self.peers else None,
                    "submission_key": None,
                    "version": len(moves),
                }
            )
            for actor, from_stage, to_stage, moment, reason in moves:
                rows["application_move"].append(
                    {
                        "id": ids["application_move"],
                        "application_id": app_id,
                        "at": moment,
                        "actor_id": actor,
                        "from_stage": from_stage,
                        "to_stage": to_stage,
                        "reason": reason,
                    }
                )
                ids["application_move"] += 1
            reached = {s for _, _, s, _, _ in moves}
            if "references" in reached and role is not None:
                asked = next(m for _, _, s, m, _ in moves if s == "references").date()
                for k in range(rng.choice((1, 2, 2))):
                    done = end != "references" or rng.random() < 0.4
                    outcome = pick(rng, {"supports": 85, "talk_through": 10, "no_reply": 5})
                    rows["application_reference"].append(
                        {
                            "id": ids["application_reference"],
                            "created_at": datetime.combine(asked, dt.time(12), UTC),
                            "application_id": app_id,
                            "referee_name": f"Referee {k + 1}",
                            "how_to_reach": "0117 496 0101",
                            "requested_on": asked,
                            "received_on": asked + timedelta(days=rng.randint(2, 15))
                            if done
                            else None,
                            "outcome": outcome if done else "",
                            "version": 2 if done else 1,
                        }
                    )
                    ids["application_reference"] += 1
            level = self.roles.get(role, "none") if role else "none"
            if "checks" in reached and level != "none" and (end != "checks" or rng.random() < 0.5):
                certified = next(m for _, _, s, m, _ in moves if s == "checks").date()
                certified += timedelta(days=rng.randint(5, 20))
                certified = min(certified, self.today)
                disclosed = rng.random() < 0.08
                check_id = ids["dbs_check"]
                ids["dbs_check"] += 1
                rows["dbs_check"].append(
                    {
                        "id": check_id,
                        "created_at": datetime.combine(certified, dt.time(12), UTC),
                        "application_id": app_id,
                        "level": level,
                        "certificate_date": certified,
                        "outcome": "disclosed" if disclosed else "clear",
                        "renewal_date": certified + timedelta(days=3 * 365),
                        "recorded_by_id": self.manager,
                        "version": 1,
                    }
                )
                if disclosed and (end != "checks" or rng.random() < 0.5):
                    rows["dbs_risk_decision"].append(
                        {
                            "id": ids["dbs_risk_decision"],
                            "check_id": check_id,
                            "decision": pick(
                                rng,
                                {
                                    "proceed": 40,
                                    "proceed_with_support": 50,
                                    "not_for_this_role": 10,
                                },
                            ),  # fmt: skip
                            "review_date": self.today + timedelta(days=rng.randint(-30, 300)),
                            "decided_by_id": self.manager,
                            "decided_at": datetime.combine(certified, dt.time(15), UTC),
                        }
                    )
                    ids["dbs_risk_decision"] += 1
        return rows, ids

    def _insert(self, engine, rows: dict[str, list[dict]], _ids: dict[str, int]) -> None:
        """psycopg COPY on PostgreSQL; SQLAlchemy Core insert() executemany on SQLite."""
        from sqlalchemy import insert

        from engage.core.encryption import EncryptedText, encrypt
        from engage.extensions import db

        with engine.begin() as connection:
            for table, batch in rows.items():
                if not batch:
                    continue
                names = list(batch[0])
                if connection.dialect.name == "postgresql":
                    # COPY bypasses column types: encrypt the encrypted columns (DBS outcomes
                    # and decisions) here, as the models would.
                    columns = db.metadata.tables[table].c
                    encrypted = {
                        name for name in names if isinstance(columns[name].type, EncryptedText)
                    }
                    cursor = connection.connection.driver_connection.cursor()
                    quoted = ", ".join(f'"{name}"' for name in names)
                    with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                        for row in batch:
                            copy.write_row(
                                [
                                    encrypt(row[name]) if name in encrypted else row[name]
                                    for name in names
                                ]
                            )
                    cursor.close()
                else:
                    connection.execute(insert(db.metadata.tables[table]), batch)
                fix_sequence(connection, table)
        self.made.applications += len(rows["application"])
        self.made.moves += len(rows["application_move"])
        self.made.references += len(rows["application_reference"])
        self.made.checks += len(rows["dbs_check"])
        self.made.decisions += len(rows["dbs_risk_decision"])

    def sizes(self) -> dict[str, object]:
        """Rows in each table, and the applications by stage, checked against the board's
        own counting."""
        from sqlalchemy import func, select

        from engage.extensions import db
        from engage.mentoring.models import Application

        out: dict[str, object] = {}
        with self.app.app_context():
            for table in ("application", "application_move", "application_reference",
                          "dbs_check", "dbs_risk_decision"):  # fmt: skip
                out[table] = db.session.scalar(
                    select(func.count()).select_from(db.metadata.tables[table])
                )
            out["by stage"] = dict(
                db.session.execute(
                    select(Application.stage, func.count()).group_by(Application.stage)
                ).all()
            )
            out["by role"] = Counter(
                {
                    str(k): v
                    for k, v in db.session.execute(
                        select(Application.role_id, func.count()).group_by(Application.role_id)
                    ).all()
                }
            )
            db.session.remove()
        return out


#: Courses added to the demo's seven, so the matrix has 10 columns.
EXTRA_COURSES = [("Peer support skills", 24), ("First aid", 36), ("Equality and diversity", None)]
#: Where someone is with a course their role needs (share of all).
TRAINING_MIX = {"done": 60, "expiring": 8, "expired": 10, "missing": 22}


class TrainingSeeder:
    """For the gaps matrix: 10 courses, the roles needing 4 to 8 each, and active people in
    bulk, each holding a role (a fifth two) with completions in every state."""

    def __init__(self, app, manager: int) -> None:
        self.app = app
        self.rng = random.Random(2027)
        self.manager = manager
        self.needs: dict[int, list[int]] = {}  # role id -> course ids
        self.courses: dict[int, int | None] = {}  # course id -> valid months
        self.made = 0

    def base(self) -> None:
        from sqlalchemy import select

        from engage.core import dates
        from engage.extensions import db
        from engage.mentoring import services, training
        from engage.mentoring.models import Course, PeerRole
        from engage.people.models import User

        with self.app.test_request_context():
            manager = db.session.get(User, self.manager)
            for name, months in EXTRA_COURSES:
                services.save_course(
                    manager, None, name=name, description="", valid_months=months, is_active=True
                )
            courses = list(db.session.scalars(select(Course).order_by(Course.id)))
            assert len(courses) == 10, len(courses)
            self.courses = {c.id: c.valid_months for c in courses}
            for n, role in enumerate(db.session.scalars(select(PeerRole).order_by(PeerRole.id))):
                wanted = courses[: 8 - 2 * (n % 3)] if n % 2 == 0 else courses[-(4 + n) :]
                services.save_role(
                    manager,
                    role,
                    name=role.name,
                    description=role.description,
                    check_level=role.check_level_enum,
                    paid=role.paid,
                    is_active=role.is_active,
                    courses=wanted,
                )
                self.needs[role.id] = [c.id for c in wanted]
            today = dates.local_today()
            for k, course in enumerate(courses[-3:]):
                training.create_session(
                    manager,
                    course,
                    starts_at=datetime.combine(
                        today + timedelta(days=20 + 7 * k), dt.time(10), UTC
                    ),
                    duration_minutes=180,
                    paid=True,
                    capacity=20,
                )
            db.session.commit()
            db.session.remove()

    def count(self) -> int:
        """Active people holding a role now (the matrix's rows)."""
        from sqlalchemy import func, select

        from engage.extensions import db
        from engage.mentoring.models import RoleHeld

        with self.app.app_context():
            n = db.session.scalar(
                select(func.count(func.distinct(RoleHeld.user_id))).where(
                    RoleHeld.to_date.is_(None)
                )
            )
            db.session.remove()
        return n

    def grow_to(self, total: int) -> None:
        from sqlalchemy import insert, select, text

        from engage.core import dates
        from engage.extensions import db
        from engage.forums.models import Meeting
        from engage.mentoring.models import TrainingSession

        rng = self.rng
        with self.app.app_context():
            engine = db.engine
            today = dates.local_today()
            coming = db.session.execute(
                select(TrainingSession.course_id, TrainingSession.meeting_id)
                .join(Meeting, Meeting.id == TrainingSession.meeting_id)
                .where(Meeting.starts_at > datetime.now(UTC))
            ).all()
            next_meeting = dict(coming)
            db.session.remove()
            need = total - self.count()
            if need <= 0:
                return
            tables = ("user", "profile", "user_role", "role_held", "course_completion",
                      "meeting_invitation")  # fmt: skip
            with engine.connect() as connection:
                ids = {
                    t: connection.execute(
                        text(f'SELECT coalesce(max(id), 0) + 1 FROM "{t}"')
                    ).scalar()
                    for t in tables
                }
            rows: dict[str, list[dict]] = {t: [] for t in tables}
            now = datetime.now(UTC)
            role_ids = list(self.needs)
            for _ in range(need):
                uid = ids["user"]
                ids["user"] += 1
                name = f"{rng.choice(NAMES)} {uid}"
                rows["user"].append(
                    {"id": uid, "username": f"trained{uid}", "email": None, "is_active": True,
                     "created_at": now, "created_by_id": self.manager}
                )  # fmt: skip
                rows["profile"].append(
                    {"id": ids["profile"], "user_id": uid, "preferred_name": name,
                     "paused_at": now if rng.random() < 0.03 else None}
                )  # fmt: skip
                ids["profile"] += 1
                rows["user_role"].append({"id": ids["user_role"], "user_id": uid, "role": "peer"})
                ids["user_role"] += 1
                held = rng.sample(role_ids, 2 if rng.random() < 0.2 else 1)
                for role in held:
                    rows["role_held"].append(
                        {"id": ids["role_held"], "user_id": uid, "role_id": role,
                         "from_date": today - timedelta(days=rng.randint(30, 900)),
                         "to_date": None, "application_id": None}
                    )  # fmt: skip
                    ids["role_held"] += 1
                for course in sorted({c for r in held for c in self.needs[r]}):
                    state = pick(rng, TRAINING_MIX)
                    months = self.courses[course]
                    if state == "missing" or (months is None and state != "done"):
                        if course in next_meeting and rng.random() < 0.3:
                            rows["meeting_invitation"].append(
                                {"id": ids["meeting_invitation"],
                                 "meeting_id": next_meeting[course], "user_id": uid,
                                 "reply": "invited", "invited_at": now}
                            )  # fmt: skip
                            ids["meeting_invitation"] += 1
                        continue
                    days_left = {
                        "done": rng.randint(61, 700),
                        "expiring": rng.randint(1, 60),
                        "expired": -rng.randint(0, 400),
                    }[state]
                    runs_out = today + timedelta(days=days_left)
                    done_on = runs_out - timedelta(days=round((months or 36) * 30.44))
                    rows["course_completion"].append(
                        {"id": ids["course_completion"], "user_id": uid, "course_id": course,
                         "completed_on": min(done_on, today),
                         "expires_on": runs_out if months else None,
                         "session_id": None, "recorded_by_id": self.manager,
                         "created_at": now}
                    )  # fmt: skip
                    ids["course_completion"] += 1
            with engine.begin() as connection:
                for table in tables:
                    batch = rows[table]
                    if batch:
                        connection.execute(insert(db.metadata.tables[table]), batch)
                        fix_sequence(connection, table)
            if engine.dialect.name == "postgresql":
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    for table in tables:
                        c.exec_driver_sql(f'VACUUM (ANALYZE) "{table}"')
            db.session.remove()
        self.made += need

    def sizes(self) -> dict[str, int]:
        from sqlalchemy import func, select

        from engage.extensions import db

        out = {}
        with self.app.app_context():
            for table in ("role_held", "course_completion", "training_session",
                          "meeting_invitation"):  # fmt: skip
                out[table] = db.session.scalar(
                    select(func.count()).select_from(db.metadata.tables[table])
                )
            db.session.remove()
        out["people holding a role"] = self.count()
        return out


def gaps_pages(seeder: TrainingSeeder) -> int:
    """How many pages the unfiltered gaps matrix fills."""
    from engage.mentoring.training import GAPS_PAGE_SIZE

    return max(-(-seeder.count() // GAPS_PAGE_SIZE), 1)


def list_pages(seeder: MentoringSeeder) -> int:
    """How many pages the unfiltered list fills (its last is the deepest OFFSET)."""
    from engage.mentoring.routes import PAGE_SIZE

    return max(-(-seeder.count() // PAGE_SIZE), 1)


# ---------------------------------------------------------------------------------------------
# Report


def report(
    app,
    args,
    database: Database,
    page_list: list[Page],
    timings: dict[tuple[str, str], Timing],
    memory: dict[tuple[str, str], PageMemory],
    queries: dict[int, dict[tuple[str, str], list[str]]],
    profiles: dict[int, dict[tuple[str, str], PageProfile]],
    sizes: dict,
    mixed: list[int],
    seconds: dict[str, float],
    load: list[float],
) -> bool:
    ceiling = timings[(CEILING.label, CEILING.who)].pct(0.5)
    steps = sorted(queries)
    print()
    print(
        f"engage mentoring benchmark, {dt.date.today().isoformat()}: {database.label}, "
        f"gunicorn 2 sync workers, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.1f} before / {load[1]:.1f} before timing / {load[-1]:.1f} after"
    )
    print("steps: " + sizes.pop("steps"))
    print("training: " + ", ".join(f"{k} {v:,}" for k, v in sizes.pop("training").items()))
    by_stage = sizes.pop("by stage")
    by_role = sizes.pop("by role")
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    print("applications by stage: " + ", ".join(f"{k} {v}" for k, v in sorted(by_stage.items())))
    print("applications by role id: " + ", ".join(f"{k} {v}" for k, v in sorted(by_role.items())))
    print()
    header = ["page", "as", "n", "p50 ms", "p95 ms", "p50 / ceiling", "bytes"]
    header += ["worker RSS idle MB", "peak RSS MB"]
    header += [f"queries @{n}" for n in steps]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for page in [*page_list, CEILING]:
        t = timings[(page.label, page.who)]
        m = memory.get((page.label, page.who))
        row = [
            f"`{page.label}`",
            page.who,
            str(len(t.latencies)),
            f"{t.pct(0.5):.1f}",
            f"{t.pct(0.95):.1f}",
            f"{t.pct(0.5) / ceiling:.1f}x",
            str(t.size),
            f"{m.idle / 1024:.0f}" if m else "",
            f"{m.peak / 1024:.0f}" if m else "",
        ]
        row += [str(len(queries[n].get((page.label, page.who), []))) for n in steps]
        print("| " + " | ".join(row) + " |")
    print()
    print(
        "peak RSS of the two workers after serving every page above 3 times in turn: "
        + ", ".join(f"{kib / 1024:.0f} MB" for kib in mixed)
    )
    print()
    print("in-process (median; SQL = time in cursor.execute):")
    header = ["page"]
    for n in steps:
        header += [f"page ms @{n}", f"SQL ms @{n}", f"slowest statement ms @{n}"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for page in page_list:
        row = [f"`{page.label}`"]
        for n in steps:
            p = profiles[n][(page.label, page.who)]
            slowest = max((s.seconds for s in p.statements), default=0) * 1000
            row += [f"{p.page_ms:.1f}", f"{p.sql_ms:.1f}", f"{slowest:.1f}"]
        print("| " + " | ".join(row) + " |")
    last = profiles[steps[-1]]
    for page in page_list:
        slow = timings[(page.label, page.who)].pct(0.5) > SLOW_MS
        if not (args.explain or slow):
            continue
        p = last[(page.label, page.who)]
        selects = [s for s in p.statements if page_query(s.sql)]
        for statement in sorted(selects, key=lambda s: -s.seconds)[:3]:
            print(f"\n-- {page.label}: {statement.seconds * 1000:.1f} ms" + (" (SLOW)" * slow))
            print("   " + normalise(statement.sql)[:500])
            try:
                for line in explain(app, statement):
                    print("   | " + line)
            except Exception as error:  # a plan we cannot get is reported, not fatal
                print(f"   (no plan: {error})")
    print()
    print("timings (s): " + ", ".join(f"{name} {value:.1f}" for name, value in seconds.items()))
    same = True
    for page in page_list:
        by_n = {n: queries[n][(page.label, page.who)] for n in steps}
        changes = growth(by_n)
        if len(by_n[steps[0]]) != len(by_n[steps[-1]]) or changes:
            same = False
            print(f"\nQUERY COUNT CHANGES with applications for {page.label}:")
            for line in changes:
                print("  " + line[:300])
    if same:
        print(
            f"query counts are the same at {' and '.join(f'{n:,}' for n in steps)} applications "
            "for every page"
        )
    if args.show_queries:
        for page in page_list:
            print(f"\n-- {page.label} @{steps[-1]}:")
            for statement in queries[steps[-1]][(page.label, page.who)]:
                print("   " + normalise(statement)[:300])
    return same


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=5000, help="applications in all")
    parser.add_argument(
        "--first-step", type=int, default=100, help="applications when queries are first counted"
    )
    parser.add_argument(
        "--people", type=int, default=2000, help="active people in the gaps matrix in all"
    )
    parser.add_argument(
        "--people-first-step", type=int, default=100, help="people when queries are first counted"
    )
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument(
        "--page-budget", type=float, default=15.0, help="stop timing a page after this many s"
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="in-process requests per page (median)"
    )
    parser.add_argument(
        "--database-url", help="a PostgreSQL server on 127.0.0.1 to make the scratch database on"
    )
    parser.add_argument(
        "--scratch-database",
        default=SCRATCH_DB,
        help=f"the scratch PostgreSQL database, created and dropped (default {SCRATCH_DB})",
    )
    parser.add_argument(
        "--explain", action="store_true", help="print the plans of each page's slowest SELECTs"
    )
    parser.add_argument("--show-queries", action="store_true", help="print each page's SQL")
    args = parser.parse_args(argv)
    if not 50 <= args.first_step < args.applications:
        parser.error("--first-step must be at least 50 and below --applications")

    started = time.perf_counter()
    load = [os.getloadavg()[0]]
    seconds: dict[str, float] = {}
    with scratch_site(
        "engage-bench-mentoring-",
        args.database_url,
        scratch_database=args.scratch_database,
        freeze=False,
    ) as site:
        app, database = site.app, site.database
        seconds["migrate"] = site.migrate_seconds

        t = time.perf_counter()
        seeder = MentoringSeeder(app)
        seeder.base()
        people = TrainingSeeder(app, seeder.manager)
        people.base()
        seconds["demo"] = time.perf_counter() - t
        if seeder.count() > args.first_step:
            parser.error(f"the demo already has {seeder.count()} applications: raise --first-step")

        ids = {"role": seeder.peer_mentor, "busy": seeder.busy}
        queries: dict[int, dict[tuple[str, str], list[str]]] = {}
        profiles: dict[int, dict[tuple[str, str], PageProfile]] = {}
        seed_time = count_time = 0.0
        if people.count() > args.people_first_step:
            parser.error(f"the demo already has {people.count()} people: raise --people-first-step")
        for n, k in ((args.first_step, args.people_first_step), (args.applications, args.people)):
            t = time.perf_counter()
            seeder.grow_to(n)
            people.grow_to(k)
            seed_time += time.perf_counter() - t
            page_list = pages(ids, list_pages(seeder), gaps_pages(people))
            t = time.perf_counter()
            queries[n] = count_queries(app, page_list)
            profiles[n] = profile_pages(app, page_list, args.repeats)
            count_time += time.perf_counter() - t
            print(
                f"seeded {n:,} applications and {k:,} people in roles, counted queries, "
                "timed in-process",
                flush=True,
            )
        seconds["seed applications"] = seed_time
        seconds["count and profile"] = count_time
        sizes = seeder.sizes()
        sizes["training"] = people.sizes()
        sizes["steps"] = (
            f"{args.first_step:,} applications with {args.people_first_step:,} people, "
            f"then {args.applications:,} with {args.people:,}"
        )

        site.set_ceiling(
            in_process_clients(app, {"manager"})["manager"].get("/applications").get_data()
        )

        t = time.perf_counter()
        port = site.start_gunicorn()
        process = site.process
        seconds["start gunicorn"] = time.perf_counter() - t
        print(f"gunicorn (2 sync workers) on 127.0.0.1:{port}", flush=True)

        t = time.perf_counter()
        load.append(os.getloadavg()[0])
        clients = {"manager": sign_in(port, "manager"), "anonymous": Client(port)}
        timings: dict[tuple[str, str], Timing] = {}
        memory: dict[tuple[str, str], PageMemory] = {}
        for page in page_list:
            try:
                timing, used = timed_with_memory(
                    process, port, clients[page.who], page.path, args.requests, args.page_budget
                )
            except (RuntimeError, OSError):
                log = (site.workdir / "gunicorn.log").read_text(errors="replace")
                print("gunicorn's log ends:\n" + log[-4000:], file=sys.stderr)
                raise
            timings[(page.label, page.who)] = timing
            memory[(page.label, page.who)] = used
            print(f"timed {page.label}", flush=True)
        timings[(CEILING.label, CEILING.who)] = timed(
            clients["anonymous"], CEILING.path, 300, 10, args.page_budget
        )
        mixed = mixed_peaks(process, port, clients, page_list)
        seconds["measure"] = time.perf_counter() - t
        for client in clients.values():
            client.close()
        site.stop_gunicorn()
        load.append(os.getloadavg()[0])
        seconds["total"] = time.perf_counter() - started
        same = report(
            app, args, database, page_list, timings, memory, queries, profiles, sizes, mixed,
            seconds, load,
        )  # fmt: skip
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
