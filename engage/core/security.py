"""Passwords, safe redirects and security headers."""

from __future__ import annotations

import base64
import gzip
import hashlib
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Response, request
from markupsafe import Markup

_hasher = PasswordHasher()

#: Long enough to resist guessing; no other complexity rules (NCSC password guidance).
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200

# A hash of nothing in particular, checked when an account does not exist so that an unknown
# name takes as long as a wrong password and the answer gives nothing away.
_DUMMY_HASH = _hasher.hash("engage-no-such-account")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; always does the same amount of work."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


@cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).parent / "data" / "common-passwords.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def is_common_password(password: str, *personal: str) -> bool:
    """True for the 20,000 most used passwords, and for the person's own name or username."""
    lowered = password.strip().lower()
    if lowered in _common_passwords():
        return True
    extras = {"engage", "engage-demo", "password"} | {p.lower() for p in personal if p}
    return lowered in extras


def is_safe_next(target: str | None) -> bool:
    """Only local paths are followed after sign-in, never another site or a scheme trick."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


#: GOV.UK Frontend's own first line of the body: it tells the stylesheet, before the page is
#: first drawn, that GOV.UK's scripts will run, so what they fold (the menu on a phone) is
#: drawn folded from the start and the page does not jump when they run. If our script then
#: fails to load, the mark comes off again and the whole menu shows. It is inline, let
#: through by its hash (never 'unsafe-inline'), because a script file here would hold up
#: every page for one more request before anything shows, on the slowest phones most.
BODY_SCRIPT = (
    "document.body.className += ' js-enabled' + "
    "('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : ''); "
    "addEventListener('error', function (e) { if (e.target.type === 'module') "
    "document.body.classList.remove('govuk-frontend-supported'); }, true);"
)
_BODY_SCRIPT_HASH = base64.b64encode(hashlib.sha256(BODY_SCRIPT.encode()).digest()).decode()

CSP = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' 'sha256-{_BODY_SCRIPT_HASH}'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["body_script"] = Markup(BODY_SCRIPT)  # noqa: S704  (our constant)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        # Pages about people must not linger in shared computers' caches.
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
