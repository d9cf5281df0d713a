"""How much memory does a production worker hold after 1,000 mixed requests, and what are its
peaks?

    .venv/bin/python bench/memory.py [--requests 1000] [--peers 30] [--seed 2026]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--scratch-database engage_bench_memory]

Steps (see bench/README.md, "memory.py"):

1. A scratch database, as ``bench/home_profile.py`` makes it (SQLite in a temporary folder, or
   ``--scratch-database`` on a PostgreSQL server on 127.0.0.1, dropped again at the end), the
   migrations, then ``engage.demo.seed(extra_peers=--peers)``: the named accounts (password
   ``engage-demo``) and the demo's forums, meetings, register, claims, payment runs, surveys,
   applications and fund requests.
2. ``engage --app 'bench.wsgi_app:create_app()' serve --workers 2``: the production command
   (the same start-up, fork and ``gc.freeze``), on a free port of 127.0.0.1.
3. Sign in over HTTP as peer, manager, finance, board and partner, request every page of the
   mix once (each must answer 200), then send ``--requests`` requests drawn at random (seeded)
   from the mix: the key page of every domain as the role that uses it, mostly GETs, and one
   request in 25 a fresh sign-in (GET ``/login`` and a POST with the password, so an argon2
   verification).
4. Each worker's memory from ``/proc``, before the first request, at every tenth of the run and
   at the end: ``VmRSS`` (resident, shared pages counted in full), ``VmHWM`` (the peak resident
   size so far), and from ``smaps_rollup`` ``Pss`` (shared pages divided between the processes
   that share them) and USS (``Private_Clean`` + ``Private_Dirty``: what the worker alone
   holds, what stopping it would give back). Also which heavy libraries each worker has mapped
   (their compiled modules in ``/proc/<pid>/maps``).
5. A table, then gunicorn stopped and everything removed.

Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.home_profile import (  # noqa: E402
    Client,
    csrf_from,
    scratch_site,
    sign_in,
)

ROLES = ("peer", "manager", "finance", "board", "partner")
SIGN_IN_EVERY = 25  # one request in this many is a fresh sign-in (argon2 verification)
SNAPSHOTS = 10  # memory read at every tenth of the run
#: Libraries a worker should load only when a page needs them, by a file of theirs that is
#: mapped into the process once they are imported.
HEAVY = {
    "pandas": re.compile(r"/pandas/_libs/"),
    "numpy": re.compile(r"/numpy/(core|_core)/_multiarray_umath"),
    "weasyprint": re.compile(r"/(libpango|libharfbuzz)"),
    "PIL": re.compile(r"/PIL/_imaging\."),
}


# ---------------------------------------------------------------------------------------------
# The mix


@dataclass(frozen=True)
class Request:
    who: str
    path: str
    weight: int


def mix(ids: dict[str, int]) -> list[Request]:
    """The key page of every domain as the role that opens it, weighted roughly as people use
    them (home pages most)."""
    return [
        Request("peer", "/", 10),
        Request("peer", "/me", 4),
        Request("peer", f"/meetings/{ids['meeting']}", 6),
        Request("peer", f"/forums/{ids['forum']}", 4),
        Request("peer", "/register", 3),
        Request("peer", "/me/payments", 2),
        Request("peer", "/surveys", 2),
        Request("manager", "/", 6),
        Request("manager", "/register", 5),
        Request("manager", f"/meetings/{ids['meeting']}", 4),
        Request("manager", f"/forums/{ids['forum']}", 3),
        Request("manager", "/claims", 4),
        Request("manager", "/dashboard", 3),
        Request("manager", f"/surveys/{ids['round']}/results", 3),
        Request("manager", "/applications", 2),
        Request("manager", "/people", 2),
        Request("manager", f"/people/{ids['peer']}", 2),
        Request("manager", "/fund", 2),
        Request("finance", "/", 2),
        Request("finance", "/payments", 4),
        Request("finance", "/claims", 3),
        Request("board", "/", 2),
        Request("board", f"/boards/{ids['board']}", 2),
        Request("board", "/register", 2),
        Request("partner", "/", 2),
        Request("partner", "/requests", 2),
    ]


def find_ids(app) -> dict[str, int]:
    """A meeting with invitees, its forum, a survey round with results, a board, a peer."""
    from sqlalchemy import func, select

    from engage.changes.models import Board
    from engage.extensions import db
    from engage.forums.models import Invitation, Meeting
    from engage.people.models import User
    from engage.surveys.models import RoundState, SurveyRound, Tally

    with app.app_context():
        peer_id = db.session.scalar(select(User.id).where(User.username == "peer"))
        # The peer's meeting with the most invitees (the peer may open only their own).
        invited = select(Invitation.meeting_id).where(Invitation.user_id == peer_id)
        meeting = db.session.scalars(
            select(Meeting)
            .join(Invitation, Invitation.meeting_id == Meeting.id)
            .where(Meeting.id.in_(invited))
            .group_by(Meeting.id)
            .order_by(func.count().desc(), Meeting.id)
        ).first()
        round_id = db.session.scalar(
            select(SurveyRound.id)
            .join(Tally, Tally.round_id == SurveyRound.id)
            .where(SurveyRound.state.in_([RoundState.CLOSED.value, RoundState.SHARED.value]))
            .group_by(SurveyRound.id)
            .order_by(func.count().desc())
        )
        ids = {
            "meeting": meeting.id if meeting else None,
            "forum": meeting.forum_id if meeting else None,
            "round": round_id,
            "board": db.session.scalar(select(Board.id).order_by(Board.id)),
            "peer": peer_id,
        }
        db.session.remove()
    missing = [name for name, value in ids.items() if value is None]
    if missing:
        raise RuntimeError(f"the demo data has no {', '.join(missing)}")
    return ids


# ---------------------------------------------------------------------------------------------
# Memory from /proc


@dataclass
class Memory:
    rss: int  # kB
    hwm: int
    pss: int
    uss: int
    heavy: tuple[str, ...]


def read_memory(pid: int) -> Memory:
    status = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        status[key] = value.strip()
    rollup = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, value = line.partition(":")
        rollup[key] = int(value.split()[0])
    maps = Path(f"/proc/{pid}/maps").read_text()
    return Memory(
        rss=int(status["VmRSS"].split()[0]),
        hwm=int(status["VmHWM"].split()[0]),
        pss=rollup["Pss"],
        uss=rollup["Private_Clean"] + rollup["Private_Dirty"],
        heavy=tuple(name for name, pattern in HEAVY.items() if pattern.search(maps)),
    )


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(p) for p in text)
    return sorted(found)


def workers_of(master: int, expected: int) -> list[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pids = children(master)
        if len(pids) >= expected:
            return pids
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn has {len(children(master))} workers, expected {expected}")


# ---------------------------------------------------------------------------------------------


def fresh_sign_in(port: int, who: str) -> None:
    client = Client(port)
    try:
        status, html = client.get("/login")
        if status != 200:
            raise RuntimeError(f"GET /login answered {status}")
        token = csrf_from(html.decode())
        status, body = client.request(
            "POST", "/login", {"login": who, "password": "engage-demo", "csrf_token": token}
        )
        if status != 303:
            raise RuntimeError(f"sign in as {who} answered {status}: {body[:300]!r}")
    finally:
        client.close()


def mib(kb: int) -> str:
    return f"{kb / 1024:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests in the mix")
    parser.add_argument("--peers", type=int, default=30, help="extra demo peers")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the random mix")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server on 127.0.0.1 to make the scratch database engage_bench on",
    )
    parser.add_argument(
        "--scratch-database",
        default="engage_bench_memory",
        help="the PostgreSQL database made and dropped again (never the one in the URL)",
    )
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    with scratch_site(
        "engage-bench-memory-",
        args.database_url,
        scratch_database=args.scratch_database,
        freeze=False,
    ) as site:
        from engage import demo
        from engage.extensions import db

        app, database = site.app, site.database
        with app.test_request_context():
            demo.seed(extra_peers=args.peers)
            db.session.commit()
        ids = find_ids(app)
        print(f"seeded the demo ({database.label}); ids {ids}", flush=True)

        port = site.start_gunicorn()
        process = site.process
        workers = workers_of(process.pid, 2)
        print(f"gunicorn on 127.0.0.1:{port}, master {process.pid}, workers {workers}", flush=True)
        rows: list[tuple[str, int, dict[int, Memory], Memory]] = []

        def snapshot(label: str, done: int) -> None:
            rows.append(
                (label, done, {pid: read_memory(pid) for pid in workers}, read_memory(process.pid))
            )

        snapshot("started", 0)
        clients = {who: sign_in(port, who) for who in ROLES}
        requests = mix(ids)
        for request in requests:  # every page answers, before counting anything
            status, body = clients[request.who].get(request.path)
            if status != 200:
                raise RuntimeError(f"GET {request.path} as {request.who} answered {status}")
        snapshot("each page once", len(requests) + 2 * len(ROLES))

        rng = random.Random(args.seed)
        weights = [r.weight for r in requests]
        served: Counter[str] = Counter()
        sent = 0
        started = time.perf_counter()
        for i in range(1, args.requests + 1):
            if i % SIGN_IN_EVERY == 0:
                fresh_sign_in(port, rng.choice(ROLES))  # two requests: GET and POST /login
                served["sign-in (GET + POST /login)"] += 1
                sent += 2
            else:
                request = rng.choices(requests, weights)[0]
                status, _body = clients[request.who].get(request.path)
                if status != 200:
                    raise RuntimeError(f"GET {request.path} as {request.who} answered {status}")
                served[request.path.split("/")[1] or "/"] += 1
                sent += 1
            if i % max(args.requests // SNAPSHOTS, 1) == 0 and i < args.requests:
                snapshot(f"{i} of the mix", sent)
        elapsed = time.perf_counter() - started
        snapshot(f"{args.requests} of the mix (end)", sent)
        for client in clients.values():
            client.close()

        print()
        print(
            f"engage worker memory, {dt.date.today().isoformat()}: {database.label}, gunicorn 2 "
            f"sync workers (engage serve), demo data ({args.peers} extra peers), "
            f"{args.requests} mixed requests in {elapsed:.0f} s (1 in {SIGN_IN_EVERY} a "
            f"sign-in), Python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
            f"{load_before:.1f} before / {os.getloadavg()[0]:.1f} after"
        )
        print()
        header = ["after", "requests"]
        for n in range(len(workers)):
            header += [f"w{n + 1} RSS", f"w{n + 1} peak", f"w{n + 1} PSS", f"w{n + 1} USS"]
        header += ["master RSS"]
        print("MiB: | " + " | ".join(header) + " |")
        print("|" + "|".join("---" for _ in header) + "|")
        for label, done, by_worker, master in rows:
            cells = [label, str(done)]
            for pid in workers:
                m = by_worker[pid]
                cells += [mib(m.rss), mib(m.hwm), mib(m.pss), mib(m.uss)]
            cells += [mib(master.rss)]
            print("| " + " | ".join(cells) + " |")
        print()
        last = rows[-1][2]
        for n, pid in enumerate(workers, start=1):
            heavy = ", ".join(last[pid].heavy) or "none"
            print(f"worker {n} (pid {pid}) has mapped: {heavy}")
        print(f"master has mapped: {', '.join(rows[-1][3].heavy) or 'none'}")
        print("served: " + ", ".join(f"{k} {v}" for k, v in served.most_common()))
        worst = max(m.rss for m in last.values())
        print(f"largest worker RSS at the end: {worst / 1024:.0f} MiB (target: 120 MiB or less)")
        return 0


if __name__ == "__main__":
    sys.exit(main())
