"""The fund's part of a person's data download: requests made for them or by them, with their
history, and money they recorded coming into a fund. Supplier bank details are left out (they
are the supplier's, not the person's); other people are named only as "a member of staff"."""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import gettext as _
from sqlalchemy import or_, select

from engage.core.domains import DataFile, personal_data
from engage.core.uploads import EXTENSIONS
from engage.extensions import db
from engage.fund import receipts
from engage.fund.models import Contribution, FundEvent, FundRequest
from engage.people.models import User
from engage.people.my_data import someone


@personal_data(65, tables=("fund_request", "fund_event", "contribution"))
def export(person: User) -> Iterator[DataFile]:
    name = someone(person)
    rows = list(
        db.session.scalars(
            select(FundRequest)
            .where(or_(FundRequest.requester_id == person.id, FundRequest.person_id == person.id))
            .order_by(FundRequest.id)
        )
    )
    yield DataFile(
        "fund-requests",
        _("Requests to the fund made by you or for you, as they are now."),
        [
            {
                "request": row.reference,
                "asked_by": name(row.requester_id) or _("you"),
                "for": _("you") if row.person_id == person.id else row.person_ref,
                "kind_of_thing": row.category,
                "what_is_in_the_way": row.barrier,
                "amount": row.amount,
                "how_it_helps": row.how_it_helps,
                "paid_to": row.pay_to,
                "supplier": row.supplier_name,
                "state": row.state,
                "sent": row.submitted_at,
                "question": row.question,
                "answer": row.answer,
                "why_not_approved": row.decline_reason,
                "paid": row.paid_at,
                "did_it_help": row.helped,
                "how_it_helped": row.follow_up,
            }
            for row in rows
        ],
    )
    for row in rows:
        if row.receipt_name and receipts.path(row.receipt_name).is_file():
            extension = EXTENSIONS.get(row.receipt_type or "", "bin")
            yield DataFile(
                f"fund-receipts/receipt-{row.reference}.{extension}",
                _("The receipt of fund request %(ref)s.", ref=row.reference),
                path=receipts.path(row.receipt_name),
            )
    ids = [row.id for row in rows]
    events = db.session.scalars(
        select(FundEvent)
        .where(or_(FundEvent.request_id.in_(ids or [-1]), FundEvent.actor_id == person.id))
        .order_by(FundEvent.id)
    ).all()
    yield DataFile(
        "fund-request-history",
        _("What happened to those requests, and what you did on requests to the fund."),
        [
            {
                "request": f"F{event.request_id:05d}",
                "when": event.at,
                "who": name(event.actor_id) or _("you"),
                "what": event.action,
                "from": event.frm,
                "to": event.to,
                "note": event.note,
            }
            for event in events
        ],
    )
    money = db.session.scalars(
        select(Contribution)
        .where(Contribution.recorded_by_id == person.id)
        .order_by(Contribution.id)
    ).all()
    yield DataFile(
        "fund-money-recorded",
        _("Money coming into a fund that you recorded."),
        [
            {"amount": c.amount, "from": c.source, "received": c.received_on, "note": c.note}
            for c in money
        ],
    )
