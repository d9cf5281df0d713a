"""Load: many people at once doing what they really do, against ``engage serve --workers 4``,
and proof that nothing fails under it.

    .venv/bin/python bench/load.py [--users 50] [--seconds 300] [--workers 4]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Steps (see bench/README.md):

1. A scratch database (SQLite in a temporary folder, or ``engage_bench`` created on the
   PostgreSQL server of ``--database-url`` and dropped at the end), filled by ``engage demo``
   (``--peers`` extra peers, password ``engage-demo``).
2. ``engage serve --workers 4`` (gunicorn, as production starts it) on 127.0.0.1.
3. ``--users`` simulated people, each a thread with its own cookies, for ``--seconds``: peers
   (about 70%), managers (20%) and finance (10%), each repeating journeys of their role with a
   short pause between them:
   - everyone: **sign in** (a fresh session), **browse home** (their home pages);
   - a peer: **raise an item** on the register, **send a claim** (a bus fare with a photo of
     the ticket), **answer a survey** (once, if one is open to them);
   - a manager: **approve a claim** (the oldest waiting ones first);
   - finance: **make a payment run** (everything ready) and mark it paid.
4. A table: per journey, how many ran, requests, errors, p50 and p95 in ms; then the number of
   "database is locked" lines and server errors in the server's log. Any error or lock makes
   the exit status 1.

Only 127.0.0.1 is contacted. An error is a request that failed, a 5xx, or an answer the
journey did not expect (e.g. a form shown again with an error); a race that the app answers
politely (two managers approving the same claim, two finance officers making a run of the
same items) is not an error.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import http.client
import io
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.home_profile import scratch_site  # noqa: E402

PASSWORD = "engage-demo"  # noqa: S105  (the demo's password)
LOCKED = "database is locked"


# ---------------------------------------------------------------------------------------------
# A browser: cookies, forms read from the page as a browser would fill them in.


class _Forms(HTMLParser):
    """Every form of a page: its action and fields, filled in as a careful person would
    (hidden values kept, the first choice of each radio group and select, some text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "fields": [], "buttons": []}
            self.forms.append(self._form)
        if self._form is None:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button"):
                self._form["buttons"].append((name, a.get("value", "")))
            else:
                self._form["fields"].append(
                    (name, kind, a.get("value", ""), "checked" in a, a.get("inputmode", ""))
                )
        elif tag == "button" and name:
            self._form["buttons"].append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._form["fields"].append((name, "textarea", "", False, ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and a.get("value"):
            self._form["fields"].append((self._select, "option", a["value"], "selected" in a, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def form_data(page: str, action: str) -> list[tuple[str, str]] | None:
    """The fields the form posting to ``action`` (or the page's own form) would send, or None
    when the page has no such form."""
    parser = _Forms()
    parser.feed(page)
    chosen = [f for f in parser.forms if f["action"] == action] or [
        f for f in parser.forms if f["action"] == ""
    ]
    if not chosen:
        return None
    data: list[tuple[str, str]] = []
    groups: dict[str, list] = defaultdict(list)
    for name, kind, value, checked, inputmode in chosen[0]["fields"]:
        if kind in ("radio", "checkbox", "option"):
            groups[name].append((value, checked, kind))
        elif kind == "hidden":
            data.append((name, value))
        elif kind == "file":
            continue
        elif kind == "textarea":
            data.append((name, "Said at the load test: the bus was late again."))
        else:
            data.append((name, value or ("3" if inputmode == "numeric" else "Load test")))
    for name, options in groups.items():
        ticked = [value for value, checked, _kind in options if checked]
        if options[0][2] == "checkbox":
            data.extend((name, value) for value in (ticked or [options[0][0]]))
        else:
            data.append((name, (ticked or [options[0][0]])[0]))
    return data


def hidden_fields(page: str, action: str) -> list[tuple[str, str]]:
    """Only the hidden fields (CSRF token, submission key) of the form posting to ``action``."""
    parser = _Forms()
    parser.feed(page)
    chosen = [f for f in parser.forms if f["action"] == action] or [
        f for f in parser.forms if f["action"] == ""
    ]
    fields = chosen[0]["fields"] if chosen else []
    return [(name, value) for name, kind, value, _c, _i in fields if kind == "hidden"]


def replace(data: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in data if k not in values]
    return kept + list(values.items())


@dataclass
class Answer:
    status: int
    location: str
    text: str


class Browser:
    """One person's browser: its own cookies, a new connection per request (sync workers close
    them after each answer)."""

    def __init__(self, port: int, stats: Stats, journey: str) -> None:
        self.port, self.stats, self.journey = port, stats, journey
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers=None) -> Answer:  # noqa: ANN001
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        except OSError as error:
            self.stats.request(self.journey, failed=f"{method} {path}: {error}")
            raise JourneyFailed from error
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if "max-age=0" in header.lower() or "expires=thu, 01 jan 1970" in header.lower():
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        answer = Answer(response.status, urlsplit(response.headers.get("Location", "")).path, text)
        failed = f"{method} {path}: {answer.status}" if answer.status >= 500 else None
        self.stats.request(self.journey, failed=failed)
        if failed:
            raise JourneyFailed
        return answer

    def get(self, path: str, *expected: int) -> Answer:
        answer = self.request("GET", path)
        self.expect(answer, f"GET {path}", *(expected or (200,)))
        return answer

    def post(self, path: str, data: list[tuple[str, str]], *expected: int) -> Answer:
        answer = self.request(
            "POST",
            path,
            urlencode(data).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        self.expect(answer, f"POST {path}", *(expected or (303,)))
        return answer

    def post_files(
        self, path: str, data: list[tuple[str, str]], files: list[tuple[str, str, bytes]]
    ) -> Answer:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in data
        ]
        parts += [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n".encode()
            + content
            + b"\r\n"
            for k, name, content in files
        ]
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        answer = self.request(
            "POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )
        self.expect(answer, f"POST {path}", 303)
        return answer

    def expect(self, answer: Answer, what: str, *statuses: int) -> None:
        if answer.status not in statuses:
            problem = re.search(r'govuk-error-message">(.*?)</', answer.text, re.DOTALL)
            detail = (
                html.unescape(re.sub(r"<[^>]+>", "", problem.group(1))).strip() if problem else ""
            )
            self.stats.error(self.journey, f"{what}: {answer.status} {answer.location} {detail}")
            raise JourneyFailed

    def sign_in(self, username: str) -> None:
        page = self.get("/login")
        data = replace(form_data(page.text, "/login") or [], login=username, password=PASSWORD)
        self.post("/login", data)


class JourneyFailed(Exception):
    """Counted already: stop this journey, go on with the next."""


# ---------------------------------------------------------------------------------------------
# Statistics


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    examples: list[str] = field(default_factory=list)

    def request(self, journey: str, failed: str | None = None) -> None:
        with self.lock:
            self.requests[journey] += 1
        if failed:
            self.error(journey, failed)

    def error(self, journey: str, what: str) -> None:
        with self.lock:
            self.errors[journey] += 1
            if len(self.examples) < 20:
                self.examples.append(f"{journey}: {what}")

    def done(self, journey: str, seconds: float) -> None:
        with self.lock:
            self.times[journey].append(seconds)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


# ---------------------------------------------------------------------------------------------
# Journeys


def receipt_photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


PHOTO = b""


class Person:
    def __init__(self, port: int, username: str, role: str, stats: Stats, rng: random.Random):
        self.port, self.username, self.role, self.stats, self.rng = (
            port,
            username,
            role,
            stats,
            rng,
        )
        self.browser: Browser | None = None
        self.surveys_done = False

    def as_journey(self, name: str) -> Browser:
        if self.browser is None:
            self.browser = Browser(self.port, self.stats, name)
            self.browser.sign_in(self.username)
        self.browser.journey = name
        return self.browser

    # Everyone.

    def sign_in(self) -> None:
        self.browser = Browser(self.port, self.stats, "sign in")
        self.browser.sign_in(self.username)

    def browse_home(self) -> None:
        b = self.as_journey("browse home")
        b.get("/")
        pages = {
            "peer": ["/me", "/register", "/claims"],
            "manager": ["/people", "/register", "/claims"],
            "finance": ["/payments", "/claims"],
        }[self.role]
        for path in pages:
            b.get(path)

    # Peers.

    def raise_item(self) -> None:
        b = self.as_journey("raise an item")
        page = b.get("/register/new")
        data = form_data(page.text, "/register/new")
        title = f"Load test: the {self.rng.choice(['bus', 'hostel', 'clinic', 'job centre'])}"
        data = replace(data or [], title=title, agency_other="")
        answer = b.post("/register/new", data)
        b.get(answer.location)

    def send_claim(self) -> None:
        b = self.as_journey("send a claim")
        page = b.get("/claims/new")
        hidden = hidden_fields(page.text, "/claims/new")
        data = [
            *hidden,
            ("kind", "bus"),
            ("when", "today"),
            ("amount", f"{self.rng.randint(2, 9)}.{self.rng.randint(0, 99):02d}"),
            ("method", "cash"),  # most demo peers have given no bank details
            ("send", "Send claim"),
        ]
        answer = b.post_files("/claims/new", data, [("receipts", "ticket.jpg", PHOTO)])
        b.get(answer.location)

    def answer_survey(self) -> None:
        if self.surveys_done:
            return self.browse_home()
        b = self.as_journey("answer a survey")
        home = b.get("/")
        found = re.search(r'href="(/surveys/\d+)"', home.text)
        if not found:
            self.surveys_done = True
            return None
        start = b.get(found.group(1))
        step = re.search(r'href="(/surveys/\d+/(?:questions/[^"?]+|check)[^"]*)"', start.text)
        if not step:  # answered already, or not for them
            self.surveys_done = True
            return None
        path = html.unescape(step.group(1))
        for _ in range(60):
            page = b.get(path)
            data = form_data(page.text, "") or []
            answer = b.post(path, data)
            if "/done" in answer.location:
                b.get(answer.location)
                self.surveys_done = True
                return None
            path = answer.location
        self.stats.error("answer a survey", "more than 60 steps")
        return None

    # Managers.

    def approve_claim(self) -> None:
        b = self.as_journey("approve a claim")
        queue = b.get("/claims")
        ids = re.findall(r'href="/claims/(\d+)"', queue.text)
        if not ids:
            return
        claim = f"/claims/{self.rng.choice(ids[:5])}"
        page = b.get(claim)
        data = form_data(page.text, f"{claim}/approve")
        if data is None or f'action="{claim}/approve"' not in page.text:
            return  # decided by someone else meanwhile, or theirs to decide
        answer = b.post(f"{claim}/approve", data)
        b.get(answer.location)

    # Finance.

    def make_run(self) -> None:
        b = self.as_journey("make a payment run")
        page = b.get("/payments/runs/new")
        data = form_data(page.text, "")
        if data is None or 'name="items"' not in page.text:
            return  # nothing ready to pay
        answer = b.post("/payments/runs/new", data, 303, 200)
        if answer.status == 200:
            return  # another run took everything a moment ago: the page says so
        run = b.get(answer.location)
        paid = answer.location + "/paid"
        form = b.get(paid, 200, 303)
        if form.status == 303:
            return
        data = form_data(form.text, paid) or form_data(form.text, "") or []
        b.post(paid, data)
        del run

    JOURNEYS = {
        "peer": [
            ("browse home", 4),
            ("raise_item", 2),
            ("send_claim", 3),
            ("answer_survey", 1),
            ("sign_in", 1),
        ],
        "manager": [("browse home", 3), ("approve_claim", 5), ("sign_in", 1)],
        "finance": [("browse home", 2), ("make_run", 2), ("sign_in", 1)],
    }

    def run(self, deadline: float, think: float) -> None:
        choices = self.JOURNEYS[self.role]
        names = [name.replace(" ", "_") for name, _ in choices]
        weights = [weight for _, weight in choices]
        with contextlib.suppress(JourneyFailed):
            self.timed("sign in", self.sign_in)
        while time.monotonic() < deadline:
            name = self.rng.choices(names, weights)[0]
            label = {
                "browse_home": "browse home",
                "raise_item": "raise an item",
                "send_claim": "send a claim",
                "answer_survey": "answer a survey",
                "sign_in": "sign in",
                "approve_claim": "approve a claim",
                "make_run": "make a payment run",
            }[name]
            try:
                self.timed(label, getattr(self, name))
            except JourneyFailed:
                self.browser = None  # start again with a fresh sign-in
            time.sleep(self.rng.uniform(0, 2 * think))

    def timed(self, label: str, journey) -> None:  # noqa: ANN001
        started = time.monotonic()
        before = sum(self.stats.errors.values())
        journey()
        if sum(self.stats.errors.values()) == before:
            self.stats.done(label, time.monotonic() - started)


# ---------------------------------------------------------------------------------------------
# The server and the run


def engage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603
        [str(Path(sys.executable).parent / "engage"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"engage {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def people(database_url: str, users: int, rng: random.Random) -> list[tuple[str, str]]:
    """(username, role) for each simulated person: demo peers who have a password, and the
    demo's manager and finance accounts (several sessions each)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        peers = list(
            connection.scalars(
                text(
                    'SELECT u.username FROM "user" u JOIN user_role r ON r.user_id = u.id '
                    "WHERE r.role = 'peer' AND u.password_hash IS NOT NULL ORDER BY u.id"
                )
            )
        )
    engine.dispose()
    managers = max(1, round(users * 0.2)) if users >= 3 else 0
    finance = max(1, round(users * 0.1)) if users >= 3 else 0
    chosen = [(peers[n % len(peers)], "peer") for n in range(users - managers - finance)]
    chosen += [("manager", "manager")] * managers + [("finance", "finance")] * finance
    rng.shuffle(chosen)
    return chosen


def report(stats: Stats, log: Path, label: str, args, elapsed: float) -> int:  # noqa: ANN001
    text = log.read_text(errors="replace")
    locked = text.count(LOCKED)
    server_errors = [
        line for line in text.splitlines() if "Traceback" in line or re.search(r'" 5\d\d ', line)
    ]
    order = [
        "sign in",
        "browse home",
        "raise an item",
        "send a claim",
        "answer a survey",
        "approve a claim",
        "make a payment run",
    ]
    print()
    print(
        f"{label}, {args.users} users, {args.seconds} s ({elapsed:.0f} s run), engage serve "
        f"--workers {args.workers}; load average {os.getloadavg()[0]:.1f}; "
        f"{platform.python_version()}"
    )
    print()
    print("| journey | done | requests | errors | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|")
    for journey in order:
        times = stats.times.get(journey, [])
        print(
            f"| {journey} | {len(times)} | {stats.requests.get(journey, 0)} | "
            f"{stats.errors.get(journey, 0)} | {pct(times, 0.5):.0f} | {pct(times, 0.95):.0f} |"
        )
    total_requests = sum(stats.requests.values())
    total_errors = sum(stats.errors.values())
    print(
        f"| **all** | {sum(len(t) for t in stats.times.values())} | {total_requests} | "
        f"{total_errors} | | |"
    )
    print()
    print(
        f"Requests: {total_requests} ({total_requests / max(elapsed, 1):.0f}/s). Errors: "
        f'{total_errors}. "{LOCKED}" in the server log: {locked}. '
        f"Server errors (5xx or traceback) in the log: {len(server_errors)}."
    )
    for example in stats.examples[:20]:
        print("  error:", example)
    for line in server_errors[:10]:
        print("  server:", line)
    return 1 if total_errors or locked or server_errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--peers", type=int, default=60, help="extra demo peers")
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between journeys")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--server-log", type=Path, default=None, help="keep the server's log")
    args = parser.parse_args(argv)

    global PHOTO  # noqa: PLW0603
    PHOTO = receipt_photo()
    rng = random.Random(args.seed)
    # `engage demo` fills the database (migrations included), so no app in this process.
    with scratch_site("engage-load-", args.database_url, in_process=False) as site:
        database = site.database
        # Only the bench's own settings: none of the shell's ENGAGE_* variables.
        environ = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGE_")}
        print(f"Filling a demo partnership ({database.label}, {args.peers} extra peers)…")
        engage(environ | site.env, "demo", "--peers", str(args.peers))
        cast = people(database.url, args.users, rng)
        # `engage serve` as production runs it: the real app alone, no bench ceiling route.
        port = site.start_gunicorn(
            workers=args.workers, log="server.log", app=None, environ=environ
        )
        log = site.workdir / "server.log"
        stats = Stats()
        started = time.monotonic()
        deadline = started + args.seconds
        threads = []
        for n, (username, role) in enumerate(cast):
            person = Person(port, username, role, stats, random.Random(args.seed * 1000 + n))
            thread = threading.Thread(target=person.run, args=(deadline, args.think), daemon=True)
            threads.append(thread)
            thread.start()
            time.sleep(0.05)  # people arrive over a couple of seconds, not in one instant
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        site.stop_gunicorn()
        if args.server_log:
            shutil.copyfile(log, args.server_log)
        return report(stats, log, database.label, args, elapsed)


if __name__ == "__main__":
    raise SystemExit(main())
