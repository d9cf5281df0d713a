"""The fund's part of erasing a person: requests made for them, or by them for themselves,
stay as money records (amount, kind of thing, dates, state: the fund's accounts must still add
up) but lose every word that could say who they were, and the link to their account. Requests
they made for other people as a key worker stay with the tombstone, "A former member"."""

from __future__ import annotations

from sqlalchemy import or_, select, update

from engage.core.domains import erasure_step
from engage.extensions import db
from engage.fund import receipts
from engage.fund.models import FundEvent, FundRequest
from engage.people.erasure import delete_after_commit


@erasure_step(55)
def anonymise_fund_requests(person, actor) -> None:  # noqa: ANN001
    about_them = select(FundRequest.id).where(
        or_(
            FundRequest.person_id == person.id,
            # A peer asking for themselves: what they wrote is about them.
            (FundRequest.requester_id == person.id) & (FundRequest.person_ref == ""),
        )
    )
    ids = list(db.session.scalars(about_them))
    if not ids:
        return
    # A receipt of something bought for them can name them: the file goes after the commit.
    for stored in db.session.scalars(
        select(FundRequest.receipt_name).where(
            FundRequest.id.in_(ids), FundRequest.receipt_name.is_not(None)
        )
    ):
        delete_after_commit(receipts.path(stored))
    # Bulk updates skip the version counter on purpose: only the words about them go.
    db.session.execute(
        update(FundRequest)
        .where(FundRequest.id.in_(ids))
        .values(
            person_id=None,
            person_ref="",
            barrier="",
            how_it_helps="",
            question="",
            answer="",
            follow_up="",
            decline_reason="",
            receipt_name=None,
            receipt_type=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(FundEvent)
        .where(FundEvent.request_id.in_(ids))
        .values(note="")
        .execution_options(synchronize_session=False)
    )
