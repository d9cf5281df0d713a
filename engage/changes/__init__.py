"""The register: blockages people meet in services, carried up to the boards that can remove
them and back down to the people who raised them ("you said, we did")."""

from flask import Blueprint

bp = Blueprint("changes", __name__)

from engage.changes import boards, routes  # noqa: E402,F401
