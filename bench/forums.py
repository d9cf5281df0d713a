"""How fast are the forum and meeting pages behind the real WSGI server for a forum with many
meetings and a meeting with many invitees, and does the number of SQL queries stay the same as
they grow?

    .venv/bin/python bench/forums.py [--meetings 1000] [--invitees 200] [--requests 300]
        [--page-budget 20] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--show-queries]

Steps (see bench/README.md, "forums.py"):

1. A scratch database, exactly as ``bench/home_profile.py`` makes it: SQLite in a temporary
   folder, or with ``--database-url`` a database ``engage_bench`` created (and dropped again at
   the end) on that PostgreSQL server on 127.0.0.1. Then the migrations.
2. ``engage.demo.seed(extra_peers=0)``: the named accounts (password ``engage-demo``) and
   the demo forums. Then ``--invitees`` peers without a password (``user``, ``user_role`` and
   ``profile`` rows with varied access needs, interpreters and diets), bulk-inserted with
   SQLAlchemy Core ``insert()`` executemany.
3. One invitation-only forum, "Bench Forum", grown with Core inserts in two steps: first 10
   members and 10 meetings (5 past, 5 to come), then ``--invitees`` members and ``--meetings``
   meetings (past and to come, 30 % to come). The "busy meeting" is the next one: it holds 10
   invitations, then ``--invitees``, with varied replies (yes, maybe, no, not replied, waiting
   list; capacity 60 % of the invitees), an agenda with a carried-forward action and two
   papers. ``peer`` is a member and said yes. Every other meeting has up to 20 invitations;
   past ones have attendance rows (attended, late, left early, apologies, no-show), minutes
   and some actions.
4. After each step an in-process ``app.test_client()`` signs in as ``manager`` and as ``peer``
   and counts each page's SQL statements (``before_cursor_execute``, the helpers of
   ``bench/home_profile.py``). The counts at both steps must be equal.
5. gunicorn with 2 sync workers on 127.0.0.1, sign in over HTTP (stdlib ``http.client``), and
   time ``--requests`` sequential requests of each page (or ``--page-budget`` seconds), then
   the ceiling: a static page of the manager's busy-meeting bytes.
6. A table, then gunicorn stopped and everything removed.

Only 127.0.0.1 is contacted (a ``--database-url`` for another host is refused).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import secrets
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.home_profile import (  # noqa: E402
    WARM_UP,
    Client,
    Page,
    Timing,
    count_queries,
    csrf_from,
    growth,
    normalise,
    scratch_site,
    sign_in,
)
from bench.register import fix_sequence, timed  # noqa: E402

FIRST = 10  # members, invitees and meetings at the first count
OTHER_INVITES = 20  # invitations on every meeting but the busy one
CEILING = Page("/bench/ceiling", "anonymous", "/bench/ceiling")
REPLY_WEIGHTS = {"yes": 45, "maybe": 12, "no": 15, "invited": 20, "waiting": 8}
PRESENCE_WEIGHTS = {"attended": 60, "late": 10, "left_early": 5, "apologies": 15, "no_show": 10}
LANGUAGES = ["Polish", "Arabic", "British Sign Language", "Urdu", "Romanian"]
DIETS = ["Vegetarian", "Halal", "No nuts", "Gluten free"]
NAMES = ["Aisha", "Ben", "Chloe", "Dariusz", "Ewa", "Farah", "Gary", "Hannah", "Imran", "Jo"]


def pages(forum_id: int, busy_id: int, past_id: int) -> list[Page]:
    result = []
    for who in ("manager", "peer"):
        result += [
            Page("/forums", who, "/forums"),
            Page("/forums/<bench>", who, f"/forums/{forum_id}"),
            Page("/meetings/<busy>", who, f"/meetings/{busy_id}"),
            Page("/meetings/<past>", who, f"/meetings/{past_id}"),
        ]
    return result


class ForumSeeder:
    """The demo, bulk peers, then the bench forum grown in two steps with Core inserts."""

    def __init__(self, app, invitees: int, meetings: int) -> None:
        self.app = app
        self.invitees_total = invitees
        self.meetings_total = meetings
        self.rng = random.Random(2026)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.manager = self.peer = self.forum = self.busy = self.past = 0
        self.venues: list[int] = []
        self.people: list[int] = []  # peer first, then the bulk peers
        self.members: list[int] = []
        self.invited: list[int] = []  # on the busy meeting
        self.meeting_count = 0
        self.future_count = 0
        self.past_count = 0
        self.next = Counter()  # next explicit id per table
        self.rows = Counter()

    def base(self) -> None:
        from sqlalchemy import func, insert, select

        from engage import demo
        from engage.extensions import db
        from engage.forums.models import (
            Action,
            AgendaItem,
            Attendance,
            Forum,
            Invitation,
            Meeting,
            Paper,
            Venue,
        )
        from engage.people.models import Profile, Role, User, UserRole

        with self.app.test_request_context():
            demo.seed(extra_peers=0)
            db.session.commit()
            uid = {
                name: db.session.scalar(select(User.id).where(User.username == name))
                for name in ("manager", "peer")
            }
            self.manager, self.peer = uid["manager"], uid["peer"]
            self.venues = list(db.session.scalars(select(Venue.id)))
            for model in (User, Meeting, Invitation, Attendance, Action, AgendaItem, Paper, Forum):
                top = db.session.scalar(select(func.max(model.id))) or 0
                self.next[model.__tablename__] = top + 1
            db.session.commit()
            users, roles, profiles = [], [], []
            for i in range(self.invitees_total):
                user_id = self._id("user")
                name = NAMES[i % len(NAMES)]
                users.append(
                    {
                        "id": user_id,
                        "username": f"bench.{name.lower()}.{i}",
                        "email": None,
                        "phone": None,
                        "password_hash": None,
                        "is_active": True,
                        "created_at": self.now - timedelta(days=self.rng.uniform(30, 900)),
                        "created_by_id": self.manager,
                    }
                )
                roles.append({"user_id": user_id, "role": Role.PEER.value})
                r = self.rng.random
                profiles.append(
                    {
                        "user_id": user_id,
                        "preferred_name": f"{name} {i}",
                        "contact_channel": "worker",
                        "needs_step_free": r() < 0.2,
                        "needs_hearing_loop": r() < 0.1,
                        "needs_large_print": r() < 0.15,
                        "needs_easy_read": r() < 0.2,
                        "needs_childcare": r() < 0.15,
                        "needs_carer": r() < 0.05,
                        "needs_quiet_space": r() < 0.2,
                        "interpreter_language": self.rng.choice(LANGUAGES) if r() < 0.15 else "",
                        "dietary_needs": self.rng.choice(DIETS) if r() < 0.2 else "",
                    }
                )
                self.people.append(user_id)
            forum_id = self._id("forum")
            with db.engine.begin() as connection:
                connection.execute(insert(User.__table__), users)
                connection.execute(insert(UserRole.__table__), roles)
                connection.execute(insert(Profile.__table__), profiles)
                connection.execute(
                    insert(Forum.__table__),
                    [
                        {
                            "id": forum_id,
                            "name": "Bench Forum",
                            "purpose": "A forum with many meetings and members.",
                            "terms_of_reference": "We meet often.",
                            "chair_id": self.peer,
                            "open_to_all": False,
                            "created_at": self.now - timedelta(days=3000),
                        }
                    ],
                )
                fix_sequence(connection, User.__table__.name)
                fix_sequence(connection, Forum.__table__.name)
            self.forum = forum_id
            # The peer replaces the last bulk peer, so there are ``invitees`` people in all.
            self.people = [self.peer, *self.people[:-1]]
            self.rows.update(user=len(users), profile=len(profiles))
            db.session.remove()

    def _id(self, table: str) -> int:
        value = self.next[table]
        self.next[table] += 1
        return value

    def grow_to(self, invitees: int, meetings: int) -> None:
        """Members and busy-meeting invitees up to ``invitees``, meetings up to ``meetings``."""
        from sqlalchemy import insert

        from engage.extensions import db
        from engage.forums.models import (
            Action,
            AgendaItem,
            Attendance,
            ForumMember,
            Invitation,
            Meeting,
            Paper,
        )

        member_rows = []
        for user_id in self.people[len(self.members) : invitees]:
            member_rows.append(
                {
                    "forum_id": self.forum,
                    "user_id": user_id,
                    "joined_on": (self.now - timedelta(days=self.rng.uniform(100, 2000))).date(),
                    "left_on": None,
                }
            )
            self.members.append(user_id)
        meeting_rows, invitations, attendance, actions, agenda, papers = [], [], [], [], [], []
        add = meetings - self.meeting_count
        future_target = max(round(meetings * 0.3), 5)
        for _ in range(add):
            if self.future_count < future_target:
                self.future_count += 1
                # The busy meeting is tomorrow; the others follow every 2-7 days.
                days = 1 if self.future_count == 1 else 1 + 7 * (self.future_count - 1)
                if self.future_count > 5:
                    days = 36 + 2 * (self.future_count - 6)
                starts = self.now + timedelta(days=days)
                past = False
            else:
                self.past_count += 1
                days = 7 * self.past_count - 1 if self.past_count <= 5 else 41 + 2 * self.past_count
                starts = self.now - timedelta(days=days)
                past = True
            starts = starts.replace(hour=10, minute=0, second=0)
            meeting_id = self._id("meeting")
            busy = not past and self.future_count == 1
            meeting_rows.append(
                {
                    "id": meeting_id,
                    "forum_id": self.forum,
                    "series_id": None,
                    "title": "Bench meeting" if not busy else "The busy meeting",
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=2),
                    "venue_id": self.rng.choice(self.venues) if self.venues else None,
                    "online_link": "",
                    "capacity": round(self.invitees_total * 0.6) if busy else None,
                    "rung": "consultation",
                    "cancelled": not busy and self.rng.random() < 0.03,
                    "detached": False,
                    "minutes": "We talked about housing and benefits." if past else "",
                    "decisions": "Agreed to write to the council." if past else "",
                    "wellbeing_check_in": True,
                    "created_at": starts - timedelta(days=30),
                }
            )
            if busy:
                self.busy = meeting_id
            if past and self.past_count == 1:
                self.past = meeting_id
            if busy:
                continue  # its invitations are added below
            sample = self.rng.sample(self.members, k=min(OTHER_INVITES, len(self.members)))
            for user_id in sample:
                reply = self._reply() if user_id != self.peer else "yes"
                invitations.append(self._invitation(meeting_id, user_id, reply, starts))
                if past:
                    presence = self.rng.choices(
                        list(PRESENCE_WEIGHTS), weights=list(PRESENCE_WEIGHTS.values())
                    )[0]
                    attendance.append(
                        {
                            "id": self._id("meeting_attendance"),
                            "meeting_id": meeting_id,
                            "user_id": user_id,
                            "presence": presence,
                            "marked_at": starts + timedelta(hours=2),
                            "involvement_recorded_at": None,
                        }
                    )
            if past and self.rng.random() < 0.5:
                actions.append(
                    {
                        "id": self._id("meeting_action"),
                        "meeting_id": meeting_id,
                        "description": "Write to the housing team about the waiting list.",
                        "owner_name": "Lived experience lead",
                        "due_date": (starts + timedelta(days=14)).date(),
                        "done_at": starts + timedelta(days=10) if self.rng.random() < 0.7 else None,
                        "created_at": starts,
                    }
                )
        self.meeting_count = meetings
        # The busy meeting's invitees: the peer (yes) first, then the members in order.
        for user_id in self.members[len(self.invited) : invitees]:
            reply = "yes" if user_id == self.peer else self._reply()
            invitations.append(self._invitation(self.busy, user_id, reply, self.now))
            self.invited.append(user_id)
        if self.rows["agenda"] == 0:
            carried = self._id("meeting_action")
            actions.append(
                {
                    "id": carried,
                    "meeting_id": self.past,
                    "description": "Ask the council for the new policy in easy read.",
                    "owner_name": "Forum chair",
                    "due_date": self.now.date(),
                    "done_at": None,
                    "created_at": self.now - timedelta(days=6),
                }
            )
            for position, (title, note, action_id) in enumerate(
                [
                    ("Welcome and check-in", "", None),
                    ("Housing waiting lists", "We will talk about eviction.", None),
                    ("Benefits letters", "", None),
                    ("Ask the council for the new policy in easy read", "", carried),
                ],
                start=1,
            ):
                agenda.append(
                    {
                        "id": self._id("agenda_item"),
                        "meeting_id": self.busy,
                        "position": position,
                        "title": title,
                        "content_note": note,
                        "action_id": action_id,
                    }
                )
            for title in ("Housing policy draft", "Minutes of the last meeting"):
                papers.append(
                    {
                        "id": self._id("paper"),
                        "meeting_id": self.busy,
                        "title": title,
                        "stored_name": f"{secrets.token_hex(16)}.pdf",
                        "content_type": "application/pdf",
                        "size": 120_000,
                        "created_at": self.now - timedelta(days=2),
                    }
                )
        with self.app.app_context(), db.engine.begin() as connection:
            for model, rows in (
                (ForumMember, member_rows),
                (Meeting, meeting_rows),
                (Action, actions),
                (AgendaItem, agenda),
                (Paper, papers),
                (Invitation, invitations),
                (Attendance, attendance),
            ):
                if rows:
                    connection.execute(insert(model.__table__), rows)
                    fix_sequence(connection, model.__tablename__)
                    self.rows[model.__tablename__] += len(rows)
            self.rows["agenda"] += len(agenda)
            db.session.remove()

    def _reply(self) -> str:
        return self.rng.choices(list(REPLY_WEIGHTS), weights=list(REPLY_WEIGHTS.values()))[0]

    def _invitation(self, meeting_id: int, user_id: int, reply: str, starts: datetime) -> dict:
        invited = starts - timedelta(days=self.rng.uniform(7, 28))
        replied = invited + timedelta(hours=self.rng.uniform(1, 100))
        return {
            "id": self._id("meeting_invitation"),
            "meeting_id": meeting_id,
            "user_id": user_id,
            "reply": reply,
            "replied_at": None if reply == "invited" else replied,
            "waiting_since": replied if reply == "waiting" else None,
            "reminded_at": None,
            "invited_at": invited,
        }

    def sizes(self) -> dict[str, int]:
        from sqlalchemy import func, select

        from engage.extensions import db
        from engage.forums.models import Attendance, ForumMember, Invitation, Meeting

        with self.app.app_context():
            result = {
                "bench forum meetings": db.session.scalar(
                    select(func.count(Meeting.id)).where(Meeting.forum_id == self.forum)
                ),
                "of them to come": db.session.scalar(
                    select(func.count(Meeting.id)).where(
                        Meeting.forum_id == self.forum, Meeting.ends_at >= self.now
                    )
                ),
                "members": db.session.scalar(
                    select(func.count(ForumMember.id)).where(ForumMember.forum_id == self.forum)
                ),
                "busy meeting invitees": db.session.scalar(
                    select(func.count(Invitation.id)).where(Invitation.meeting_id == self.busy)
                ),
                "invitations": db.session.scalar(select(func.count(Invitation.id))),
                "attendance": db.session.scalar(select(func.count(Attendance.id))),
            }
            replies = dict(
                db.session.execute(
                    select(Invitation.reply, func.count())
                    .where(Invitation.meeting_id == self.busy)
                    .group_by(Invitation.reply)
                ).all()
            )
            db.session.remove()
        result["busy replies"] = replies  # type: ignore[assignment]
        return result


def step_label(invitees: int, meetings: int) -> str:
    return f"{invitees}i/{meetings}m"


def report(args, database, page_list, timings, queries, sizes, seconds, load) -> bool:
    ceiling = timings[(CEILING.label, CEILING.who)].pct(0.5)
    steps = list(queries)
    print()
    print(
        f"engage forums benchmark, {dt.date.today().isoformat()}: {database.label}, "
        f"gunicorn 2 sync workers, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.1f} before / {load[1]:.1f} before timing / {load[2]:.1f} after"
    )
    replies = sizes.pop("busy replies")
    print("rows: " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
    print("busy meeting replies: " + ", ".join(f"{k} {v}" for k, v in sorted(replies.items())))
    print()
    header = ["page", "as", "n", "p50 ms", "p95 ms", "req/s", "p50 / ceiling", "bytes"]
    header += [f"queries @{s}" for s in steps]
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
        row += [str(len(queries[s].get((page.label, page.who), []))) for s in steps]
        print("| " + " | ".join(row) + " |")
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
                print("  " + line)
    if same:
        print(f"query counts are the same at {' and '.join(steps)} for every page")
    if args.show_queries:
        for page in page_list:
            print(f"\n-- {page.label} as {page.who} @{steps[-1]}:")
            for statement in queries[steps[-1]][(page.label, page.who)]:
                print("   " + normalise(statement)[:300])
    return same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meetings", type=int, default=1000, help="meetings of the bench forum")
    parser.add_argument("--invitees", type=int, default=200, help="invited to the busy meeting")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page")
    parser.add_argument(
        "--page-budget", type=float, default=20.0, help="stop timing a page after this many s"
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server on 127.0.0.1 to make the scratch database engage_bench on",
    )
    parser.add_argument("--show-queries", action="store_true", help="print each page's SQL")
    args = parser.parse_args(argv)
    if args.meetings <= FIRST or args.invitees <= FIRST:
        parser.error(f"--meetings and --invitees must be more than {FIRST}")

    started = time.perf_counter()
    load = [os.getloadavg()[0]]
    seconds: dict[str, float] = {}
    with scratch_site("engage-bench-forums-", args.database_url, freeze=False) as site:
        app, database = site.app, site.database
        seconds["migrate"] = site.migrate_seconds

        t = time.perf_counter()
        seeder = ForumSeeder(app, args.invitees, args.meetings)
        seeder.base()
        seconds["demo and people"] = time.perf_counter() - t

        queries: dict[str, dict[tuple[str, str], list[str]]] = {}
        page_list: list[Page] = []
        seed_time = count_time = 0.0
        for invitees, meetings in ((FIRST, FIRST), (args.invitees, args.meetings)):
            t = time.perf_counter()
            seeder.grow_to(invitees, meetings)
            seed_time += time.perf_counter() - t
            page_list = pages(seeder.forum, seeder.busy, seeder.past)
            t = time.perf_counter()
            queries[step_label(invitees, meetings)] = count_queries(app, page_list)
            count_time += time.perf_counter() - t
            print(f"seeded {invitees} invitees, {meetings} meetings, counted", flush=True)
        seconds["seed forum"] = seed_time
        seconds["count queries"] = count_time
        sizes = seeder.sizes()

        # The ceiling serves the bytes of the manager's busy meeting page, captured once now.
        client = app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        client.post(
            "/login", data={"login": "manager", "password": "engage-demo", "csrf_token": token}
        )
        site.set_ceiling(client.get(f"/meetings/{seeder.busy}").get_data())

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
            timings[(page.label, page.who)] = timed(
                clients[page.who], page.path, args.requests, WARM_UP, args.page_budget
            )
            print(f"timed {page.label} as {page.who}", flush=True)
        seconds["measure"] = time.perf_counter() - t
        for client in clients.values():
            client.close()
        site.stop_gunicorn()
        load.append(os.getloadavg()[0])
        seconds["total"] = time.perf_counter() - started
        same = report(args, database, page_list, timings, queries, sizes, seconds, load)
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
