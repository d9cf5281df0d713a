"""Fund pages: make a request on one page, the queue with ages, a request with its decision
and payment, "did it help?", raising a barrier in the register, and the fund's accounts."""

from __future__ import annotations

from flask import abort, flash, make_response, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from engage.core import audit, dates
from engage.core.conflicts import ChangedMeanwhile, saving
from engage.core.db import writes_when_read
from engage.core.htmx import redirect_to, render
from engage.core.numbers import requested_page
from engage.core.permissions import allow
from engage.core.uploads import EXTENSIONS, UploadError
from engage.extensions import db
from engage.fund import accounts as fund_accounts
from engage.fund import bp, receipts, services
from engage.fund import permissions as perm
from engage.fund.forms import (
    AnswerForm,
    ContributionForm,
    DecideForm,
    DeclineForm,
    FollowUpForm,
    FundForm,
    FundRaiseForm,
    PaidForm,
    QuestionForm,
    RequestForm,
    WithdrawForm,
)
from engage.fund.models import (
    CATEGORY_LABELS,
    STATE_LABELS,
    Fund,
    FundError,
    FundEvent,
    FundRequest,
    PayTo,
    State,
)
from engage.people.models import Organisation

PAGE_SIZE = 25


def _load(request_id: int) -> FundRequest:
    """A request the viewer may see; anything else is 404, so nothing is revealed."""
    row = db.session.get(FundRequest, request_id)
    if row is None or not perm.can_view_request(current_user, row):
        abort(404)
    return row


def _fund() -> Fund:
    fund = services.current_fund()
    if fund is None:
        abort(404)
    return fund


@bp.route("/fund")
@login_required
def requests():
    """The queue for approvers and finance (oldest first, with ages); one's own for others."""
    allow(perm.can_request(current_user) or perm.sees_queue(current_user))
    query = select(FundRequest)
    if not perm.sees_queue(current_user):
        query = query.where(
            or_(
                FundRequest.requester_id == current_user.id,
                FundRequest.person_id == current_user.id,
            )
            if not perm.requests_for_others(current_user)
            else FundRequest.requester_id == current_user.id
        )
    state = request.args.get("state", "")
    waiting = []
    if perm.sees_queue(current_user) and not state:
        waiting = db.session.scalars(
            query.where(FundRequest.state.in_([s.value for s in services.WAITING_STATES]))
            .order_by(FundRequest.submitted_at, FundRequest.id)
            .limit(200)
        ).all()
    if state in {s.value for s in State}:
        query = query.where(FundRequest.state == state)
    page = requested_page()
    rows = db.session.scalars(
        query.order_by(FundRequest.id.desc()).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    ).all()
    today = dates.local_today()
    return render(
        "fund/requests.html",
        waiting=waiting,
        rows=rows[:PAGE_SIZE],
        more=len(rows) > PAGE_SIZE,
        page=page,
        state=state,
        states=STATE_LABELS,
        age=lambda r: services.waiting_working_days(r, today),
        overdue=lambda r: services.is_overdue(r, today),
        target=services.DECISION_TARGET_WORKING_DAYS,
        fund=services.current_fund(),
    )


@bp.route("/fund/new", methods=["GET", "POST"])
@login_required
def new():
    allow(perm.can_request(current_user))
    fund = _fund()
    for_others = perm.requests_for_others(current_user)
    form = RequestForm()
    error = None
    if form.validate_on_submit():
        earlier = services.by_key(form.submission_key.key)
        if earlier is not None and earlier.requester_id == current_user.id:
            return redirect_to(url_for("fund.request", request_id=earlier.id))
        try:
            made = services.submit(
                current_user,
                fund,
                person=None if for_others else current_user,
                person_ref=(form.person_ref.data or "") if for_others else "",
                category=form.category.data,
                barrier=form.barrier.data,
                amount=form.amount.data,
                how_it_helps=form.how_it_helps.data,
                pay_to=form.pay_to.data,
                supplier_name=form.supplier_name.data or "",
                quote=form.quote.data or "",
                sort_code=form.sort_code.data or "",
                account_number=form.account_number.data or "",
                submission_key=form.submission_key.key,
            )
        except FundError as refused:
            db.session.rollback()
            error = str(refused)
        else:
            db.session.commit()
            flash(_("Your request is sent. We aim to decide within two working days."), "success")
            return redirect_to(url_for("fund.request", request_id=made.id))
    return render(
        "fund/new.html",
        status=400 if error or form.errors else 200,
        form=form,
        fund=fund,
        for_others=for_others,
        error=error,
    )


def _show(row: FundRequest, status: int = 200, error: str | None = None, **forms):
    events = db.session.scalars(
        select(FundEvent).where(FundEvent.request_id == row.id).order_by(FundEvent.at, FundEvent.id)
    ).all()
    context = {
        "approve_form": DecideForm(formdata=None),
        "question_form": QuestionForm(formdata=None),
        "decline_form": DeclineForm(formdata=None),
        "answer_form": AnswerForm(formdata=None),
        "withdraw_form": WithdrawForm(formdata=None),
        "paid_form": PaidForm(formdata=None),
    }
    context.update(forms)
    return render(
        "fund/request.html",
        status=status,
        failed=status >= 400,
        row=row,
        events=events,
        error=error,
        two_needed=services.two_approvals_needed(row),
        available=services.balance(row.fund)["available"]
        if perm.sees_queue(current_user)
        else None,
        age=services.waiting_working_days(row),
        overdue=services.is_overdue(row),
        target=services.DECISION_TARGET_WORKING_DAYS,
        **context,
    )


@bp.route("/fund/requests/<int:request_id>", endpoint="request")
@login_required
def request_page(request_id: int):
    return _show(_load(request_id))


def _act(row: FundRequest, form, work, done, form_name: str, *refusals):  # noqa: ANN001
    """Validate ``form``, run ``work()`` and commit, then say ``done`` (words, or a function
    giving them once the work is done); show the request again with the error and what was
    typed when something is wrong (``refusals``: more exceptions whose message is safe to
    show)."""
    if not form.validate_on_submit():
        return _show(row, status=400, **{form_name: form})
    try:
        with saving():
            work()
    except (FundError, ChangedMeanwhile, *refusals) as refused:
        db.session.rollback()
        row = _load(row.id)
        return _show(row, status=400, error=str(refused), **{form_name: form})
    flash(done() if callable(done) else done, "success")
    return redirect_to(url_for("fund.request", request_id=row.id))


@bp.route("/fund/requests/<int:request_id>/approve", methods=["POST"])
@login_required
def approve(request_id: int):
    row = _load(request_id)
    allow(perm.can_decide(current_user))
    form = DecideForm()
    outcome = {}

    def work() -> None:
        # No stale-page check: the service reads the request afresh under the fund's lock,
        # so a second approver pressing on an older page gives the second approval, and a
        # double click approves once.
        outcome["state"] = services.approve(current_user, row)

    def done() -> str:
        if outcome["state"] == State.PART_APPROVED:
            return _("Approved. A second person must approve it too.")
        return _("Approved.")

    return _act(row, form, work, done, "approve_form")


@bp.route("/fund/requests/<int:request_id>/ask", methods=["POST"])
@login_required
def ask(request_id: int):
    row = _load(request_id)
    allow(perm.can_decide(current_user))
    form = QuestionForm()
    return _act(
        row,
        form,
        lambda: services.ask(current_user, row, form.question.data),
        _("Your question is sent."),
        "question_form",
    )


@bp.route("/fund/requests/<int:request_id>/decline", methods=["POST"])
@login_required
def decline(request_id: int):
    row = _load(request_id)
    allow(perm.can_decide(current_user))
    form = DeclineForm()
    return _act(
        row,
        form,
        lambda: services.decline(current_user, row, form.reason.data),
        _("The request is declined, and the person who asked is told why."),
        "decline_form",
    )


@bp.route("/fund/requests/<int:request_id>/answer", methods=["POST"])
@login_required
def answer(request_id: int):
    row = _load(request_id)
    allow(perm.can_answer(current_user, row), hide=True)
    form = AnswerForm()
    return _act(
        row,
        form,
        lambda: services.answer(current_user, row, form.answer.data),
        _("Your answer is sent."),
        "answer_form",
    )


@bp.route("/fund/requests/<int:request_id>/withdraw", methods=["POST"])
@login_required
def withdraw(request_id: int):
    row = _load(request_id)
    allow(perm.can_withdraw(current_user, row), hide=True)
    return _act(
        row,
        WithdrawForm(),
        lambda: services.withdraw(current_user, row),
        _("The request is withdrawn."),
        "withdraw_form",
    )


@bp.route("/fund/requests/<int:request_id>/paid", methods=["POST"])
@login_required
def paid(request_id: int):
    row = _load(request_id)
    allow(perm.can_pay(current_user))
    form = PaidForm()
    kept: dict = {}

    def work() -> None:
        upload = form.receipt.data
        if upload and getattr(upload, "filename", ""):
            kept["receipt"] = receipts.keep(upload.read())
        services.record_paid(
            current_user, row, form.how.data, form.note.data or "", kept.get("receipt")
        )

    try:
        response = _act(row, form, work, _("Recorded as paid."), "paid_form", UploadError)
    except BaseException:
        receipts.discard(kept.get("receipt", (None,))[0])
        raise
    if response.status_code != 303:  # not kept: the file goes too
        receipts.discard(kept.get("receipt", (None,))[0])
    return response


@bp.route("/fund/requests/<int:request_id>/receipt")
@login_required
@writes_when_read
def receipt(request_id: int):
    """The receipt of a payment made by card or in cash, for those who may see the request.
    Photos were redrawn when they were kept; PDFs are always downloads. Staff views are
    audited."""
    row = _load(request_id)
    if not row.receipt_name or not receipts.path(row.receipt_name).is_file():
        abort(404)
    audit.record("fund.receipt_viewed", actor=current_user, request=row.id)
    db.session.commit()
    image = (row.receipt_type or "").startswith("image/")
    response = send_file(
        receipts.path(row.receipt_name),
        mimetype=row.receipt_type,
        as_attachment=not image,
        download_name=f"receipt-{row.reference}.{EXTENSIONS[row.receipt_type]}",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/fund/requests/<int:request_id>/follow-up", methods=["GET", "POST"])
@login_required
def follow_up(request_id: int):
    row = _load(request_id)
    allow(perm.can_answer(current_user, row), hide=True)
    form = FollowUpForm()
    if request.method == "GET" and row.helped is not None:
        form.helped.data = "yes" if row.helped else "no"
        form.how.data = row.follow_up
    error = None
    if form.validate_on_submit():
        try:
            services.answer_follow_up(
                current_user, row, form.helped.data == "yes", form.how.data or ""
            )
        except FundError as refused:
            db.session.rollback()
            error = str(refused)
        else:
            db.session.commit()
            flash(_("Thank you. Your answer is kept with the request."), "success")
            return redirect_to(url_for("fund.request", request_id=row.id))
    return render(
        "fund/follow_up.html",
        status=400 if error or form.errors else 200,
        row=row,
        form=form,
        error=error,
    )


def _organisations() -> list[tuple[str, str]]:
    rows = db.session.scalars(
        select(Organisation).where(Organisation.is_active).order_by(Organisation.name)
    )
    return [(str(o.id), o.name) for o in rows]


@bp.route("/fund/requests/<int:request_id>/raise", methods=["GET", "POST"])
@login_required
def raise_item(request_id: int):
    """Put the barrier into the register, rewritten so nobody can be recognised."""
    row = _load(request_id)
    allow(perm.can_raise_item(current_user), hide=True)
    if row.raised_item_id is not None and request.method == "GET":
        flash(_("This request is in the register already."), "info")
        return redirect_to(url_for("changes.item", item_id=row.raised_item_id))
    form = FundRaiseForm()
    form.agency.choices = [("", _("Choose one")), *_organisations(), ("other", _("Other"))]
    if request.method == "GET":
        form.what_happened.data = row.barrier
    error = None
    if form.validate_on_submit():
        agency = form.agency.data
        try:
            item = services.raise_in_register(
                current_user,
                row,
                submission_key=form.submission_key.key,
                title=form.title.data,
                what_happened=form.what_happened.data,
                theme=form.theme.data,
                who_affected=form.who_affected.data or "",
                agency_id=int(agency) if agency.isdigit() else None,
                agency_other=form.agency_other.data or "",
            )
        except FundError as refused:
            db.session.rollback()
            error = str(refused)
        else:
            db.session.commit()
            flash(_("It is in the register. The board will see it."), "success")
            return redirect_to(url_for("changes.item", item_id=item.id))
    return render(
        "fund/raise.html",
        status=400 if error or form.errors else 200,
        row=row,
        form=form,
        error=error,
    )


# The fund's accounts --------------------------------------------------------------------------


#: The ledger lines the accounts page shows (the latest): the downloads have every line.
LEDGER_SHOWN = 100


@bp.route("/fund/accounts")
@login_required
def accounts():
    allow(perm.can_see_accounts(current_user))
    fund = services.current_fund()
    return render(
        "fund/accounts.html",
        fund=fund,
        figures=fund_accounts.accounts(fund, ledger_limit=LEDGER_SHOWN) if fund else None,
        categories=CATEGORY_LABELS,
    )


def _download(body: bytes, kind: str, name: str):
    response = make_response(body)
    response.headers["Content-Type"] = kind
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/fund/accounts.csv")
@login_required
def accounts_csv():
    allow(perm.can_see_accounts(current_user))
    fund = _fund()
    return _download(
        fund_accounts.accounts_csv(fund).encode("utf-8-sig"),
        "text/csv; charset=utf-8",
        "fund.csv",
    )


@bp.route("/fund/accounts.xlsx")
@login_required
def accounts_xlsx():
    allow(perm.can_see_accounts(current_user))
    fund = _fund()
    return _download(
        fund_accounts.accounts_xlsx(fund),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "fund.xlsx",
    )


@bp.route("/fund/money-in", methods=["GET", "POST"])
@login_required
def money_in():
    allow(perm.can_manage_funds(current_user))
    fund = _fund()
    form = ContributionForm()
    error = None
    if form.validate_on_submit():
        try:
            services.add_contribution(
                current_user,
                fund,
                amount=form.amount.data,
                source=form.source.data,
                received_on=form.received_on.data,
                note=form.note.data or "",
                submission_key=form.submission_key.key,
            )
        except FundError as refused:
            db.session.rollback()
            error = str(refused)
        else:
            db.session.commit()
            flash(_("The money is added to the fund."), "success")
            return redirect_to(url_for("fund.accounts"))
    return render(
        "fund/money_in.html",
        status=400 if error or form.errors else 200,
        form=form,
        fund=fund,
        error=error,
    )


@bp.route("/fund/settings", methods=["GET", "POST"])
@login_required
def settings():
    allow(perm.can_manage_funds(current_user))
    fund = services.current_fund()
    form = FundForm(obj=fund if request.method == "GET" else None)
    error = None
    if form.validate_on_submit():
        try:
            services.save_fund(
                current_user,
                fund,
                name=form.name.data,
                purpose=form.purpose.data or "",
                budget=form.budget.data,
                budget_from=form.budget_from.data,
                budget_to=form.budget_to.data,
                single_approval_limit=form.single_approval_limit.data,
            )
        except FundError as refused:
            db.session.rollback()
            error = str(refused)
        else:
            db.session.commit()
            flash(_("The fund is saved."), "success")
            return redirect_to(url_for("fund.accounts"))
    return render(
        "fund/settings.html",
        status=400 if error or form.errors else 200,
        form=form,
        fund=fund,
        error=error,
    )


__all__ = ["PayTo"]
