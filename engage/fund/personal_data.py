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

    # Requests a key worker made for someone else are about that person: only what the
    # key worker did (the reference, amount and dates) comes, never their words about them.
    def about_you(row: FundRequest) -> bool:
        return row.person_id == person.id or (row.requester_id == person.id and not row.person_ref)

    def words(row: FundRequest, text: str) -> str:
        return text if about_you(row) else ""

    yield DataFile(
        "fund-requests",
        _(
            "Requests to the fund made by you or for you, as they are now. For requests you "
            "made for someone else, what you wrote about them is left out."
        ),
        [
            {
                "request": row.reference,
                "asked_by": name(row.requester_id) or _("you"),
                "for": _("you") if about_you(row) else _("another person"),
                "kind_of_thing": row.category,
                "what_is_in_the_way": words(row, row.barrier),
                "amount": row.amount,
                "how_it_helps": words(row, row.how_it_helps),
                "paid_to": row.pay_to,
                "supplier": row.supplier_name,
                "state": row.state,
                "sent": row.submitted_at,
                "question": words(row, row.question),
                "answer": words(row, row.answer),
                "why_not_approved": words(row, row.decline_reason),
                "paid": row.paid_at,
                "did_it_help": row.helped,
                "how_it_helped": words(row, row.follow_up),
            }
            for row in rows
        ],
    )
    for row in rows:
        if about_you(row) and row.receipt_name and receipts.path(row.receipt_name).is_file():
            extension = EXTENSIONS.get(row.receipt_type or "", "bin")
            yield DataFile(
                f"fund-receipts/receipt-{row.reference}.{extension}",
                _("The receipt of fund request %(ref)s.", ref=row.reference),
                path=receipts.path(row.receipt_name),
            )
    ids = [row.id for row in rows]
    yours = {row.id for row in rows if about_you(row)}
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
                "note": event.note if event.request_id in yours else "",
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
