"""Payments' part of a person's data download: their expense claims with each line and the
receipts they sent, their involvement records (time given), the payments made to them, the
history of each, and their bank details with all but the last digits hidden (the full numbers
never leave engage in a download: a lost ZIP must not be enough to redirect payments)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import or_, select

from engage.core.domains import DataFile, personal_data
from engage.extensions import db
from engage.payments.claims import receipts
from engage.payments.models import (
    BankDetails,
    ClaimLine,
    ExpenseClaim,
    InvolvementRecord,
    PaymentEvent,
    PaymentItem,
    Receipt,
)
from engage.people.models import User
from engage.people.my_data import someone


def masked(digits: str, keep: int = 4) -> str:
    """All but the last ``keep`` characters hidden: "12345678" -> "****5678"."""
    digits = digits or ""
    if not digits:
        return ""
    return "*" * max(len(digits) - keep, 0) + digits[-keep:]


def _receipt_name(receipt: Receipt) -> str:
    return f"receipts/receipt-{receipt.id}{Path(receipt.stored_name).suffix}"


@personal_data(
    50,
    tables=(
        "bank_details",
        "expense_claim",
        "claim_line",
        "receipt",
        "involvement_record",
        "payment_item",
        "payment_event",
    ),
)
def export(person: User) -> Iterator[DataFile]:
    name = someone(person)
    bank = db.session.scalar(select(BankDetails).where(BankDetails.user_id == person.id))
    yield DataFile(
        "payments-bank-details",
        _(
            "Your bank details, with all but the last 4 digits hidden to keep them safe if "
            "this file is lost. Ask the finance team if you need to check them."
        ),
        []
        if bank is None
        else [
            {
                "account_name": bank.account_name,
                "sort_code": masked(bank.sort_code, 2),
                "account_number": masked(bank.account_number),
                "roll_number": masked(bank.roll_number),
                "updated": bank.updated_at,
                "updated_by": name(bank.updated_by_id),
            }
        ],
    )
    claims = list(
        db.session.scalars(
            select(ExpenseClaim)
            .where(ExpenseClaim.claimant_id == person.id)
            .order_by(ExpenseClaim.id)
        )
    )
    yield DataFile(
        "payments-expense-claims",
        _("Your expense claims: what they were for, their state, questions and answers."),
        [
            {
                "claim": claim.id,
                "made": claim.created_at,
                "made_by": name(claim.entered_by_id) or _("you"),
                "for": claim.purpose,
                "state": claim.state,
                "total": claim.total,
                "paid_by": claim.method,
                "sent": claim.submitted_at,
                "decided": claim.decided_at,
                "decided_by": name(claim.decided_by_id),
                "question": claim.question,
                "your_answer": claim.answer,
                "why_not_approved": claim.reject_reason,
                "paid_on_the_day": claim.paid_on_day,
                "signature_note": claim.signature_note,
                "paid": claim.paid_at,
            }
            for claim in claims
        ],
    )
    claim_ids = [claim.id for claim in claims]
    lines = (
        list(
            db.session.scalars(
                select(ClaimLine).where(ClaimLine.claim_id.in_(claim_ids)).order_by(ClaimLine.id)
            )
        )
        if claim_ids
        else []
    )
    yield DataFile(
        "payments-expense-lines",
        _("Each thing you claimed for, and the receipt files for it (in files/receipts)."),
        [
            {
                "claim": line.claim_id,
                "kind": line.kind,
                "spent_on": line.spent_on,
                "description": line.description,
                "amount": line.amount,
                "miles": line.miles,
                "per_mile": line.per_mile,
                "reason": line.reason,
                "receipts": " ".join("files/" + _receipt_name(r) for r in line.receipts),
            }
            for line in lines
        ],
    )
    for receipt in db.session.scalars(
        select(Receipt).where(Receipt.owner_id == person.id).order_by(Receipt.id)
    ):
        yield DataFile(
            _receipt_name(receipt),
            _("A receipt you sent (%(name)s).", name=receipt.original_name or receipt.content_type),
            path=receipts.path(receipt),
        )
    records = list(
        db.session.scalars(
            select(InvolvementRecord)
            .where(InvolvementRecord.person_id == person.id)
            .order_by(InvolvementRecord.activity_date, InvolvementRecord.id)
        )
    )
    yield DataFile(
        "payments-involvement",
        _("Time you gave (involvement records), what it was worth and whether it was paid."),
        [
            {
                "record": record.id,
                "activity": record.activity,
                "date": record.activity_date,
                "description": record.description,
                "minutes": record.minutes,
                "preparation_minutes": record.preparation_minutes,
                "fee": record.fee,
                "to_pay": record.amount,
                "paid_by": record.method,
                "status": record.status,
                "entered_by": name(record.entered_by_id),
                "decided_by": name(record.decided_by_id),
                "decided": record.decided_at,
                "why_not_approved": record.reason,
                "paid": record.paid_at,
            }
            for record in records
        ],
    )
    items = db.session.scalars(
        select(PaymentItem).where(PaymentItem.payee_id == person.id).order_by(PaymentItem.id)
    )
    yield DataFile(
        "payments-made",
        _("Payments to you, one line each (a negative amount is a payment that was reversed)."),
        [
            {
                "kind": item.kind,
                "paid_by": item.method,
                "amount": item.amount,
                "description": item.description,
                "activity_date": item.activity_date,
                "reason": item.reason,
                "paid": item.paid_at,
            }
            for item in items
        ],
    )
    record_ids = [record.id for record in records]
    conditions = []
    if claim_ids:
        conditions.append(PaymentEvent.claim_id.in_(claim_ids))
    if record_ids:
        conditions.append(PaymentEvent.record_id.in_(record_ids))
    events = (
        db.session.scalars(select(PaymentEvent).where(or_(*conditions)).order_by(PaymentEvent.id))
        if conditions
        else []
    )
    yield DataFile(
        "payments-history",
        _("Every change to your claims and time records: when, what, and by whom."),
        [
            {
                "claim": event.claim_id,
                "record": event.record_id,
                "when": event.at,
                "what": event.kind,
                "from": event.from_state,
                "to": event.to_state,
                "note": event.note,
                "by": name(event.actor_id) or _("engage itself"),
            }
            for event in events
        ],
    )
