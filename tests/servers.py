"""Real servers for tests that must see what production runs: ``engage serve`` (gunicorn, in its
own processes) or ``engage run`` (the threaded development server), on a database of their own,
talked to over real sockets by :class:`Visitor` (one browser's cookies, nothing shared).

The test client cannot show what outlives a request in a long-running server process, nor
"database is locked" between processes, nor a message sent twice: these can.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "engage-demo"  # noqa: S105  (the demo database's password)


@contextlib.contextmanager
def scratch_database(tmp_path: Path, name: str) -> Iterator[str]:
    """A database URL of a fresh, empty database: an SQLite file under ``tmp_path``, or, when
    ``ENGAGE_TEST_DATABASE_URL`` is set, a PostgreSQL database ``name`` beside it (dropped at
    the end), so the unit tests' database is never touched."""
    base = os.environ.get("ENGAGE_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / (name + '.db')}"
        return
    name = f"{name}_{os.getpid()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


#: An encryption key for commands run in production mode (which makes none of its own). In
#: development the instance folder's key file is shared by the test and its server.
PRODUCTION_ENCRYPTION_KEY = Fernet.generate_key().decode()


def engage_env(instance: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment for an ``engage`` command: this test's instance folder and database,
    generous sign-in limits, and none of the developer's own ENGAGE_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGE_")}
    env.update(
        ENGAGE_INSTANCE_PATH=str(instance),
        ENGAGE_DATABASE_URL=database_url,
        ENGAGE_SECRET_KEY="real-server-tests-" + "x" * 40,
        ENGAGE_LOGIN_LIMIT_PER_ACCOUNT="1000 per minute",
        ENGAGE_LOGIN_LIMIT_PER_ADDRESS="1000 per minute",
        ENGAGE_BASE_URL="http://127.0.0.1",
    )
    env.update(extra)
    return env


def engage_command(*args: str) -> list[str]:
    """The installed ``engage`` command, as the README runs it."""
    script = Path(sys.executable).parent / "engage"
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-c", "from engage.cli import main; main()", *args]


def run_engage(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """Run an ``engage`` command to the end; returns its output, or fails the test with it."""
    done = subprocess.run(  # noqa: S603
        engage_command(*args),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"engage {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``engage serve`` or ``engage run`` in a process group of its own, on a free port."""

    def __init__(self, env: dict[str, str], kind: str, log: Path, *options: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        if kind == "serve":
            args = ["serve", "--bind", f"127.0.0.1:{self.port}", *options]
        else:
            args = ["run", "--port", str(self.port), "--with-threads", *options]
        with log.open("wb") as handle:
            self.process = subprocess.Popen(  # noqa: S603
                engage_command(*args),
                env=env,
                cwd=ROOT,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("the server stopped:\n" + self.output())
            with contextlib.suppress(OSError):
                if Visitor(self.url).get("/healthz").status == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise AssertionError("the server did not answer /healthz in 60 s:\n" + self.output())

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)

    def log_size(self) -> int:
        return self.log.stat().st_size

    def server_errors(self, since: int = 0) -> list[str]:
        """Lines of the server's log (from byte ``since``) that record an unhandled error or a
        5xx answer."""
        with self.log.open("rb") as handle:
            handle.seek(since)
            text = handle.read().decode(errors="replace")
        return [
            line
            for line in text.splitlines()
            if "Traceback" in line or re.search(r"\" 5\d\d ", line)
        ]


class Response:
    def __init__(self, status: int, headers: http.client.HTTPMessage, text: str):
        self.status = status
        self.headers = headers
        self.text = text

    @property
    def location(self) -> str:
        return urlsplit(self.headers.get("Location", "")).path


class Visitor:
    """One browser: its own cookies, a new connection per request (as sync workers close
    them), CSRF tokens read from the form page as a browser would send them back."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Response:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            text = answer.read().decode("utf-8", errors="replace")
        finally:
            connection.close()
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or "expires=thu, 01 jan 1970" in header.lower():
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return Response(answer.status, answer.headers, text)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def form_fields(self, page: str, action: str) -> dict[str, str]:
        """The hidden fields (CSRF token, submission key, version) of the form on ``page``
        that posts to ``action``, read as a browser would."""
        return dict(hidden_fields(self.get(page).text, action))

    def send(self, method: str, path: str, fields: dict) -> Response:
        body = urlencode(fields, doseq=True).encode()
        return self.request(
            method, path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )

    def post(self, path: str, data: dict, form_page: str | None = None) -> Response:
        """POST ``data`` with the hidden fields of the form on ``form_page`` (``path`` itself
        by default) that posts to ``path``."""
        return self.send("POST", path, {**self.form_fields(form_page or path, path), **data})

    def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> Visitor:
        answer = self.post("/login", {"login": username, "password": password})
        assert answer.status == 303, f"{username} could not sign in: {answer.status}"
        return self


def hidden_fields(page: str, action: str) -> list[tuple[str, str]]:
    """The hidden inputs (CSRF token, submission keys, versions) of the form on ``page`` that
    posts to ``action``, or of a form without an action (it posts to the page itself)."""
    forms = re.findall(r"<form([^>]*)>(.*?)</form>", page, flags=re.DOTALL)
    chosen = [body for attrs, body in forms if f'action="{action}"' in attrs] or [
        body for attrs, body in forms if "action=" not in attrs
    ]
    found = []
    for tag in re.findall(r"<input[^>]*>", "".join(chosen[:1])):
        if 'type="hidden"' not in tag:
            continue
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            found.append((name.group(1), html.unescape(value.group(1)) if value else ""))
    return found
