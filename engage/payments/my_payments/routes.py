"""A person's own payments: what they have earned in plain words, their time and whether they
want to be paid for it, a printable statement, the letter for their benefits adviser, and
their bank details.

Every page is served at ``/me/...`` for the person and at ``/people/<id>/...`` for a manager
working with a peer (or finance looking, read only). A manager's changes are recorded as made
on the person's behalf. Anyone else asking for someone's page gets 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from engage.core import dates
from engage.core.htmx import redirect_to, render
from engage.core.numbers import page_of, requested_page
from engage.core.permissions import allow
from engage.extensions import db
from engage.payments import analysis, benefits_letter, bp, earnings
from engage.payments.bank_details import (
    SORT_CODE,
    bank_details_for,
    clean_digits,
    set_bank_details,
    view_bank_details,
)
from engage.payments.filters import duration
from engage.payments.models import (
    ITEM_KIND_LABELS,
    METHOD_LABELS,
    IllegalMove,
    InvolvementRecord,
    Period,
    RecordStatus,
    period_bounds,
)
from engage.payments.my_payments.forms import BankDetailsForm, ConfirmForm, StatementForm
from engage.payments.permissions import (
    can_decline_record,
    can_edit_bank_details,
    can_see_bank_details,
    can_view_earnings,
)
from engage.payments.time_given import services as time_given
from engage.people.models import PAYMENT_LABELS, PaymentPreference, User
from engage.people.permissions import can_act_on_behalf, can_edit_profile
from engage.people.reauth import ask_again, confirmation_redirect, recently_confirmed

PAGE_SIZE = 20

#: Records the person can still say they do not want to be paid for (until they are in a run).
DECLINABLE = (RecordStatus.PENDING.value, RecordStatus.APPROVED.value)


def person_route(rule: str, endpoint: str, methods: tuple[str, ...] = ("GET",)):
    """Register a view at ``/me<rule>`` and at ``/people/<id><rule>`` under one endpoint, like
    the profile pages: the same page for the person and for staff working with them."""

    def register(view: Callable) -> Callable:
        guarded = login_required(view)
        bp.add_url_rule(f"/me{rule}", endpoint, guarded, methods=list(methods))
        bp.add_url_rule(f"/people/<int:person_id>{rule}", endpoint, guarded, methods=list(methods))
        return view

    return register


def _person(person_id: int | None, may_open: Callable[[Any, Any], bool] = can_view_earnings):
    """The person whose page this is, once the viewer may open it; otherwise 404, so the page
    does not reveal that the person exists."""
    if person_id is None:
        return current_user._get_current_object()
    person = db.session.get(User, person_id)
    if person is None or not may_open(current_user, person):
        abort(404)
    return person


def _pid(person: User) -> dict[str, int]:
    """URL arguments for this person's pages: none for one's own."""
    return {} if person.id == current_user.id else {"person_id": person.id}


def _context(person: User, **extra: Any) -> dict[str, Any]:
    own = person.id == current_user.id
    return {
        "person": person,
        "own": own,
        "on_behalf": not own and can_act_on_behalf(current_user, person),
        "pid": _pid(person),
        **extra,
    }


def _hours(record: InvolvementRecord) -> str:
    if record.minutes is None:
        return _("Not recorded")
    return duration(record.minutes)


def _bank_status(person: User, where: str) -> dict[str, Any]:
    """Whether bank details are given, and (masked, the view audited) what they are for those
    who may see them: the person and finance. Others learn only "given" or "not given"."""
    if can_see_bank_details(current_user, person):
        details = view_bank_details(current_user, person, where)
        if details is not None:
            db.session.commit()  # the audit entry of this view
        return {"shown": True, "details": details, "given": details is not None}
    return {
        "shown": False,
        "details": None,
        "given": bank_details_for(person) is not None,
    }


# The payments page ---------------------------------------------------------------------------


@person_route("/payments", "my_payments")
def my_payments(person_id: int | None = None):
    person = _person(person_id)
    today = dates.local_today()
    totals = earnings.totals(person.id, today)
    months = earnings.monthly_earnings(person.id, totals.tax_year_start, today)
    query = select(InvolvementRecord).where(InvolvementRecord.person_id == person.id)
    total = db.session.scalar(
        select(func.count(InvolvementRecord.id)).where(InvolvementRecord.person_id == person.id)
    )
    page = page_of(total, PAGE_SIZE)
    records = db.session.scalars(
        page.of(query.order_by(InvolvementRecord.activity_date.desc(), InvolvementRecord.id.desc()))
    ).all()
    preference = person.profile.payment_preference if person.profile else None
    bank = (
        _bank_status(person, "payments page")
        if preference == PaymentPreference.BANK.value
        else None
    )
    may_choose = {r.id: can_decline_record(current_user, r) for r in records}
    return render(
        "payments/earnings/payments.html",
        **_context(
            person,
            totals=totals,
            months=months,
            records=records,
            page=page.number,
            pages=page.pages,
            total=total,
            preference=preference,
            preference_label=PAYMENT_LABELS.get(preference) if preference else None,
            can_change_preference=can_edit_profile(current_user, person),
            bank=bank,
            can_edit_bank=can_edit_bank_details(current_user, person),
            may_choose=may_choose,
            declinable=DECLINABLE,
            hours=_hours,
        ),
    )


def _choose(person_id: int | None, record_id: int, decline: bool):
    """Decline or accept payment for one record: the same steps either way."""
    person = _person(person_id)
    record = db.session.get(InvolvementRecord, record_id)
    if record is None or record.person_id != person.id:
        abort(404)
    allow(can_decline_record(current_user, record))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    change = time_given.decline_record if decline else time_given.accept_record
    try:
        change(current_user._get_current_object(), record)
    except IllegalMove as error:
        db.session.rollback()
        flash(str(error), "warning")
    else:
        db.session.commit()
        if person.id != current_user.id:  # a manager for a peer (assisted digital)
            if decline:
                message = _(
                    "Done. %(name)s's time is kept as declined, at £0. They can change their "
                    "mind until it is paid.",
                    name=person.display_name,
                )
            else:
                message = _(
                    "Done. %(name)s will be paid for this once it has been approved.",
                    name=person.display_name,
                )
        elif decline:
            message = _(
                "Done. This is kept as declined, at £0. You can change your mind until it is paid."
            )
        else:
            message = _("Done. You will be paid for this once it has been approved.")
        flash(message, "success")
    page = requested_page()
    args = {**_pid(person), **({"page": page} if page > 1 else {})}
    return redirect_to(url_for("payments.my_payments", **args) + f"#record-{record_id}")


@person_route("/payments/<int:record_id>/decline", "decline_record", methods=("POST",))
def decline_record(record_id: int, person_id: int | None = None):
    return _choose(person_id, record_id, decline=True)


@person_route("/payments/<int:record_id>/accept", "accept_record", methods=("POST",))
def accept_record(record_id: int, person_id: int | None = None):
    return _choose(person_id, record_id, decline=False)


# The statement and the letter ------------------------------------------------------------------


@person_route("/payments/statement", "statement")
def statement(person_id: int | None = None):
    person = _person(person_id)
    today = dates.local_today()
    year_start, year_end = period_bounds(Period.TAX_YEAR, today)
    if "start" in request.args or "end" in request.args:
        form = StatementForm(formdata=request.args)
        valid = form.validate()
    else:
        form = StatementForm(formdata=None, data={"start": year_start, "end": year_end})
        valid = True
    paid = analysis.paid_to(person.id, form.start.data, form.end.data) if valid else None
    return render(
        "payments/earnings/statement.html",
        **_context(
            person,
            form=form,
            paid=paid,
            start=form.start.data if valid else None,
            end=form.end.data if valid else None,
            today=today,
            kinds={k.value: v for k, v in ITEM_KIND_LABELS.items()},
            methods={k.value: v for k, v in METHOD_LABELS.items()},
        ),
    )


@person_route("/payments/letter", "letter")
def letter(person_id: int | None = None):
    person = _person(person_id)
    # Admin-typed wording: the template escapes it and keeps its line breaks.
    text = benefits_letter.fill_letter(
        benefits_letter.letter_wording(),
        name=person.display_name,
        partnership=current_app.config["PARTNERSHIP_NAME"],
        date=format_date(dates.local_today(), "long"),
    )
    return render("payments/earnings/letter.html", **_context(person, letter=text))


# Bank details --------------------------------------------------------------------------------


def _may_open_bank_details(user: Any, person: Any) -> bool:
    return can_edit_bank_details(user, person) or can_see_bank_details(user, person)


def _bank_error_field(form: BankDetailsForm):
    """The field a refusal is about: the sort code when that is wrong, else the number."""
    sort_code = clean_digits(form.sort_code.data or "")
    if not SORT_CODE.match(sort_code):
        return form.sort_code
    return form.account_number


@person_route("/bank-details", "bank_details", methods=("GET", "POST"))
def bank_details(person_id: int | None = None):
    person = _person(person_id, may_open=_may_open_bank_details)
    can_edit = can_edit_bank_details(current_user, person)
    # The form never starts with the numbers we hold: only what was typed comes back.
    form = BankDetailsForm() if can_edit else None
    if request.method == "GET" and can_edit and (ask := confirmation_redirect()) is not None:
        # Asked before the form is shown, so nothing typed is lost.
        return ask
    if request.method == "POST":
        allow(can_edit)
        confirmed = recently_confirmed(current_user)
        if not confirmed:
            # The few minutes ran out while they typed: keep what they typed, save nothing.
            ask_again(url_for("payments.bank_details", **_pid(person)))
        if form.validate_on_submit() and confirmed:
            try:
                set_bank_details(
                    current_user._get_current_object(),
                    person,
                    account_name=form.account_name.data,
                    sort_code=form.sort_code.data,
                    account_number=form.account_number.data,
                    roll_number=form.roll_number.data or "",
                )
            except IllegalMove as error:
                db.session.rollback()
                _bank_error_field(form).errors.append(str(error))
            else:
                db.session.commit()
                flash(
                    _("Your bank details have been saved.")
                    if person.id == current_user.id
                    else _("Bank details saved for %(name)s.", name=person.display_name),
                    "success",
                )
                return redirect_to(url_for("payments.my_payments", **_pid(person)))
    return render(
        "payments/earnings/bank_details.html",
        **_context(person, form=form, can_edit=can_edit, bank=_bank_status(person, "bank page")),
    )
