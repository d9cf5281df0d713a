"""engage's meeting and forum pages side by side with Indico 3.3's event and category pages:
the same gunicorn (2 sync workers), the same PostgreSQL, the same client (4 connections),
measured in interleaved rounds in one run.

    .venv/bin/python bench/indico/compare.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_indico \\
        [--indico-venv /work/indico-bench/.venv] [--indico-config /work/indico-bench/indico.conf]
        [--indico-seed /work/indico-bench/seed.json] [--indico-url http://127.0.0.1:8781]
        [--rounds 5] [--seconds 6] [--meetings 300] [--invitees 200]

Steps (see bench/README.md, "indico/compare.py"):

1. engage, exactly as ``bench/forums.py`` builds it: a scratch PostgreSQL database
   (``engage_bench_indico``, created on the server of ``--database-url`` and dropped at the
   end), the migrations, the demo, then ``ForumSeeder`` grows the "Bench Forum" to
   ``--meetings`` meetings and ``--invitees`` members, all invited to the busy meeting.
   ``engage --app bench.wsgi_app:create_app() serve --workers 2`` (``start_gunicorn``).
2. Indico: an instance built and seeded beforehand (``bench/indico/seed_indico.py``, whose
   JSON output ``--indico-seed`` names the category, the busy event and the log-ins). Unless
   ``--indico-url`` names one that is already running, the script starts Indico's own gunicorn
   from ``--indico-venv`` with 2 sync workers: ``gunicorn -w 2 'indico.web.flask.app:make_app()'``
   (what ``indico/web/indico.wsgi`` does) with ``INDICO_CONFIG``.
3. Sign in once per account. engage: over HTTP through its ``/login`` form (``manager`` and
   ``peer``). Indico: a session cookie made by Indico's own code (``seed_indico.py --session``
   runs ``login_user`` and Indico's session interface, which stores the session in Redis) for
   ``manager`` (full access to the category) and ``participant`` (one of the 200 registered),
   checked by the home page greeting them by name. Not Indico's login form: it checks the
   password against an online list of leaked passwords, and this script contacts only
   127.0.0.1. Each client thread gets its own connection with a copy of the session cookie.
4. ``--rounds`` rounds. In each round every page is timed in turn for ``--seconds`` seconds
   by 4 client threads, each with its own keep-alive connection (sync workers close it after
   each response, so the client reconnects: the same for both apps). The order of the pages
   alternates from one round to the next. Every answer must be a 200.
5. A table: per page the median over the rounds of req/s, of p50 and of the server's CPU time
   per request (user + system time, from /proc, of the app's gunicorn processes and of the
   PostgreSQL backends connected to its database), then the ratios engage / Indico of those
   medians. The CPU time hardly depends on what else the shared machine runs.

Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import home_profile  # noqa: E402
from bench.forums import ForumSeeder  # noqa: E402
from bench.home_profile import (  # noqa: E402
    Client,
    scratch_site,
    sign_in,
)

# Not bench/forums.py's ``engage_bench``: another bench may be using that one meanwhile.
SCRATCH_DB = "engage_bench_indico"

THREADS = 4
WARM_UP = 8  # requests per page and thread before the first round
SEEDER = Path(__file__).resolve().parent / "seed_indico.py"


@dataclass
class Cell:
    app: str  # "engage" or "Indico"
    page: str  # shown in the table
    who: str
    path: str
    rounds: list[tuple[float, float]] = field(default_factory=list)  # (req/s, p50 ms)
    cpu: list[float] = field(default_factory=list)  # server CPU ms per request, per round
    size: int = 0

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")

    @property
    def rps(self) -> float:
        return statistics.median(r for r, _ in self.rounds)

    @property
    def p50(self) -> float:
        return statistics.median(p for _, p in self.rounds)


# ---------------------------------------------------------------------------------------------
# Indico server and sign-in


def indico_port(config: Path) -> int:
    """Indico answers only on its BASE_URL (any other host or port is redirected there)."""
    found = re.search(r"^BASE_URL\s*=\s*['\"]([^'\"]+)['\"]", config.read_text(), re.MULTILINE)
    if not found:
        raise SystemExit(f"no BASE_URL in {config}")
    url = urlsplit(found.group(1))
    if url.hostname not in home_profile.LOCAL_HOSTS or url.scheme != "http":
        raise SystemExit(f"{config}: BASE_URL must be http://127.0.0.1:PORT")
    return url.port or 80


def indico_dbname(config: Path) -> str:
    found = re.search(
        r"^SQLALCHEMY_DATABASE_URI\s*=\s*['\"]([^'\"]+)['\"]", config.read_text(), re.M
    )
    if not found:
        raise SystemExit(f"no SQLALCHEMY_DATABASE_URI in {config}")
    return urlsplit(found.group(1)).path.lstrip("/")


def start_indico(venv: Path, config: Path, log: Path) -> tuple[subprocess.Popen, int]:
    port = indico_port(config)
    command = [
        str(venv / "bin" / "gunicorn"),
        "--workers",
        "2",
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--no-control-socket",
        # A worker loads Indico on boot, which takes 30-60 s on a busy 2-core machine: more
        # than gunicorn's default 30 s worker timeout.
        "--timeout",
        "300",
        "indico.web.flask.app:make_app()",
    ]
    handle = log.open("wb")
    process = subprocess.Popen(  # noqa: S603
        command,
        env={**os.environ, "INDICO_CONFIG": str(config)},
        stdout=handle,
        stderr=subprocess.STDOUT,
        cwd=config.parent,
        start_new_session=True,
    )
    handle.close()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("Indico stopped:\n" + log.read_text(errors="replace")[-3000:])
        try:
            status, _ = Client(port).get("/login/")
            if status == 200:
                return process, port
        except OSError:
            pass
        time.sleep(0.5)
    stop(process)
    raise RuntimeError("Indico did not answer /login/ within 300 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: gunicorn and its workers only
        process.wait(timeout=5)


def indico_sign_in(
    venv: Path, config: Path, port: int, identifier: str, name: str
) -> dict[str, str]:
    """A session cookie made by Indico's own code (``seed_indico.py --session``: Indico's
    ``login_user`` and session interface), not its login form: the form checks the password
    against an online list of leaked passwords, and this benchmark contacts only 127.0.0.1.
    Checks that the page then greets the user by ``name``."""
    out = subprocess.run(  # noqa: S603
        [str(venv / "bin" / "python"), str(SEEDER), "--session", identifier],
        env={**os.environ, "INDICO_CONFIG": str(config)},
        capture_output=True,
        text=True,
        check=True,
    )
    cookie_name, _, value = out.stdout.strip().splitlines()[-1].partition("=")
    client = Client(port, {cookie_name: value})
    status, body = client.get("/")
    client.close()
    if status != 200 or name.encode() not in body:
        raise RuntimeError(f"Indico's home page as {identifier}: {status}, not signed in")
    return client.cookies


# ---------------------------------------------------------------------------------------------
# Timing


def fetch(client: Client, path: str) -> tuple[float, int]:
    start = time.perf_counter()
    status, body = client.get(path)
    elapsed = time.perf_counter() - start
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
    return elapsed, len(body)


def run_cell(clients: list[Client], path: str, seconds: float) -> tuple[float, float, int]:
    """``len(clients)`` threads request ``path`` until ``seconds`` have passed: req/s, p50 ms,
    body size."""
    latencies: list[float] = []
    sizes: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def work(client: Client) -> None:
        try:
            while time.perf_counter() < deadline:
                elapsed, size = fetch(client, path)
                with lock:
                    latencies.append(elapsed)
                    sizes.append(size)
        except BaseException as error:  # reported below, in the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    if errors:
        raise errors[0]
    return len(latencies) / wall, statistics.median(latencies) * 1000, sizes[-1]


# ---------------------------------------------------------------------------------------------
# Server CPU time per request: the gunicorn processes and their PostgreSQL backends, read from
# /proc. Unlike req/s, this hardly depends on what else the shared machine is running.

TICK = os.sysconf("SC_CLK_TCK")


def proc_stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()  # from field 3 (state) on


def descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents.setdefault(int(proc_stat(int(entry))[1]), []).append(int(entry))
            except (OSError, IndexError):
                continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += parents.get(pid, [])
    return found


class CpuMeter:
    """CPU seconds used by one app's server: its gunicorn processes and the PostgreSQL
    backends connected to its database."""

    def __init__(self, root: int, dbname: str, admin_url: str) -> None:
        from sqlalchemy import create_engine

        self.root, self.dbname = root, dbname
        self.engine = create_engine(admin_url)

    def pids(self) -> list[int]:
        from sqlalchemy import text

        with self.engine.connect() as connection:
            backends = connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :name"),
                {"name": self.dbname},
            ).scalars()
            return descendants(self.root) + list(backends)

    def snapshot(self) -> dict[int, float]:
        result = {}
        for pid in self.pids():
            try:
                fields = proc_stat(pid)
            except OSError:
                continue
            result[pid] = (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
        return result

    @staticmethod
    def used(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(value - before.get(pid, 0.0) for pid, value in after.items())


def warm(clients: list[Client], path: str) -> None:
    for client in clients:
        for _ in range(WARM_UP // len(clients) + 1):
            fetch(client, path)


# ---------------------------------------------------------------------------------------------
# Report

PAIRS = [
    ("meeting page, manager", ("engage", "meeting", "manager"), ("Indico", "event", "manager")),
    ("meeting page, peer", ("engage", "meeting", "peer"), ("Indico", "event", "participant")),
    ("meeting page, peer", ("engage", "meeting", "peer"), ("Indico", "event", "anonymous")),
    ("forum page, manager", ("engage", "forum", "manager"), ("Indico", "category", "manager")),
    ("forum page, peer", ("engage", "forum", "peer"), ("Indico", "category", "participant")),
    ("forum page, peer", ("engage", "forum", "peer"), ("Indico", "category", "anonymous")),
]


def report(args, cells: list[Cell], meta: dict, load: list[float]) -> None:
    by_key = {(c.app, c.page, c.who): c for c in cells}
    print()
    print(
        f"engage vs Indico {meta['indico_version']}, {dt.date.today().isoformat()}: "
        f"{meta['database']}, gunicorn {meta['gunicorn']} 2 sync workers each, {THREADS} client "
        f"connections, {args.rounds} rounds x {args.seconds:g} s per page; "
        f"Python {platform.python_version()} (engage) / {meta['indico_python']} (Indico), "
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f} before / {load[1]:.1f} before "
        f"timing / {load[2]:.1f} after"
    )
    print(meta["data"])
    print()
    print(
        "| app | page | as | path | req/s (median) | p50 ms (median) | req/s per round "
        "| server CPU ms per request (median) | bytes |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for c in cells:
        rounds = " ".join(f"{r:.1f}" for r, _ in c.rounds)
        print(
            f"| {c.app} | {c.page} | {c.who} | `{c.path}` | {c.rps:.1f} | {c.p50:.0f} | "
            f"{rounds} | {c.cpu_ms:.0f} | {c.size} |"
        )
    print()
    print(
        "| comparison | engage req/s | Indico req/s | ratio req/s | ratio p50 (Indico / engage) "
        "| ratio server CPU per request (Indico / engage) |"
    )
    print("|---|---|---|---|---|---|")
    for label, a, b in PAIRS:
        x, y = by_key[a], by_key[b]
        print(
            f"| {label}: engage {a[2]} vs Indico {b[1]} as {b[2]} | {x.rps:.1f} | {y.rps:.1f} | "
            f"**{x.rps / y.rps:.1f}x** | {y.p50 / x.p50:.1f}x | {y.cpu_ms / x.cpu_ms:.1f}x |"
        )
    # Round by round, to see how steady the ratios are on a shared machine.
    print()
    for label, a, b in PAIRS[:1] + PAIRS[3:4]:
        x, y = by_key[a], by_key[b]
        ratios = [rx / ry for (rx, _), (ry, _) in zip(x.rounds, y.rounds, strict=True)]
        print(f"{label} ratio per round: " + " ".join(f"{r:.1f}" for r in ratios))


# ---------------------------------------------------------------------------------------------


def indico_version(venv: Path) -> tuple[str, str]:
    out = subprocess.run(  # noqa: S603
        [
            str(venv / "bin" / "python"),
            "-c",
            "import platform, importlib.metadata as m; "
            "print(m.version('indico'), platform.python_version())",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    version, python = out.stdout.split()
    return version, python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        required=True,
        help="a PostgreSQL server on 127.0.0.1 to make engage's scratch database on",
    )
    parser.add_argument("--indico-venv", type=Path, default=Path("/work/indico-bench/.venv"))
    parser.add_argument(
        "--indico-config", type=Path, default=Path("/work/indico-bench/indico.conf")
    )
    parser.add_argument("--indico-seed", type=Path, default=Path("/work/indico-bench/seed.json"))
    parser.add_argument("--indico-url", help="an Indico already running on 127.0.0.1")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=6.0, help="per page and round")
    parser.add_argument("--meetings", type=int, default=300)
    parser.add_argument("--invitees", type=int, default=200)
    args = parser.parse_args(argv)
    seed = json.loads(args.indico_seed.read_text())
    if args.indico_url and urlsplit(args.indico_url).hostname not in home_profile.LOCAL_HOSTS:
        parser.error("--indico-url must be on 127.0.0.1: this benchmark talks to no one else")

    load = [os.getloadavg()[0]]
    indico_process = None
    # Leaving the block stops Indico first (the ExitStack), then cleans up engage's site.
    with (
        scratch_site(
            "engage-bench-indico-", args.database_url, scratch_database=SCRATCH_DB, freeze=False
        ) as site,
        ExitStack() as indico,
    ):
        version, indico_python = indico_version(args.indico_venv)
        gunicorn = (
            subprocess.run(  # noqa: S603
                [str(args.indico_venv / "bin" / "gunicorn"), "--version"],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.split()[-1]
            .strip("()")
        )
        if args.indico_url:
            port_indico = urlsplit(args.indico_url).port or 80
        else:
            indico_process, port_indico = start_indico(
                args.indico_venv, args.indico_config, site.workdir / "indico.log"
            )
            indico.callback(stop, indico_process)
            print(f"Indico (2 sync workers) on 127.0.0.1:{port_indico}", flush=True)

        database = site.database
        seeder = ForumSeeder(site.app, args.invitees, args.meetings)
        seeder.base()
        seeder.grow_to(args.invitees, args.meetings)
        sizes = seeder.sizes()
        engage_port = site.start_gunicorn(log="engage.log")
        print(f"engage (2 sync workers) on 127.0.0.1:{engage_port}", flush=True)

        def copies(signed_in: Client, port: int) -> list[Client]:
            signed_in.close()
            return [Client(port, signed_in.cookies) for _ in range(THREADS)]

        venv, config = args.indico_venv, args.indico_config
        manager = indico_sign_in(venv, config, port_indico, "manager", "Morgan")
        participant = indico_sign_in(venv, config, port_indico, "participant", "Aisha")
        sessions = {
            ("engage", "manager"): copies(sign_in(engage_port, "manager"), engage_port),
            ("engage", "peer"): copies(sign_in(engage_port, "peer"), engage_port),
            ("Indico", "manager"): [Client(port_indico, manager) for _ in range(THREADS)],
            ("Indico", "participant"): [Client(port_indico, participant) for _ in range(THREADS)],
            ("Indico", "anonymous"): [Client(port_indico) for _ in range(THREADS)],
        }
        meeting = f"/meetings/{seeder.busy}"
        forum = f"/forums/{seeder.forum}"
        event = f"/event/{seed['busy_event_id']}/"
        category = f"/category/{seed['category_id']}/"
        cells = [
            Cell("engage", "meeting", "manager", meeting),
            Cell("engage", "meeting", "peer", meeting),
            Cell("Indico", "event", "manager", event),
            Cell("Indico", "event", "participant", event),
            Cell("Indico", "event", "anonymous", event),
            Cell("engage", "forum", "manager", forum),
            Cell("engage", "forum", "peer", forum),
            Cell("Indico", "category", "manager", category),
            Cell("Indico", "category", "participant", category),
            Cell("Indico", "category", "anonymous", category),
        ]
        for cell in cells:
            warm(sessions[(cell.app, cell.who)], cell.path)
        print("warmed up", flush=True)
        load.append(os.getloadavg()[0])
        meters = {
            "engage": CpuMeter(site.process.pid, SCRATCH_DB, database.admin_url),
            "Indico": CpuMeter(indico_process.pid, indico_dbname(config), database.admin_url)
            if indico_process is not None
            else None,
        }
        for n in range(args.rounds):
            order = cells if n % 2 == 0 else cells[::-1]
            for cell in order:
                meter = meters[cell.app]
                before = meter.snapshot() if meter else {}
                started = time.perf_counter()
                rps, p50, cell.size = run_cell(
                    sessions[(cell.app, cell.who)], cell.path, args.seconds
                )
                requests = rps * (time.perf_counter() - started)
                if meter:
                    cell.cpu.append(meter.used(before, meter.snapshot()) / requests * 1000)
                cell.rounds.append((rps, p50))
            print(f"round {n + 1} of {args.rounds}, load {os.getloadavg()[0]:.1f}", flush=True)
        for clients in sessions.values():
            for client in clients:
                client.close()
        load.append(os.getloadavg()[0])
        replies = sizes.pop("busy replies")
        meta = {
            "indico_version": version,
            "indico_python": indico_python,
            "gunicorn": gunicorn,
            "database": database.label,
            "data": (
                "engage: "
                + ", ".join(f"{k} {v}" for k, v in sizes.items())
                + f" (busy meeting replies {replies}); Indico: category {seed['category_id']} "
                f"with {seed['events']} meetings, event {seed['busy_event_id']} with "
                f"{seed['registrations']} registrations"
            ),
        }
        report(args, cells, meta, load)
        return 0


if __name__ == "__main__":
    sys.exit(main())
