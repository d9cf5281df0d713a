"""How fast are the register pages behind the real WSGI server with a large register, and does
the number of SQL queries a page makes stay the same as the register grows?

    .venv/bin/python bench/register.py [--items 10000] [--supporters 50000] [--users 2000]
        [--requests 300] [--csv-requests 30]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Steps (see bench/README.md, "register.py"):

1. A scratch database, exactly as ``bench/home_profile.py`` makes it: SQLite in a temporary
   folder, or with ``--database-url`` a database ``engage_bench`` created (and dropped again at
   the end) on that PostgreSQL server on 127.0.0.1. Then the migrations.
2. ``engage.demo.seed(extra_peers=50)``: the named accounts (password ``engage-demo``),
   about 40 demo items, organisations, boards and meetings. Then ``--users`` peers without a
   password (a ``user``, ``user_role`` and ``profile`` row each), bulk-inserted with SQLAlchemy
   Core ``insert()`` executemany.
3. Register items, bulk-inserted with Core in two steps: up to 100 items in the register, then
   up to ``--items``. Every state, theme, level and service is used, with believable dates
   (raised, accepted, action plan, resolved, closed, target date). With them go the supporters
   (``support`` rows, unique per item and person, ``item.supporter_count`` kept equal to them),
   one or two history events per item, action steps for items with a plan, and some decisions.
   One item (the "busy item") collects many supporters: about ``--supporters / 25``, up to
   ``--users``. Its history also holds the "supported" event per supporter that
   ``changes.services.support`` writes (``--no-support-events`` leaves them out).
4. After each step, an in-process ``app.test_client()`` signs in as ``manager`` and as
   ``peer`` and counts each page's SQL statements (``before_cursor_execute``, the helpers of
   ``bench/home_profile.py``). The counts at 100 items and at ``--items`` must be equal.
5. ``register_measures`` (two SQL aggregate queries) timed in-process with
   ``time.perf_counter``, against the whole ``/register`` page in-process.
6. gunicorn with 2 sync workers on 127.0.0.1, sign in over HTTP (stdlib ``http.client``), and
   time ``--requests`` sequential requests of each page (``--csv-requests`` for the CSV), then
   the ceiling: a static page of the manager's ``/register`` bytes.
7. A table, then gunicorn stopped and everything removed.

Only 127.0.0.1 is contacted (a ``--database-url`` for another host is refused).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.home_profile import (  # noqa: E402
    WARM_UP,
    Client,
    Database,
    Page,
    Timing,
    count_queries,
    csrf_from,
    fetch_ok,
    growth,
    normalise,
    scratch_site,
    sign_in,
)

FIRST_STEP = 100  # items in the register when the queries are first counted
DEMO_EXTRA_PEERS = 50
CEILING = Page("/bench/ceiling", "anonymous", "/bench/ceiling")


def pages(busy_id: int) -> list[Page]:
    """The register pages, as manager (sees the whole register) and as peer (their own)."""
    result = []
    for who in ("manager", "peer"):
        result += [
            Page("/register", who, "/register"),
            Page("/register?state=open&theme=housing", who, "/register?state=open&theme=housing"),
            Page("/register/<busy>", who, f"/register/{busy_id}"),
        ]
        if who == "manager":  # a peer is refused the export (403)
            result.append(Page("/register.csv", who, "/register.csv"))
        result += [Page("/you-said-we-did", who, "/you-said-we-did"), Page("/", who, "/")]
    return result


# ---------------------------------------------------------------------------------------------
# Seeding with SQLAlchemy Core


#: How likely each end state is for an item raised more than a fortnight ago.
STATE_WEIGHTS = {
    "raised": 2,
    "triaged": 8,
    "action_planned": 12,
    "in_progress": 15,
    "escalated": 6,
    "resolved": 35,
    "closed": 14,
    "reopened": 3,
    "merged": 5,
}
RECENT_WEIGHTS = {"raised": 60, "triaged": 30, "closed": 5, "merged": 5}  # under 14 days old
OPEN = {"raised", "triaged", "action_planned", "in_progress", "escalated", "reopened"}
PLANNED = {"action_planned", "in_progress", "escalated", "resolved", "reopened"}
STEPS = [
    ("Review the policy with front-line staff", "Housing Options manager, City Council"),
    ("Agree a shared letter template", "Service manager, Jobcentre Plus"),
    ("Train reception staff on the new rule", "Team leader, GP surgeries"),
    ("Report back to the forum", "Lived experience lead, engage"),
    ("Change the discharge checklist", "Matron, Emergency Department"),
]
SAID = [
    "It left me with nowhere to turn for weeks.",
    "Nobody could tell me who to ask, so I gave up.",
    "I lost my place on the list because of it.",
    "My worker tried three times before anyone listened.",
]
DID = [
    (
        "Staff now accept any two proofs of identity, and a worker's letter counts as one.",
        "Everyone without photo ID asking for help.",
        "It is written into the policy and new-staff training.",
    ),
    (
        "Appointments can now be moved by text message without losing the place.",
        "People with more than one appointment a week.",
        "The booking system was changed, not just the guidance.",
    ),
    (
        "Discharges after 10pm now come with a taxi voucher or a bed until morning.",
        "People leaving the Emergency Department at night.",
        "It is in the hospital's discharge standard, checked every quarter.",
    ),
]


@dataclass
class Ids:
    manager: int
    board: int
    peer: int
    organisations: list[int]
    meetings: list[int]


class RegisterSeeder:
    """The demo first, then peers, items, supporters, history and plans with Core inserts."""

    def __init__(
        self, app, users: int, items: int, supporters: int, support_events: bool = True
    ) -> None:
        self.app = app
        self.support_events = support_events  # the busy item's "supported" history lines
        self.users = users
        self.items_total = items
        self.supporters_total = supporters
        self.rng = random.Random(2026)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.ids: Ids | None = None
        self.user_ids: list[int] = []  # the bulk peers
        self.next_item_id = 0
        self.busy_id = 0
        self.busy_supporters: set[int] = set()
        self.open_ids: list[int] = []  # open items so far: what a duplicate is merged into
        self.supportable: list[int] = []  # items that were accepted: they can have supporters
        self.raisers: dict[int, int | None] = {}
        self.item_count = 0
        self.support_count = 0
        self.rows = Counter()  # rows inserted per table

    # -- the demo and the people -------------------------------------------------------------

    def base(self) -> None:
        from sqlalchemy import func, insert, select

        from engage import demo
        from engage.changes.models import BoardMeeting, Item, Support
        from engage.extensions import db
        from engage.people.models import Organisation, Profile, Role, User, UserRole

        with self.app.test_request_context():
            demo.seed(extra_peers=DEMO_EXTRA_PEERS)
            db.session.commit()

            def user_id(name: str) -> int:
                return db.session.scalar(select(User.id).where(User.username == name))

            self.ids = Ids(
                manager=user_id("manager"),
                board=user_id("board"),
                peer=user_id("peer"),
                organisations=list(db.session.scalars(select(Organisation.id))),
                meetings=list(db.session.scalars(select(BoardMeeting.id))),
            )
            first_user = db.session.scalar(select(func.max(User.id))) + 1
            self.item_count = db.session.scalar(select(func.count(Item.id)))
            self.support_count = db.session.scalar(select(func.count(Support.id)))
            self.next_item_id = db.session.scalar(select(func.max(Item.id))) + 1
            db.session.commit()  # end the read transaction before the bulk inserts
            user_rows, role_rows, profile_rows = [], [], []
            for i in range(self.users):
                uid = first_user + i
                name = demo.FIRST_NAMES[i % len(demo.FIRST_NAMES)]
                user_rows.append(
                    {
                        "id": uid,
                        "username": f"bench.{name.lower()}.{i}",
                        "email": None,
                        "phone": f"07700 8{i:05d}" if self.rng.random() < 0.6 else None,
                        "password_hash": None,
                        "is_active": True,
                        "created_at": self.now - timedelta(days=self.rng.uniform(30, 1200)),
                        "created_by_id": self.ids.manager,
                    }
                )
                role_rows.append({"user_id": uid, "role": Role.PEER.value})
                profile_rows.append(
                    {"user_id": uid, "preferred_name": name, "contact_channel": "worker"}
                )
                self.user_ids.append(uid)
            with db.engine.begin() as connection:
                connection.execute(insert(User.__table__), user_rows)
                connection.execute(insert(UserRole.__table__), role_rows)
                connection.execute(insert(Profile.__table__), profile_rows)
                fix_sequence(connection, User.__table__.name)
            self.rows.update(user=len(user_rows), profile=len(profile_rows))
            db.session.remove()

    # -- the register --------------------------------------------------------------------------

    def grow_to(self, total_items: int) -> None:
        """Add items (and their supporters, history, plans) until the register holds
        ``total_items``, with supporters in proportion to ``--supporters``."""
        from sqlalchemy import insert, update

        from engage.changes.models import ActionStep, Decision, Event, Item, Support
        from engage.extensions import db

        assert self.ids is not None
        add = total_items - self.item_count
        if add <= 0:
            return
        target_supports = round(self.supporters_total * total_items / self.items_total)
        add_supports = max(target_supports - self.support_count, 0)
        busy_total = min(len(self.user_ids), max(self.supporters_total // 25, 1))
        busy_share = round(busy_total * total_items / self.items_total)

        items, events, steps, decisions = [], [], [], []
        first_new = self.next_item_id
        for _ in range(add):
            item, item_events, item_steps, item_decisions = self._item(self.next_item_id)
            items.append(item)
            events += item_events
            steps += item_steps
            decisions += item_decisions
            self.next_item_id += 1
        if not self.busy_id:
            # The busy item: accepted long ago, in progress, with a plan and a decision.
            self.busy_id = first_new
            busy = items[0]
            busy.update(state="in_progress", level=2, merged_into_id=None, closed_at=None)
            busy["created_at"] = self.now - timedelta(days=200)
            busy["triaged_at"] = busy["created_at"] + timedelta(days=5)
            busy["planned_at"] = busy["triaged_at"] + timedelta(days=12)
            busy["resolved_at"] = None
            busy["target_date"] = (self.now + timedelta(days=40)).date()
            busy["updated_at"] = busy["planned_at"]
            busy.update(close_reason="", what_changed="", changed_for_whom="", lasting="")
            events = [e for e in events if e["item_id"] != self.busy_id]
            steps = [s for s in steps if s["item_id"] != self.busy_id]
            decisions = [d for d in decisions if d["item_id"] != self.busy_id]
            events += [
                self._event(self.busy_id, busy["created_at"], "raised", to="raised"),
                self._event(
                    self.busy_id, busy["planned_at"], "state", frm="triaged", to="action_planned"
                ),
                self._event(
                    self.busy_id,
                    busy["planned_at"] + timedelta(days=3),
                    "state",
                    frm="action_planned",
                    to="in_progress",
                ),
            ]
            steps += self._steps(self.busy_id, busy["planned_at"], busy["target_date"], "x", 3)
            decisions.append(self._decision(self.busy_id, busy["planned_at"]))
            if self.busy_id not in self.supportable:
                self.supportable.append(self.busy_id)

        # Supporters: the busy item first, the peer on a few, the rest skewed over the
        # accepted items (a few popular ones, most with none or a handful).
        by_item: dict[int, list[int]] = {}
        busy_add = max(busy_share - len(self.busy_supporters), 0)
        pool = [u for u in self.user_ids if u not in self.busy_supporters]
        pool = [u for u in pool if u != self.raisers.get(self.busy_id)]
        chosen = self.rng.sample(pool, k=min(busy_add, len(pool)))
        self.busy_supporters.update(chosen)
        by_item[self.busy_id] = list(chosen)
        supportable = set(self.supportable)
        new_supportable = [i["id"] for i in items if i["id"] in supportable]
        others = [i for i in new_supportable if i != self.busy_id]
        for item_id in self.rng.sample(others, k=min(15, len(others))):
            if self.raisers.get(item_id) != self.ids.peer:
                by_item.setdefault(item_id, []).append(self.ids.peer)
        peer = self.ids.peer
        if peer not in self.busy_supporters and self.raisers.get(self.busy_id) != peer:
            by_item[self.busy_id].append(peer)
            self.busy_supporters.add(peer)
        rest = add_supports - sum(len(v) for v in by_item.values())
        if rest > 0 and others:
            weights = [self.rng.paretovariate(1.3) for _ in others]
            cap = min(400, len(self.user_ids) - 1)
            counts = Counter(self.rng.choices(others, weights=weights, k=rest))
            spill = 0
            for item_id, n in list(counts.items()):
                if n > cap:
                    spill += n - cap
                    counts[item_id] = cap
            while spill:
                item_id = self.rng.choice(others)
                if counts[item_id] < cap:
                    counts[item_id] += 1
                    spill -= 1
            for item_id, n in counts.items():
                taken = set(by_item.get(item_id, []))
                raiser = self.raisers.get(item_id)
                picks = [
                    u
                    for u in self.rng.sample(self.user_ids, k=min(n + 2, len(self.user_ids)))
                    if u != raiser and u not in taken
                ][:n]
                by_item.setdefault(item_id, []).extend(picks)

        support_rows = []
        new_ids = {i["id"]: i for i in items}
        for item_id, user_ids in by_item.items():
            since = (new_ids.get(item_id) or {}).get("triaged_at") or self.now - timedelta(days=20)
            for uid in user_ids:
                at = min(since + timedelta(days=self.rng.uniform(0, 60)), self.now)
                support_rows.append(
                    {
                        "item_id": item_id,
                        "user_id": uid,
                        "account": "The same happened to me." if self.rng.random() < 0.4 else "",
                        "share_with_board": self.rng.random() < 0.5,
                        "created_at": at,
                    }
                )
                if item_id == self.busy_id and self.support_events:  # as services.support does
                    events.append(self._event(item_id, at, "supported", actor=uid))
            if item_id in new_ids:
                new_ids[item_id]["supporter_count"] = len(user_ids)

        with self.app.app_context(), db.engine.begin() as connection:
            connection.execute(insert(Item.__table__), items)
            fix_sequence(connection, Item.__table__.name)
            if support_rows:
                connection.execute(insert(Support.__table__), support_rows)
            if self.busy_id not in new_ids and by_item.get(self.busy_id):
                # The busy item is older: count its new supporters as services.support does,
                # without touching updated_at (Core would set it through onupdate).
                connection.execute(
                    update(Item.__table__)
                    .where(Item.__table__.c.id == self.busy_id)
                    .values(
                        supporter_count=Item.__table__.c.supporter_count
                        + len(by_item[self.busy_id]),
                        updated_at=Item.__table__.c.updated_at,
                    )
                )
            connection.execute(insert(Event.__table__), events)
            if steps:
                connection.execute(insert(ActionStep.__table__), steps)
            if decisions:
                connection.execute(insert(Decision.__table__), decisions)
        self.item_count += add
        self.support_count += len(support_rows)
        self.rows.update(
            item=len(items),
            support=len(support_rows),
            event=len(events),
            action_step=len(steps),
            decision=len(decisions),
        )

    def _item(self, item_id: int) -> tuple[dict, list[dict], list[dict], list[dict]]:
        from engage.changes.demo import BLOCKAGES

        rng, ids, now = self.rng, self.ids, self.now
        assert ids is not None
        age = rng.uniform(0, 3 * 365)
        created = now - timedelta(days=age)
        if age < 14:
            weights = RECENT_WEIGHTS
        elif age > 365:  # old items are mostly finished
            weights = {s: w * (0.4 if s in OPEN else 1.5) for s, w in STATE_WEIGHTS.items()}
        else:
            weights = STATE_WEIGHTS
        state = rng.choices(list(weights), weights=list(weights.values()))[0]
        if state == "merged" and not self.open_ids:
            state = "closed"
        title, theme = rng.choice(BLOCKAGES)
        from_meeting = rng.random() < 0.2
        raiser = None if from_meeting else (ids.peer if rng.random() < 0.002 else None)
        if not from_meeting and raiser is None:
            raiser = rng.choice(self.user_ids)
        agency = rng.choice(ids.organisations) if rng.random() < 0.9 else None

        def later(start: datetime, low: float, high: float) -> datetime:
            return min(start + timedelta(days=rng.uniform(low, high)), now - timedelta(hours=1))

        accepted = state not in ("raised", "merged") and not (
            state == "closed" and rng.random() < 0.4
        )
        triaged = later(created, 0.5, 14) if accepted else None
        planned = None
        if triaged and (state in PLANNED or (state == "closed" and rng.random() < 0.3)):
            planned = later(triaged, 0, 60) if rng.random() < 0.97 else later(created, 0, 0.5)
        resolved = later(planned, 10, 200) if state == "resolved" and planned else None
        target = None
        if triaged:
            target = (triaged + timedelta(days=rng.uniform(30, 180))).date()
        closed = None
        if state in ("closed", "merged"):
            closed = later(triaged or created, 1, 90)
        level = rng.choices([1, 2, 3], weights=[6, 3, 1])[0]
        if state == "escalated":
            level = rng.choice([2, 3])
        did = rng.choice(DID) if state in ("resolved", "reopened") else ("", "", "")
        merged_into = rng.choice(self.open_ids[-500:]) if state == "merged" else None
        close_reason = ""
        if state == "closed":
            close_reason = "The board found this is already fixed by a new policy."
        elif state == "merged":
            close_reason = f"This was the same as item {merged_into}, so they were joined."
        last = max(t for t in (created, triaged, planned, resolved, closed) if t is not None)
        item = {
            "id": item_id,
            "title": title,
            "what_happened": f"{title}. {rng.choice(SAID)}",
            "who_affected": "Anyone in the same position",
            "theme": theme.value,
            "agency_id": agency,
            "agency_other": "" if agency else "A service not on the list",
            "source": "meeting" if from_meeting else "peer",
            "source_note": "Expert Citizen Forum" if from_meeting else "",
            "raised_by_id": raiser,
            "entered_by_id": ids.manager if from_meeting else None,
            "show_name": (not from_meeting) and rng.random() < 0.3,
            "state": state,
            "level": level,
            "owner_id": rng.choice([ids.board, ids.manager]) if triaged else None,
            "owner_organisation_id": rng.choice(ids.organisations) if triaged else None,
            "target_date": target,
            "triaged_at": triaged,
            "planned_at": planned,
            "resolved_at": resolved,
            "closed_at": closed,
            "close_reason": close_reason,
            "merged_into_id": merged_into,
            "what_changed": did[0],
            "changed_for_whom": did[1],
            "lasting": did[2],
            "supporter_count": 0,
            "submission_key": None,
            "created_at": created,
            "updated_at": last,
            "version": 1,
        }
        actor = raiser or ids.manager
        events = [self._event(item_id, created, "raised", actor=actor, to="raised")]
        if state != "raised":
            before = "in_progress" if state == "resolved" else "triaged" if planned else "raised"
            if state == "reopened":
                before = "resolved"
            events.append(
                self._event(item_id, last, "state", actor=ids.board, frm=before, to=state)
            )
        steps, decisions = [], []
        if planned:
            steps = self._steps(item_id, planned, target, state, rng.randint(1, 3))
            if rng.random() < 0.5:
                decisions.append(self._decision(item_id, planned))
        if state in OPEN:
            self.open_ids.append(item_id)
        if triaged and state in OPEN - {"raised"}:
            self.supportable.append(item_id)
        elif state in ("resolved", "closed") and triaged and rng.random() < 0.6:
            self.supportable.append(item_id)  # supported while it was open
        self.raisers[item_id] = raiser
        return item, events, steps, decisions

    def _event(self, item_id, at, kind, actor=None, frm="", to="") -> dict:
        notes = {"state": "Moved on by the board.", "raised": "", "supported": ""}
        return {
            "item_id": item_id,
            "at": at,
            "actor_id": actor if actor is not None else (self.ids.board if self.ids else None),
            "kind": kind,
            "from_state": frm,
            "to_state": to,
            "note": notes.get(kind, ""),
        }

    def _steps(self, item_id, planned, target, state, n) -> list[dict]:
        rows = []
        for k in range(n):
            description, owner = STEPS[(item_id + k) % len(STEPS)]
            due = (planned + timedelta(days=14 * (k + 1))).date()
            if target and due > target:
                due = target
            done = state in ("resolved",) or (state == "in_progress" and k == 0)
            rows.append(
                {
                    "item_id": item_id,
                    "description": description,
                    "owner_name": owner,
                    "due_date": due,
                    "done_at": min(planned + timedelta(days=10 * (k + 1)), self.now)
                    if done
                    else None,
                    "created_at": planned,
                }
            )
        return rows

    def _decision(self, item_id, at) -> dict:
        assert self.ids is not None
        return {
            "item_id": item_id,
            "meeting_id": self.rng.choice(self.ids.meetings) if self.ids.meetings else None,
            "text": "Agreed to review the policy with the forum.",
            "co_produced": self.rng.random() < 0.6,
            "decided_at": at,
            "recorded_by_id": self.ids.board,
        }

    def check(self) -> dict[str, int]:
        """Rows per table, and a check that every supporter_count equals its support rows."""
        from sqlalchemy import func, select

        from engage.changes.models import ActionStep, Decision, Event, Item, Support
        from engage.extensions import db
        from engage.people.models import User

        with self.app.app_context():
            counted = (
                select(func.count(Support.id))
                .where(Support.item_id == Item.id)
                .correlate(Item)
                .scalar_subquery()
            )
            wrong = db.session.scalar(
                select(func.count(Item.id)).where(Item.supporter_count != counted)
            )
            if wrong:
                raise RuntimeError(f"{wrong} items have a supporter_count unequal to support rows")
            sizes = {
                "users": db.session.scalar(select(func.count(User.id))),
                "items": db.session.scalar(select(func.count(Item.id))),
                "supporters": db.session.scalar(select(func.count(Support.id))),
                "events": db.session.scalar(select(func.count(Event.id))),
                "action steps": db.session.scalar(select(func.count(ActionStep.id))),
                "decisions": db.session.scalar(select(func.count(Decision.id))),
                "busy item's supporters": db.session.scalar(
                    select(Item.supporter_count).where(Item.id == self.busy_id)
                ),
            }
            states = dict(
                db.session.execute(select(Item.state, func.count()).group_by(Item.state)).all()
            )
            db.session.remove()
        sizes["states"] = states  # type: ignore[assignment]
        return sizes


def fix_sequence(connection, table: str) -> None:
    """PostgreSQL: after rows with explicit ids, move the id sequence past them."""
    if connection.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    connection.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'(SELECT max(id) FROM "{table}"))'
        )
    )


# ---------------------------------------------------------------------------------------------
# In-process: the measures' share of /register


def profile_measures(app, manager_id: int, repeats: int = 15) -> dict[str, float]:
    """Median ms of: the whole /register page in-process (test_client, as manager), and the
    measures (``register_measures``: two aggregate queries, no item read as a row)."""
    from engage.changes import measures
    from engage.changes.routes import filtered_items_query
    from engage.core import dates
    from engage.extensions import db
    from engage.people.models import User

    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"login": "manager", "password": "engage-demo", "csrf_token": token})
    page = []
    for i in range(repeats + 2):
        start = time.perf_counter()
        response = client.get("/register")
        if response.status_code != 200:
            raise RuntimeError(f"/register answered {response.status_code}")
        if i >= 2:
            page.append(time.perf_counter() - start)
    whole = []
    with app.test_request_context():
        manager = db.session.get(User, manager_id)
        for i in range(repeats + 2):
            query = filtered_items_query(manager, {})
            start = time.perf_counter()
            measures.register_measures(query, today=dates.local_today())
            if i >= 2:
                whole.append(time.perf_counter() - start)
        db.session.remove()

    def ms(values: list[float]) -> float:
        return statistics.median(values) * 1000

    return {"page": ms(page), "measures": ms(whole)}


# ---------------------------------------------------------------------------------------------
# Timing behind gunicorn


def timed(client: Client, path: str, n: int, warm: int, budget: float) -> Timing:
    """Like ``home_profile.sequential``, but stops early after ``budget`` seconds."""
    for _ in range(warm):
        fetch_ok(client, path)
    timing = Timing()
    start = time.perf_counter()
    for _ in range(n):
        elapsed, timing.size = fetch_ok(client, path)
        timing.latencies.append(elapsed)
        if time.perf_counter() - start > budget:
            break
    timing.wall = time.perf_counter() - start
    return timing


def check_peer_refused_csv(app) -> int:
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"login": "peer", "password": "engage-demo", "csrf_token": token})
    return client.get("/register.csv").status_code


# ---------------------------------------------------------------------------------------------
# Report


def report(
    args,
    database: Database,
    page_list: list[Page],
    timings: dict[tuple[str, str], Timing],
    queries: dict[int, dict[tuple[str, str], list[str]]],
    sizes: dict,
    profile: dict[str, float],
    seconds: dict[str, float],
    load: list[float],
) -> bool:
    ceiling = timings[(CEILING.label, CEILING.who)].pct(0.5)
    steps = sorted(queries)
    print()
    print(
        f"engage register benchmark, {dt.date.today().isoformat()}: {database.label}, "
        f"gunicorn 2 sync workers, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.1f} before / {load[1]:.1f} before timing / "
        f"{load[2]:.1f} after"
    )
    states = sizes.pop("states")
    print("rows: " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
    print("items by state: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
    print()
    header = ["page", "as", "n", "p50 ms", "p95 ms", "req/s", "p50 / ceiling", "bytes"]
    header += [f"queries @{n}" for n in steps]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for page in [*page_list, CEILING]:
        t = timings[(page.label, page.who)]
        row = [
            f"`{page.label}`",
            page.who,
            str(len(t.latencies)),
            f"{t.pct(0.5):.1f}",
            f"{t.pct(0.95):.1f}",
            f"{t.rps:.0f}",
            f"{t.pct(0.5) / ceiling:.1f}x",
            str(t.size),
        ]
        row += [str(len(queries[n].get((page.label, page.who), []))) for n in steps]
        print("| " + " | ".join(row) + " |")
    print()
    print(
        f"measures at {args.items} items, in-process (median of 15, as manager): "
        f"register_measures {profile['measures']:.1f} ms (two aggregate queries); the whole "
        f"/register page in-process {profile['page']:.1f} ms, so the measures are "
        f"{100 * profile['measures'] / profile['page']:.0f}% of it"
    )
    print("timings (s): " + ", ".join(f"{name} {value:.1f}" for name, value in seconds.items()))
    same = True
    for page in page_list:
        by_n = {n: queries[n][(page.label, page.who)] for n in steps}
        changes = growth(by_n)
        if len(by_n[steps[0]]) != len(by_n[steps[-1]]) or changes:
            same = False
            print(f"\nQUERY COUNT CHANGES with items for {page.label} as {page.who}:")
            for line in changes:
                print("  " + line)
    if same:
        print(f"query counts are the same at {' and '.join(map(str, steps))} items for every page")
    if args.show_queries:
        for page in page_list:
            print(f"\n-- {page.label} as {page.who} @{steps[-1]} items:")
            for statement in queries[steps[-1]][(page.label, page.who)]:
                print("   " + normalise(statement)[:300])
    return same


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10000, help="items in the register")
    parser.add_argument("--supporters", type=int, default=50000, help="support rows in all")
    parser.add_argument("--users", type=int, default=2000, help="peers added to support items")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page")
    parser.add_argument("--csv-requests", type=int, default=30, help="timed CSV requests")
    parser.add_argument(
        "--page-budget", type=float, default=20.0, help="stop timing a page after this many s"
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server on 127.0.0.1 to make the scratch database engage_bench on",
    )
    parser.add_argument(
        "--no-support-events",
        action="store_true",
        help="leave out the busy item's 'supported' history events (one per supporter)",
    )
    parser.add_argument("--show-queries", action="store_true", help="print each page's SQL")
    args = parser.parse_args(argv)
    if args.items <= FIRST_STEP:
        parser.error(f"--items must be more than {FIRST_STEP}")
    if args.users < 100:
        parser.error("--users must be at least 100")

    started = time.perf_counter()
    load = [os.getloadavg()[0]]  # other work on the machine skews the timings
    seconds: dict[str, float] = {}
    with scratch_site("engage-bench-register-", args.database_url, freeze=False) as site:
        from bench.wsgi_app import add_ceiling_route

        app, database = site.app, site.database
        add_ceiling_route(app, b"<!doctype html><title>ceiling</title>")
        seconds["migrate"] = site.migrate_seconds

        t = time.perf_counter()
        seeder = RegisterSeeder(
            app, args.users, args.items, args.supporters, not args.no_support_events
        )
        seeder.base()
        seconds["demo and people"] = time.perf_counter() - t

        queries: dict[int, dict[tuple[str, str], list[str]]] = {}
        page_list: list[Page] = []
        seed_time = count_time = 0.0
        for n in (FIRST_STEP, args.items):
            t = time.perf_counter()
            seeder.grow_to(n)
            seed_time += time.perf_counter() - t
            page_list = pages(seeder.busy_id)
            t = time.perf_counter()
            queries[n] = count_queries(app, page_list)
            count_time += time.perf_counter() - t
            print(f"seeded {n} items, counted queries", flush=True)
        seconds["seed items"] = seed_time
        seconds["count queries"] = count_time
        sizes = seeder.check()
        refused = check_peer_refused_csv(app)
        if refused != 403:
            print(f"warning: /register.csv as peer answered {refused}, not 403", file=sys.stderr)

        t = time.perf_counter()
        profile = profile_measures(app, seeder.ids.manager)
        seconds["profile measures"] = time.perf_counter() - t

        # The ceiling serves the bytes of the manager's /register, captured once now.
        client = app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        client.post(
            "/login", data={"login": "manager", "password": "engage-demo", "csrf_token": token}
        )
        site.set_ceiling(client.get("/register").get_data())

        t = time.perf_counter()
        port = site.start_gunicorn()
        seconds["start gunicorn"] = time.perf_counter() - t
        print(f"gunicorn (2 sync workers) on 127.0.0.1:{port}", flush=True)

        t = time.perf_counter()
        load.append(os.getloadavg()[0])
        clients = {
            "peer": sign_in(port, "peer"),
            "manager": sign_in(port, "manager"),
            "anonymous": Client(port),
        }
        timings: dict[tuple[str, str], Timing] = {}
        for page in [*page_list, CEILING]:
            csv = page.path.startswith("/register.csv")
            timings[(page.label, page.who)] = timed(
                clients[page.who],
                page.path,
                args.csv_requests if csv else args.requests,
                2 if csv else WARM_UP,
                args.page_budget,
            )
            print(f"timed {page.label} as {page.who}", flush=True)
        seconds["measure"] = time.perf_counter() - t
        for client in clients.values():
            client.close()
        site.stop_gunicorn()
        load.append(os.getloadavg()[0])
        seconds["total"] = time.perf_counter() - started
        same = report(args, database, page_list, timings, queries, sizes, profile, seconds, load)
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
