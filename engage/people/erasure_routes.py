"""Admin pages for erasure and retention: ``/people/<id>/erase`` (erase one person, after
saying plainly what goes and what stays) and ``/admin/retention`` (the retention rules, their
settings and what each will do next)."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange

from engage.core.db import utcnow
from engage.core.forms import Form, GovTextArea, GovTextInput, IntegerField, at_most, submit
from engage.core.htmx import redirect_to, render
from engage.core.permissions import allow
from engage.extensions import db
from engage.people import bp, erasure, retention
from engage.people.models import User
from engage.people.permissions import can_change_retention, can_erase_people
from engage.people.reauth import ask_again, confirmation_redirect, recently_confirmed


class EraseForm(Form):
    reason = TextAreaField(
        _l("Why are you erasing this person?"),
        description=_l(
            "For example: they asked us to forget them. This is kept in the audit log, "
            "without their name."
        ),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Say why you are erasing them")), at_most(500)],
    )
    typed = StringField(
        _l("Type their username to confirm"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Type their username to confirm"))],
    )
    submit = submit(_l("Erase this person"))


@bp.route("/people/<int:person_id>/erase", methods=["GET", "POST"])
@login_required
def erase_person(person_id: int):
    person = db.session.get(User, person_id)
    allow(person is not None and can_erase_people(current_user), hide=True)
    back_url = url_for("admin.user", user_id=person.id)
    if person.erased_at is not None:
        # A second press, or a second admin: already done, nothing more to do.
        flash(_("This person has already been erased. There is nothing more to do."), "info")
        return redirect_to(back_url)
    if request.method == "GET" and (redirect := confirmation_redirect()):
        return redirect
    form = EraseForm()
    refusal = None
    try:
        erasure.check_can_erase(current_user, person)
    except erasure.ErasureError as error:
        refusal = str(error)
    if refusal is None and form.validate_on_submit():
        if (form.typed.data or "").strip().lower() != person.username.lower():
            form.typed.errors.append(_("Type their username exactly as shown"))
        elif not recently_confirmed(current_user):
            ask_again()
        else:
            try:
                erasure.erase(person, current_user, form.reason.data)
            except erasure.ErasureError as error:
                refusal = str(error)
            else:
                db.session.commit()
                flash(
                    _("The person has been erased. Their account now shows as “A former member”."),
                    "success",
                )
                return redirect_to(back_url)
    return render(
        "people/erase.html",
        status=400 if form.errors or refusal else 200,
        form=form,
        person=person,
        refusal=refusal,
        back_url=back_url,
    )


def _retention_form(rows: list[retention.Forecast]) -> Form:
    class RetentionForm(Form):
        pass

    for row in rows:
        message = _l(
            "Enter a whole number from %(lowest)s to %(highest)s",
            lowest=row.rule.lowest,
            highest=row.rule.highest,
        )
        setattr(
            RetentionForm,
            row.rule.key,
            IntegerField(
                row.rule.title,
                description=retention.UNIT_LABELS[row.rule.unit],
                widget=GovTextInput(),
                default=row.value,
                invalid_message=message,
                validators=[
                    InputRequired(message=message),
                    NumberRange(min=row.rule.lowest, max=row.rule.highest, message=message),
                ],
            ),
        )
    RetentionForm.submit = submit(_l("Save"))
    return RetentionForm()


@bp.route("/admin/retention", methods=["GET", "POST"])
@login_required
def retention_rules():
    allow(can_change_retention(current_user))
    rows = retention.forecast(utcnow())
    form = _retention_form(rows)
    if form.validate_on_submit():
        for row in rows:
            number = form[row.rule.key].data
            if number != row.value:
                retention.set_value(current_user, row.rule, number)
        db.session.commit()
        flash(_("Saved the retention settings."), "success")
        return redirect_to(url_for("people.retention_rules"))
    return render(
        "people/retention.html",
        status=400 if form.errors else 200,
        form=form,
        rows=rows,
        units=retention.UNIT_LABELS,
    )
