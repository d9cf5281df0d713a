"""People: everyone's account, and each peer's profile — what they like to be called, how to
reach them, what they need to take part, how they want to be paid, and what they have agreed to.
"""

from flask import Blueprint

bp = Blueprint("people", __name__)

from engage.people import accounts, routes  # noqa: E402,F401  (routes register on bp)
