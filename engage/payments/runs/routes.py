"""Finance pages: what is ready to pay and what waits for approval, what someone has been paid
this tax year, and payment runs (make one, export it, mark it paid, put a payment right).

Only finance opens these pages. A run is made once however often its form is sent: the form
carries a random key, SQLite's write lock is taken before anything is read (PostgreSQL locks
the rows in the service), and a race on the key answers with the run that was made.
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from engage.core import audit, dates
from engage.core.conflicts import ChangedMeanwhile, saving
from engage.core.db import writes_when_read
from engage.core.domains import run_sources
from engage.core.htmx import redirect_to, render
from engage.core.money import format_money, to_money
from engage.core.numbers import page_of, requested_page, whole_number
from engage.core.permissions import allow
from engage.extensions import db
from engage.payments import analysis, bp, earnings
from engage.payments import permissions as perm
from engage.payments.bank_details import view_bank_details
from engage.payments.models import (
    ITEM_KIND_LABELS,
    METHOD_LABELS,
    ZERO,
    ClaimState,
    ExpenseClaim,
    IllegalMove,
    InvolvementRecord,
    PaymentItem,
    PaymentRun,
    Period,
    RecordStatus,
    RunStatus,
    activity_label,
    period_bounds,
    tax_year_label,
)
from engage.payments.runs import exports, services
from engage.payments.runs.forms import CLAIM, FEE, MarkPaidForm, NewRunForm, ReverseForm
from engage.people.models import Profile, User
from engage.people.reauth import confirmation_redirect

PAGE_SIZE = 25
#: How many people a name search lists; more than this asks for more of the name.
SEARCH_LIMIT = 20
#: The earliest tax year the person page goes back to.
FIRST_TAX_YEAR = 2000


def _labels() -> dict:
    return {
        "kinds": {k.value: v for k, v in ITEM_KIND_LABELS.items()},
        "methods": {k.value: v for k, v in METHOD_LABELS.items()},
        "can_reverse": perm.can_reverse_payments(current_user),
    }


def _load_run(run_id: int) -> PaymentRun:
    run = db.session.get(PaymentRun, run_id)
    if run is None:
        abort(404)
    return run


def _months_back(today: date, months: int) -> date:
    """The first day of the month ``months`` before this one."""
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# The finance home --------------------------------------------------------------------------


@bp.route("/payments")
@login_required
def finance_home():
    allow(perm.can_use_finance(current_user))
    today = dates.local_today()
    ready_count, ready_total = services.ready_summary()
    months = analysis.payments_by_month(_months_back(today, 11), today)
    year_start, year_end = period_bounds(Period.TAX_YEAR, today)
    q = (request.args.get("q") or "").strip()[:100]
    matches: list[User] = []
    if q:
        like = _like(q)
        matches = list(
            db.session.scalars(
                select(User)
                .outerjoin(Profile, Profile.user_id == User.id)
                .where(
                    or_(
                        func.lower(Profile.preferred_name).like(like, escape="\\"),
                        func.lower(User.username).like(like, escape="\\"),
                    )
                )
                .order_by(func.lower(func.coalesce(Profile.preferred_name, User.username)), User.id)
                .limit(SEARCH_LIMIT + 1)
            ).unique()
        )
    return render(
        "payments/finance/home.html",
        ready_count=ready_count,
        ready_total=ready_total,
        ages=analysis.approvals_by_age(today),
        months=months,
        month_totals={
            "fees": to_money(sum((m.fees for m in months), ZERO)),
            "expenses": to_money(sum((m.expenses for m in months), ZERO)),
            "corrections": to_money(sum((m.corrections for m in months), ZERO)),
            "total": to_money(sum((m.total for m in months), ZERO)),
        },
        activities=analysis.involvement_by_activity(year_start, year_end),
        activity_label=activity_label,
        tax_year=tax_year_label(today),
        q=q,
        matches=matches[:SEARCH_LIMIT],
        too_many=len(matches) > SEARCH_LIMIT,
    )


# One person ---------------------------------------------------------------------------------


@bp.route("/payments/people/<int:person_id>")
@login_required
@writes_when_read
def finance_person(person_id: int):
    """What someone has been paid in a tax year (``?year=2026`` for 2026/27), what is approved
    and waiting, and their bank details, masked (every view is audited)."""
    allow(perm.can_use_finance(current_user))
    person = db.session.get(User, person_id)
    if person is None:
        abort(404)
    today = dates.local_today()
    this_year = period_bounds(Period.TAX_YEAR, today)[0].year
    year = whole_number(request.args.get("year"), FIRST_TAX_YEAR, this_year)
    if year is None:
        if request.args.get("year"):
            flash(
                _(
                    "We can show tax years from %(first)d to %(last)d. This is the tax year now.",
                    first=FIRST_TAX_YEAR,
                    last=this_year,
                )
            )
        year = this_year
    start, end = period_bounds(Period.TAX_YEAR, date(year, 4, 6))
    paid = analysis.paid_to(person.id, start, end)
    reversed_ids = set(
        db.session.scalars(
            select(PaymentItem.reverses_id).where(
                PaymentItem.reverses_id.in_([i.id for i in paid.items] or [-1])
            )
        )
    )
    waiting_records = list(
        db.session.scalars(
            select(InvolvementRecord)
            .where(
                InvolvementRecord.person_id == person.id,
                InvolvementRecord.status == RecordStatus.APPROVED.value,
            )
            .order_by(InvolvementRecord.activity_date, InvolvementRecord.id)
        )
    )
    waiting_claims = list(
        db.session.scalars(
            select(ExpenseClaim)
            .where(
                ExpenseClaim.claimant_id == person.id,
                ExpenseClaim.state == ClaimState.APPROVED.value,
            )
            .order_by(ExpenseClaim.id)
        )
    )
    waiting_total = to_money(
        sum((r.amount for r in waiting_records), ZERO)
        + sum((c.total for c in waiting_claims), ZERO)
    )
    bank = None
    if perm.can_see_bank_details(current_user, person):
        bank = view_bank_details(current_user, person, "finance_person")
    response = render(
        "payments/finance/person.html",
        person=person,
        year=year,
        this_year=this_year,
        first_year=FIRST_TAX_YEAR,
        year_label=tax_year_label(start),
        start=start,
        end=end,
        paid=paid,
        earned=earnings.earnings(person.id, start, end),
        reversed_ids=reversed_ids,
        waiting_records=waiting_records,
        waiting_claims=waiting_claims,
        waiting_total=waiting_total,
        bank=bank,
        **_labels(),
    )
    db.session.commit()  # the audit entry for seeing the bank details
    return response


# Runs ----------------------------------------------------------------------------------------


@bp.route("/payments/runs")
@login_required
def runs():
    allow(perm.can_use_finance(current_user))
    total = db.session.scalar(select(func.count(PaymentRun.id))) or 0
    page = page_of(total, PAGE_SIZE)
    rows = db.session.scalars(
        page.of(
            select(PaymentRun)
            .options(selectinload(PaymentRun.created_by))
            .order_by(PaymentRun.id.desc())
        )
    ).all()
    return render(
        "payments/finance/runs.html",
        block="results",
        rows=rows,
        total=total,
        page=page.number,
        pages=page.pages,
        can_make=perm.can_make_runs(current_user),
    )


@bp.route("/payments/runs/new", methods=["GET", "POST"])
@login_required
def new_run():
    allow(perm.can_make_runs(current_user))
    form = NewRunForm()
    if form.validate_on_submit():
        actor = current_user._get_current_object()
        run, made_now = None, False
        try:
            run, made_now = services.create_run(
                actor,
                form.key.key,
                form.chosen(FEE),
                form.chosen(CLAIM),
                others={source.kind: form.chosen(source.kind) for source in run_sources()},
            )
            db.session.commit()
        except services.RunError as error:
            db.session.rollback()
            form.items.errors.append(str(error))
        if run is not None:
            if made_now:
                flash(
                    _(
                        "Payment run %(ref)s is made. Download the file for the bank, then mark "
                        "it as paid.",
                        ref=run.reference,
                    ),
                    "success",
                )
            else:
                flash(_("This run was already made. Here it is."))
            return redirect_to(url_for("payments.run", run_id=run.id))
    if not form.key.data:
        form.key.renew()  # the page shown again carries a key of its own
    payees = services.ready_to_pay()
    others = services.other_ready()
    held = list(
        db.session.scalars(
            services.held_records_query()
            .options(selectinload(InvolvementRecord.person))
            .order_by(InvolvementRecord.activity_date, InvolvementRecord.id)
        )
    )
    if request.method == "POST":
        ticked = set(form.items.data or [])
    else:
        ticked = {f"{FEE}:{r.id}" for p in payees for r in p.records}
        ticked |= {f"{CLAIM}:{c.id}" for p in payees for c in p.claims}
        ticked |= {line.key for _source, lines in others for line in lines}
    return render(
        "payments/finance/new_run.html",
        form=form,
        payees=payees,
        others=others,
        held=held,
        no_bank_details=services.missing_bank_details(),
        ticked=ticked,
        total=to_money(
            sum((p.total for p in payees), ZERO)
            + sum((line.amount for _s, lines in others for line in lines), ZERO)
        ),
        methods={k.value: v for k, v in METHOD_LABELS.items()},
    )


@bp.route("/payments/runs/<int:run_id>")
@login_required
def run(run_id: int):
    allow(perm.can_use_finance(current_user))
    run = _load_run(run_id)
    page = requested_page()
    sections, pages = services.sections(run, page)
    corrections = list(
        db.session.scalars(
            select(PaymentItem)
            .where(
                PaymentItem.reverses_id.in_(
                    select(PaymentItem.id).where(PaymentItem.run_id == run.id)
                )
            )
            .options(selectinload(PaymentItem.payee))
            .order_by(PaymentItem.id)
        )
    )
    paid_by = db.session.get(User, run.paid_by_id) if run.paid_by_id else None
    return render(
        "payments/finance/run.html",
        run=run,
        sections=sections,
        page=min(page, pages),
        pages=pages,
        corrections=corrections,
        reversed_ids={c.reverses_id for c in corrections},
        paid_by=paid_by,
        paid=run.status_enum == RunStatus.PAID,
        can_mark_paid=perm.can_make_runs(current_user),
        unpayable=services.unpayable_payees(run),
        others=services.other_lines(run),
        **_labels(),
    )


def _export(run_id: int, extension: str):
    # The files hold bank details in full: finance only, and every download is audited.
    allow(perm.can_make_runs(current_user))
    run = _load_run(run_id)
    # Password (and code) again first: a signed-in browser left open is not enough. Back to
    # the run's page afterwards (its links then download): coming back to the file itself
    # would leave them looking at the confirmation page while the file arrives.
    if (ask := confirmation_redirect(url_for("payments.run", run_id=run.id))) is not None:
        return ask
    try:
        if extension == "csv":
            body = exports.run_csv(run).encode("utf-8-sig")  # the BOM tells spreadsheets: UTF-8
            content_type = "text/csv; charset=utf-8"
        else:
            body = exports.run_xlsx(run)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    except exports.UnpayableRun:
        # Never a file with a blank account: the run's page says whose details are missing.
        flash(
            _(
                "The files cannot be made yet: someone in this run has no bank details. "
                "See who below."
            ),
            "warning",
        )
        return redirect_to(url_for("payments.run", run_id=run.id))
    audit.record(
        "run.exported",
        actor=current_user,
        run=run.id,
        format=extension,
        bank_payees=exports.bank_payee_ids(run),
    )
    db.session.commit()
    response = make_response(body)
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{exports.filename(run, extension)}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/payments/runs/<int:run_id>.csv")
@login_required
@writes_when_read
def run_csv(run_id: int):
    return _export(run_id, "csv")


@bp.route("/payments/runs/<int:run_id>.xlsx")
@login_required
@writes_when_read
def run_xlsx(run_id: int):
    return _export(run_id, "xlsx")


@bp.route("/payments/runs/<int:run_id>/paid", methods=["GET", "POST"])
@login_required
def mark_paid(run_id: int):
    allow(perm.can_make_runs(current_user))
    run = _load_run(run_id)
    back = url_for("payments.run", run_id=run.id)
    if run.status_enum == RunStatus.PAID:
        flash(_("This run has already been marked as paid."))
        return redirect_to(back)
    form = MarkPaidForm()
    problem = None
    if form.validate_on_submit():
        try:
            with saving():
                done = services.mark_paid(current_user._get_current_object(), run)
        except ChangedMeanwhile:  # another press marked it paid at the same moment
            done = False
        except IllegalMove as error:
            db.session.rollback()
            problem = str(error)
        if problem is None:
            if done:
                flash(
                    _(
                        "Run %(ref)s is marked as paid. We have told each person they have been "
                        "paid.",
                        ref=run.reference,
                    ),
                    "success",
                )
            else:
                flash(_("This run has already been marked as paid."))
            return redirect_to(back)
    return render(
        "payments/finance/mark_paid.html",
        form=form,
        run=run,
        sections=services.section_totals(run),
        problem=problem,
        methods={k.value: v for k, v in METHOD_LABELS.items()},
    )


@bp.route("/payments/items/<int:item_id>/reverse", methods=["GET", "POST"])
@login_required
def reverse_item(item_id: int):
    """Put right a paid item with a correcting entry; the item itself never changes."""
    allow(perm.can_reverse_payments(current_user))
    item = db.session.get(PaymentItem, item_id)
    if item is None:
        abort(404)
    back = (
        url_for("payments.run", run_id=item.run_id)
        if item.run_id
        else url_for("payments.finance_person", person_id=item.payee_id)
    )
    form = ReverseForm()
    problem = None
    if form.validate_on_submit():
        try:
            with saving():
                correction = services.reverse(
                    current_user._get_current_object(), item, form.reason.data, form.pay_again
                )
        except ChangedMeanwhile:  # reversed by another press at the same moment
            flash(_("This payment has been reversed already."))
            return redirect_to(back)
        except IllegalMove as error:
            db.session.rollback()
            problem = str(error)
        else:
            flash(
                _(
                    "The payment is reversed: a correction of %(amount)s was added.",
                    amount=format_money(correction.amount),
                )
                + " "
                + (
                    _("It will be in the next payment run.")
                    if form.pay_again
                    else _("It will not be paid again.")
                ),
                "success",
            )
            return redirect_to(back)
    reversed_by = db.session.scalar(select(PaymentItem).where(PaymentItem.reverses_id == item.id))
    return render(
        "payments/finance/reverse.html",
        form=form,
        item=item,
        back=back,
        problem=problem,
        reversed_by=reversed_by,
        **_labels(),
    )
