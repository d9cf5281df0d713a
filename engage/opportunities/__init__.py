"""Opportunities: partners ask the forum for lived-experience input (consultation requests),
managers accept or decline them and publish chances to get involved, peers say they are
interested, managers choose who does the work, and the work done is recorded as involvement."""

from flask import Blueprint

bp = Blueprint("opportunities", __name__)

from engage.opportunities import routes  # noqa: E402,F401
