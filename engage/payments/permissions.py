"""Who may see and act on claims, involvement records, runs, rates and bank details.

A peer sees only their own claims, receipts, records and statements: anything else answers 404.
Managers approve time and expenses; finance makes runs and sees bank details; nobody approves
their own claim or their own time.
"""

from __future__ import annotations

from typing import Any

from engage.core.permissions import has_role, signed_in
from engage.payments.models import ClaimState
from engage.people.models import Role
from engage.people.permissions import can_act_on_behalf


def can_claim(user: Any) -> bool:
    """Peers claim their own expenses."""
    return has_role(user, Role.PEER)


def can_claim_for(user: Any, person: Any) -> bool:
    """Assisted digital: a manager enters a claim for a peer, recorded as done for them."""
    return can_act_on_behalf(user, person)


def sees_all_claims(user: Any) -> bool:
    return has_role(user, Role.MANAGER, Role.FINANCE)


def can_view_claim(user: Any, claim: Any) -> bool:
    if not signed_in(user):
        return False
    return claim.claimant_id == user.id or sees_all_claims(user)


def can_edit_claim(user: Any, claim: Any) -> bool:
    """Lines and receipts change while a claim is not sent, or has a question waiting."""
    if claim.state_enum not in (ClaimState.DRAFT, ClaimState.QUERIED):
        return False
    return claim.claimant_id == user.id or (
        has_role(user, Role.MANAGER) and user.id != claim.claimant_id
    )


def can_answer_query(user: Any, claim: Any) -> bool:
    return claim.state_enum == ClaimState.QUERIED and (
        claim.claimant_id == user.id
        or (has_role(user, Role.MANAGER) and user.id != claim.claimant_id)
    )


def can_decide_claim(user: Any, claim: Any) -> bool:
    """Managers and finance query, approve or reject, but never their own claim, nor one they
    entered for someone else: every claim gets a second pair of eyes."""
    return (
        has_role(user, Role.MANAGER, Role.FINANCE)
        and user.id != claim.claimant_id
        and user.id != claim.entered_by_id
    )


def can_approve_claim(user: Any, claim: Any) -> bool:
    return can_decide_claim(user, claim) and claim.state_enum == ClaimState.SUBMITTED


def can_act_for_claimant(user: Any, claim: Any) -> bool:
    """The claimant, or a manager claiming for them (adding receipts, for example)."""
    return claim.claimant_id == user.id or can_claim_for(user, claim.claimant)


def can_add_receipts(user: Any, claim: Any) -> bool:
    """Receipts can be added until the claim is decided (to answer a question, say)."""
    return claim.state_enum in (
        ClaimState.DRAFT,
        ClaimState.QUERIED,
        ClaimState.SUBMITTED,
    ) and can_act_for_claimant(user, claim)


def can_view_receipt(user: Any, claim: Any) -> bool:
    return can_view_claim(user, claim)


def can_record_cash_on_day(user: Any) -> bool:
    return has_role(user, Role.MANAGER)


# Involvement records ------------------------------------------------------------------------


def can_enter_time(user: Any) -> bool:
    return has_role(user, Role.MANAGER)


def can_review_time(user: Any) -> bool:
    """The approval queue: managers approve; finance may look."""
    return has_role(user, Role.MANAGER, Role.FINANCE)


def can_approve_record(user: Any, record: Any) -> bool:
    """Managers approve time given, never their own."""
    return has_role(user, Role.MANAGER) and user.id != record.person_id


def can_view_record(user: Any, record: Any) -> bool:
    if not signed_in(user):
        return False
    return record.person_id == user.id or has_role(user, Role.MANAGER, Role.FINANCE)


def can_decline_record(user: Any, record: Any) -> bool:
    """The person (or a manager for a peer) chooses not to be paid for a piece of time, or to
    be paid after all."""
    return signed_in(user) and (
        record.person_id == user.id or can_act_on_behalf(user, record.person)
    )


# Earnings and statements ----------------------------------------------------------------------


def can_view_earnings(user: Any, person: Any) -> bool:
    """A person sees their own; managers a peer's; finance anyone's."""
    if not signed_in(user):
        return False
    if user.id == person.id:
        return True
    return has_role(user, Role.FINANCE) or (
        has_role(user, Role.MANAGER) and person.has_role(Role.PEER)
    )


def can_edit_bank_details(user: Any, person: Any) -> bool:
    """A person gives their own; a manager may type them in for a peer."""
    return signed_in(user) and (
        user.id == person.id or (has_role(user, Role.MANAGER) and person.has_role(Role.PEER))
    )


def can_see_bank_details(user: Any, person: Any) -> bool:
    """Masked bank details: the person themselves, and finance (every view audited)."""
    return signed_in(user) and (user.id == person.id or has_role(user, Role.FINANCE))


# Finance -----------------------------------------------------------------------------------


def can_use_finance(user: Any) -> bool:
    return has_role(user, Role.FINANCE)


def can_make_runs(user: Any) -> bool:
    return has_role(user, Role.FINANCE)


def can_reverse_payments(user: Any) -> bool:
    return has_role(user, Role.FINANCE)


def can_manage_rates(user: Any) -> bool:
    return has_role(user, Role.ADMIN, Role.FINANCE)


def can_view_rates(user: Any) -> bool:
    return has_role(user, Role.ADMIN, Role.FINANCE, Role.MANAGER)


def can_manage_thresholds(user: Any) -> bool:
    return has_role(user, Role.ADMIN)


def can_view_thresholds(user: Any) -> bool:
    return has_role(user, Role.ADMIN, Role.FINANCE, Role.MANAGER)


def can_edit_letter(user: Any) -> bool:
    """The wording of the benefits letter is the partnership's word: admins set it."""
    return has_role(user, Role.ADMIN)
