"""A payment run as files for the finance system: CSV and XLSX.

Both come from one SELECT into pandas. Amounts are added up as whole pennies, so totals are
exact; the CSV writes each amount as its exact decimal text, and the XLSX stores numbers to two
places (every amount to the penny survives the spreadsheet's number type exactly, and a test
reads them back). Bank details appear only here, only for bank transfers, and each export is
audited. Every text cell a spreadsheet could take for a formula is neutralised.

- CSV: one row per payee and method (the payments to make), bank transfers first, then
  vouchers, then cash.
- XLSX: the same on a "Payments" sheet in three sections with totals, then every item on a
  sheet of its section's own ("Bank transfer", "Shopping voucher", "Cash").

Other parts of engage that pay through runs (``engage.core.domains.RunSource``: a fund's
payments to suppliers) come after, each in a section of its own, with the bank details they
are paid to; they are never involvement payments or expenses.
"""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy import select

from engage.core.domains import RunLine, run_sources
from engage.core.spreadsheets import FORMULA_STARTS, neutralise
from engage.extensions import db
from engage.payments.models import (
    ITEM_KIND_LABELS,
    RUN_SECTIONS,
    BankDetails,
    ItemKind,
    Method,
    PaymentItem,
    PaymentRun,
)
from engage.people.models import Profile, User

SECTION_ORDER = {method.value: index for index, method in enumerate(RUN_SECTIONS)}

if TYPE_CHECKING:  # pandas is imported where it is used, so pages never load it
    import pandas as pd


class UnpayableRun(ValueError):
    """A bank transfer in the run has no sort code or account number to go to. The files are
    refused rather than made with a blank account: a blank line is a payment nobody makes,
    and nobody notices. ``payee_ids``: whose details are missing."""

    def __init__(self, payee_ids: list[int]) -> None:
        super().__init__(f"no bank details for payees {payee_ids}")
        self.payee_ids = payee_ids


ITEM_COLUMNS = [
    "id", "method", "payee_id", "kind", "description", "activity_date", "amount", "line_key",
]  # fmt: skip
PAYEE_COLUMNS = [
    "payee_id", "username", "preferred_name", "account_name", "sort_code", "account_number",
    "roll_number",
]  # fmt: skip


def items_frame(run: PaymentRun) -> pd.DataFrame:
    """Every item of ``run``, one row each, in section then payee order. ``pennies`` holds
    the exact amount as a whole number of pennies."""
    import pandas as pd  # only exports need it: workers that never export never load it

    # Core rows straight from the connection (ORM row handling doubled the time at 50,000
    # lines), and each payee's name and bank details once, not once per item.
    connection = db.session.connection()
    items = connection.execute(
        select(
            PaymentItem.id,
            PaymentItem.method,
            PaymentItem.payee_id,
            PaymentItem.kind,
            PaymentItem.description,
            PaymentItem.activity_date,
            PaymentItem.amount,
            PaymentItem.line_key,
        ).where(PaymentItem.run_id == run.id)
    ).fetchall()
    payees = connection.execute(
        select(
            User.id,
            User.username,
            Profile.preferred_name,
            BankDetails.account_name,
            BankDetails.sort_code,
            BankDetails.account_number,
            BankDetails.roll_number,
        )
        .outerjoin(Profile, Profile.user_id == User.id)
        .outerjoin(BankDetails, BankDetails.user_id == User.id)
        .where(User.id.in_(select(PaymentItem.payee_id).where(PaymentItem.run_id == run.id)))
    ).fetchall()
    # Plain tuples: pandas probes each SQLAlchemy Row attribute by attribute, which is slow.
    frame = pd.DataFrame.from_records([tuple(r) for r in items], columns=ITEM_COLUMNS).merge(
        pd.DataFrame.from_records([tuple(p) for p in payees], columns=PAYEE_COLUMNS),
        on="payee_id",
        how="left",
    )
    if frame.empty:
        frame["pennies"] = pd.Series(dtype="int64")
        frame["payee"] = pd.Series(dtype="object")
        frame["section"] = pd.Series(dtype="int64")
        return frame
    frame["pennies"] = [int(amount * 100) for amount in frame["amount"]]
    frame["payee"] = frame["preferred_name"].where(
        frame["preferred_name"].fillna("") != "", frame["username"]
    )
    frame["section"] = frame["method"].map(SECTION_ORDER).fillna(len(SECTION_ORDER)).astype(int)
    bank = frame["method"] == Method.BANK.value
    blank = (frame["sort_code"].fillna("") == "") | (frame["account_number"].fillna("") == "")
    if (bank & blank).any():
        raise UnpayableRun(sorted({int(i) for i in frame.loc[bank & blank, "payee_id"]}))
    # Bank details go only with bank transfers: nobody else's are exported.
    not_bank = frame["method"] != Method.BANK.value
    for column in ("account_name", "sort_code", "account_number", "roll_number"):
        frame[column] = frame[column].where(~not_bank, "").fillna("")
    frame["payee_key"] = frame["payee"].str.lower()
    return frame.sort_values(["section", "payee_key", "payee_id", "id"], kind="stable")


def payments_frame(items: pd.DataFrame) -> pd.DataFrame:
    """One row per payee and method: the payments to make."""
    if items.empty:
        return items.assign(items=0, fees=0, expenses=0)
    fee = items["kind"] == ItemKind.FEE.value
    grouped = (
        items.assign(
            fee_pennies=items["pennies"].where(fee, 0),
            expense_pennies=items["pennies"].where(~fee, 0),
        )
        .groupby(["section", "method", "payee_key", "payee_id"], sort=True)
        .agg(
            payee=("payee", "first"),
            account_name=("account_name", "first"),
            sort_code=("sort_code", "first"),
            account_number=("account_number", "first"),
            roll_number=("roll_number", "first"),
            items=("id", "count"),
            fees=("fee_pennies", "sum"),
            expenses=("expense_pennies", "sum"),
            pennies=("pennies", "sum"),
        )
        .reset_index()
    )
    return grouped


def money(pennies: int) -> Decimal:
    """Whole pennies back to an exact amount."""
    return (Decimal(int(pennies)) / 100).quantize(Decimal("0.01"))


def _sort_code(code: str) -> str:
    return f"{code[:2]}-{code[2:4]}-{code[4:]}" if code else ""


def _reference(run: PaymentRun) -> str:
    # Banks show up to 18 characters of a payment's reference.
    return f"ENGAGE {run.reference}"


def payment_header() -> list[str]:
    return [
        _("Section"),
        _("Payee number"),
        _("Payee"),
        _("Account name"),
        _("Sort code"),
        _("Account number"),
        _("Building society roll number"),
        _("Items"),
        _("For time"),
        _("Expenses"),
        _("Amount"),
        _("Payment reference"),
    ]


def _payment_rows(run: PaymentRun, payments: pd.DataFrame):
    reference = _reference(run)
    labels = {m.value: m.label for m in Method}
    for row in payments.itertuples(index=False):
        yield [
            labels.get(row.method, row.method),
            int(row.payee_id),
            neutralise(row.payee),
            neutralise(row.account_name),
            _sort_code(row.sort_code),
            row.account_number,
            neutralise(row.roll_number),
            int(row.items),
            money(row.fees),
            money(row.expenses),
            money(row.pennies),
            reference,
        ]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while an export builds hundreds of thousands
    of small objects that hold no cycles: it would otherwise stop again and again to scan
    them, a fifth of the time of a 50,000-line workbook. Reference counting still frees
    everything as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@_collector_paused()
def run_csv(run: PaymentRun) -> str:
    """The payments to make, one row per payee and method, as CSV text. Raises UnpayableRun
    when a bank transfer has no bank details."""
    payments = payments_frame(items_frame(run))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(payment_header())
    for row in _payment_rows(run, payments):
        writer.writerow([f"{cell:.2f}" if isinstance(cell, Decimal) else cell for cell in row])
    for section, lines in _other_sections(run):
        for row in _other_rows(run, section, lines):
            writer.writerow([f"{cell:.2f}" if isinstance(cell, Decimal) else cell for cell in row])
    return out.getvalue()


def _other_sections(run: PaymentRun) -> list[tuple[str, list[RunLine]]]:
    found = [(source.section(), source.lines(run)) for source in run_sources()]
    return [(section, lines) for section, lines in found if lines]


def _other_rows(run: PaymentRun, section: str, lines: list[RunLine]):  # noqa: ANN202
    """Another domain's payments in the columns of :func:`payment_header`: no payee number
    (a supplier has no account), nothing for time or expenses."""
    reference = _reference(run)
    for line in lines:
        yield [
            section,
            "",
            neutralise(line.payee),
            neutralise(line.account_name),
            _sort_code(line.sort_code),
            line.account_number,
            "",
            1,
            "",
            "",
            Decimal(line.amount).quantize(Decimal("0.01")),
            reference,
        ]


def item_header() -> list[str]:
    return [
        _("Payee number"),
        _("Payee"),
        _("Type"),
        _("What for"),
        _("Date"),
        _("Amount"),
        _("Item number"),
    ]


@_collector_paused()
def run_xlsx(run: PaymentRun) -> bytes:
    """The run as a workbook: "Payments" (sections with totals), then a sheet of every item
    for each section. Raises UnpayableRun when a bank transfer has no bank details."""
    import xlsxwriter

    items = items_frame(run)
    payments = payments_frame(items)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    bold = book.add_format({"bold": True})
    heading = book.add_format({"bold": True, "font_size": 13})
    amount = book.add_format({"num_format": "#,##0.00"})
    total = book.add_format({"bold": True, "num_format": "#,##0.00", "top": 1})
    day = book.add_format({"num_format": "dd/mm/yyyy"})

    sheet = book.add_worksheet(_("Payments"))
    sheet.write_string(0, 0, _("Payment run %(ref)s", ref=run.reference), heading)
    header = payment_header()
    row_no = 2
    labels = {m.value: m.label for m in Method}
    for method in RUN_SECTIONS:
        part = payments[payments["method"] == method.value] if not payments.empty else payments
        if part.empty:
            continue
        sheet.write_string(row_no, 0, labels[method.value], heading)
        row_no += 1
        for col, text in enumerate(header):
            sheet.write_string(row_no, col, text, bold)
        row_no += 1
        for cells in _payment_rows(run, part):
            for col, cell in enumerate(cells):
                if isinstance(cell, Decimal):
                    sheet.write_number(row_no, col, float(cell), amount)
                elif isinstance(cell, int):
                    sheet.write_number(row_no, col, cell)
                else:
                    sheet.write_string(row_no, col, str(cell))
            row_no += 1
        sheet.write_string(row_no, 0, _("Total"), bold)
        sheet.write_number(row_no, 10, float(money(part["pennies"].sum())), total)
        row_no += 2
    others_total = Decimal("0.00")
    for section, lines in _other_sections(run):
        sheet.write_string(row_no, 0, section, heading)
        row_no += 1
        for col, text in enumerate(header):
            sheet.write_string(row_no, col, text, bold)
        row_no += 1
        for cells in _other_rows(run, section, lines):
            for col, cell in enumerate(cells):
                if isinstance(cell, Decimal):
                    sheet.write_number(row_no, col, float(cell), amount)
                elif isinstance(cell, int):
                    sheet.write_number(row_no, col, cell)
                else:
                    sheet.write_string(row_no, col, str(cell))
            row_no += 1
        part_total = sum((Decimal(line.amount) for line in lines), Decimal("0.00"))
        others_total += part_total
        sheet.write_string(row_no, 0, _("Total"), bold)
        sheet.write_number(row_no, 10, float(part_total), total)
        row_no += 2
    sheet.write_string(row_no, 0, _("Total for the run"), bold)
    sheet.write_number(
        row_no,
        10,
        float(money(items["pennies"].sum() if not items.empty else 0) + others_total),
        total,
    )
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 1, 14)
    sheet.set_column(2, 3, 24)
    sheet.set_column(4, 11, 14)

    # Every item, one sheet per section (bank transfers, vouchers, cash), in payee order.
    for method in RUN_SECTIONS:
        part = items[items["method"] == method.value]
        if not part.empty:
            _items_sheet(book, labels[method.value], part, bold, amount, day)
    book.close()
    return out.getvalue()


def _neutralised(texts: pd.Series) -> list[str]:
    """``neutralise`` for a whole column at once."""
    texts = texts.fillna("").astype(str)
    risky = texts.str.startswith(FORMULA_STARTS)
    return texts.where(~risky, "'" + texts).tolist()


def _item_columns(items: pd.DataFrame) -> list[list]:
    """An items sheet's columns, each worked out once for the whole section (the loop then
    only writes cells): neutralised text, labels, dates as the spreadsheet's day numbers
    (days since 30 December 1899) and exact amounts in pounds."""
    import pandas as pd

    kinds = {k.value: str(label) for k, label in ITEM_KIND_LABELS.items()}
    days = (pd.to_datetime(items["activity_date"]) - pd.Timestamp(1899, 12, 30)).dt.days
    return [
        items["payee_id"].astype(int).tolist(),
        _neutralised(items["payee"]),
        items["kind"].map(lambda k: kinds.get(k, k)).tolist(),
        _neutralised(items["description"]),
        [None if pd.isna(d) else int(d) for d in days],
        (items["pennies"] / 100).tolist(),
        items["id"].astype(int).tolist(),
    ]


def _items_sheet(book, title: str, items: pd.DataFrame, bold, amount, day) -> None:  # noqa: ANN001
    sheet = book.add_worksheet(title[:31])
    for col, text in enumerate(item_header()):
        sheet.write_string(0, col, text, bold)
    # The library's own undecorated writers: the public ones only add parsing of "A1"
    # addresses, a fifth of the time of a 50,000-line sheet.
    write_string, write_number = sheet._write_string, sheet._write_number
    for r, (payee_number, payee, kind, what, day_number, pounds, item_number) in enumerate(
        zip(*_item_columns(items), strict=True), start=1
    ):
        write_number(r, 0, payee_number)
        write_string(r, 1, payee)
        write_string(r, 2, kind)
        write_string(r, 3, what)
        if day_number is not None:
            write_number(r, 4, day_number, day)
        write_number(r, 5, pounds, amount)
        write_number(r, 6, item_number)
    sheet.autofilter(0, 0, len(items), 6)
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 24)
    sheet.set_column(2, 2, 18)
    sheet.set_column(3, 3, 40)
    sheet.set_column(4, 6, 14)


def filename(run: PaymentRun, extension: str) -> str:
    return f"engage-{run.reference.lower()}.{extension}"


def bank_payee_ids(run: PaymentRun) -> list[int]:
    """Whose bank details an export of ``run`` holds (for the audit log)."""
    return sorted(
        set(
            db.session.scalars(
                select(PaymentItem.payee_id).where(
                    PaymentItem.run_id == run.id, PaymentItem.method == Method.BANK.value
                )
            )
        )
    )
