"""Payment settings pages: the rate card (``/payments/rates``), mileage rates, benefits
thresholds and the wording of the benefits letter.

Admins and finance keep the rate card and mileage rates; admins keep the thresholds and the
letter; managers may look at the figures. Every setting is dated, because the figures change
(thresholds every April) and time already given keeps the amount it was recorded with.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, current_app, flash, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from engage.core import dates
from engage.core.htmx import redirect_to, render
from engage.core.permissions import allow
from engage.extensions import db
from engage.payments import benefits_letter, bp, rate_card
from engage.payments.models import (
    ACTIVITY_LABELS,
    PERIOD_LABELS,
    UNIT_LABELS,
    Activity,
    IllegalMove,
    MileageRate,
    Rate,
    Threshold,
)
from engage.payments.permissions import (
    can_edit_letter,
    can_manage_rates,
    can_manage_thresholds,
    can_view_rates,
    can_view_thresholds,
)
from engage.payments.settings.forms import (
    ConfirmForm,
    CorrectRateForm,
    EndRateForm,
    LetterForm,
    MileageForm,
    RateForm,
    ThresholdForm,
)
from engage.payments.thresholds import add_threshold, thresholds_need_checking, update_threshold


def _actor():
    return current_user._get_current_object()


def _when(row: Any, today: date) -> str:
    """Where a dated row stands today: "now", "past" or "future"."""
    if row.effective_from > today:
        return "future"
    if row.effective_to is not None and row.effective_to < today:
        return "past"
    return "now"


def _labels() -> dict[str, Any]:
    return {
        "activities": {k.value: v for k, v in ACTIVITY_LABELS.items()},
        "units": {k.value: v for k, v in UNIT_LABELS.items()},
        "periods": {k.value: v for k, v in PERIOD_LABELS.items()},
        "settings_nav": _settings_nav(),
    }


def _settings_nav() -> list[tuple[str, str, str]]:
    """The settings pages this person may open: (endpoint, url, label)."""
    pages = []
    if can_view_rates(current_user):
        pages += [
            ("payments.rates", url_for("payments.rates"), _("Rate card")),
            ("payments.mileage", url_for("payments.mileage"), _("Mileage rates")),
        ]
    if can_view_thresholds(current_user):
        pages.append(
            ("payments.thresholds", url_for("payments.thresholds"), _("Benefits thresholds"))
        )
    if can_edit_letter(current_user):
        pages.append(
            ("payments.letter_wording", url_for("payments.letter_wording"), _("Benefits letter"))
        )
    return pages


# The rate card -------------------------------------------------------------------------------


@bp.route("/payments/rates")
@login_required
def rates():
    allow(can_view_rates(current_user))
    today = dates.local_today()
    every = db.session.scalars(
        select(Rate).order_by(Rate.activity, Rate.effective_from.desc(), Rate.id.desc())
    ).all()
    by_activity: dict[str, list[Rate]] = {a.value: [] for a in Activity}
    for rate in every:
        by_activity.setdefault(rate.activity, []).append(rate)
    card = [
        {
            "activity": key,
            "current": next((r for r in rows if r.in_force(today)), None),
            "rows": rows,
        }
        for key, rows in by_activity.items()
    ]
    return render(
        "payments/rates/rates.html",
        card=card,
        today=today,
        when=lambda row: _when(row, today),
        manage=can_manage_rates(current_user),
        **_labels(),
    )


def _same_rate_exists(form: RateForm) -> bool:
    """A resent form: the very rate it describes was saved a moment ago."""
    return bool(
        db.session.scalar(
            select(func.count(Rate.id)).where(
                Rate.activity == form.activity.data,
                Rate.unit == form.unit.data,
                Rate.amount == form.amount.data,
                Rate.includes_preparation.is_(form.includes_preparation.data == "yes"),
                Rate.effective_from == form.effective_from.data,
            )
        )
    )


@bp.route("/payments/rates/new", methods=["GET", "POST"])
@login_required
def new_rate():
    allow(can_manage_rates(current_user))
    form = RateForm()
    if request.method == "GET":
        activity = request.args.get("activity", "")
        if activity in {a.value for a in Activity}:
            form.activity.data = activity
    if form.validate_on_submit():
        try:
            rate_card.add_rate(
                _actor(),
                activity=form.activity.data,
                unit=form.unit.data,
                amount=form.amount.data,
                includes_preparation=form.includes_preparation.data == "yes",
                effective_from=form.effective_from.data,
                note=form.note.data or "",
            )
        except IllegalMove as error:
            db.session.rollback()
            if not _same_rate_exists(form):
                form.effective_from.errors.append(str(error))
                return render("payments/rates/rate_new.html", form=form)
        else:
            db.session.commit()
        flash(
            _(
                "Rate added. Time given from %(date)s is paid at it.",
                date=format_date(form.effective_from.data, "long"),
            ),
            "success",
        )
        return redirect_to(url_for("payments.rates") + f"#{form.activity.data}")
    return render("payments/rates/rate_new.html", form=form)


def _load_rate(rate_id: int) -> Rate:
    rate = db.session.get(Rate, rate_id)
    if rate is None:
        abort(404)
    return rate


def _rate_page(rate: Rate, correct_form=None, end_form=None, posted=None):  # noqa: ANN001
    """The page to correct or end a rate; ``posted`` is the form just sent (for the error
    summary)."""
    in_use = rate_card.rate_in_use(rate)
    if correct_form is None:
        correct_form = CorrectRateForm(formdata=None)
        correct_form.unit.data = rate.unit
        correct_form.amount.data = rate.amount
        correct_form.includes_preparation.data = "yes" if rate.includes_preparation else "no"
        correct_form.note.data = rate.note
    if end_form is None:
        end_form = EndRateForm(formdata=None, prefix="end")
        end_form.last_day.data = rate.effective_to
    return render(
        "payments/rates/rate_edit.html",
        rate=rate,
        in_use=in_use,
        correct_form=correct_form,
        end_form=end_form,
        form=posted,
        **_labels(),
    )


@bp.route("/payments/rates/<int:rate_id>/edit", methods=["GET", "POST"])
@login_required
def edit_rate(rate_id: int):
    allow(can_manage_rates(current_user))
    rate = _load_rate(rate_id)
    if request.method == "GET":
        return _rate_page(rate)
    form = CorrectRateForm()
    if form.validate_on_submit():
        try:
            rate_card.correct_rate(
                _actor(),
                rate,
                unit=form.unit.data,
                amount=form.amount.data,
                includes_preparation=form.includes_preparation.data == "yes",
                note=form.note.data or "",
            )
        except IllegalMove as error:
            db.session.rollback()
            form.amount.errors.append(str(error))
            rate = _load_rate(rate_id)
        else:
            db.session.commit()
            flash(_("The rate has been corrected."), "success")
            return redirect_to(url_for("payments.rates") + f"#{rate.activity}")
    return _rate_page(rate, correct_form=form, posted=form)


@bp.route("/payments/rates/<int:rate_id>/end", methods=["POST"])
@login_required
def end_rate(rate_id: int):
    allow(can_manage_rates(current_user))
    rate = _load_rate(rate_id)
    form = EndRateForm(prefix="end")
    if form.validate_on_submit():
        try:
            rate_card.end_rate(_actor(), rate, form.last_day.data)
        except IllegalMove as error:
            db.session.rollback()
            form.last_day.errors.append(str(error))
            rate = _load_rate(rate_id)
        else:
            db.session.commit()
            flash(
                _(
                    "The rate ends on %(date)s.",
                    date=format_date(form.last_day.data, "long"),
                ),
                "success",
            )
            return redirect_to(url_for("payments.rates") + f"#{rate.activity}")
    return _rate_page(rate, end_form=form, posted=form)


# Mileage rates -------------------------------------------------------------------------------


def _same_mileage_exists(form: MileageForm) -> bool:
    return bool(
        db.session.scalar(
            select(func.count(MileageRate.id)).where(
                MileageRate.per_mile == form.per_mile.data,
                MileageRate.effective_from == form.effective_from.data,
            )
        )
    )


@bp.route("/payments/mileage", methods=["GET", "POST"])
@login_required
def mileage():
    allow(can_view_rates(current_user))
    manage = can_manage_rates(current_user)
    form = MileageForm() if manage else None
    if request.method == "POST":
        allow(manage)
        if form.validate_on_submit():
            try:
                rate_card.add_mileage_rate(
                    _actor(),
                    per_mile=form.per_mile.data,
                    effective_from=form.effective_from.data,
                    note=form.note.data or "",
                )
            except IllegalMove as error:
                db.session.rollback()
                if not _same_mileage_exists(form):
                    form.effective_from.errors.append(str(error))
            else:
                db.session.commit()
            if not form.errors:
                flash(_("Mileage rate added."), "success")
                return redirect_to(url_for("payments.mileage"))
    today = dates.local_today()
    rows = db.session.scalars(
        select(MileageRate).order_by(MileageRate.effective_from.desc(), MileageRate.id.desc())
    ).all()
    return render(
        "payments/rates/mileage.html",
        rows=rows,
        form=form,
        manage=manage,
        when=lambda row: _when(row, today),
        settings_nav=_settings_nav(),
    )


# Benefits thresholds -------------------------------------------------------------------------


@bp.route("/payments/thresholds")
@login_required
def thresholds():
    allow(can_view_thresholds(current_user))
    today = dates.local_today()
    rows = db.session.scalars(
        select(Threshold).order_by(
            func.lower(Threshold.label), Threshold.period, Threshold.effective_from.desc()
        )
    ).all()
    return render(
        "payments/rates/thresholds.html",
        rows=rows,
        need_checking=thresholds_need_checking(today),
        manage=can_manage_thresholds(current_user),
        when=lambda row: _when(row, today),
        **_labels(),
    )


def _threshold_values(form: ThresholdForm) -> dict[str, Any]:
    return {
        "label": form.label.data,
        "period": form.period.data,
        "amount": form.amount.data,
        "effective_from": form.effective_from.data,
        "effective_to": form.effective_to.data,
        "source_note": form.source_note.data or "",
    }


def _same_threshold_exists(form: ThresholdForm) -> bool:
    return bool(
        db.session.scalar(
            select(func.count(Threshold.id)).where(
                func.lower(Threshold.label) == form.label.data.strip().lower(),
                Threshold.period == form.period.data,
                Threshold.amount == form.amount.data,
                Threshold.effective_from == form.effective_from.data,
            )
        )
    )


def _threshold_error(form: ThresholdForm, error: IllegalMove) -> None:
    """Show a refusal on the field it is about."""
    message = str(error)
    if message == _("The end date must be after the start date."):
        form.effective_to.errors.append(message)
    elif message == _("A threshold must be more than £0."):
        form.amount.errors.append(message)
    else:
        form.effective_from.errors.append(message)


@bp.route("/payments/thresholds/new", methods=["GET", "POST"])
@login_required
def new_threshold():
    allow(can_manage_thresholds(current_user))
    form = ThresholdForm()
    if form.validate_on_submit():
        try:
            add_threshold(_actor(), **_threshold_values(form))
        except IllegalMove as error:
            db.session.rollback()
            if not _same_threshold_exists(form):
                _threshold_error(form, error)
        else:
            db.session.commit()
        if not form.errors:
            flash(_("Threshold saved."), "success")
            return redirect_to(url_for("payments.thresholds"))
    return render("payments/rates/threshold_form.html", form=form, threshold=None)


@bp.route("/payments/thresholds/<int:threshold_id>/edit", methods=["GET", "POST"])
@login_required
def edit_threshold(threshold_id: int):
    allow(can_manage_thresholds(current_user))
    threshold = db.session.get(Threshold, threshold_id)
    if threshold is None:
        abort(404)
    form = ThresholdForm(obj=threshold)
    if form.validate_on_submit():
        try:
            update_threshold(_actor(), threshold, **_threshold_values(form))
        except IllegalMove as error:
            db.session.rollback()
            _threshold_error(form, error)
            threshold = db.session.get(Threshold, threshold_id)
        else:
            db.session.commit()
            flash(_("Threshold saved."), "success")
            return redirect_to(url_for("payments.thresholds"))
    return render("payments/rates/threshold_form.html", form=form, threshold=threshold)


# The benefits letter -------------------------------------------------------------------------


def sample_letter(wording: str) -> str:
    """The wording filled in for a made-up person, to preview."""
    return benefits_letter.fill_letter(
        wording,
        name=_("Sam Example"),
        partnership=current_app.config["PARTNERSHIP_NAME"],
        date=format_date(dates.local_today(), "long"),
    )


@bp.route("/payments/letter", methods=["GET", "POST"])
@login_required
def letter_wording():
    allow(can_edit_letter(current_user))
    if request.method == "POST" and request.form.get("action") == "standard":
        confirm = ConfirmForm()
        if not confirm.validate_on_submit():
            abort(400)
        benefits_letter.set_letter_wording(_actor(), benefits_letter.DEFAULT_LETTER)
        db.session.commit()
        flash(_("The standard wording has been put back."), "success")
        return redirect_to(url_for("payments.letter_wording"))
    form = LetterForm()
    if request.method == "GET":
        form.wording.data = benefits_letter.letter_wording()
    if form.validate_on_submit():
        # Browsers send line breaks as \r\n; keep the stored wording plain.
        benefits_letter.set_letter_wording(_actor(), form.wording.data.replace("\r\n", "\n"))
        db.session.commit()
        flash(_("The letter's wording has been saved."), "success")
        return redirect_to(url_for("payments.letter_wording"))
    current = benefits_letter.letter_wording()
    return render(
        "payments/rates/letter.html",
        form=form,
        preview=sample_letter(current),
        is_standard=current.strip() == benefits_letter.DEFAULT_LETTER.strip(),
        settings_nav=_settings_nav(),
    )
