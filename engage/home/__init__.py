"""Home: "what is next for me", for each of the roles a person holds."""

from flask import Blueprint

bp = Blueprint("home", __name__)

from engage.home import routes  # noqa: E402,F401
