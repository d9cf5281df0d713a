"""Payments' part of erasing a person.

Claims, involvement records and payments are kept for the statutory period (HMRC: six years
after the tax year) but pseudonymised: they stay linked only to the tombstone account, whose
username is a pseudonymous reference (``former-…``), never a name. Their bank details go, and
their receipts (the rows now, the files after the commit). Claims never sent go altogether:
nothing was paid, so nothing must be kept. The answers they typed to finance's questions go.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from engage.core.domains import erasure_step
from engage.extensions import db
from engage.payments.models import (
    BankDetails,
    ClaimState,
    ExpenseClaim,
    PaymentItem,
    PaymentRun,
    Receipt,
    RunStatus,
)


@erasure_step(40)
def pseudonymise_payments(person, actor) -> None:  # noqa: ANN001
    from flask_babel import gettext as _

    from engage.payments.claims import receipts as receipt_files
    from engage.people.erasure import ErasureError, delete_after_commit

    waiting = db.session.scalar(
        select(PaymentItem.id)
        .join(PaymentRun, PaymentItem.run_id == PaymentRun.id)
        .where(PaymentItem.payee_id == person.id, PaymentRun.status == RunStatus.READY.value)
        .limit(1)
    )
    if waiting is not None:
        # Their bank details are in a run finance has not paid yet: erasing now would leave
        # finance unable to pay them.
        raise ErasureError(
            _(
                "This person is in a payment run that has not been paid yet. Wait until "
                "finance has marked it paid, then erase them."
            )
        )
    db.session.execute(delete(BankDetails).where(BankDetails.user_id == person.id))
    for receipt in db.session.scalars(select(Receipt).where(Receipt.owner_id == person.id)):
        delete_after_commit(receipt_files.path(receipt))
        db.session.delete(receipt)
    db.session.flush()
    for claim in db.session.scalars(
        select(ExpenseClaim).where(
            ExpenseClaim.claimant_id == person.id,
            ExpenseClaim.state == ClaimState.DRAFT.value,
        )
    ):
        db.session.delete(claim)
    db.session.execute(
        update(ExpenseClaim)
        .where(ExpenseClaim.claimant_id == person.id)
        .values(answer="", signature_note="")
        .execution_options(synchronize_session=False)
    )
