"""Configuration: defaults live here, and any of them can be overridden by an
``ENGAGE_<NAME>`` environment variable (``ENGAGE_DATABASE_URL``, ``ENGAGE_SECRET_KEY`` ...).

Settings that staff change at run time (rate card, thresholds, reminder timings) live in the
database beside their domain, not here.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

#: The development secret key. ``engage serve`` refuses to start with it.
DEV_SECRET_KEY = "engage-development-secret-key-do-not-use-in-production"  # noqa: S105  (refused in production)

DEFAULTS: dict[str, Any] = {
    # "development" or "production". Production turns on secure cookies and start-up checks.
    "ENV": "development",
    "SECRET_KEY": DEV_SECRET_KEY,
    # Where the SQLite database and other local files live. None: ./instance in the checkout.
    "INSTANCE_PATH": None,
    # None means an SQLite file in the instance folder (see create_app).
    "DATABASE_URL": None,
    # The partnership's name, shown in the header and in messages.
    "PARTNERSHIP_NAME": "Riverside Changing Futures",
    # Who people should ask about their data, named in their data download's README (e.g.
    # "our data protection officer, dpo@example.org"). Empty: "the lived experience team".
    "PRIVACY_CONTACT": "",
    # Where links in e-mails and texts point to. In production it is also the one host name the
    # site answers to (a request naming another host gets 400), with TRUSTED_HOSTS added.
    "BASE_URL": "http://127.0.0.1:5000",
    # More host names to answer to in production, separated by commas (e.g. an internal name
    # your load balancer's health check uses). A name starting with "." also allows its
    # sub-domains.
    "TRUSTED_HOSTS": "",
    # Who the site's messages come from.
    "MAIL_FROM": "engage@localhost",
    # "log" keeps messages in the outbox page and the log; "smtp" sends them.
    "EMAIL_SENDER": "log",
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 25,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": False,
    # "log", or "module:Class" for a text message gateway of your own (see core/outbox.py).
    "TEXT_SENDER": "log",
    # Flask-Limiter storage. memory:// is per process; use redis://host:6379 for several workers.
    "RATELIMIT_STORAGE_URI": "memory://",
    # Failed sign-in attempts allowed per account name, and per network address. The address
    # limit is generous: a hostel or drop-in centre puts many people behind one address.
    "LOGIN_LIMIT_PER_ACCOUNT": "5 per 15 minutes",
    "LOGIN_LIMIT_PER_ADDRESS": "100 per 15 minutes",
    # Applications sent from one network address at /join (peer roles). Generous enough for a
    # worker at a drop-in centre helping several people in one session, tight enough that a
    # flood of made-up applications stops at once.
    "JOIN_LIMIT_PER_ADDRESS": "10 per hour",
    # What the /join confirmation promises: someone contacts the applicant within this many
    # working days.
    "JOIN_REPLY_WORKING_DAYS": 10,
    # How long an invitation link and a password reset link work.
    "INVITATION_DAYS": 14,
    "PASSWORD_RESET_HOURS": 2,
    # A signed-in session ends after this long without use, and after this long in any case.
    "SESSION_IDLE_HOURS": 8,
    "SESSION_MAX_DAYS": 14,
    # Minutes after typing their password again in which someone may change bank details, an
    # email address or a password, or download a payment run, before being asked again.
    "REAUTH_MINUTES": 5,
    # Wrong passwords or codes allowed at "confirm it is you", per account.
    "REAUTH_LIMIT_PER_ACCOUNT": "5 per 15 minutes",
    # None: Secure cookies in production only (the development server is plain http).
    "SESSION_COOKIE_SECURE": None,
    "DEFAULT_LOCALE": "en",
    "DEFAULT_TIMEZONE": "Europe/London",
    "GUNICORN_WORKERS": 2,
    # A worker is replaced by a fresh one (forked from the preloaded master, so in a moment)
    # after this many requests, plus up to a tenth more at random so workers do not all restart
    # at once: whatever a worker's memory has grown by (a big export, fragmentation) is given
    # back. 0: never.
    "GUNICORN_MAX_REQUESTS": 1000,
    # How many reverse proxies (nginx, a load balancer) stand in front of engage. Their
    # X-Forwarded-For, -Proto and -Host headers are believed that many hops deep, so sign-in
    # and /join limits count each visitor's own address, not the proxy's. 0: no proxy.
    "PROXY_COUNT": 0,
    # How long before a forum meeting its reminder goes (sent by engage tick).
    "REMINDER_HOURS": 48,
    # An overdue register item escalates a level and gets this many more days.
    "ESCALATION_DAYS": 28,
    # Roles whose accounts must set up two-step sign in before using the site, comma separated.
    # None: "admin,finance" in production (finance sees bank details and makes payment runs;
    # admins change roles), none in development so the demo signs in with a password.
    "TWO_STEP_ROLES": None,
    # The erasure log: one line (an account number and a time, never a name) per person erased,
    # kept outside the database so erasures are applied again after restoring a backup made
    # before them. None: erasure-log.jsonl in the instance folder. Keep it with your backups'
    # configuration, not inside them.
    "ERASURE_LOG": None,
    # Fernet keys for the sensitive columns (bank details, DBS outcomes and risk decisions,
    # supervision notes, equality answers), separated by commas: the first encrypts, all are
    # tried to decrypt. Make one with `engage keys new`; see the README on rotating them.
    # Empty: in development a key is made once in the instance folder; production refuses to
    # start.
    "ENCRYPTION_KEYS": "",
}


def _coerce(raw: str, default: Any) -> Any:
    """Read an environment string as the type of the default it replaces."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    return raw


def load(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the configuration: defaults, then ``ENGAGE_*`` variables, then ``overrides``."""
    config = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        raw = os.environ.get(f"ENGAGE_{key}")
        if raw is not None:
            config[key] = _coerce(raw, default if default is not None else "")
    if overrides:
        config.update(overrides)
    production = config["ENV"] == "production"
    if production:
        # Flask refuses a Host header that is not one of ours, so no page, redirect or link is
        # ever built from an address an attacker typed.
        extra = config["TRUSTED_HOSTS"]
        if isinstance(extra, str):
            extra = [host.strip() for host in extra.split(",") if host.strip()]
        config["TRUSTED_HOSTS"] = [urlsplit(config["BASE_URL"]).hostname or "", *extra]
    else:
        config["TRUSTED_HOSTS"] = None  # development: any address the developer uses
    roles = config["TWO_STEP_ROLES"]
    if roles is None:
        roles = "admin,finance" if production else ""
    if isinstance(roles, str):
        roles = roles.split(",")
    config["TWO_STEP_ROLES"] = frozenset(r.strip().lower() for r in roles if r.strip())
    if config["SESSION_COOKIE_SECURE"] is None:
        config["SESSION_COOKIE_SECURE"] = production
    config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # __Host- cookies cannot be set by a sub-domain or sent over plain http.
        SESSION_COOKIE_NAME="__Host-engage" if config["SESSION_COOKIE_SECURE"] else "engage",
        PERMANENT_SESSION_LIFETIME=timedelta(days=int(config["SESSION_MAX_DAYS"])),
        # CSRF tokens stay valid for the whole session, so a form left open over lunch still
        # saves; they still die with the session at sign-out.
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        # Links built outside a request (e-mails sent by engage tick) use the site's scheme.
        PREFERRED_URL_SCHEME=urlsplit(config["BASE_URL"]).scheme or "http",
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        SQLALCHEMY_TRACK_MODIFICATIONS=False,
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_STORAGE_URI=config["RATELIMIT_STORAGE_URI"],
        BABEL_DEFAULT_LOCALE=config["DEFAULT_LOCALE"],
        BABEL_DEFAULT_TIMEZONE=config["DEFAULT_TIMEZONE"],
    )
    return config
