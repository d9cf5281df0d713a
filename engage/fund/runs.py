"""The fund's payments in payment runs: an approved request to pay a supplier whose bank
details we hold waits for finance's next run, is in a section of its own in the run and its
files ("Fund payments to suppliers"), and is paid when the run is. Never an involvement
payment, so never earnings (``engage.core.domains.RunSource``)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from engage.core.domains import RunLine
from engage.extensions import db
from engage.fund import services
from engage.fund.models import FundRequest, PayTo, State

KIND = "fund"


def _ready_query():
    return select(FundRequest).where(
        FundRequest.state == State.APPROVED.value,
        FundRequest.run_id.is_(None),
        FundRequest.pay_to == PayTo.SUPPLIER.value,
        # Blank bank details are stored blank (not encrypted), so SQL can tell.
        FundRequest.supplier_sort_code != "",
        FundRequest.supplier_account_number != "",
    )


def _line(row: FundRequest) -> RunLine:
    what = _("Fund request %(ref)s: %(what)s", ref=row.reference, what=row.category_enum.label)
    if row.quote:
        what = f"{what} ({row.quote})"
    return RunLine(
        key=f"{KIND}:{row.id}",
        payee=row.supplier_name,
        description=what[:200],
        amount=row.amount,
        account_name=row.supplier_name,
        sort_code=row.supplier_sort_code,
        account_number=row.supplier_account_number,
    )


def section() -> str:
    return _("Fund payments to suppliers")


def ready() -> list[RunLine]:
    return [_line(row) for row in db.session.scalars(_ready_query().order_by(FundRequest.id))]


def take(run: Any, actor: Any, ids: list[int]) -> list[RunLine]:
    rows = list(
        db.session.scalars(
            _ready_query()
            .where(FundRequest.id.in_(ids or [-1]))
            .order_by(FundRequest.id)
            .with_for_update()
        )
    )
    for row in rows:
        row.run_id = run.id
        services.in_run(actor, row, run.reference)
    db.session.flush()
    return [_line(row) for row in rows]


def lines(run: Any) -> list[RunLine]:
    rows = db.session.scalars(
        select(FundRequest).where(FundRequest.run_id == run.id).order_by(FundRequest.id)
    )
    return [_line(row) for row in rows]


def paid(run: Any, actor: Any) -> None:
    rows = db.session.scalars(
        select(FundRequest).where(
            FundRequest.run_id == run.id, FundRequest.state == State.APPROVED.value
        )
    )
    for row in rows:
        services.record_paid(actor, row, "run", run.reference)
