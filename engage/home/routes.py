"""The home page (``/``), the health check and the language list."""

from __future__ import annotations

from flask import current_app, jsonify, redirect, url_for
from flask_login import current_user
from sqlalchemy import text

from engage.changes import services as changes
from engage.core import dates
from engage.core.db import utcnow
from engage.core.htmx import render
from engage.extensions import db
from engage.forums import meetings
from engage.forums.models import REPLY_LABELS
from engage.fund import accounts as fund
from engage.home import bp
from engage.mentoring import services as mentoring
from engage.payments import home as payments
from engage.people.models import Role
from engage.surveys import services as surveys


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("people.login"))
    roles = current_user.role_set
    # Each role gets its own panels; domains not built yet say what will appear there.
    ordered = [r for r in Role if r in roles]
    now = utcnow()
    return render(
        "home/index.html",
        roles=ordered,
        profile=current_user.profile,
        register=changes.home_summary(current_user, now.date()),
        meetings=meetings.home_summary(current_user, now),
        money=payments.home_summary(current_user, dates.local_today()),
        surveys=surveys.waiting_for(current_user),
        fund=fund.home_summary(current_user),
        applications_waiting=(mentoring.waiting_to_be_contacted() if Role.MANAGER in roles else 0),
        reply_labels=REPLY_LABELS,
    )


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure makes the instance unhealthy
        current_app.logger.exception("health check failed")
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
