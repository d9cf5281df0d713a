"""Forums: expert-by-experience forums and their meetings — who is coming and what they need,
who came, and what was decided."""

from flask import Blueprint

bp = Blueprint("forums", __name__)

from engage.forums import calendar, organiser_routes, routes  # noqa: E402,F401
