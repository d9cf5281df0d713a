"""How close is every key page to the server's ceiling at demo × 100 data, and is each page's
number of SQL statements the same on the demo alone and at full size? (issue 15)

    .venv/bin/python bench/pages.py [--duration 3] [--rounds 5] [--quick]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--scratch-database engage_bench_pages] [--only /payments,/claims] [--show-queries]

Steps (see bench/README.md, "pages.py"):

1. A scratch database as ``bench/home_profile.py`` makes it (SQLite in a temporary folder, or
   ``--scratch-database`` created and dropped on the PostgreSQL server of ``--database-url``,
   which must be on 127.0.0.1), then the migrations.
2. The demo and the small versions of the benches' own objects, composed from their seeders
   (nothing copied): ``bench/dashboard.py``'s ``DashboardSeeder.base`` (``demo.seed``, 20 extra
   peers) and its four survey rounds; ``bench/forums.py``'s bench forum with 10 members and 10
   meetings (the busy meeting: 10 invitees); ``bench/mentoring.py``'s busy application. The
   later seeders' own ``demo.seed`` calls are skipped (the demo is there already). Each page's
   SQL statements are counted in-process (``app.test_client()``, as ``bench/dashboard.py``
   counts them): that is "demo".
3. Demo × 100 in bulk: the bench forum grown to 200 members and 300 meetings (the busy meeting:
   200 invitees); ``DashboardSeeder.grow``: 10,000 people, 30 forums and ~3,000 meetings,
   100,000 involvement records in 24 monthly runs, 20,000 claims, 50,000 survey answers,
   10,000 register items with their history; ``MentoringSeeder.grow_to``: 5,000 applications;
   ``PaymentsSeeder``: claims up to 100,000 in all, with a ready run of 10,000 lines. Then
   ``ANALYZE`` (``VACUUM ANALYZE`` on PostgreSQL) and the statements counted again: "full".
4. ``engage serve`` (gunicorn, 2 sync workers) serving ``bench.wsgi_app`` with its
   ``/bench/ceiling`` route, which answers with the bytes of the manager's home page captured
   before the server starts: the same server and request hooks, no database and no template.
5. ``--rounds`` rounds; in each, every page and the ceiling in turn, each for ``--duration``
   seconds with 4 client connections (threads, kept alive, each signed in as the page's role)
   after a warm-up. The table gives the medians over the rounds of each page's req/s and p50,
   and its req/s as a share of the ceiling's in the same rounds. Target (issue 15): ≥ 15 %.

``--quick``: a smoke run at a twentieth of the sizes, one round of 0.5 s per page.
Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.dashboard import DashboardSeeder, signed_in, statements_of  # noqa: E402
from bench.forums import ForumSeeder  # noqa: E402
from bench.home_profile import (  # noqa: E402
    Client,
    fetch_ok,
    normalise,
    scratch_site,
    sign_in,
)
from bench.mentoring import MentoringSeeder  # noqa: E402
from bench.payments import PaymentsSeeder  # noqa: E402

SCRATCH_DB = "engage_bench_pages"
CONNECTIONS = 4
WARM = 3  # requests per connection before each timed spell
TARGET_SHARE = 0.15
FIRST = 10  # bench forum members and meetings at the demo count


@dataclass
class Page:
    label: str
    who: str
    path: str
    data: str = ""


@dataclass
class Spell:
    """One page timed for a while by all connections at once."""

    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    size: int = 0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else 0.0


@dataclass
class Sizes:
    people: int = 10_000
    records: int = 100_000
    answers: int = 50_000
    items: int = 10_000
    members: int = 200
    meetings: int = 300
    applications: int = 5_000
    claims: int = 100_000
    run_lines: int = 10_000
    payees: int = 2_000

    def scaled(self, factor: float) -> Sizes:
        return Sizes(**{k: max(int(v * factor), FIRST + 1) for k, v in vars(self).items()})


def key_pages(ids: dict[str, int], sizes: Sizes) -> list[Page]:
    items = f"{sizes.items:,} items"
    claims = f"{sizes.claims:,} claims"
    return [
        Page("/", "peer", "/", "home"),
        Page("/", "manager", "/", items),
        Page("/register", "manager", "/register", items),
        Page(
            "/register?state=open&theme=housing",
            "manager",
            "/register?state=open&theme=housing",
            items,
        ),  # fmt: skip
        Page(
            "/meetings/<busy>", "manager", f"/meetings/{ids['busy']}", f"{sizes.members} invitees"
        ),  # fmt: skip
        Page("/meetings/<busy>", "peer", f"/meetings/{ids['busy']}", f"{sizes.members} invitees"),
        Page(
            "/forums/<bench>",
            "manager",
            f"/forums/{ids['forum']}",
            f"{sizes.meetings} meetings, {sizes.members} members",
        ),  # fmt: skip
        Page("/claims", "manager", "/claims", claims),
        Page("/payments", "finance", "/payments", f"{claims}, {sizes.records:,} records"),
        Page("/dashboard", "manager", "/dashboard", "everything"),
        Page(
            "/surveys/<id>/results",
            "manager",
            f"/surveys/{ids['round']}/results",
            f"{sizes.answers:,} answers in 4 rounds",
        ),  # fmt: skip
        Page("/applications", "manager", "/applications", f"{sizes.applications:,} applications"),
    ]


CEILING = Page("/bench/ceiling", "anonymous", "/bench/ceiling", "no database")


# ---------------------------------------------------------------------------------------------
# Seeding: the benches' own seeders, composed


def skip_second_demo() -> None:
    """Each bench seeder starts with ``demo.seed``; after the first, the demo is there."""
    from engage import demo

    first = demo.seed
    done: list = []

    def seed_once(*args, **kwargs):
        if not done:
            done.append(first(*args, **kwargs))
        return done[0]

    demo.seed = seed_once


class Seeding:
    def __init__(self, app, sizes: Sizes) -> None:
        self.app = app
        self.sizes = sizes
        self.seconds: dict[str, float] = {}
        self.ids: dict[str, int] = {}

    def timed(self, name: str, step) -> None:
        t = time.perf_counter()
        step()
        self.seconds[name] = time.perf_counter() - t
        print(f"  {name}: {self.seconds[name]:.1f} s", flush=True)

    def demo(self) -> None:
        s = self.sizes
        skip_second_demo()
        args = argparse.Namespace(
            people=s.people, records=s.records, answers=s.answers, items=s.items
        )
        self.dashboard = DashboardSeeder(self.app, args)
        self.timed("demo", self.dashboard.base)
        # The survey rounds now, through the services, before the people (as grow does).
        self.timed("survey rounds", self.dashboard._rounds)
        self.dashboard._rounds = lambda: None
        self.forum = ForumSeeder(self.app, s.members, s.meetings)

        def forum_small() -> None:
            self.forum.base()
            self.forum.grow_to(FIRST, FIRST)

        self.timed("bench forum (small)", forum_small)
        self.mentoring = MentoringSeeder(self.app)
        self.timed("busy application", self.mentoring.base)
        self.ids = {
            "busy": self.forum.busy,
            "forum": self.forum.forum,
            "round": self.dashboard.rounds[-1][0],
        }

    def grow(self) -> None:
        s = self.sizes
        self.timed("bench forum", lambda: self.forum.grow_to(s.members, s.meetings))
        self.timed("dashboard's partnership", self.dashboard.grow)
        self.timed("applications", lambda: self.mentoring.grow_to(s.applications))
        payments = PaymentsSeeder(self.app, s.payees, s.claims, s.run_lines)

        def claims() -> None:
            payments.base()
            payments.grow_to(s.claims, s.run_lines)

        self.timed("claims", claims)
        from engage.extensions import db

        with self.app.app_context():
            engine = db.engine
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql(
                    "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
                )
            db.session.remove()

    def rows(self) -> dict[str, int]:
        from sqlalchemy import func, select

        from engage.extensions import db

        counts = {}
        with self.app.app_context():
            for table in ("user", "meeting", "meeting_invitation", "involvement_record",
                          "expense_claim", "payment_item", "register_item", "survey_answer",
                          "application"):  # fmt: skip
                model = db.metadata.tables.get(table)
                if model is not None:
                    counts[table] = db.session.scalar(select(func.count()).select_from(model))
            db.session.remove()
        return counts


def count_all(app, page_list: list[Page]) -> dict[tuple[str, str], list[str]]:
    """Each page's statements as the first view after a change runs them: figures kept until
    a record changes (``engage.core.generation``) are dropped first, so they are worked out."""
    from engage.core import generation

    clients = {who: signed_in(app, who) for who in {p.who for p in page_list}}
    result = {}
    for page in page_list:
        client = clients[page.who]
        response = client.get(page.path)  # warm-up: caches the page's lazy look-ups
        if response.status_code != 200:
            raise RuntimeError(f"{page.path} as {page.who} answered {response.status_code}")
        generation.forget_kept(app)
        result[(page.label, page.who)] = statements_of(app, client, page.path)
    return result


# ---------------------------------------------------------------------------------------------
# Timing over HTTP, 4 connections, pages interleaved with the ceiling in rounds


def spell(clients: list[Client], path: str, seconds: float) -> Spell:
    for client in clients:
        for _ in range(WARM):
            fetch_ok(client, path)
    result = Spell()
    lock = threading.Lock()
    errors: list[BaseException] = []
    stop = time.perf_counter() + seconds

    def work(client: Client) -> None:
        try:
            while time.perf_counter() < stop:
                elapsed, size = fetch_ok(client, path)
                with lock:
                    result.latencies.append(elapsed)
                    result.size = size
        except BaseException as error:  # reported below, in the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - start
    if errors:
        raise errors[0]
    return result


def measure(port: int, page_list: list[Page], rounds: int, seconds: float):
    who = {p.who for p in page_list} - {"anonymous"}
    pools = {w: [sign_in(port, w) for _ in range(CONNECTIONS)] for w in sorted(who)}
    pools["anonymous"] = [Client(port) for _ in range(CONNECTIONS)]
    spells: dict[tuple[str, str], list[Spell]] = {(p.label, p.who): [] for p in page_list}
    ceilings: list[Spell] = []
    for n in range(rounds):
        for page in page_list:
            ceilings.append(spell(pools["anonymous"], CEILING.path, seconds))
            spells[(page.label, page.who)].append(spell(pools[page.who], page.path, seconds))
        print(f"round {n + 1} of {rounds} timed", flush=True)
    for pool in pools.values():
        for client in pool:
            client.close()
    return spells, ceilings


# ---------------------------------------------------------------------------------------------
# Report


def report(database, page_list, spells, ceilings, queries, rows, seconds, load, args) -> bool:
    ceiling_rps = statistics.median(s.rps for s in ceilings)
    ceiling_p50 = statistics.median(s.p50 for s in ceilings)
    print()
    print(
        f"## Key pages against the ceiling ({database.label}), "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}"
    )
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} cores, `engage serve` 2 sync "
        f"workers, {CONNECTIONS} connections, {args.rounds} rounds × {args.duration:g} s per "
        f"page, load average {min(load):.1f}–{max(load):.1f}"
    )
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    print()
    print(
        "| page | as | data | req/s | share of ceiling | p50 ms | queries (demo → full) | bytes |"
    )
    print("|---|---|---|---|---|---|---|---|")
    same = True
    for page in page_list:
        key = (page.label, page.who)
        rps = statistics.median(s.rps for s in spells[key])
        p50 = statistics.median(s.p50 for s in spells[key])
        small, big = len(queries["demo"][key]), len(queries["full"][key])
        same = same and small == big
        share = rps / ceiling_rps if ceiling_rps else 0.0
        mark = "" if share >= TARGET_SHARE else " ✗"
        print(
            f"| `{page.label}` | {page.who} | {page.data} | {rps:.1f} | {share:.1%}{mark} | "
            f"{p50:.1f} | {small} → {big} | {spells[key][-1].size:,} |"
        )
    print(
        f"| `{CEILING.label}` | anyone | {CEILING.data} | {ceiling_rps:.0f} | 100% | "
        f"{ceiling_p50:.1f} | 0 | {ceilings[-1].size:,} |"
    )
    print()
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))
    print(f"query counts the same on the demo and at full size: {'yes' if same else 'NO'}")
    for page in page_list:
        key = (page.label, page.who)
        extra = Counter(map(normalise, queries["full"][key])) - Counter(
            map(normalise, queries["demo"][key])
        )
        fewer = Counter(map(normalise, queries["demo"][key])) - Counter(
            map(normalise, queries["full"][key])
        )
        if extra or fewer:
            print(f"\n{page.label} as {page.who}:")
            for statement, n in extra.items():
                print(f"  +{n}  {statement[:200]}")
            for statement, n in fewer.items():
                print(f"  -{n}  {statement[:200]}")
        if args.show_queries:
            print(f"\n-- {page.label} as {page.who} (full):")
            for statement in queries["full"][key]:
                print("   " + normalise(statement)[:300])
    return same


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per page a round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (medians)")
    parser.add_argument("--quick", action="store_true", help="a smoke run at 1/20 of the sizes")
    parser.add_argument(
        "--only", help="comma-separated page labels to time (all are seeded and counted)"
    )
    parser.add_argument(
        "--database-url", help="a PostgreSQL server on 127.0.0.1 to make the scratch database on"
    )
    parser.add_argument("--scratch-database", default=SCRATCH_DB)
    parser.add_argument("--show-queries", action="store_true", help="print each page's SQL")
    args = parser.parse_args(argv)
    sizes = Sizes()
    if args.quick:
        sizes = sizes.scaled(0.05)
        args.duration, args.rounds = 0.5, 1

    started = time.perf_counter()
    load = [os.getloadavg()[0]]
    seconds: dict[str, float] = {}
    with scratch_site(
        "engage-bench-pages-", args.database_url, scratch_database=args.scratch_database
    ) as site:
        app, database = site.app, site.database
        t = time.perf_counter()
        print("seeding the demo:", flush=True)
        seeding = Seeding(app, sizes)
        seeding.demo()
        page_list = key_pages(seeding.ids, sizes)
        queries = {"demo": count_all(app, page_list)}
        print("seeding demo × 100:", flush=True)
        seeding.grow()
        seconds["seed"] = time.perf_counter() - t
        queries["full"] = count_all(app, page_list)
        rows = seeding.rows()

        site.set_ceiling(signed_in(app, "manager").get("/").get_data())

        timed_pages = page_list
        if args.only:
            wanted = {label.strip() for label in args.only.split(",")}
            timed_pages = [p for p in page_list if p.label in wanted]
        port = site.start_gunicorn()
        print(f"engage serve (2 sync workers) on 127.0.0.1:{port}", flush=True)
        load.append(os.getloadavg()[0])
        t = time.perf_counter()
        spells, ceilings = measure(port, timed_pages, args.rounds, args.duration)
        seconds["measure"] = time.perf_counter() - t
        load.append(os.getloadavg()[0])
        seconds["total"] = time.perf_counter() - started
        same = report(database, timed_pages, spells, ceilings, queries, rows, seconds, load, args)
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
