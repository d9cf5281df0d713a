"""The progression passport and the reference letter.

``/me/passport`` is a person's own, to read and print; ``/people/<id>/passport`` is the same
page for a manager working with a peer (each look recorded). A manager prints a reference
letter from it at ``/people/<id>/reference-letter``, and admins word its opening and closing
at ``/roles/reference-letter``. Nobody else finds these pages (404). None of them shows
supervision notes, a DBS outcome or a risk decision: the passport holds none.
"""

from __future__ import annotations

from flask import abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engage.core import audit, dates
from engage.core.db import writes_when_read
from engage.core.htmx import redirect_to, render
from engage.core.permissions import allow
from engage.extensions import db
from engage.mentoring import bp, reference
from engage.mentoring.forms import LetterForm, LetterWordingForm
from engage.mentoring.passport import passport_of
from engage.mentoring.permissions import (
    can_see_supervision,
    can_set_reference_wording,
    can_view_passport,
    can_write_reference,
)
from engage.people.forms import ConfirmForm
from engage.people.models import User


def _actor() -> User:
    return current_user._get_current_object()


@bp.route("/me/passport", endpoint="passport")
@bp.route("/people/<int:person_id>/passport", endpoint="passport")
@login_required
@writes_when_read(when=lambda args: args.get("person_id") is not None)
def passport(person_id: int | None = None):
    if person_id is None:
        person = _actor()
    else:
        person = db.session.get(User, person_id)
        if person is None or not can_view_passport(current_user, person):
            abort(404)
    own = person.id == current_user.id
    if not own:
        audit.record("passport.viewed", actor=current_user, subject=person)
        db.session.commit()
    return render(
        "mentoring/passport.html",
        person=person,
        own=own,
        passport=passport_of(person),
        can_write_reference=can_write_reference(current_user, person),
        can_see_supervision=can_see_supervision(current_user, person),
    )


@bp.route("/people/<int:person_id>/reference-letter", methods=["GET", "POST"])
@login_required
def reference_letter(person_id: int):
    """The letter, made from the passport as it is now. A GET shows it with the form for the
    manager's job title and words of their own; sending the form (a POST, so their words stay
    out of addresses and server logs) shows it again with them. Nothing is kept but the audit
    entry that a letter was made."""
    person = db.session.get(User, person_id)
    if person is None or not can_write_reference(current_user, person):
        abort(404)
    form = LetterForm()
    added = form.validate_on_submit()
    job_title = (form.job_title.data or "").strip() if added else ""
    own_words = (form.own_words.data or "").strip() if added else ""
    reference.record_letter(_actor(), person, own_words=bool(own_words))
    db.session.commit()
    wording = reference.wording()
    partnership = current_app.config["PARTNERSHIP_NAME"]
    values = {"name": person.display_name, "partnership": partnership}
    return render(
        "mentoring/reference_letter.html",
        form=form,
        person=person,
        passport=passport_of(person),
        opening=reference.fill(wording.opening, **values),
        closing=reference.fill(wording.closing, **values),
        own_words=own_words,
        job_title=job_title,
        signer=current_user.display_name,
        today=dates.local_today(),
    )


# The wording (admins) ---------------------------------------------------------------------------


@bp.route("/roles/reference-letter", methods=["GET", "POST"])
@login_required
def reference_wording():
    allow(can_set_reference_wording(current_user))
    if request.method == "POST" and request.form.get("action") == "standard":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        reference.set_wording(
            _actor(), opening=reference.DEFAULT_OPENING, closing=reference.DEFAULT_CLOSING
        )
        db.session.commit()
        flash(_("The standard wording has been put back."), "success")
        return redirect_to(url_for("mentoring.reference_wording"))
    form = LetterWordingForm()
    current = reference.wording()
    if request.method == "GET":
        form.opening.data = current.opening
        form.closing.data = current.closing
    if form.validate_on_submit():
        reference.set_wording(_actor(), opening=form.opening.data, closing=form.closing.data)
        db.session.commit()
        flash(_("The reference letter's wording has been saved."), "success")
        return redirect_to(url_for("mentoring.reference_wording"))
    sample = {"name": _("Sam Example"), "partnership": current_app.config["PARTNERSHIP_NAME"]}
    return render(
        "mentoring/reference_wording.html",
        form=form,
        is_standard=current.is_standard,
        opening=reference.fill(current.opening, **sample),
        closing=reference.fill(current.closing, **sample),
    )
