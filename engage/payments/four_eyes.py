"""Four eyes: nobody decides their own claim or their own time, nor a claim they entered for
someone else. The services enforce it here; the pages hide what a person may not do through
the same rule in ``permissions`` (``can_decide_claim``, ``can_approve_record``).
"""

from __future__ import annotations

from flask_babel import gettext as _

from engage.payments.models import ExpenseClaim, IllegalMove, InvolvementRecord
from engage.people.models import User


def check_claim(actor: User, claim: ExpenseClaim) -> None:
    """Raise IllegalMove when ``actor`` is the claimant or entered the claim for them."""
    if actor.id == claim.claimant_id:
        raise IllegalMove(_("This is your own claim, so someone else must decide on it."))
    if actor.id == claim.entered_by_id:
        raise IllegalMove(_("You entered this claim, so someone else must decide on it."))


def check_time(actor: User, record: InvolvementRecord) -> None:
    """Raise IllegalMove when the time is ``actor``'s own."""
    if actor.id == record.person_id:
        raise IllegalMove(_("This is your own time, so another manager must decide on it."))
