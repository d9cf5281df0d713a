"""``engage check``: is this instance set up to serve real people?

One list of checks, each giving what is wrong in plain words and how to fix it. ``engage
check`` prints them and exits non-zero when there are any; ``engage serve`` runs the same list
at start-up in production and refuses to start while any remain. Like the rest of the CLI, this
sits above the domains: it may ask the people and surveys domains about their data.

Each check assumes the instance is meant for production: run ``engage check`` with the same
environment the server gets.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from engage.config import DEV_SECRET_KEY
from engage.extensions import db

#: The shortest secret key accepted, in characters.
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class Problem:
    """One thing to put right before serving real people: ``what`` is wrong, and the ``fix``."""

    what: str
    fix: str

    def __str__(self) -> str:
        return f"{self.what}\n  fix: {self.fix}"


@dataclass(frozen=True)
class Facts:
    """What the checks share: how many workers will serve, and which tables exist (asked
    before any check queries: on SQLite a command's session holds the write lock once it has
    queried, and asking the schema on another connection would then wait for it)."""

    workers: int
    tables: frozenset[str]


Check = Callable[[Flask, Facts], list[Problem]]


def _environment(app: Flask, facts: Facts) -> list[Problem]:
    if app.config["ENV"] == "production":
        return []
    return [
        Problem(
            f"ENGAGE_ENV is {app.config['ENV']!r}: secure cookies, host name checking and "
            "two-step sign in for admins and finance are all off.",
            "set ENGAGE_ENV=production.",
        )
    ]


def _secret_key(app: Flask, facts: Facts) -> list[Problem]:
    key = app.config.get("SECRET_KEY")
    if key in (DEV_SECRET_KEY, "", None):
        return [
            Problem(
                "ENGAGE_SECRET_KEY is the development key, which is published: anyone could "
                "forge a signed-in session.",
                "set ENGAGE_SECRET_KEY to a long random secret, e.g. the output of python3 -c "
                '"import secrets; print(secrets.token_urlsafe(48))".',
            )
        ]
    if len(str(key)) < MIN_SECRET_LENGTH:
        return [
            Problem(
                "ENGAGE_SECRET_KEY is too short to be safe from guessing.",
                f"use at least {MIN_SECRET_LENGTH} random characters.",
            )
        ]
    return []


def _debug(app: Flask, facts: Facts) -> list[Problem]:
    if app.debug or app.config.get("DEBUG"):
        return [
            Problem(
                "Debug mode is on: an error page would show the code and could let a visitor "
                "run commands on the server.",
                "unset FLASK_DEBUG and do not pass --debug in production.",
            )
        ]
    return []


def _https(app: Flask, facts: Facts) -> list[Problem]:
    problems = []
    if urlsplit(app.config["BASE_URL"]).scheme != "https":
        problems.append(
            Problem(
                f"ENGAGE_BASE_URL ({app.config['BASE_URL']}) is not an https:// address: links "
                "in e-mails and texts would send people to the site without encryption.",
                "set ENGAGE_BASE_URL to the site's https:// address, e.g. "
                "https://engage.example.org.",
            )
        )
    if not app.config["SESSION_COOKIE_SECURE"]:
        problems.append(
            Problem(
                "Session cookies may travel over plain http, and browsers are not told to use "
                "HTTPS only (HSTS is off).",
                "remove ENGAGE_SESSION_COOKIE_SECURE (production turns it on) or set it to true.",
            )
        )
    if int(app.config["PROXY_COUNT"]) < 1:
        problems.append(
            Problem(
                "ENGAGE_PROXY_COUNT is 0, but engage serve speaks plain http: a proxy in front "
                "must provide HTTPS, and engage must know it is there, or every visitor's "
                "failed sign-ins count against the proxy's single address.",
                "serve engage behind nginx or a load balancer that provides HTTPS and sets "
                "X-Forwarded-For and X-Forwarded-Proto, and set ENGAGE_PROXY_COUNT to the number "
                "of proxies in front (usually 1).",
            )
        )
    return problems


def _is_local(host: str) -> bool:
    if host in ("", "localhost") or host.endswith(".localhost"):
        return True
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _trusted_hosts(app: Flask, facts: Facts) -> list[Problem]:
    hosts = app.config.get("TRUSTED_HOSTS")
    if not hosts:
        return [
            Problem(
                "The site answers to any host name, so pages and links could be built from an "
                "address an attacker typed.",
                "set ENGAGE_ENV=production and ENGAGE_BASE_URL to the site's address (add other "
                "names with ENGAGE_TRUSTED_HOSTS, separated by commas).",
            )
        ]
    host = urlsplit(app.config["BASE_URL"]).hostname or ""
    if _is_local(host):
        return [
            Problem(
                f"ENGAGE_BASE_URL names this computer ({host or 'nothing'}), not the site's "
                "public name: links in messages would not work for anyone else.",
                "set ENGAGE_BASE_URL to the address people use, e.g. https://engage.example.org.",
            )
        ]
    return []


def _database(app: Flask, facts: Facts) -> list[Problem]:
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        return []
    if dialect == "sqlite":
        # Asked on a connection of its own: the PRAGMA reports the file's mode as opened.
        with db.engine.connect() as connection:
            mode = str(connection.execute(text("PRAGMA journal_mode")).scalar() or "").lower()
        if mode == "wal":
            return []
        return [
            Problem(
                f"The SQLite database is in {mode!r} mode, not WAL: people would see "
                '"database is locked" while anyone saves.',
                "keep the database file on a local disk (WAL does not work on network "
                "drives), or use PostgreSQL: ENGAGE_DATABASE_URL=postgresql://...",
            )
        ]
    return [
        Problem(
            f"The database is {dialect}, which engage is not tested on.",
            "use PostgreSQL (ENGAGE_DATABASE_URL=postgresql://...) or SQLite.",
        )
    ]


def _encryption_keys(app: Flask, facts: Facts) -> list[Problem]:
    from engage.core import encryption

    if app.config["ENV"] != "production" or encryption.keys_configured(app):
        return []
    return [
        Problem(
            "No encryption keys are set: bank details, DBS outcomes, supervision notes and "
            "equality answers cannot be read or saved.",
            "make a key with `engage keys new`, set ENGAGE_ENCRYPTION_KEYS to it, and keep a "
            "copy somewhere safe, apart from your backups (without it they cannot be read).",
        )
    ]


def _rate_limits(app: Flask, facts: Facts) -> list[Problem]:
    workers = facts.workers
    if workers > 1 and app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        return [
            Problem(
                f"Sign-in limits are kept in each worker's memory, and {workers} workers would "
                "each count separately, letting a guesser try many times more passwords.",
                "set ENGAGE_RATELIMIT_STORAGE_URI=redis://host:6379 so all workers share them, "
                "or run one worker (ENGAGE_GUNICORN_WORKERS=1).",
            )
        ]
    return []


def _mail(app: Flask, facts: Facts) -> list[Problem]:
    if app.config["EMAIL_SENDER"] == "log":
        return [
            Problem(
                "E-mails are only written to the log, never sent: password resets, invitations "
                "and news about claims would not arrive (the outbox would still say sent).",
                "set ENGAGE_EMAIL_SENDER=smtp with ENGAGE_SMTP_HOST, ENGAGE_SMTP_PORT, "
                "ENGAGE_SMTP_USERNAME, ENGAGE_SMTP_PASSWORD and ENGAGE_SMTP_STARTTLS=true (or "
                "module:Class for a sender of your own).",
            )
        ]
    return []


def _demo_data(app: Flask, facts: Facts) -> list[Problem]:
    from engage.core import settings
    from engage.core.security import check_password
    from engage.demo import DEMO_PASSWORD, DEMO_USERNAMES
    from engage.people.models import User

    if "setting" not in facts.tables:
        return []
    problems = []
    if settings.get(settings.DEMO_MARKER):
        problems.append(
            Problem(
                "This database was made by `engage demo`: it holds demo accounts and made-up "
                "people.",
                "start production on a new, empty database (engage db upgrade, then engage "
                "create-admin).",
            )
        )
    users = db.session.scalars(select(User).where(User.username.in_(DEMO_USERNAMES)))
    if any(check_password(u.password_hash, DEMO_PASSWORD) for u in users):
        problems.append(
            Problem(
                "A demo account with the published demo password exists.",
                "deactivate that account, or give it a new password, before serving.",
            )
        )
    return problems


def _survey_definitions(app: Flask, facts: Facts) -> list[Problem]:
    if "survey_round" not in facts.tables:
        return []
    from engage.surveys.services import definitions_changed_in_place

    problems = []
    for message in definitions_changed_in_place():
        what, _, fix = message.partition(": ")
        problems.append(Problem(what + ".", fix))
    return problems


def _weasyprint_error() -> str | None:
    """Why WeasyPrint cannot load here, or None when it can.

    Tried in a child Python process, not imported: ``engage serve`` runs these checks in the
    process that then forks the workers, and WeasyPrint with Pango (about 40 MiB) imported
    there would sit in the memory of every worker, though only PDF downloads use it."""
    if "weasyprint" in sys.modules:  # loaded already, so it loads
        return None
    result = subprocess.run(  # noqa: S603 — this Python, a fixed statement
        [sys.executable, "-c", "import weasyprint"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode == 0:
        return None
    lines = result.stderr.strip().splitlines()
    if not lines:
        return f"exit status {result.returncode}"
    # The exception's last line, without its type: "cannot load library 'libpango-1.0-0' ..."
    kind, _, message = lines[-1].partition(": ")
    return message or kind


def _pdfs(app: Flask, facts: Facts) -> list[Problem]:
    """Board packs and funder reports are made as PDF by WeasyPrint, which needs the system's
    Pango library; without it only the PDF downloads fail (a kind 503 page)."""
    error = _weasyprint_error()
    if error is None:
        return []
    return [
        Problem(
            f"Board packs and funder reports cannot be made as PDF: WeasyPrint cannot load "
            f"({error}).",
            "install Pango (Debian and Ubuntu: apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0), then restart.",
        )
    ]


#: Every check, in the order its problems are listed.
CHECKS: tuple[Check, ...] = (
    _environment,
    _secret_key,
    _debug,
    _https,
    _trusted_hosts,
    _database,
    _encryption_keys,
    _rate_limits,
    _mail,
    _demo_data,
    _survey_definitions,
    _pdfs,
)

#: The checks that read the database.
DATABASE_CHECKS = frozenset({_database, _demo_data, _survey_definitions})


def production_problems(app: Flask, workers: int | None = None) -> list[Problem]:
    """Everything that must be put right before this instance serves real people.

    ``workers`` is how many gunicorn workers will serve (default: ``GUNICORN_WORKERS``).
    Runs in its own application context and leaves no connection open (``engage serve`` forks
    after it).
    """
    problems: list[Problem] = []
    with app.app_context():
        try:
            try:
                tables = frozenset(inspect(db.engine).get_table_names())
            except SQLAlchemyError as error:
                # Say so, and still check everything that does not need the database.
                problems.append(
                    Problem(
                        f"The database cannot be reached ({type(error.orig or error).__name__}).",
                        "check ENGAGE_DATABASE_URL, that the database server is running and "
                        "that this account may connect to it.",
                    )
                )
                tables = None
            facts = Facts(
                workers=workers or int(app.config["GUNICORN_WORKERS"]),
                tables=tables or frozenset(),
            )
            for check in CHECKS:
                if tables is None and check in DATABASE_CHECKS:
                    continue
                problems.extend(check(app, facts))
        finally:
            db.session.remove()
    return problems
