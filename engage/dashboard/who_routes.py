"""Who is involved (``/dashboard/who-is-involved``) against the cohort estimate, and the page
where managers enter that estimate (``/dashboard/cohort``)."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engage.core.conflicts import ChangedMeanwhile, saving
from engage.core.htmx import redirect_to, render
from engage.core.permissions import allow
from engage.dashboard import bp, cohort, formatting, periods, who
from engage.dashboard import permissions as perm
from engage.dashboard.cohort_forms import SHARE_FIELDS, CohortForm
from engage.dashboard.routes import chosen_period
from engage.extensions import db
from engage.surveys.services import suppression_threshold


@bp.route("/dashboard/who-is-involved")
@login_required
def who_is_involved():
    allow(perm.can_see_who_is_involved(current_user))
    form, chosen = chosen_period()
    result = None
    if chosen is not None:
        result = who.who_is_involved(current_user, chosen.current, suppression_threshold())
        db.session.commit()  # the audit entry of this viewing
    return render(
        "dashboard/who_is_involved.html",
        form=form,
        chosen=chosen,
        result=result,
        picks=periods.QUICK_PICKS,
        fmt=formatting,
        dimensions=who.DIMENSIONS,
        status=200 if chosen else 400,
    )


@bp.route("/dashboard/cohort", methods=["GET", "POST"])
@login_required
def cohort_estimate():
    allow(perm.can_keep_cohort_estimate(current_user))
    form = CohortForm()
    if request.method == "GET":
        form.fill(who.current_estimate())
    problem, status = None, 200
    if form.validate_on_submit():
        seen = form.version_number()
        try:
            with saving():
                _estimate, new = cohort.save_estimate(
                    current_user,
                    form.shares(),
                    source=form.source.data or "",
                    # A page that does not say which estimate it showed is treated as stale.
                    seen_number=seen if seen is not None else -1,
                    submission_key=form.submission_key.key,
                )
        except ChangedMeanwhile as error:
            problem, status = str(error), 409
        except cohort.EstimateError as error:
            problem, status = str(error), 400
        else:
            flash(
                _("The cohort estimate is saved.")
                if new
                else _("The cohort estimate was already saved: it is saved once."),
                "success",
            )
            return redirect_to(url_for("dashboard.who_is_involved"))
        db.session.rollback()
        # What they typed stays; the page now names the estimate saved meanwhile, shown
        # beside the form, so saving again is a choice made knowing it.
        form.version.data = str(cohort.newest_number())
    elif request.method == "POST":
        status = 400
    return render(
        "dashboard/cohort.html",
        form=form,
        problem=problem,
        in_use=who.current_estimate(),
        dimensions=who.DIMENSIONS,
        share_fields=SHARE_FIELDS,
        group_label=who.group_label,
        fmt=formatting,
        status=status,
    )
