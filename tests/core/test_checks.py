"""``engage check``: each production check, and the command as an operator runs it."""

from __future__ import annotations

import base64
import subprocess

import pytest

from engage.checks import Problem, production_problems
from engage.config import DEV_SECRET_KEY
from tests.servers import ROOT, engage_command, engage_env

#: A key in the form Fernet and AES-GCM both take (32 random bytes, URL-safe base64).
FERNET_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()

#: A production set-up with nothing wrong.
GOOD = {
    "ENV": "production",
    "SECRET_KEY": "s" * 48,
    "DEBUG": False,
    "BASE_URL": "https://engage.example.org",
    "TRUSTED_HOSTS": ["engage.example.org"],
    "SESSION_COOKIE_SECURE": True,
    "PROXY_COUNT": 1,
    "RATELIMIT_STORAGE_URI": "redis://cache:6379",
    "EMAIL_SENDER": "smtp",
    "ENCRYPTION_KEYS": [FERNET_KEY],
}


@pytest.fixture
def configure(app, monkeypatch):
    """Set the test app up as a good production instance, then change what a test names."""

    def apply(**changes):
        for key, value in {**GOOD, **changes}.items():
            monkeypatch.setitem(app.config, key, value)
        monkeypatch.setattr(app, "debug", bool(changes.get("DEBUG")))

    return apply


def problems(app, workers: int = 2) -> list[Problem]:
    # A reading request's context, as the tests' shared transaction needs on SQLite.
    with app.test_request_context():
        return production_problems(app, workers)


def only(app, workers: int = 2) -> Problem:
    found = problems(app, workers)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def test_a_good_production_set_up_has_no_problems(app, configure):
    configure()
    assert problems(app) == []


def test_development_mode_is_a_problem(app, configure):
    configure(ENV="development")
    assert "ENGAGE_ENV" in only(app).what


@pytest.mark.parametrize("key", [DEV_SECRET_KEY, "short"])
def test_the_secret_key_must_be_long_and_not_the_published_one(app, configure, key):
    configure(SECRET_KEY=key)
    problem = only(app)
    assert "ENGAGE_SECRET_KEY" in problem.what and problem.fix


def test_debug_must_be_off(app, configure):
    configure(DEBUG=True)
    assert "Debug mode is on" in only(app).what


def test_the_site_address_must_be_https(app, configure):
    configure(BASE_URL="http://engage.example.org")
    problem = only(app)
    assert "https://" in problem.what and "ENGAGE_BASE_URL" in problem.fix


def test_secure_cookies_and_hsts_must_be_on(app, configure):
    configure(SESSION_COOKIE_SECURE=False)
    assert "HSTS" in only(app).what


def test_engage_must_know_about_the_proxy_that_provides_https(app, configure):
    configure(PROXY_COUNT=0)
    assert "ENGAGE_PROXY_COUNT" in only(app).fix


def test_trusted_hosts_must_be_set(app, configure):
    configure(TRUSTED_HOSTS=None)
    assert "any host name" in only(app).what


@pytest.mark.parametrize("address", ["https://127.0.0.1", "https://localhost:8000"])
def test_the_site_address_must_be_a_public_name(app, configure, address):
    configure(BASE_URL=address, TRUSTED_HOSTS=["127.0.0.1"])
    assert "names this computer" in only(app).what


def test_the_database_must_be_postgresql_or_sqlite_in_wal_mode(app, configure, monkeypatch):
    from engage import checks

    configure()
    facts = checks.Facts(workers=1, tables=frozenset())
    with app.test_request_context():
        assert checks._database(app, facts) == []  # the test database, whichever it is, passes

    class Connection:  # an SQLite file on a disk that refused WAL
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, statement):
            return self

        def scalar(self):
            return "delete"

    class FakeDb:
        class engine:  # noqa: N801
            class dialect:  # noqa: N801
                name = "sqlite"

            @staticmethod
            def connect():
                return Connection()

    monkeypatch.setattr(checks, "db", FakeDb)
    found = checks._database(app, facts)
    assert len(found) == 1 and "not WAL" in found[0].what
    FakeDb.engine.dialect.name = "mysql"
    assert "PostgreSQL" in checks._database(app, facts)[0].fix


def test_encryption_keys_must_be_set(app, configure, monkeypatch):
    configure()
    assert problems(app) == []  # the test app has its key
    monkeypatch.setitem(app.extensions, "engage.encryption", [])
    problem = only(app)
    assert "encryption keys" in problem.what and "engage keys new" in problem.fix


def test_rate_limits_must_be_shared_between_workers(app, configure):
    configure(RATELIMIT_STORAGE_URI="memory://")
    assert problems(app, workers=1) == []
    assert "ENGAGE_RATELIMIT_STORAGE_URI" in only(app, workers=4).fix


def test_mail_must_really_be_sent(app, configure):
    configure(EMAIL_SENDER="log")
    problem = only(app)
    assert "never sent" in problem.what and "ENGAGE_EMAIL_SENDER=smtp" in problem.fix


def _without_pango(monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint as it loads on a server without Pango: importing it raises OSError, both in
    this process (a PDF download) and in the child process the check imports it in (never in
    the server's own), which on such a server ends with that error's last line."""
    import builtins
    import subprocess
    import sys

    from engage import checks

    message = "cannot load library 'libpango-1.0-0': no such file"
    real_import, real_run = builtins.__import__, subprocess.run

    def refuse(name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise OSError(message)
        return real_import(name, *args, **kwargs)

    def run(command, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if command[1:] == ["-c", "import weasyprint"]:
            command = [command[0], "-c", f"raise OSError({message!r})"]
        return real_run(command, *args, **kwargs)

    for name in [n for n in sys.modules if n == "weasyprint" or n.startswith("weasyprint.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(builtins, "__import__", refuse)
    monkeypatch.setattr(checks.subprocess, "run", run)


def test_pdfs_that_cannot_be_made_are_a_problem(app, configure, monkeypatch):
    configure()
    _without_pango(monkeypatch)
    problem = only(app)
    assert "cannot be made as PDF" in problem.what and "libpango" in problem.fix


def test_demo_accounts_with_the_demo_password_are_a_problem(app, configure, make_user):
    from engage.demo import DEMO_PASSWORD, DEMO_USERNAMES

    configure()
    make_user(sorted(DEMO_USERNAMES)[0], password=DEMO_PASSWORD)
    assert "demo password" in only(app).what


def test_each_problem_is_printed_with_its_fix():
    problem = Problem("Something is wrong.", "put it right.")
    assert str(problem) == "Something is wrong.\n  fix: put it right."


def test_engage_check_as_the_operator_runs_it(tmp_path):
    """The command, in its own process, with a production environment: each problem on a line
    with a "fix:" line after it, and a non-zero exit; then none, and exit 0."""
    database = f"sqlite:///{tmp_path / 'engage.db'}"
    wrong = engage_env(tmp_path, database, ENGAGE_ENV="production", ENGAGE_GUNICORN_WORKERS="2")
    done = subprocess.run(  # noqa: S603
        engage_command("check"), env=wrong, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    problems = [line for line in lines if line.startswith("- ")]
    fixes = [line for line in lines if line.startswith("  fix: ")]
    assert lines[0] == f"engage check: {len(problems)} problems to put right:"
    assert len(problems) == len(fixes) >= 5
    for words in ("https://", "ENGAGE_PROXY_COUNT", "names this computer", "worker", "e-mails"):
        assert any(words.lower() in line.lower() for line in problems), words
    right = engage_env(
        tmp_path,
        database,
        ENGAGE_ENV="production",
        ENGAGE_BASE_URL="https://engage.example.org",
        ENGAGE_PROXY_COUNT="1",
        ENGAGE_GUNICORN_WORKERS="1",
        ENGAGE_EMAIL_SENDER="smtp",
        ENGAGE_ENCRYPTION_KEYS=FERNET_KEY,
    )
    done = subprocess.run(  # noqa: S603
        engage_command("check"), env=right, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no problems found" in done.stdout


def test_engage_serve_refuses_production_with_the_same_list(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from engage.cli import main

    monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("ENGAGE_DATABASE_URL", raising=False)
    monkeypatch.setenv("ENGAGE_ENV", "production")
    monkeypatch.setenv("ENGAGE_SECRET_KEY", "k" * 40)
    result = CliRunner().invoke(main, ["serve", "--workers", "3"])
    assert result.exit_code != 0
    assert "Refusing to start in production" in result.output
    assert "3 workers would each count separately" in result.output
    assert result.output.count("  fix: ") >= 4


def test_a_database_that_cannot_be_reached_is_said_plainly(tmp_path):
    """The other checks still run; no traceback."""
    wrong = engage_env(
        tmp_path,
        "postgresql+psycopg://nobody@127.0.0.1:1/none",
        ENGAGE_ENV="production",
        ENGAGE_GUNICORN_WORKERS="1",
    )
    done = subprocess.run(  # noqa: S603
        engage_command("check"), env=wrong, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "- The database cannot be reached" in done.stdout
    assert "ENGAGE_DATABASE_URL" in done.stdout and "Traceback" not in done.stderr
    assert "https://" in done.stdout  # the checks that need no database still ran
