"""Opportunities: partners ask the forum for lived-experience input (consultation requests),
managers accept or decline them and publish chances to get involved, peers say they are
interested, managers choose who does the work, and the work done is recorded as involvement."""

from flask import Blueprint

from engage.core.domains import DemoPartnership, demo_step

bp = Blueprint("opportunities", __name__)


@bp.app_context_processor
def _permissions() -> dict:
    from engage.opportunities import permissions

    return {"opportunity_perm": permissions}


@demo_step(35)
def seed_demo(partnership: DemoPartnership) -> None:
    """After the forums (their members are who partners ask), before payments."""
    from engage.opportunities import demo as demo_data

    demo_data.seed(partnership.rng, partnership.accounts, partnership.peers)


from engage.opportunities import models, personal_data, routes  # noqa: E402,F401
from engage.opportunities.claim_links import chosen_opportunities  # noqa: E402
from engage.payments.claims.links import register_claim_links  # noqa: E402

# An expenses claim can say which opportunity it was for.
register_claim_links(chosen_opportunities)
from engage.opportunities import erasure as _erasure  # noqa: E402,F401  (its part of erasing a person)
