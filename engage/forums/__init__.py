"""Forums: expert-by-experience forums and their meetings — who is coming and what they need,
who came, what was decided, and the chances to get involved that partners ask for."""

from flask import Blueprint

bp = Blueprint("forums", __name__)

from engage.forums import calendar, opportunities, routes  # noqa: E402,F401
