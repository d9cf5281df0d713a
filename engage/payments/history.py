"""The history of a claim, an involvement record or a payment run: one line appended for each
thing that happens to it, never changed afterwards."""

from __future__ import annotations

from typing import Any

from engage.extensions import db
from engage.payments.models import PaymentEvent
from engage.people.models import User


def event(
    actor: User | None,
    kind: str,
    *,
    claim: Any = None,
    record: Any = None,
    run: Any = None,
    frm: str = "",
    to: str = "",
    note: str = "",
) -> PaymentEvent:
    """Append one line of history to a claim, a record or a run."""
    row = PaymentEvent(
        actor_id=getattr(actor, "id", None),
        claim_id=getattr(claim, "id", None),
        record_id=getattr(record, "id", None),
        run_id=getattr(run, "id", None),
        kind=kind,
        from_state=frm,
        to_state=to,
        note=note,
    )
    db.session.add(row)
    return row
