"""Friendly error pages. People never see a stack trace."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from engage.core.htmx import render
from engage.extensions import db


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
        }.get(code)
        if template is None:
            template = "errors/500.html" if code >= 500 else "errors/400.html"
        return render(template, status=code, path=request.path)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s", request.path)
        return render("errors/500.html", status=500)
