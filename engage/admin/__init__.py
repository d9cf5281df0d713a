"""Administration: accounts and roles, the outbox and the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from engage.admin import routes  # noqa: E402,F401
