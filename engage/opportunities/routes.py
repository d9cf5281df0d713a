"""Consultation requests (``/requests``) and opportunities (``/opportunities``) pages.

Partners ask; managers accept or decline and publish; peers say they are interested; managers
choose and record the work done. Names of the interested are shown to managers only.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from engage.core import dates
from engage.core.htmx import redirect_to, render
from engage.core.numbers import page_of
from engage.core.permissions import allow
from engage.extensions import db
from engage.forums.models import RUNG_LABELS, Forum
from engage.mentoring.permissions import can_see_readiness
from engage.opportunities import bp, services
from engage.opportunities.forms import (
    ConfirmForm,
    DeclineForm,
    InterestForm,
    LinkOpportunityForm,
    OpportunityForm,
    OpportunityRoleForm,
    RequestForm,
    SelectPeopleForm,
)
from engage.opportunities.models import (
    ACTIVITY_LABELS,
    ConsultationRequest,
    Interest,
    Opportunity,
    OpportunityStatus,
    RequestKind,
    RequestStatus,
)
from engage.opportunities.permissions import (
    can_express_interest,
    can_manage_opportunities,
    can_request_input,
    can_see_opportunities,
    can_view_request,
)
from engage.opportunities.services import OpportunityError
from engage.payments.models import PERIOD_LABELS

PAGE_SIZE = 25


def _labels() -> dict[str, Any]:
    return {
        "kind_label": lambda kind: RequestKind.read(kind).label,
        "activities": ACTIVITY_LABELS,
        "rungs": {k.value: v for k, v in RUNG_LABELS.items()},
    }


# Consultation requests -----------------------------------------------------------------------


@bp.route("/requests")
@login_required
def requests():
    allow(can_request_input(current_user))
    manager = can_manage_opportunities(current_user)
    query = select(ConsultationRequest)
    if not manager:
        query = query.where(ConsultationRequest.requested_by_id == current_user.id)
    status = request.args.get("status", "").strip()
    if status in {s.value for s in RequestStatus}:
        query = query.where(ConsultationRequest.status == status)
    else:
        status = ""
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = page_of(total, PAGE_SIZE)
    rows = db.session.scalars(
        page.of(
            query.options(
                joinedload(ConsultationRequest.organisation),
                joinedload(ConsultationRequest.requested_by),
            ).order_by(ConsultationRequest.id.desc())
        )
    ).all()
    return render(
        "opportunities/requests.html",
        block="results",
        rows=rows,
        total=total,
        page=page.number,
        pages=page.pages,
        status_filter=status,
        filter_args={"status": status} if status else {},
        manager=manager,
        statuses=list(RequestStatus),
        **_labels(),
    )


@bp.route("/requests/new", methods=["GET", "POST"])
@login_required
def new_request():
    allow(can_request_input(current_user))
    form = RequestForm()
    if form.validate_on_submit():
        row = services.make_request(
            current_user._get_current_object(),
            title=form.title.data,
            description=form.description.data,
            kind=form.kind.data,
            needed_by=form.needed_by.data,
            effort=form.effort.data or "",
            paid=form.paid.data == "yes",
        )
        db.session.commit()
        flash(_("Thank you. Your request has been sent to the forum's managers."), "success")
        return redirect_to(url_for("opportunities.consultation_request", request_id=row.id))
    return render("opportunities/request_new.html", form=form)


def _load_request(request_id: int) -> ConsultationRequest:
    """A request the viewer may see; anything else is 404, so nothing is revealed."""
    row = db.session.get(ConsultationRequest, request_id)
    if row is None or not can_view_request(current_user, row):
        abort(404)
    return row


def _answering(row: ConsultationRequest) -> Opportunity | None:
    return db.session.scalar(
        select(Opportunity).where(Opportunity.request_id == row.id).order_by(Opportunity.id)
    )


@bp.route("/requests/<int:request_id>")
@login_required
def consultation_request(request_id: int):
    row = _load_request(request_id)
    opportunity = _answering(row)
    chosen = 0
    if opportunity is not None:
        chosen = db.session.scalar(
            select(func.count(Interest.id)).where(
                Interest.opportunity_id == opportunity.id, Interest.selected.is_(True)
            )
        )
    return render(
        "opportunities/request.html",
        row=row,
        opportunity=opportunity,
        chosen=chosen,
        manager=can_manage_opportunities(current_user),
        undecided=row.undecided,
        **_labels(),
    )


def _forum_choices() -> list[tuple[str, str]]:
    forums = db.session.execute(
        select(Forum.id, Forum.name).where(Forum.is_training.is_(False)).order_by(Forum.name)
    ).all()
    return [("", _("No particular forum: tell every peer"))] + [(str(i), n) for i, n in forums]


def _role_choices(current: int | None = None) -> list[tuple[str, str]]:
    return [("", _("No: it needs no particular check or training"))] + [
        (str(role.id), role.name) for role in services.peer_roles_to_choose(current)
    ]


def _chosen_role(value: str | None) -> int | None:
    """The role id a form sent ("" is none); the service checks it is one that may be
    chosen."""
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _opportunity_details(form: OpportunityForm) -> dict[str, Any]:
    return {
        "title": form.title.data.strip(),
        "description": form.description.data.strip(),
        "activity": form.activity.data,
        "forum_id": int(form.forum.data) if (form.forum.data or "").isdigit() else None,
        "places": form.places.data,
        "closes_on": form.closes_on.data,
        "paid": form.paid.data == "yes",
        "rung": form.rung.data,
        "peer_role_id": _chosen_role(form.peer_role.data),
    }


def _fill(form: OpportunityForm, values: dict[str, Any]) -> None:
    form.title.data = values["title"]
    form.description.data = values["description"]
    form.activity.data = values["activity"]
    form.forum.data = str(values["forum_id"] or "")
    form.places.data = values["places"]
    form.closes_on.data = values["closes_on"]
    form.paid.data = "yes" if values["paid"] else "no"
    form.rung.data = values["rung"]
    form.peer_role.data = str(values.get("peer_role_id") or "")


@bp.route("/requests/<int:request_id>/accept", methods=["GET", "POST"])
@login_required
def accept_request(request_id: int):
    row = _load_request(request_id)
    allow(can_manage_opportunities(current_user))
    form = OpportunityForm(prefix="new")
    form.forum.choices = _forum_choices()
    form.peer_role.choices = _role_choices()
    link_form = LinkOpportunityForm(prefix="link")
    unlinked = db.session.scalars(
        select(Opportunity)
        .where(
            Opportunity.request_id.is_(None),
            Opportunity.status == OpportunityStatus.OPEN.value,
        )
        .order_by(Opportunity.id.desc())
        .limit(50)
    ).all()
    link_form.opportunity.choices = [(str(o.id), o.title) for o in unlinked]
    problem = None
    if not row.undecided:
        problem = _("This request has already been decided.")
    elif request.method == "GET":
        _fill(form, services.prefill(row))
    if problem is None and request.method == "POST":
        actor = current_user._get_current_object()
        try:
            if "link-submit" in request.form and link_form.validate_on_submit():
                chosen = db.session.get(Opportunity, int(link_form.opportunity.data))
                if chosen is None:
                    raise OpportunityError(_("Choose an opportunity"))
                opportunity = services.accept_request(actor, row, opportunity=chosen)
            elif "new-submit" in request.form and form.validate_on_submit():
                opportunity = services.accept_request(actor, row, **_opportunity_details(form))
            else:
                opportunity = None
        except OpportunityError as error:
            db.session.rollback()
            problem = str(error)
        else:
            if opportunity is not None:
                db.session.commit()
                flash(
                    _("Accepted. The opportunity is published and the partner has been told."),
                    "success",
                )
                return redirect_to(
                    url_for("opportunities.opportunity", opportunity_id=opportunity.id)
                )
    return render(
        "opportunities/request_accept.html",
        row=row,
        form=form,
        link_form=link_form,
        unlinked=unlinked,
        problem=problem,
        **_labels(),
    )


@bp.route("/requests/<int:request_id>/decline", methods=["GET", "POST"])
@login_required
def decline_request(request_id: int):
    row = _load_request(request_id)
    allow(can_manage_opportunities(current_user))
    form = DeclineForm()
    problem = None
    if form.validate_on_submit():
        try:
            services.decline_request(current_user._get_current_object(), row, form.reason.data)
        except OpportunityError as error:
            db.session.rollback()
            problem = str(error)
        else:
            db.session.commit()
            flash(_("Declined. The partner has been told why."), "success")
            return redirect_to(url_for("opportunities.consultation_request", request_id=row.id))
    return render("opportunities/request_decline.html", row=row, form=form, problem=problem)


# Opportunities -------------------------------------------------------------------------------


@bp.route("/opportunities")
@login_required
def opportunities():
    allow(can_see_opportunities(current_user))
    manager = can_manage_opportunities(current_user)
    today = dates.local_today()
    query = select(Opportunity)
    if not manager:
        query = query.where(services.visible_to_peer(current_user, today))
    status = request.args.get("status", "").strip() if manager else ""
    if status in {s.value for s in OpportunityStatus}:
        query = query.where(Opportunity.status == status)
    else:
        status = ""
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = page_of(total, PAGE_SIZE)
    rows = db.session.scalars(
        page.of(
            query.order_by(
                (Opportunity.status != OpportunityStatus.OPEN.value),
                Opportunity.closes_on.is_(None),
                Opportunity.closes_on,
                Opportunity.id.desc(),
            )
        )
    ).all()
    ids = [o.id for o in rows]
    interested: dict[int, int] = {}
    mine: dict[int, Interest] = {}
    if ids and manager:
        interested = dict(
            db.session.execute(
                select(Interest.opportunity_id, func.count(Interest.id))
                .where(Interest.opportunity_id.in_(ids))
                .group_by(Interest.opportunity_id)
            ).all()
        )
    if ids and not manager:
        mine = {
            i.opportunity_id: i
            for i in db.session.scalars(
                select(Interest).where(
                    Interest.opportunity_id.in_(ids), Interest.user_id == current_user.id
                )
            )
        }
    return render(
        "opportunities/list.html",
        block="results",
        rows=rows,
        total=total,
        page=page.number,
        pages=page.pages,
        manager=manager,
        interested=interested,
        mine=mine,
        status_filter=status,
        filter_args={"status": status} if status else {},
        statuses=list(OpportunityStatus),
        **_labels(),
    )


@bp.route("/opportunities/new", methods=["GET", "POST"])
@login_required
def new_opportunity():
    allow(can_manage_opportunities(current_user))
    form = OpportunityForm()
    form.forum.choices = _forum_choices()
    form.peer_role.choices = _role_choices()
    if request.method == "GET":
        form.rung.data = form.rung.data or "consultation"
    problem = None
    if form.validate_on_submit():
        try:
            opportunity = services.publish(
                current_user._get_current_object(), **_opportunity_details(form)
            )
        except OpportunityError as error:
            db.session.rollback()
            problem = str(error)
        else:
            db.session.commit()
            flash(_("Published. Peers who can take it up have been told."), "success")
            return redirect_to(url_for("opportunities.opportunity", opportunity_id=opportunity.id))
    return render("opportunities/new.html", form=form, problem=problem)


def _load_opportunity(opportunity_id: int) -> Opportunity:
    """An opportunity the viewer may see; anything else is 404."""
    allow(can_see_opportunities(current_user))
    opportunity = db.session.get(Opportunity, opportunity_id)
    if opportunity is None:
        abort(404)
    if not can_manage_opportunities(current_user):
        visible = db.session.scalar(
            select(Opportunity.id).where(
                Opportunity.id == opportunity.id,
                services.visible_to_peer(current_user, dates.local_today()),
            )
        )
        if visible is None:
            abort(404)
    return opportunity


@bp.route("/opportunities/<int:opportunity_id>")
@login_required
def opportunity(opportunity_id: int):
    opportunity = _load_opportunity(opportunity_id)
    return _show(opportunity)


def _show(
    opportunity: Opportunity,
    interest_form: InterestForm | None = None,
    select_form: SelectPeopleForm | None = None,
    problem: str | None = None,
    status: int = 200,
):
    manager = can_manage_opportunities(current_user)
    mine = services.interest_of(current_user, opportunity)
    if interest_form is None:
        interest_form = InterestForm(formdata=None)
        interest_form.note.data = mine.note if mine else ""
        if mine:
            interest_form.submit.label.text = _("Save my note")
    people = services.interests(opportunity) if manager else []
    waiting = [p for p in people if not p.selected]
    readiness = (
        services.chosen_problems(opportunity, [p.user_id for p in waiting])
        if can_see_readiness(current_user)
        else {}
    )
    if select_form is None:
        select_form = SelectPeopleForm.for_people(readiness, formdata=None)
    forum = db.session.get(Forum, opportunity.forum_id) if opportunity.forum_id else None
    source = (
        db.session.get(ConsultationRequest, opportunity.request_id)
        if opportunity.request_id
        else None
    )
    if source is not None and not can_view_request(current_user, source):
        source = None
    return render(
        "opportunities/show.html",
        status=status,
        opportunity=opportunity,
        manager=manager,
        mine=mine,
        can_say_interested=can_express_interest(current_user, opportunity),
        interest_form=interest_form,
        select_form=select_form,
        confirm_form=ConfirmForm(formdata=None),
        people=people,
        chosen=[p for p in people if p.selected],
        waiting=waiting,
        benefit_warnings=services.benefit_warnings(opportunity, waiting),
        readiness_warnings=readiness,
        ticked=set(select_form.people.data or []),
        period_labels={k.value: v for k, v in PERIOD_LABELS.items()},
        forum=forum,
        source=source,
        problem=problem,
        **_labels(),
    )


@bp.route("/opportunities/<int:opportunity_id>/interest", methods=["POST"])
@login_required
def opportunity_interest(opportunity_id: int):
    opportunity = _load_opportunity(opportunity_id)
    allow(can_express_interest(current_user, opportunity))
    form = InterestForm()
    if not form.validate_on_submit():
        return _show(opportunity, interest_form=form, status=400)
    already = services.interest_of(current_user, opportunity) is not None
    # A second press, or the second try of two presses at once (engage.core.conflicts),
    # finds the first one's interest and only saves the note.
    services.express_interest(current_user._get_current_object(), opportunity, form.note.data)
    db.session.commit()
    flash(
        _("Your note has been saved.")
        if already
        else _("Thank you. We will tell you if you are chosen."),
        "success",
    )
    return redirect_to(url_for("opportunities.opportunity", opportunity_id=opportunity.id))


@bp.route("/opportunities/<int:opportunity_id>/interest/withdraw", methods=["POST"])
@login_required
def opportunity_withdraw(opportunity_id: int):
    opportunity = _load_opportunity(opportunity_id)
    allow(can_express_interest(current_user, opportunity))
    form = ConfirmForm()
    if form.validate_on_submit():
        services.withdraw_interest(current_user._get_current_object(), opportunity)
        db.session.commit()
        flash(_("You are no longer down as interested."), "success")
    return redirect_to(url_for("opportunities.opportunity", opportunity_id=opportunity.id))


@bp.route("/opportunities/<int:opportunity_id>/select", methods=["POST"])
@login_required
def opportunity_select(opportunity_id: int):
    opportunity = _load_opportunity(opportunity_id)
    allow(can_manage_opportunities(current_user))
    waiting = [row for row in services.interests(opportunity) if not row.selected]
    form = SelectPeopleForm.for_people(row.user_id for row in waiting)
    form.people.choices = [(row.user_id, row.user.display_name) for row in waiting]
    if not form.validate_on_submit():
        return _show(opportunity, select_form=form, status=400)
    try:
        chosen = services.select_people(
            current_user._get_current_object(),
            opportunity,
            form.people.data,
            reasons=form.reasons(),
        )
    except OpportunityError as error:
        db.session.rollback()
        problem, status = str(error), 409
        if isinstance(error, services.ReasonNeeded):
            # A question to answer, like any form's: each warned person's own box says what
            # is needed, and the summary links to it.
            status = 200
            boxes = {uid: form.reason_field(uid) for uid in error.messages}
            if all(boxes.values()):
                for uid, box in boxes.items():
                    box.errors.append(error.messages[uid])
                problem = None
        # What was ticked and typed stays, with the page as it is now.
        return _show(
            _load_opportunity(opportunity_id), select_form=form, problem=problem, status=status
        )
    db.session.commit()
    flash(
        _(
            "%(num)d chosen. They have been told, and so has everyone else who was interested.",
            num=len(chosen),
        ),
        "success",
    )
    return redirect_to(url_for("opportunities.opportunity", opportunity_id=opportunity.id))


@bp.route("/opportunities/<int:opportunity_id>/role", methods=["GET", "POST"])
@login_required
def opportunity_role(opportunity_id: int):
    """Which peer role's check and training the work needs."""
    opportunity = _load_opportunity(opportunity_id)
    allow(can_manage_opportunities(current_user))
    form = OpportunityRoleForm()
    form.peer_role.choices = _role_choices(opportunity.peer_role_id)
    if request.method == "GET":
        form.peer_role.data = str(opportunity.peer_role_id or "")
    problem, status = None, 200
    if opportunity.status == OpportunityStatus.COMPLETED.value:
        problem = _("This opportunity is already completed.")
    elif form.validate_on_submit():
        try:
            services.set_peer_role(
                current_user._get_current_object(), opportunity, _chosen_role(form.peer_role.data)
            )
        except OpportunityError as error:
            db.session.rollback()
            problem, status = str(error), 409
            opportunity = _load_opportunity(opportunity_id)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect_to(url_for("opportunities.opportunity", opportunity_id=opportunity.id))
    return render(
        "opportunities/role.html",
        form=form,
        opportunity=opportunity,
        problem=problem,
        status=status,
    )


@bp.route("/opportunities/<int:opportunity_id>/completed/<int:user_id>", methods=["POST"])
@login_required
def opportunity_completed(opportunity_id: int, user_id: int):
    opportunity = _load_opportunity(opportunity_id)
    allow(can_manage_opportunities(current_user))
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.record_completed(current_user._get_current_object(), opportunity, user_id)
    except OpportunityError as error:
        db.session.rollback()
        return _show(_load_opportunity(opportunity_id), problem=str(error), status=409)
    db.session.commit()
    flash(_("Recorded as done. Their time has been recorded."), "success")
    return redirect_to(url_for("opportunities.opportunity", opportunity_id=opportunity.id))
