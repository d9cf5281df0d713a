"""Forums: expert-by-experience forums and their meetings — who is coming and what they need,
who came, what was decided, and the chances to get involved that partners ask for."""

from flask import Blueprint

bp = Blueprint("forums", __name__)

from engage.forums import calendar, opportunities, routes  # noqa: E402,F401
from engage.forums.claim_links import chosen_opportunities, recent_meetings  # noqa: E402
from engage.payments.claims.links import register_claim_links  # noqa: E402

# An expenses claim can say which meeting or opportunity it was for.
register_claim_links(recent_meetings)
register_claim_links(chosen_opportunities)
