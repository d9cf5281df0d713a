"""Applying for a peer role (``/join``): public, no account needed, in plain words.

Flooding is stopped without a CAPTCHA that shuts people out: each network address may send a
few applications an hour (``ENGAGE_JOIN_LIMIT_PER_ADDRESS``; only sent applications count,
never a form that came back with a mistake), and a field people never see catches bots, who
are thanked and whose application is never kept.
"""

from __future__ import annotations

import logging

from flask import current_app, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from engage.core.htmx import redirect_to, render
from engage.core.numbers import database_id
from engage.extensions import db, limiter
from engage.mentoring import bp, services
from engage.mentoring.join_forms import NOT_SURE, JoinForm
from engage.mentoring.models import ContactWay, MentoringError, PeerRole

log = logging.getLogger(__name__)

#: Where the confirmation page finds how the person asked to be contacted.
JOINED = "joined"


def _limit() -> str:
    return current_app.config["JOIN_LIMIT_PER_ADDRESS"]


def _sent(response) -> bool:  # noqa: ANN001
    # Only a sent application counts (a redirect to the thank-you page), so someone whose
    # form came back with a mistake is never locked out for fixing it.
    return response.status_code == 303


def _form(roles: list[PeerRole], formdata=None) -> JoinForm:  # noqa: ANN001
    form = JoinForm() if formdata is None else JoinForm(formdata=formdata)
    form.role.choices = [(str(role.id), role.name) for role in roles] + [
        (NOT_SURE, _("I am not sure yet"))
    ]
    return form


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"], deduct_when=_sent)
def join():
    roles = services.open_roles()
    form = _form(roles)
    problem = None
    if form.is_submitted() and form.is_a_bot:
        # Thank the bot as if it had worked, and keep nothing.
        log.info("a /join form with the hidden field filled in was ignored")
        way = form.contact_way.data
        session[JOINED] = {"way": way if way in {w.value for w in ContactWay} else ""}
        return redirect_to(url_for("mentoring.join_thanks"))
    if form.validate_on_submit():
        role = None
        if form.role.data != NOT_SURE:
            role_id = database_id(form.role.data)
            role = db.session.get(PeerRole, role_id) if role_id else None
        try:
            if form.role.data != NOT_SURE and role is None:
                raise MentoringError(_("That role is not open at the moment. Choose another one."))
            application, _made = services.apply(
                role=role,
                name=form.name.data,
                contact_way=ContactWay(form.contact_way.data),
                what_draws=form.what_draws.data or "",
                availability=form.availability.data or "",
                access_needs=form.access_needs.data or "",
                email=form.email.data or "",
                phone=form.phone.data or "",
                postal_address=form.postal_address.data or "",
                worker_name=form.worker_name.data or "",
                worker_contact=form.worker_contact.data or "",
                helper_name=(form.helper_name.data or "") if form.by_worker.data else "",
                helper_organisation=(form.helper_organisation.data or "")
                if form.by_worker.data
                else "",
                locale=str(get_locale() or "en").split("_")[0],
                submission_key=form.submission_key.key,
            )
        except MentoringError as error:
            db.session.rollback()
            form.role.errors = [str(error)]
        else:
            db.session.commit()
            session[JOINED] = {"way": application.contact_way}
            return redirect_to(url_for("mentoring.join_thanks"))
    return render("mentoring/join.html", form=form, roles=roles, problem=problem)


@bp.route("/join/thanks")
def join_thanks():
    joined = session.get(JOINED) or {}
    return render(
        "mentoring/join_thanks.html",
        way=joined.get("way", ""),
        days=services.reply_days(),
    )


@bp.errorhandler(429)
def _too_many(error):  # noqa: ANN001
    """Too many applications from one address: say so kindly on the form, with everything
    they typed still in it. Nothing was kept."""
    if request.endpoint != "mentoring.join":
        return render("errors/429.html", status=429)
    roles = services.open_roles()
    form = _form(roles, formdata=request.form)
    form.website.data = ""
    problem = _(
        "A lot of applications have been sent from this internet connection in the last hour, "
        "so we could not take this one yet. Nothing was lost: your answers are still below. "
        "Please wait an hour and press “Send” again, or ask a worker to call us."
    )
    return render("mentoring/join.html", form=form, roles=roles, problem=problem, status=429)
