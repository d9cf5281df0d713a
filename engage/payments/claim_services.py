"""Use cases for expense claims: start, add lines with receipts, send, query and answer,
approve or reject, and cash handed over on the day. Each appends the claim's history, audits,
queues messages to the claimant and flushes; the route commits.

Nobody approves their own claim, and nobody approves a claim they entered for someone else:
a second pair of eyes sees every claim (``permissions.can_decide_claim``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from engage.core import audit, dates, outbox
from engage.core.db import utcnow
from engage.core.links import absolute_url
from engage.core.money import format_money, to_money
from engage.extensions import db
from engage.payments import services
from engage.payments.models import (
    ZERO,
    ClaimLine,
    ClaimState,
    ExpenseClaim,
    ExpenseKind,
    IllegalMove,
    Method,
    PaymentEvent,
    Receipt,
)
from engage.payments.receipts import MAX_PER_LINE
from engage.people.models import User

#: The most one line may claim. Bigger costs are agreed with the team first.
MAX_LINE_AMOUNT = Decimal("1000.00")
MAX_MILES = Decimal("1000")

#: How claims can be paid back. Declining payment for time never means losing expenses.
REPAY_METHODS = (Method.BANK, Method.CASH)

EDITABLE = (ClaimState.DRAFT, ClaimState.QUERIED)


@contextmanager
def their_language(person: User) -> Iterator[None]:
    """Write a message in the language ``person`` reads engage in."""
    with force_locale(person.locale or current_app.config["DEFAULT_LOCALE"]):
        yield


def _move(actor: User, claim: ExpenseClaim, target: ClaimState, note: str = "") -> None:
    before = claim.move_to(target)
    services.event(actor, "state", claim=claim, frm=before.value, to=target.value, note=note)
    audit.record(
        "claim.state_changed",
        actor=actor,
        subject=claim.claimant,
        claim=claim.id,
        to=target.value,
    )


def repay_method_for(person: User) -> str | None:
    """The way to pay back a person's expenses, from their payment preference (None when they
    have not said, or chose not to be paid for their time: then they choose on the claim)."""
    preference = person.profile.payment_preference if person.profile else None
    return preference if preference in {m.value for m in REPAY_METHODS} else None


def by_key(key: str | None) -> ExpenseClaim | None:
    if not key:
        return None
    return db.session.scalar(select(ExpenseClaim).where(ExpenseClaim.submission_key == key))


def start_claim(
    actor: User,
    claimant: User,
    *,
    method: str,
    purpose: str = "",
    meeting_id: int | None = None,
    opportunity_id: int | None = None,
    submission_key: str | None = None,
    paid_on_day: bool = False,
    signature_note: str = "",
) -> ExpenseClaim:
    """Start a claim (not sent yet). A ``submission_key`` seen before returns that claim."""
    earlier = by_key(submission_key)
    if earlier is not None:
        if earlier.claimant_id != claimant.id:
            raise IllegalMove(_("This form was already used. Start a new claim."))
        return earlier
    if Method(method) not in REPAY_METHODS:
        raise IllegalMove(_("Choose how you would like to be paid back."))
    claim = ExpenseClaim(
        claimant_id=claimant.id,
        entered_by_id=actor.id if actor.id != claimant.id else None,
        method=method,
        purpose=purpose.strip(),
        meeting_id=meeting_id,
        opportunity_id=opportunity_id,
        submission_key=submission_key or None,
        paid_on_day=paid_on_day,
        signature_note=signature_note.strip(),
    )
    db.session.add(claim)
    db.session.flush()
    services.event(actor, "started", claim=claim, to=ClaimState.DRAFT.value)
    audit.record("claim.started", actor=actor, subject=claimant, claim=claim.id)
    return claim


def price_line(
    kind: str, on: date, amount: Decimal | None, miles: Decimal | None
) -> tuple[Decimal, Decimal | None]:
    """The amount of a line, and the mileage rate used (mileage lines only).

    Raises IllegalMove with a message for the field that is wrong.
    """
    if ExpenseKind(kind) == ExpenseKind.MILEAGE:
        if miles is None or miles <= 0:
            raise IllegalMove(_("Enter how many miles you drove"))
        if miles > MAX_MILES:
            raise IllegalMove(_("For more than 1,000 miles, talk to the team first"))
        rate = services.mileage_rate(on)
        if rate is None:
            raise IllegalMove(
                _(
                    "There is no mileage rate for that day yet. Choose Something else and enter "
                    "the amount, or ask the team."
                )
            )
        return to_money(miles * rate.per_mile), rate.per_mile
    if amount is None or amount <= 0:
        raise IllegalMove(_("Enter how much it cost, like 4.50"))
    if amount > MAX_LINE_AMOUNT:
        raise IllegalMove(_("For more than £1,000, talk to the team first"))
    return to_money(amount), None


def _recount(claim: ExpenseClaim) -> None:
    db.session.flush()
    claim.total = to_money(sum((line.amount for line in claim.lines), ZERO))


def add_line(
    actor: User,
    claim: ExpenseClaim,
    *,
    kind: str,
    spent_on: date,
    amount: Decimal | None = None,
    miles: Decimal | None = None,
    description: str = "",
    reason: str = "",
    receipts: Iterable[Receipt] = (),
    submission_key: str | None = None,
) -> ClaimLine:
    """Add one expense to a claim that is not sent yet, or that has a question waiting.

    A taxi needs a reason; miles are paid at the mileage rate in force that day. A
    ``submission_key`` seen before returns that line (a double click adds it once).
    Raises IllegalMove (safe to show).
    """
    if submission_key:
        earlier = db.session.scalar(
            select(ClaimLine).where(ClaimLine.submission_key == submission_key)
        )
        if earlier is not None and earlier.claim_id == claim.id:
            return earlier
    if claim.state_enum not in EDITABLE:
        raise IllegalMove(_("This claim has been sent, so it cannot change now."))
    if spent_on > dates.local_today():
        raise IllegalMove(_("The date cannot be in the future"))
    if ExpenseKind(kind) == ExpenseKind.TAXI and not reason.strip():
        raise IllegalMove(_("Say why you needed a taxi"))
    value, per_mile = price_line(kind, spent_on, amount, miles)
    receipts = list(receipts)
    if len(receipts) > MAX_PER_LINE:
        raise IllegalMove(_too_many_receipts())
    line = ClaimLine(
        kind=kind,
        spent_on=spent_on,
        amount=value,
        miles=miles if per_mile is not None else None,
        per_mile=per_mile,
        description=description.strip(),
        # Only a taxi asks why: a reason typed before choosing another kind is not kept.
        reason=reason.strip() if ExpenseKind(kind) == ExpenseKind.TAXI else "",
        submission_key=submission_key or None,
    )
    claim.lines.append(line)  # the collection adds it to the session
    db.session.flush()
    _attach(claim, line, receipts)
    _recount(claim)
    services.event(actor, "line_added", claim=claim, note=PaymentEvent.line_note(kind, value))
    return line


def _too_many_receipts() -> str:
    return ngettext(
        "Add up to %(num)d receipt to one line.",
        "Add up to %(num)d receipts to one line.",
        MAX_PER_LINE,
    )


def _attach(claim: ExpenseClaim, line: ClaimLine, receipts: list[Receipt]) -> None:
    for receipt in receipts:
        if receipt.owner_id != claim.claimant_id or receipt.line_id not in (None, line.id):
            continue  # not theirs, or used already: never moved between people or lines
        receipt.line_id = line.id


def add_receipts(actor: User, claim: ExpenseClaim, line: ClaimLine, receipts: list[Receipt]) -> int:
    """Add receipts to a line of a claim not yet decided (for example to answer a question)."""
    if claim.state_enum not in (*EDITABLE, ClaimState.SUBMITTED):
        raise IllegalMove(_("This claim has been decided, so it cannot change now."))
    if len(line.receipts) + len(receipts) > MAX_PER_LINE:
        raise IllegalMove(_too_many_receipts())
    _attach(claim, line, receipts)
    services.event(actor, "receipts_added", claim=claim, note=str(len(receipts)))
    return len(receipts)


def remove_line(actor: User, claim: ExpenseClaim, line: ClaimLine) -> list[str]:
    """Take a line off a claim not yet sent (or with a question waiting). Returns the stored
    names of its receipts, for the route to delete after the commit."""
    if claim.state_enum not in EDITABLE:
        raise IllegalMove(_("This claim has been sent, so it cannot change now."))
    names = [r.stored_name for r in line.receipts]
    claim.lines.remove(line)
    db.session.delete(line)
    _recount(claim)
    services.event(
        actor, "line_removed", claim=claim, note=PaymentEvent.line_note(line.kind, line.amount)
    )
    return names


def submit(actor: User, claim: ExpenseClaim) -> bool:
    """Send a claim for a decision. Returns False when it was sent already (a double click).

    Raises IllegalMove when it has no lines.
    """
    if claim.state_enum != ClaimState.DRAFT:
        return False
    if not claim.lines:
        raise IllegalMove(_("Add at least one expense before you send the claim."))
    _move(actor, claim, ClaimState.SUBMITTED)
    claim.submitted_at = utcnow()
    return True


def quick_claim(
    actor: User,
    claimant: User,
    *,
    method: str,
    kind: str,
    spent_on: date,
    amount: Decimal | None = None,
    miles: Decimal | None = None,
    description: str = "",
    reason: str = "",
    purpose: str = "",
    meeting_id: int | None = None,
    opportunity_id: int | None = None,
    receipts: Iterable[Receipt] = (),
    submission_key: str | None = None,
    send: bool = True,
    paid_on_day: bool = False,
    signature_note: str = "",
) -> tuple[ExpenseClaim, bool]:
    """The phone journey: one expense on one page, sent at once (or kept to add more).

    Returns (claim, made now). A ``submission_key`` seen before returns its claim unchanged,
    so a double click or a resent form makes one claim.
    """
    earlier = by_key(submission_key)
    if earlier is not None and earlier.claimant_id == claimant.id:
        return earlier, False
    claim = start_claim(
        actor,
        claimant,
        method=method,
        purpose=purpose,
        meeting_id=meeting_id,
        opportunity_id=opportunity_id,
        submission_key=submission_key,
        paid_on_day=paid_on_day,
        signature_note=signature_note,
    )
    add_line(
        actor,
        claim,
        kind=kind,
        spent_on=spent_on,
        amount=amount,
        miles=miles,
        description=description,
        reason=reason,
        receipts=receipts,
        submission_key=f"{submission_key}:1" if submission_key else None,
    )
    if send:
        submit(actor, claim)
    return claim, True


def delete_draft(actor: User, claim: ExpenseClaim) -> list[str]:
    """Throw away a claim that was never sent. Returns receipt files to delete after commit."""
    if claim.state_enum != ClaimState.DRAFT:
        raise IllegalMove(_("Only a claim that has not been sent can be deleted."))
    names = [r.stored_name for line in claim.lines for r in line.receipts]
    audit.record("claim.deleted", actor=actor, subject=claim.claimant, claim=claim.id)
    db.session.delete(claim)
    db.session.flush()
    return names


def query(actor: User, claim: ExpenseClaim, question: str) -> None:
    """Ask the claimant something before deciding. They are told, and answer on the claim."""
    if not question.strip():
        raise IllegalMove(_("Write the question you want to ask"))
    _move(actor, claim, ClaimState.QUERIED, note=question.strip())
    claim.question, claim.answer = question.strip(), ""
    person = claim.claimant
    with their_language(person):
        outbox.queue(
            kind=outbox.Kind.UPDATE,
            user=person,
            subject=_("We have a question about your expenses claim"),
            body=_(
                "Hello %(name)s,\n\nWe have a question about your expenses claim "
                "%(reference)s:\n\n%(question)s\n\nPlease answer it here:\n%(link)s\n",
                name=person.display_name,
                reference=claim.reference,
                question=question.strip(),
                link=absolute_url("payments.claim", claim_id=claim.id),
            ),
        )


def answer(actor: User, claim: ExpenseClaim, text: str) -> None:
    """The claimant's answer sends the claim back for a decision."""
    if not text.strip():
        raise IllegalMove(_("Write your answer"))
    claim.answer = text.strip()
    _move(actor, claim, ClaimState.SUBMITTED, note=text.strip())


def approve(actor: User, claim: ExpenseClaim) -> None:
    """Approve a claim. It waits for a payment run, unless the cash was handed over on the
    day: then it is paid now."""
    if claim.state_enum == ClaimState.APPROVED or (
        claim.state_enum == ClaimState.PAID and claim.paid_on_day
    ):
        return  # a double click
    _move(actor, claim, ClaimState.APPROVED)
    claim.decided_by_id, claim.decided_at = actor.id, utcnow()
    if claim.paid_on_day:
        services.pay_outside_run(actor, claim=claim)
        return
    person = claim.claimant
    with their_language(person):
        outbox.queue(
            kind=outbox.Kind.UPDATE,
            user=person,
            subject=_("Your expenses claim is approved"),
            body=_(
                "Hello %(name)s,\n\nYour expenses claim %(reference)s for %(amount)s is "
                "approved. We will pay it soon (%(method)s), and tell you when we have.\n",
                name=person.display_name,
                reference=claim.reference,
                amount=format_money(claim.total),
                method=Method(claim.method).label,
            ),
        )


def reject(actor: User, claim: ExpenseClaim, reason: str) -> None:
    """Turn down a claim, with a reason the claimant reads."""
    if not reason.strip():
        raise IllegalMove(_("Say why, so the person can read it"))
    _move(actor, claim, ClaimState.REJECTED, note=reason.strip())
    claim.reject_reason = reason.strip()
    claim.decided_by_id, claim.decided_at = actor.id, utcnow()
    person = claim.claimant
    with their_language(person):
        outbox.queue(
            kind=outbox.Kind.UPDATE,
            user=person,
            subject=_("Your expenses claim was not approved"),
            body=_(
                "Hello %(name)s,\n\nYour expenses claim %(reference)s was not approved."
                "\n\nWhy: %(reason)s\n\nIf you want to talk about it, contact the team."
                "\n%(link)s\n",
                name=person.display_name,
                reference=claim.reference,
                reason=reason.strip(),
                link=absolute_url("payments.claim", claim_id=claim.id),
            ),
        )


def waiting_count() -> int:
    from sqlalchemy import func

    return (
        db.session.scalar(
            select(func.count(ExpenseClaim.id)).where(
                ExpenseClaim.state.in_([ClaimState.SUBMITTED.value, ClaimState.QUERIED.value])
            )
        )
        or 0
    )


def recent_work(person: User, today: date, days: int = 60) -> list[tuple[str, str, date]]:
    """Meetings and opportunities a claim could be for: meetings ``person`` was invited to or
    came to in the last ``days`` (and today), and opportunities they were chosen for.
    Returns (value, title, day) with values like "meeting:12", newest first, at most 12."""
    from engage.forums.models import Forum, Invitation, Meeting
    from engage.opportunities.models import Interest, Opportunity

    since = dates.start_of_day(today - timedelta(days=days))
    until = dates.start_of_day(today + timedelta(days=1))
    meetings = db.session.execute(
        select(Meeting.id, Meeting.title, Forum.name, Meeting.starts_at)
        .join(Forum, Forum.id == Meeting.forum_id)
        .join(Invitation, Invitation.meeting_id == Meeting.id)
        .where(
            Invitation.user_id == person.id,
            Meeting.starts_at >= since,
            Meeting.starts_at < until,
        )
        .order_by(Meeting.starts_at.desc())
        .limit(10)
    ).all()
    work = [
        (f"meeting:{mid}", title or forum, dates.local_date(starts))
        for mid, title, forum, starts in meetings
    ]
    chosen = db.session.execute(
        select(Opportunity.id, Opportunity.title, Opportunity.created_at)
        .join(Interest, Interest.opportunity_id == Opportunity.id)
        .where(Interest.user_id == person.id, Interest.selected.is_(True))
        .order_by(Opportunity.id.desc())
        .limit(5)
    ).all()
    work += [(f"opportunity:{oid}", title, dates.local_date(made)) for oid, title, made in chosen]
    return sorted(work, key=lambda w: w[2], reverse=True)[:12]
