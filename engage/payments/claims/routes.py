"""Expense claims: a peer claims from a phone in under two minutes; managers claim for a peer
and record cash handed over on the day; managers and finance query, approve or turn down.

Receipts are kept the moment they are uploaded, so a page sent back with a mistake never makes
anyone choose their photo again. A random key in each form makes a double click or a resent
form one claim (or one line); under concurrent clicks the unique key decides, and the losers
are answered with the claim that was made.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, request, send_file, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from engage.core import audit, dates
from engage.core.conflicts import ChangedMeanwhile, check_version, saving
from engage.core.db import writes_when_read
from engage.core.htmx import redirect_to, render
from engage.core.numbers import database_id, database_ids, page_of, requested_id
from engage.core.permissions import allow
from engage.core.uploads import EXTENSIONS, UploadError
from engage.extensions import db
from engage.payments import bp
from engage.payments import permissions as perm
from engage.payments.bank_details import bank_details_for
from engage.payments.claims import links, receipts, services
from engage.payments.claims.forms import (
    AnswerForm,
    ApproveForm,
    CashOnDayForm,
    ConfirmForm,
    LineForm,
    QueryForm,
    QuickClaimForm,
    ReceiptsForm,
    RejectForm,
)
from engage.payments.models import (
    CLAIM_STATE_LABELS,
    WAITING_STATES,
    ClaimLine,
    ClaimState,
    ExpenseClaim,
    IllegalMove,
    PaymentEvent,
    PaymentItem,
    Receipt,
)
from engage.people.models import Role, User, UserRole

PAGE_SIZE = 25

STATE_FILTERS = {
    "waiting": [s.value for s in WAITING_STATES],
    **{s.value: [s.value] for s in ClaimState if s != ClaimState.DRAFT},
    "all": [s.value for s in ClaimState if s != ClaimState.DRAFT],
}


# Loading ----------------------------------------------------------------------------------


def _claim(claim_id: int, lock: bool = False) -> ExpenseClaim:
    """A claim the viewer may see, with its lines and receipts; anything else is 404, so a
    peer cannot learn that another person's claim exists.

    ``lock`` (for changes): on PostgreSQL the row stays locked until the commit, so a second
    press waits and then sees what the first did (on SQLite every POST holds the write lock).
    """
    query = (
        select(ExpenseClaim)
        .options(selectinload(ExpenseClaim.lines).selectinload(ClaimLine.receipts))
        .where(ExpenseClaim.id == claim_id)
    )
    claim = db.session.scalar(query.with_for_update(of=ExpenseClaim) if lock else query)
    if claim is None or not perm.can_view_claim(current_user, claim):
        abort(404)
    return claim


def _claimant_from_request() -> User:
    """Who the claim is for: the viewer, or with ``?for=<id>`` a peer a manager claims for."""
    person_id = requested_id("for")
    if not person_id or person_id == current_user.id:
        allow(perm.can_claim(current_user))
        return current_user._get_current_object()
    person = db.session.get(User, person_id)
    if person is None or not perm.can_claim_for(current_user, person):
        abort(404)
    return person


# Receipts on a form -----------------------------------------------------------------------


def _store_uploads(field_name: str, owner: User) -> tuple[list[Receipt], list[str]]:
    """Check and store each file just sent, and commit them at once: receipts are kept
    whatever happens to the rest of the form, so nobody has to choose a photo twice.

    Returns (receipts stored, problems to show, one per refused file).
    """
    stored, problems = [], []
    for upload in request.files.getlist(field_name):
        if not upload or not upload.filename:
            continue
        data = upload.stream.read(receipts.MAX_RECEIPT_BYTES + 1)
        try:
            stored.append(receipts.store(current_user, owner, data, upload.filename))
        except UploadError as error:
            name = receipts.plain_name(upload.filename) or _("A file")
            problems.append(_("%(file)s: %(problem)s", file=name, problem=error))
    if stored:
        try:
            db.session.commit()
        except Exception:
            db.session.rollback()
            receipts.discard(stored)
            raise
    return stored, problems


def _keep_receipts(form, owner: User) -> tuple[list[Receipt], list[str]]:
    """Receipts for the line: those kept from an earlier try (ids in a hidden field) and
    those just sent. The hidden field is brought up to date for the page's next showing."""
    stored, problems = _store_uploads(form.receipts.name, owner)
    kept = receipts.waiting(owner, database_ids(form.receipt_ids.data) + [r.id for r in stored])
    form.receipt_ids.data = ",".join(str(r.id) for r in kept)
    return kept, problems


def _line_values(form) -> dict:
    """The line's values from a form, with "today"/"yesterday" turned into a date."""
    today = dates.local_today()
    when = form.when.data
    if when == "today":
        spent_on = today
    elif when == "yesterday":
        spent_on = today - timedelta(days=1)
    else:
        spent_on = form.spent_on.data
    return {
        "kind": form.kind.data,
        "spent_on": spent_on,
        "amount": form.amount.data,
        "miles": form.miles.data,
        "description": form.description.data or "",
        "reason": form.reason.data or "",
    }


def _show_line_error(form, error: IllegalMove) -> None:
    """Put a service's message on the field it is about, so it shows where the mistake is."""
    text = str(error)
    lowered = text.lower()
    if "taxi" in lowered:
        field = form.reason
    elif "mile" in lowered:
        field = form.miles
    elif "date" in lowered:
        field = form.spent_on
    elif "receipt" in lowered:
        field = form.receipts
    else:
        field = form.amount
    field.errors = [*field.errors, text]


def _check_when(form) -> bool:
    if form.when.data == "other" and form.spent_on.data is None and not form.spent_on.errors:
        form.spent_on.errors = [_("Enter the day you paid, like 27/11/2026")]
        return False
    return not form.spent_on.errors


# The claims list --------------------------------------------------------------------------


@bp.route("/claims")
@login_required
def claims():
    """A peer's own claims; for managers and finance the queue of claims to decide."""
    mine = request.args.get("mine") == "1" or not perm.sees_all_claims(current_user)
    if mine:
        allow(perm.can_claim(current_user) or perm.sees_all_claims(current_user))
    state = request.args.get("state", "waiting" if not mine else "all")
    if state not in STATE_FILTERS:
        state = "all"
    query = select(ExpenseClaim)
    if mine:
        query = query.where(ExpenseClaim.claimant_id == current_user.id)
        order = ExpenseClaim.id.desc()
    else:
        query = query.where(ExpenseClaim.state.in_(STATE_FILTERS[state]))
        # The queue is oldest first: whoever has waited longest is paid back first.
        order = ExpenseClaim.submitted_at.asc() if state == "waiting" else ExpenseClaim.id.desc()
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = page_of(total, PAGE_SIZE)
    rows = db.session.scalars(
        page.of(query.options(selectinload(ExpenseClaim.claimant)).order_by(order, ExpenseClaim.id))
    ).all()
    return render(
        "payments/claims/list.html",
        claims=rows,
        mine=mine,
        state=state,
        states=STATE_FILTERS,
        total=total,
        page=page.number,
        pages=page.pages,
        # The waiting filter's own count is the number waiting: no second query for it.
        waiting=None if mine else total if state == "waiting" else services.waiting_count(),
    )


# Claiming ---------------------------------------------------------------------------------


def _link_choices(person: User) -> list[tuple[str, str]]:
    choices = [("", _("Not for a meeting"))]
    for value, title, day in links.recent_work(person, dates.local_today()):
        choices.append(
            (value, _("%(title)s, %(date)s", title=title, date=format_date(day, "d MMMM")))
        )
    return choices


def _link_ids(value: str | None) -> dict:
    kind, _sep, ident = (value or "").partition(":")
    number = database_id(ident)
    if number is None:
        return {}
    return {"meeting_id": number} if kind == "meeting" else {"opportunity_id": number}


@bp.route("/claims/new", methods=["GET", "POST"])
@login_required
def new_claim():
    """The one-page claim. "Send claim" sends it; "Save and add another expense" keeps it as a
    draft with this line and goes on to add more."""
    claimant = _claimant_from_request()
    return _claim_form(claimant, QuickClaimForm(), cash=False)


@bp.route("/claims/cash", methods=["GET", "POST"])
@login_required
def cash_on_day():
    """A manager records cash handed to a peer at a meeting, after the event. It still needs
    someone else's approval, and is then paid at once (no run)."""
    allow(perm.can_record_cash_on_day(current_user))
    person_id = requested_id("for")
    claimant = db.session.get(User, person_id) if person_id else None
    if person_id and (claimant is None or not perm.can_claim_for(current_user, claimant)):
        abort(404)
    form = CashOnDayForm()
    if claimant is None:
        return render("payments/claims/choose_person.html", peers=_peers(), cash=True)
    return _claim_form(claimant, form, cash=True)


def _peers() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.PEER.value, User.is_active)
            .order_by(User.username)
            .limit(500)
        )
    )


def _claim_form(claimant: User, form, *, cash: bool):
    on_behalf = claimant.id != current_user.id
    form.link.choices = _link_choices(claimant)
    if request.method == "GET":
        form.method.data = "cash" if cash else services.repay_method_for(claimant)
        form.when.data = "today"
    key = form.submission_key.key
    kept = []
    if form.is_submitted():
        earlier = services.by_key(key)
        if earlier is not None and earlier.claimant_id == claimant.id:
            # A double click or a resent form: the claim exists already.
            return redirect_to(url_for("payments.claim", claim_id=earlier.id))
        kept, problems = _keep_receipts(form, claimant)
        valid = form.validate() and _check_when(form)
        form.receipts.errors = [*form.receipts.errors, *problems]
        if valid and not problems:
            response = _make_claim(form, claimant, key, cash)
            if response is not None:
                return response
            kept = receipts.waiting(claimant, database_ids(form.receipt_ids.data))
    return render(
        "payments/claims/new.html",
        form=form,
        claimant=claimant,
        on_behalf=on_behalf,
        kept=kept,
        cash=cash,
        has_bank_details=_has_bank_details(claimant),
    )


def _make_claim(form, claimant: User, key: str, cash: bool):
    """Make the claim from a valid form; returns the response, or None to show the form again
    with the service's message on the right field."""
    earlier = services.by_key(key)
    if earlier is not None and earlier.claimant_id == claimant.id:
        return redirect_to(url_for("payments.claim", claim_id=earlier.id))
    link = form.link.data or ""
    try:
        claim, _made = services.quick_claim(
            current_user,
            claimant,
            method="cash" if cash else form.method.data,
            purpose=dict(form.link.choices).get(link, "") if link else "",
            receipts=receipts.waiting(claimant, database_ids(form.receipt_ids.data)),
            submission_key=key,
            send=cash or bool(form.send.data),
            paid_on_day=cash,
            signature_note=form.signature_note.data if cash else "",
            **_link_ids(link),
            **_line_values(form),
        )
        db.session.commit()
    except IllegalMove as error:
        db.session.rollback()
        _show_line_error(form, error)
        return None
    if cash:
        flash(_("Cash paid recorded. Someone else needs to approve it."), "success")
    elif claim.state_enum == ClaimState.SUBMITTED:
        flash(_sent(claim), "success")
    else:
        flash(_("Expense saved. Add another, then send the claim."), "success")
    if claim.state_enum == ClaimState.DRAFT:
        return redirect_to(url_for("payments.new_line", claim_id=claim.id))
    return redirect_to(url_for("payments.claim", claim_id=claim.id))


def _sent(claim: ExpenseClaim) -> str:
    """What the person who sent a claim reads: a manager sending it for a peer is told about
    the peer, who is the one told when it is approved."""
    if claim.claimant_id == current_user.id:
        return _("Claim %(ref)s sent. We will tell you when it is approved.", ref=claim.reference)
    return _(
        "Claim %(ref)s sent for %(name)s. We will tell %(name)s when it is approved.",
        ref=claim.reference,
        name=claim.claimant.display_name,
    )


def _has_bank_details(person: User) -> bool:
    return bank_details_for(person) is not None


# One claim --------------------------------------------------------------------------------


@bp.route("/claims/<int:claim_id>")
@login_required
@writes_when_read
def claim(claim_id: int):
    claim = _claim(claim_id)
    if current_user.id != claim.claimant_id:
        audit.record("claim.viewed", actor=current_user, subject=claim.claimant, claim=claim.id)
        db.session.commit()
        claim = _claim(claim_id)
    return render("payments/claims/claim.html", **_claim_page_context(claim))


@bp.route("/claims/<int:claim_id>/lines/new", methods=["GET", "POST"])
@login_required
def new_line(claim_id: int):
    claim = _claim(claim_id)
    allow(perm.can_edit_claim(current_user, claim))
    form = LineForm()
    if request.method == "GET":
        form.when.data = "today"
    key = form.submission_key.key
    kept = []
    if form.is_submitted():
        kept, problems = _keep_receipts(form, claim.claimant)
        valid = form.validate() and _check_when(form)
        form.receipts.errors = [*form.receipts.errors, *problems]
        if valid and not problems:
            claim = _claim(claim_id, lock=True)
            try:
                services.add_line(
                    current_user,
                    claim,
                    receipts=receipts.waiting(claim.claimant, database_ids(form.receipt_ids.data)),
                    submission_key=key,
                    **_line_values(form),
                )
                db.session.commit()
            except IllegalMove as error:
                db.session.rollback()
                _show_line_error(form, error)
            else:
                flash(_("Expense added."), "success")
                return redirect_to(url_for("payments.claim", claim_id=claim_id))
            claim = _claim(claim_id)
            kept = receipts.waiting(claim.claimant, database_ids(form.receipt_ids.data))
    return render("payments/claims/line.html", form=form, claim=claim, kept=kept)


@bp.route("/claims/<int:claim_id>/lines/<int:line_id>/remove", methods=["POST"])
@login_required
def remove_line(claim_id: int, line_id: int):
    claim = _claim(claim_id, lock=True)
    allow(perm.can_edit_claim(current_user, claim))
    line = next((line for line in claim.lines if line.id == line_id), None)
    if line is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            names = services.remove_line(current_user, claim, line)
        except IllegalMove as error:
            db.session.rollback()
            flash(str(error), "info")
        else:
            db.session.commit()
            receipts.discard_names(names)
            flash(_("Expense removed."), "success")
    return redirect_to(url_for("payments.claim", claim_id=claim_id))


@bp.route("/claims/<int:claim_id>/lines/<int:line_id>/receipts", methods=["POST"])
@login_required
def add_receipts(claim_id: int, line_id: int):
    """Add receipts to a line, for example when answering a question about a claim."""
    claim = _claim(claim_id)
    # Who may, whatever the claim's state: a decided claim is refused by the service, with a
    # message.
    allow(perm.can_act_for_claimant(current_user, claim))
    line = next((line for line in claim.lines if line.id == line_id), None)
    if line is None:
        abort(404)
    if ReceiptsForm().validate_on_submit():
        stored, problems = _store_uploads("receipts", claim.claimant)
        for problem in problems:
            flash(problem, "info")
        if stored:
            claim = _claim(claim_id)
            line = next(line for line in claim.lines if line.id == line_id)
            try:
                services.add_receipts(
                    current_user,
                    claim,
                    line,
                    receipts.waiting(claim.claimant, [r.id for r in stored]),
                )
                db.session.commit()
            except IllegalMove as error:
                db.session.rollback()
                flash(str(error), "info")
            else:
                flash(_("Receipt added."), "success")
        elif not problems:
            flash(_("Choose a photo or PDF first."), "info")
    return redirect_to(url_for("payments.claim", claim_id=claim_id))


@bp.route("/claims/<int:claim_id>/receipts/<int:receipt_id>")
@login_required
@writes_when_read
def receipt(claim_id: int, receipt_id: int):
    """A receipt, only for those who may see its claim. Photos were redrawn when they were
    uploaded, so they are safe to show in the page; PDFs are always downloads."""
    claim = _claim(claim_id)
    allow(perm.can_view_receipt(current_user, claim), hide=True)
    row = db.session.get(Receipt, receipt_id)
    if row is None or row.line is None or row.line.claim_id != claim.id:
        abort(404)
    path = receipts.path(row)
    if not path.is_file():
        abort(404)
    image = row.content_type.startswith("image/")
    if current_user.id != claim.claimant_id:
        audit.record("receipt.viewed", actor=current_user, subject=claim.claimant, receipt=row.id)
        db.session.commit()
    response = send_file(
        path,
        mimetype=row.content_type,
        as_attachment=not image,
        download_name=f"receipt-{claim.reference}-{row.id}.{EXTENSIONS[row.content_type]}",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/claims/<int:claim_id>/submit", methods=["POST"])
@login_required
def submit_claim(claim_id: int):
    claim = _claim(claim_id, lock=True)
    if claim.state_enum != ClaimState.DRAFT:
        return redirect_to(url_for("payments.claim", claim_id=claim_id))  # sent already
    allow(perm.can_edit_claim(current_user, claim))
    if ConfirmForm().validate_on_submit():
        try:
            services.submit(current_user, claim)
        except IllegalMove as error:
            db.session.rollback()
            flash(str(error), "info")
        else:
            db.session.commit()
            flash(_sent(claim), "success")
    return redirect_to(url_for("payments.claim", claim_id=claim_id))


@bp.route("/claims/<int:claim_id>/delete", methods=["GET", "POST"])
@login_required
def delete_claim(claim_id: int):
    claim = _claim(claim_id)
    allow(perm.can_edit_claim(current_user, claim) and claim.state_enum == ClaimState.DRAFT)
    form = ConfirmForm()
    if form.validate_on_submit():
        names = services.delete_draft(current_user, claim)
        db.session.commit()
        receipts.discard_names(names)
        flash(_("Claim deleted."), "success")
        return redirect_to(url_for("payments.claims"))
    return render("payments/claims/delete.html", form=form, claim=claim)


@bp.route("/claims/<int:claim_id>/answer", methods=["POST"])
@login_required
def answer_claim(claim_id: int):
    claim = _claim(claim_id, lock=True)
    if claim.state_enum != ClaimState.QUERIED:
        flash(_("This claim has no question waiting."), "info")
        return redirect_to(url_for("payments.claim", claim_id=claim_id))
    allow(perm.can_answer_query(current_user, claim))
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            with saving():
                services.answer(current_user, claim, form.answer.data)
        except ChangedMeanwhile as error:
            flash(str(error), "info")
        else:
            flash(
                _("Thank you. Your answer is sent.")
                if claim.claimant_id == current_user.id
                else _("Answer sent for %(name)s.", name=claim.claimant.display_name),
                "success",
            )
            return redirect_to(url_for("payments.claim", claim_id=claim_id))
    claim = _claim(claim_id)
    return render(
        "payments/claims/claim.html",
        **_claim_page_context(claim, answer_form=form),
    )


def _claim_page_context(claim: ExpenseClaim, **forms) -> dict:
    """The claim page's context; ``forms`` replace the empty ones (to show errors)."""
    events = db.session.scalars(
        select(PaymentEvent)
        .options(selectinload(PaymentEvent.actor))
        .where(PaymentEvent.claim_id == claim.id)
        .order_by(PaymentEvent.at, PaymentEvent.id)
    ).all()
    paid_item = None
    if claim.state_enum == ClaimState.PAID:
        paid_item = db.session.scalar(
            select(PaymentItem)
            .options(selectinload(PaymentItem.run))
            .where(PaymentItem.claim_id == claim.id, PaymentItem.reverses_id.is_(None))
            .order_by(PaymentItem.id.desc())
            .limit(1)
        )
    decide = perm.can_decide_claim(current_user, claim)
    own = claim.claimant_id == current_user.id
    context = {
        "claim": claim,
        "events": events,
        "labels": CLAIM_STATE_LABELS,
        "paid_item": paid_item,
        "can_edit": perm.can_edit_claim(current_user, claim),
        "can_answer": perm.can_answer_query(current_user, claim),
        "can_decide": decide and claim.state_enum in WAITING_STATES,
        "can_approve": perm.can_approve_claim(current_user, claim),
        "can_add_receipts": perm.can_add_receipts(current_user, claim),
        "own_claim": own,
        "answer_form": AnswerForm(formdata=None),
        "approve_form": ApproveForm(formdata=None, version=str(claim.version)),
        "confirm_form": ConfirmForm(formdata=None),
        "receipts_form": ReceiptsForm(formdata=None),
        "has_bank_details": _has_bank_details(claim.claimant),
        "can_give_bank_details": perm.can_edit_bank_details(current_user, claim.claimant),
        "finance_links": perm.can_use_finance(current_user),
    }
    context.update(forms)
    if "answer_form" in forms:
        context["form"] = forms["answer_form"]  # for the error summary
    return context


# Decisions --------------------------------------------------------------------------------


def _decision(claim_id: int, form_class, template: str, action):
    claim = _claim(claim_id, lock=request.method == "POST")
    allow(perm.can_decide_claim(current_user, claim))
    form = form_class()
    if request.method == "GET":
        form.version.data = str(claim.version)
    if form.validate_on_submit():
        try:
            with saving():
                check_version(claim, form.version.data)
                done = action(claim, form)
        except ChangedMeanwhile as error:
            flash(str(error), "info")
        except IllegalMove as error:
            db.session.rollback()
            if template is None:
                flash(str(error), "info")
                return redirect_to(url_for("payments.claim", claim_id=claim_id))
            # The message belongs to the form's text (a question or a reason left blank).
            field = next(f for f in form if f.type == "TextAreaField")
            field.errors = [*field.errors, str(error)]
            return render(template, form=form, claim=_claim(claim_id))
        else:
            flash(done, "success")
        return redirect_to(url_for("payments.claim", claim_id=claim_id))
    if template is None:
        return redirect_to(url_for("payments.claim", claim_id=claim_id))
    return render(template, form=form, claim=claim)


@bp.route("/claims/<int:claim_id>/approve", methods=["POST"])
@login_required
def approve_claim(claim_id: int):
    def act(claim, form):
        services.approve(current_user, claim)
        return _("Claim %(ref)s approved.", ref=claim.reference)

    return _decision(claim_id, ApproveForm, None, act)


@bp.route("/claims/<int:claim_id>/query", methods=["GET", "POST"])
@login_required
def query_claim(claim_id: int):
    def act(claim, form):
        services.query(current_user, claim, form.question.data)
        return _("Question sent to %(name)s.", name=claim.claimant.display_name)

    return _decision(claim_id, QueryForm, "payments/claims/query.html", act)


@bp.route("/claims/<int:claim_id>/reject", methods=["GET", "POST"])
@login_required
def reject_claim(claim_id: int):
    def act(claim, form):
        services.reject(current_user, claim, form.reason.data)
        return _("Claim %(ref)s not approved. They have been told why.", ref=claim.reference)

    return _decision(claim_id, RejectForm, "payments/claims/reject.html", act)
