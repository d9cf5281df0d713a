"""The fund's accountability: its ledger, spending by category and month, requests by state,
how long decisions and payments take, and whether the money helped. Nobody's name is in any
of it: requests are shown by reference."""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.core import dates
from engage.core.money import to_money
from engage.core.spreadsheets import neutralise
from engage.extensions import db
from engage.fund import services
from engage.fund.models import (
    COMMITTED,
    ZERO,
    Category,
    Contribution,
    Fund,
    FundRequest,
    State,
)


@dataclass
class LedgerLine:
    on: date
    what: str
    money_in: Decimal | None
    money_out: Decimal | None


@dataclass
class Accounts:
    balance: dict[str, Decimal]
    ledger: list[LedgerLine]
    by_category: list[tuple[str, int, Decimal]]
    by_month: list[tuple[date, Decimal]]
    by_state: list[tuple[State, int]]
    median_days_to_decision: float | None
    median_days_to_payment: float | None
    helped: int
    not_helped: int
    asked: int
    #: Money promised (approved or paid) in the budget period, when the fund has one.
    promised_in_budget_period: Decimal | None = None


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def accounts(fund: Fund) -> Accounts:
    contributions = db.session.scalars(
        select(Contribution).where(Contribution.fund_id == fund.id)
    ).all()
    requests = db.session.execute(
        select(
            FundRequest.id,
            FundRequest.state,
            FundRequest.category,
            FundRequest.amount,
            FundRequest.submitted_at,
            FundRequest.decided_at,
            FundRequest.paid_at,
            FundRequest.helped,
            FundRequest.follow_up_sent_at,
        ).where(FundRequest.fund_id == fund.id)
    ).all()
    ledger = [LedgerLine(c.received_on, c.source, c.amount, None) for c in contributions] + [
        LedgerLine(
            dates.local_date(r.paid_at or r.decided_at),
            _("Request F%(number)05d", number=r.id)
            + ("" if r.state == State.PAID.value else " " + _("(approved, not paid yet)")),
            None,
            r.amount,
        )
        for r in requests
        if r.state in COMMITTED
    ]
    ledger.sort(key=lambda line: line.on)
    categories: dict[str, list] = {}
    months: dict[date, Decimal] = {}
    states: dict[str, int] = {}
    to_decision, to_payment = [], []
    for r in requests:
        states[r.state] = states.get(r.state, 0) + 1
        if r.state in COMMITTED:
            row = categories.setdefault(r.category, [0, ZERO])
            row[0] += 1
            row[1] += r.amount
        if r.paid_at is not None:
            month = dates.local_date(r.paid_at).replace(day=1)
            months[month] = months.get(month, ZERO) + r.amount
            to_payment.append((dates.local_date(r.paid_at) - dates.local_date(r.submitted_at)).days)
        if r.decided_at is not None:
            to_decision.append(
                (dates.local_date(r.decided_at) - dates.local_date(r.submitted_at)).days
            )
    return Accounts(
        balance=services.balance(fund),
        ledger=ledger,
        by_category=[
            (Category(k).label, *categories[k])
            for k in (c.value for c in Category)
            if k in categories
        ],
        by_month=sorted(months.items()),
        by_state=[(s, states[s.value]) for s in State if s.value in states],
        median_days_to_decision=_median(to_decision),
        median_days_to_payment=_median(to_payment),
        promised_in_budget_period=(
            to_money(
                sum(
                    (
                        r.amount
                        for r in requests
                        if r.state in COMMITTED
                        and r.decided_at is not None
                        and fund.budget_from <= dates.local_date(r.decided_at) <= fund.budget_to
                    ),
                    ZERO,
                )
            )
            if fund.budget_from and fund.budget_to
            else None
        ),
        helped=sum(1 for r in requests if r.helped is True),
        not_helped=sum(1 for r in requests if r.helped is False),
        asked=sum(1 for r in requests if r.follow_up_sent_at is not None),
    )


def _request_rows(fund: Fund) -> list[list]:
    rows = db.session.execute(
        select(
            FundRequest.id,
            FundRequest.category,
            FundRequest.amount,
            FundRequest.pay_to,
            FundRequest.state,
            FundRequest.submitted_at,
            FundRequest.decided_at,
            FundRequest.paid_at,
            FundRequest.helped,
        )
        .where(FundRequest.fund_id == fund.id)
        .order_by(FundRequest.id)
    ).all()

    def day(moment):  # noqa: ANN001, ANN202
        return dates.local_date(moment).isoformat() if moment else ""

    return [
        [
            f"F{r.id:05d}",
            Category(r.category).label,
            str(to_money(r.amount)),
            r.pay_to,
            State(r.state).label,
            day(r.submitted_at),
            day(r.decided_at),
            day(r.paid_at),
            "" if r.helped is None else (_("Yes") if r.helped else _("No")),
        ]
        for r in rows
    ]


def request_header() -> list[str]:
    return [
        _("Request"),
        _("Kind of thing"),
        _("Amount"),
        _("Paid to"),
        _("State"),
        _("Sent"),
        _("Decided"),
        _("Paid"),
        _("It helped"),
    ]


def ledger_header() -> list[str]:
    return [_("Date"), _("What"), _("Money in"), _("Money out")]


def _ledger_rows(fund: Fund) -> list[list]:
    return [
        [
            line.on.isoformat(),
            neutralise(line.what),
            str(line.money_in) if line.money_in is not None else "",
            str(line.money_out) if line.money_out is not None else "",
        ]
        for line in accounts(fund).ledger
    ]


def accounts_csv(fund: Fund) -> str:
    """The ledger, then every request, as one CSV (formula-safe)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ledger_header())
    writer.writerows(_ledger_rows(fund))
    writer.writerow([])
    writer.writerow(request_header())
    writer.writerows([[neutralise(cell) for cell in row] for row in _request_rows(fund)])
    return out.getvalue()


def accounts_xlsx(fund: Fund) -> bytes:
    """The ledger and the requests on sheets of their own; text cells are written as text."""
    import xlsxwriter  # here, not at the top: only downloads need it

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    for title, header, rows in (
        (_("Ledger"), ledger_header(), _ledger_rows(fund)),
        (_("Requests"), request_header(), _request_rows(fund)),
    ):
        sheet = book.add_worksheet(title[:31])
        sheet.write_row(0, 0, header)
        for number, row in enumerate(rows, start=1):
            for column, cell in enumerate(row):
                sheet.write_string(number, column, str(neutralise(cell)))
    book.close()
    return out.getvalue()


def queue_counts() -> tuple[int, int]:
    """How many requests wait for a decision, and how many of them are overdue (home)."""
    rows = db.session.scalars(
        select(FundRequest.submitted_at).where(
            FundRequest.state.in_([s.value for s in services.WAITING_STATES])
        )
    ).all()
    today = dates.local_today()
    overdue = sum(
        1
        for at in rows
        if services.working_days_between(dates.local_date(at), today)
        > services.DECISION_TARGET_WORKING_DAYS
    )
    return len(rows), overdue


def home_summary(user) -> dict:  # noqa: ANN001
    """What is next with the fund for ``user`` (the home page): requests waiting for their
    decision (approvers: how many, how many overdue), and their own requests with a question
    to answer or a "did it help?" to say. Two or three small queries."""
    from engage.fund import permissions

    waiting, overdue = queue_counts() if permissions.sees_queue(user) else (0, 0)
    mine = []
    if permissions.can_request(user):
        mine = db.session.scalars(
            select(FundRequest)
            .where(
                FundRequest.requester_id == user.id,
                (FundRequest.state == State.QUESTION.value)
                | (
                    (FundRequest.state == State.PAID.value)
                    & FundRequest.follow_up_sent_at.is_not(None)
                    & FundRequest.helped.is_(None)
                ),
            )
            .order_by(FundRequest.id)
            .limit(10)
        ).all()
    # Peers have no menu entry for the fund: their home page offers it.
    offer = (
        permissions.can_request(user)
        and not permissions.puts_fund_in_menu(user)
        and services.current_fund() is not None
    )
    return {"waiting": waiting, "overdue": overdue, "mine": mine, "offer": offer}


__all__ = ["func"]
