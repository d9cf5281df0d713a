"""How fast are the home, profile and people pages behind the real WSGI server, and does the
number of SQL queries a page makes stay the same as the number of people grows?

    .venv/bin/python bench/home_profile.py [--people 1000] [--requests 300]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--server sync|gthread] [--show-queries]

Steps (see bench/README.md):

1. A scratch database: SQLite in a temporary folder, or with ``--database-url`` a database
   ``engage_bench`` created (and dropped again at the end) on that PostgreSQL server. The
   database named in the URL is only used to create and drop the scratch one.
2. Migrations, then people: the demo accounts (password ``engage-demo``) and extra peers
   without a password, made through ``engage.people.services``. Seeding stops at 20 and 100
   people (when below ``--people``) to count each page's SQL queries in-process with a
   ``before_cursor_execute`` listener, and again at ``--people``.
3. ``engage --app bench.wsgi_app:create_app() serve`` (gunicorn, as production starts it) on
   127.0.0.1 at a free port.
4. Sign in as ``peer`` and ``manager`` over HTTP (stdlib ``http.client``), then time
   ``--requests`` sequential requests of each page, and ``--requests`` requests with
   ``--concurrency`` client threads for ``/me`` and the ceiling.
5. A table, then gunicorn stopped and everything removed.

Only 127.0.0.1 is contacted (a ``--database-url`` for another host is refused).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import http.client
import math
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCRATCH_DB = "engage_bench"
BENCH_APP = "bench.wsgi_app:create_app()"  # the real app plus the ceiling route
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
CSRF_PATTERNS = (
    re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"'),
    re.compile(r'name="csrf_token" value="([^"]+)"'),
)
#: Generous limits so that signing in again and again never trips the sign-in limiter.
LOGIN_LIMIT = "1000 per minute"
WARM_UP = 10  # requests per page before timing (each worker loads its templates)


# ---------------------------------------------------------------------------------------------
# Pages


@dataclass
class Page:
    label: str  # shown in the table
    who: str  # "peer", "manager" or "anonymous"
    path: str  # may contain {peer_id}


def pages(peer_id: int) -> list[Page]:
    return [
        Page("/", "peer", "/"),
        Page("/me", "peer", "/me"),
        Page("/", "manager", "/"),
        Page("/people", "manager", "/people"),
        Page("/people/<id>", "manager", f"/people/{peer_id}"),
        Page("/bench/ceiling", "anonymous", "/bench/ceiling"),
    ]


# ---------------------------------------------------------------------------------------------
# Database set-up


@dataclass
class Database:
    url: str  # what the app connects to
    admin_url: str | None = None  # PostgreSQL: where to create and drop the scratch database
    label: str = "SQLite"
    name: str | None = None  # PostgreSQL: the scratch database's name


def prepare_database(database_url: str | None, workdir: Path, name: str = SCRATCH_DB) -> Database:
    if not database_url:
        return Database(url=f"sqlite:///{workdir / 'engage.db'}", label="SQLite (WAL)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    if url.get_backend_name() != "postgresql":
        raise SystemExit("--database-url must be a postgresql:// address")
    if (url.host or "localhost") not in LOCAL_HOSTS:
        raise SystemExit(
            "--database-url must point at 127.0.0.1: this benchmark talks to no one else"
        )
    if url.database == name:
        raise SystemExit(f"name another database than {name}: that one is dropped at the end")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        version = connection.execute(text("SHOW server_version")).scalar()
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    scratch = url.set(database=name).render_as_string(hide_password=False)
    return Database(
        url=scratch,
        admin_url=url.render_as_string(hide_password=False),
        label=f"PostgreSQL {str(version).split()[0]}",
        name=name,
    )


def drop_database(database: Database) -> None:
    if not database.admin_url:
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(database.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {database.name} WITH (FORCE)"))
    admin.dispose()


def app_config(database: Database, instance: Path, secret: str) -> dict[str, str]:
    """The ENGAGE_* variables for gunicorn; the in-process app gets the same values."""
    return {
        "ENGAGE_INSTANCE_PATH": str(instance),
        "ENGAGE_DATABASE_URL": database.url,
        "ENGAGE_SECRET_KEY": secret,
        "ENGAGE_LOGIN_LIMIT_PER_ACCOUNT": LOGIN_LIMIT,
        "ENGAGE_LOGIN_LIMIT_PER_ADDRESS": LOGIN_LIMIT,
    }


def make_app(env: dict[str, str]):
    from engage import create_app

    return create_app(
        {
            "INSTANCE_PATH": env["ENGAGE_INSTANCE_PATH"],
            "SQLALCHEMY_DATABASE_URI": env["ENGAGE_DATABASE_URL"].replace(
                "postgresql://", "postgresql+psycopg://", 1
            ),
            "SECRET_KEY": env["ENGAGE_SECRET_KEY"],
            "LOGIN_LIMIT_PER_ACCOUNT": LOGIN_LIMIT,
            "LOGIN_LIMIT_PER_ADDRESS": LOGIN_LIMIT,
        }
    )


# ---------------------------------------------------------------------------------------------
# Seeding


class Seeder:
    """Adds people in steps: the demo accounts first, then peers without a password."""

    BATCH = 250

    def __init__(self, app) -> None:
        self.app = app
        self.count = 0
        self.rng = random.Random(2026)
        self.manager_id: int | None = None
        self.peer_id: int | None = None

    def grow_to(self, total: int) -> None:
        from engage import demo
        from engage.extensions import db
        from engage.people import services
        from engage.people.demo import _vary_profile as vary_profile
        from engage.people.models import Role, User

        with self.app.test_request_context():
            if self.count == 0:
                demo.seed(extra_peers=0)  # the named accounts, one argon2 hash for them all
                db.session.commit()
                self.count = len(demo.DEMO_ACCOUNTS)
                self.manager_id = db.session.scalar(
                    db.select(User.id).where(User.username == "manager")
                )
                self.peer_id = db.session.scalar(db.select(User.id).where(User.username == "peer"))
            manager = db.session.get(User, self.manager_id)
            while self.count < total:
                i = self.count
                name = demo.FIRST_NAMES[i % len(demo.FIRST_NAMES)]
                has_email = self.rng.random() < 0.4
                user = services.create_account(
                    actor=manager,
                    username=f"{name.lower()}.{i}",
                    roles={Role.PEER},
                    preferred_name=name,
                    email=f"{name.lower()}.{i}@example.org" if has_email else None,
                    phone=f"07700 9{i:05d}" if self.rng.random() < 0.6 else None,
                    contact_channel=None if has_email else "worker",
                )
                vary_profile(user, self.rng)  # consents, needs, equality answers
                self.count += 1
                if self.count % self.BATCH == 0:
                    db.session.commit()
            db.session.commit()


# ---------------------------------------------------------------------------------------------
# In-process query counting


def csrf_from(html: str) -> str:
    for pattern in CSRF_PATTERNS:
        match = pattern.search(html)
        if match:
            return match.group(1)
    raise RuntimeError("no CSRF token on the sign-in page")


def normalise(statement: str) -> str:
    statement = re.sub(r"\s+", " ", statement).strip()
    # An IN list's length follows the page's rows, not a new query: write it as (...).
    statement = re.sub(r"\(__\[POSTCOMPILE_[^\]]+\]\)", "(...)", statement)
    statement = re.sub(r"%\([^)]+\)s(?:::\w+)?|%s", "?", statement)  # psycopg's placeholders
    return re.sub(r"IN \(\?(?:, \?)*\)", "IN (...)", statement)


@contextmanager
def counting(app) -> Iterator[list[str]]:
    """Collect every statement the app's engine sends (transaction BEGINs left out)."""
    from sqlalchemy import event

    from engage.extensions import db

    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if statement.strip().upper() != "BEGIN":
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def count_queries(app, page_list: list[Page]) -> dict[tuple[str, str], list[str]]:
    """For each page: the statements of one request, after a warm-up request."""
    clients = {}
    for who in ("peer", "manager"):
        client = app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        response = client.post(
            "/login", data={"login": who, "password": "engage-demo", "csrf_token": token}
        )
        if response.status_code != 303:
            raise RuntimeError(f"in-process sign in as {who} answered {response.status_code}")
        clients[who] = client
    clients["anonymous"] = app.test_client()
    result = {}
    for page in page_list:
        client = clients[page.who]
        client.get(page.path)
        with counting(app) as statements:
            response = client.get(page.path)
        if response.status_code != 200:
            raise RuntimeError(f"{page.path} as {page.who} answered {response.status_code}")
        result[(page.label, page.who)] = list(statements)
    return result


# ---------------------------------------------------------------------------------------------
# HTTP client (stdlib only)


class Client:
    """One connection with a cookie jar just big enough for engage's session cookie."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None) -> None:
        self.port = port
        self.cookies = dict(cookies or {})
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, form: dict[str, str] | None = None):
        headers = {"User-Agent": "engage-bench"}
        body = None
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server closed meanwhile: reconnect once.
                self.connection.close()
                if attempt == 2:
                    raise
        for cookie in response.headers.get_all("Set-Cookie") or []:
            pair = cookie.split(";", 1)[0]
            name, _, value = pair.partition("=")
            if "expires=thu, 01 jan 1970" in cookie.lower() or "max-age=0" in cookie.lower():
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return response.status, data

    def get(self, path: str):
        return self.request("GET", path)

    def close(self) -> None:
        self.connection.close()


def sign_in(port: int, login: str) -> Client:
    client = Client(port)
    status, html = client.get("/login")
    if status != 200:
        raise RuntimeError(f"GET /login answered {status}")
    token = csrf_from(html.decode())
    status, body = client.request(
        "POST", "/login", {"login": login, "password": "engage-demo", "csrf_token": token}
    )
    if status != 303:
        raise RuntimeError(f"sign in as {login} answered {status}: {body[:300]!r}")
    return client


# ---------------------------------------------------------------------------------------------
# Timing


@dataclass
class Timing:
    latencies: list[float] = field(default_factory=list)  # seconds
    wall: float = 0.0
    size: int = 0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[max(math.ceil(q * len(ordered)) - 1, 0)] * 1000

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0


def fetch_ok(client: Client, path: str) -> tuple[float, int]:
    start = time.perf_counter()
    status, body = client.get(path)
    elapsed = time.perf_counter() - start
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
    return elapsed, len(body)


def sequential(client: Client, path: str, n: int) -> Timing:
    for _ in range(WARM_UP):
        fetch_ok(client, path)
    timing = Timing()
    start = time.perf_counter()
    for _ in range(n):
        elapsed, timing.size = fetch_ok(client, path)
        timing.latencies.append(elapsed)
    timing.wall = time.perf_counter() - start
    return timing


def concurrent(make_client: Callable[[], Client], path: str, n: int, threads: int) -> Timing:
    """``n`` requests shared by ``threads`` client threads, each with its own connection."""
    clients = [make_client() for _ in range(threads)]
    for client in clients:
        fetch_ok(client, path)
    timing = Timing()
    lock = threading.Lock()
    remaining = [n]
    errors: list[BaseException] = []

    def work(client: Client) -> None:
        try:
            while True:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                elapsed, size = fetch_ok(client, path)
                with lock:
                    timing.latencies.append(elapsed)
                    timing.size = size
        except BaseException as error:  # reported below, in the main thread
            errors.append(error)

    workers = [threading.Thread(target=work, args=(c,)) for c in clients]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    timing.wall = time.perf_counter() - start
    for client in clients:
        client.close()
    if errors:
        raise errors[0]
    return timing


# ---------------------------------------------------------------------------------------------
# gunicorn


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_args(kind: str, workers: int = 2) -> list[str]:
    if kind == "gthread":
        return ["--workers", "1", "--threads", "4"]
    return ["--workers", str(workers)]


def start_gunicorn(
    env: dict[str, str],
    kind: str,
    log: Path,
    *,
    workers: int = 2,
    app: str | None = BENCH_APP,
    environ: Mapping[str, str] | None = None,
) -> tuple[subprocess.Popen, int]:
    """Start the server exactly as production does, with ``engage serve`` (gunicorn started by
    the engage command, so the same start-up path, forking and gc freeze), serving the real app
    plus the bench's ceiling route (``--app bench.wsgi_app:create_app()``), or with ``app=None``
    the real app alone. ``env`` is laid over ``environ`` (by default this process's)."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "engage"),
        *(["--app", app] if app else []),
        "serve",
        "--bind",
        f"127.0.0.1:{port}",
        *server_args(kind, workers),
    ]
    handle = log.open("wb")
    process = subprocess.Popen(  # noqa: S603
        command,
        env={**(os.environ if environ is None else environ), **env},
        stdout=handle,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        start_new_session=True,
    )
    handle.close()
    try:
        wait_for_health(process, port, log)
    except BaseException:
        stop_gunicorn(process)  # an error or Ctrl-C while waiting must not leave it running
        raise
    return process, port


def wait_for_health(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn stopped:\n" + log.read_text(errors="replace")[-3000:])
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                return
            connection.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: gunicorn and its workers only
        process.wait(timeout=5)


def close_connections(app) -> None:  # noqa: ANN001
    from engage.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# ---------------------------------------------------------------------------------------------
# The scratch site every bench runs on


@dataclass
class Site:
    """What ``scratch_site`` made. ``env`` is what gunicorn gets: add to it before starting."""

    workdir: Path
    instance: Path
    database: Database | None = None
    env: dict[str, str] = field(default_factory=dict)
    app: Flask | None = None  # None with ``in_process=False``
    process: subprocess.Popen | None = None  # the running gunicorn, if any
    migrate_seconds: float = 0.0

    def set_ceiling(self, body: bytes) -> None:
        """``/bench/ceiling`` of the gunicorn started next answers with ``body``."""
        ceiling_file = self.instance / "ceiling.html"
        ceiling_file.write_bytes(body)
        self.env["ENGAGE_BENCH_CEILING_FILE"] = str(ceiling_file)

    def start_gunicorn(
        self,
        kind: str = "sync",
        *,
        log: str = "gunicorn.log",
        workers: int = 2,
        app: str | None = BENCH_APP,
        environ: Mapping[str, str] | None = None,
    ) -> int:
        """Start gunicorn (see ``start_gunicorn``) and answer its port; ``self.process`` is it."""
        if self.app is not None:
            # The server gets its own connections; those seeding left open would only hold
            # SQLite's file or a PostgreSQL backend meanwhile.
            close_connections(self.app)
        self.process, port = start_gunicorn(
            self.env, kind, self.workdir / log, workers=workers, app=app, environ=environ
        )
        return port

    def stop_gunicorn(self) -> None:
        if self.process is not None:
            stop_gunicorn(self.process)
            self.process = None


@contextmanager
def scratch_site(
    prefix: str,
    database_url: str | None,
    *,
    scratch_database: str = SCRATCH_DB,
    in_process: bool = True,
    freeze: bool = True,
) -> Iterator[Site]:
    """A temporary folder (``prefix`` names it in /tmp) with an instance folder, the scratch
    database (see ``prepare_database``), the ENGAGE_* settings and, unless ``in_process`` is
    False, the app in this process with the migrations run and then, unless ``freeze`` is
    False, ``gc.collect(); gc.freeze()``. On the way out, however the body ended (an error,
    Ctrl-C), whatever of these was made is undone: gunicorn stopped, the app's connections
    closed, the scratch database dropped, the folder removed."""
    # Each undo is registered as soon as its thing exists, and runs even if one before it fails.
    with ExitStack() as undo:
        workdir = Path(tempfile.mkdtemp(prefix=prefix))
        undo.callback(shutil.rmtree, workdir, ignore_errors=True)
        site = Site(workdir=workdir, instance=workdir / "instance")
        site.instance.mkdir()
        site.database = prepare_database(database_url, workdir, scratch_database)
        undo.callback(drop_database, site.database)
        site.env = app_config(site.database, site.instance, secrets.token_hex(32))
        if in_process:
            site.app = make_app(site.env)
            undo.callback(close_connections, site.app)
            from flask_migrate import upgrade

            t = time.perf_counter()
            with site.app.app_context():
                upgrade()
            site.migrate_seconds = time.perf_counter() - t
            if freeze:
                # As `engage serve` does before gunicorn forks: what start-up allocated is
                # frozen, so the garbage collector does not scan it again on every full
                # collection, and in-process timings match a worker's.
                gc.collect()
                gc.freeze()
        undo.callback(site.stop_gunicorn)
        yield site


# ---------------------------------------------------------------------------------------------
# Report


def growth(statements_by_n: dict[int, list[str]]) -> list[str]:
    """Statements sent more often with more people (the queries to look at)."""
    sizes = sorted(statements_by_n)
    first = Counter(normalise(s) for s in statements_by_n[sizes[0]])
    last = Counter(normalise(s) for s in statements_by_n[sizes[-1]])
    return [f"{last[s] - first[s]:+d} x {s}" for s in last if last[s] > first[s]] + [
        f"{last[s] - first[s]:+d} x {s}" for s in first if first[s] > last[s]
    ]


def report(
    args,
    database: Database,
    page_list: list[Page],
    timings: dict[tuple[str, str], Timing],
    busy: dict[str, Timing],
    queries: dict[int, dict[tuple[str, str], list[str]]],
    seconds: dict[str, float],
    load_before: float,
) -> None:
    ceiling = timings[("/bench/ceiling", "anonymous")].pct(0.5)
    sizes = sorted(queries)
    print()
    print(
        f"engage home/profile benchmark, {dt.date.today().isoformat()}: {args.people} people, "
        f"{database.label}, gunicorn {describe_server(args.server)}, "
        f"{args.requests} requests per page, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {load_before:.1f} before / "
        f"{os.getloadavg()[0]:.1f} after"
    )
    print()
    header = ["page", "as", "p50 ms", "p95 ms", "req/s", "p50 / ceiling", "bytes"]
    header += [f"queries @{n}" for n in sizes]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for page in page_list:
        t = timings[(page.label, page.who)]
        row = [
            f"`{page.label}`",
            page.who,
            f"{t.pct(0.5):.1f}",
            f"{t.pct(0.95):.1f}",
            f"{t.rps:.0f}",
            f"{t.pct(0.5) / ceiling:.1f}x",
            str(t.size),
        ]
        row += [str(len(queries[n][(page.label, page.who)])) for n in sizes]
        print("| " + " | ".join(row) + " |")
    for label, t in busy.items():
        row = [
            f"`{label}`",
            f"{args.concurrency} threads",
            f"{t.pct(0.5):.1f}",
            f"{t.pct(0.95):.1f}",
            f"{t.rps:.0f}",
            f"{t.pct(0.5) / ceiling:.1f}x",
            str(t.size),
        ]
        row += ["" for _ in sizes]
        print("| " + " | ".join(row) + " |")
    print()
    print("timings (s): " + ", ".join(f"{name} {value:.1f}" for name, value in seconds.items()))
    grew = False
    for page in page_list:
        by_n = {n: queries[n][(page.label, page.who)] for n in sizes}
        changes = growth(by_n) if len(sizes) > 1 else []
        if changes:
            grew = True
            print(f"\nQUERY COUNT CHANGES with people for {page.label} as {page.who}:")
            for line in changes:
                print("  " + line)
    if not grew and len(sizes) > 1:
        print(f"query counts are the same at {', '.join(map(str, sizes))} people for every page")
    if args.show_queries:
        for page in page_list:
            print(f"\n-- {page.label} as {page.who} @{sizes[-1]} people:")
            for statement in queries[sizes[-1]][(page.label, page.who)]:
                print("   " + normalise(statement)[:300])


def describe_server(kind: str) -> str:
    return "1 gthread worker x 4 threads" if kind == "gthread" else "2 sync workers"


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1000, help="accounts in the database")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads, busy runs")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server on 127.0.0.1 to make the scratch database engage_bench on",
    )
    parser.add_argument(
        "--server",
        choices=["sync", "gthread"],
        default="sync",
        help="sync: 2 sync workers, as `engage serve` runs; gthread: 1 worker x 4 threads",
    )
    parser.add_argument("--show-queries", action="store_true", help="print each page's SQL")
    args = parser.parse_args(argv)
    if args.people < 10:
        parser.error("--people must be at least 10 (the demo accounts and a few peers)")

    started = time.perf_counter()
    load_before = os.getloadavg()[0]  # other work on the machine skews the timings
    seconds: dict[str, float] = {}
    with scratch_site("engage-bench-", args.database_url, freeze=False) as site:
        from bench.wsgi_app import add_ceiling_route

        app, database = site.app, site.database
        # In-process, for counting only: the real bytes are captured after seeding.
        add_ceiling_route(app, b"<!doctype html><title>ceiling</title>")
        seconds["migrate"] = site.migrate_seconds

        # Seed in steps and count each page's queries at each step.
        seeder = Seeder(app)
        steps = sorted({n for n in (20, 100) if n < args.people} | {args.people})
        queries: dict[int, dict[tuple[str, str], list[str]]] = {}
        page_list: list[Page] = []
        seed_time = count_time = 0.0
        for n in steps:
            t = time.perf_counter()
            seeder.grow_to(n)
            seed_time += time.perf_counter() - t
            page_list = pages(seeder.peer_id)
            t = time.perf_counter()
            queries[n] = count_queries(app, page_list)
            count_time += time.perf_counter() - t
            print(f"seeded {n} people", flush=True)
        seconds["seed"] = seed_time
        seconds["count queries"] = count_time

        # The ceiling serves the bytes of the peer's home page, captured once now.
        client = app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        client.post(
            "/login", data={"login": "peer", "password": "engage-demo", "csrf_token": token}
        )
        home = client.get("/").get_data()
        site.set_ceiling(home)

        t = time.perf_counter()
        port = site.start_gunicorn(args.server)
        seconds["start gunicorn"] = time.perf_counter() - t
        print(f"gunicorn ({describe_server(args.server)}) on 127.0.0.1:{port}", flush=True)

        t = time.perf_counter()
        clients = {
            "peer": sign_in(port, "peer"),
            "manager": sign_in(port, "manager"),
            "anonymous": Client(port),
        }
        timings: dict[tuple[str, str], Timing] = {}
        for page in page_list:
            timings[(page.label, page.who)] = sequential(
                clients[page.who], page.path, args.requests
            )
            print(f"timed {page.label} as {page.who}", flush=True)
        busy = {
            "/me": concurrent(
                lambda: Client(port, clients["peer"].cookies),
                "/me",
                args.requests,
                args.concurrency,
            ),
            "/bench/ceiling": concurrent(
                lambda: Client(port), "/bench/ceiling", args.requests, args.concurrency
            ),
        }
        if len(home) != timings[("/bench/ceiling", "anonymous")].size:
            print("warning: the ceiling's size differs from the home page's", file=sys.stderr)
        seconds["measure"] = time.perf_counter() - t
        for client in clients.values():
            client.close()
        site.stop_gunicorn()
        seconds["total"] = time.perf_counter() - started
        report(args, database, page_list, timings, busy, queries, seconds, load_before)
        return 0


if __name__ == "__main__":
    sys.exit(main())
