"""Friendly error pages. People never see a stack trace, a version or a debugger.

An unexpected error gets a short random id, shown on the page ("Quote this if you contact
us") and written on the log line with the stack trace, so support can find the one from the
other without the page revealing anything about the server.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from engage.core.htmx import render
from engage.extensions import db

#: Letters and digits nobody confuses when reading them out (no 0/O, 1/I/L, 5/S, 8/B, U/V).
ERROR_ID_ALPHABET = "234679ACDEFGHJKMNPQRTWXYZ"


def new_error_id() -> str:
    """A short random id to quote, like ``7F3K-9QX2`` (about 37 bits: unique enough to find
    one log line, and says nothing about the server)."""
    text = "".join(secrets.choice(ERROR_ID_ALPHABET) for _ in range(8))
    return f"{text[:4]}-{text[4:]}"


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        # A form from an old tab or from before signing in. Going back keeps what was typed.
        return render("errors/csrf.html", status=400)

    @app.errorhandler(SecurityError)
    def _untrusted_host(error: SecurityError):
        # A Host header that is not ours (production's TRUSTED_HOSTS). No page is built: with
        # no trusted address, no link on it could be either.
        return Response("Bad request: unknown host name.\n", 400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        code = error.code or 500
        template = {
            403: "errors/403.html",
            404: "errors/404.html",
            410: "errors/404.html",
            413: "errors/413.html",
            429: "errors/429.html",
            503: "errors/503.html",
        }.get(code)
        if template is None:
            template = "errors/500.html" if code >= 500 else "errors/400.html"
        return render(template, status=code, path=request.path)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        error_id = new_error_id()
        app.logger.exception("unhandled error %s on %s", error_id, request.path)
        return render("errors/500.html", status=500, error_id=error_id)
