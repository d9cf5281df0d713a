"""Admin pages: list and find accounts, invite people, change roles, deactivate, and read the
outbox and audit log."""

from __future__ import annotations

import csv
import io
from datetime import UTC

from flask import abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager

from engage.admin import audit_search, bp
from engage.core import outbox as outbox_service
from engage.core.audit import record as record_audit
from engage.core.db import writes_when_read
from engage.core.htmx import redirect_to, render
from engage.core.numbers import page_of
from engage.core.outbox import Notification
from engage.core.permissions import allow
from engage.core.spreadsheets import neutralise
from engage.extensions import db
from engage.people import services
from engage.people.forms import ConfirmForm, InviteForm, OrganisationForm, RolesForm
from engage.people.models import Organisation, Profile, Role, User, UserRole
from engage.people.permissions import (
    can_manage_users,
    can_send_message_again,
    can_view_audit,
    can_view_outbox,
    messages_visible_to,
)

PAGE_SIZE = 50


@bp.route("")
@login_required
def users():
    allow(can_manage_users(current_user))
    q = (request.args.get("q") or "").strip()
    role = request.args.get("role") or ""
    query = select(User).join(Profile).order_by(User.username)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            or_(
                func.lower(User.username).like(like),
                func.lower(User.email).like(like),
                func.lower(Profile.preferred_name).like(like),
            )
        )
    if role in {r.value for r in Role}:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = page_of(total, PAGE_SIZE)
    rows = db.session.scalars(page.of(query.options(contains_eager(User.profile)))).unique()
    return render(
        "admin/users.html",
        block="results",
        users=list(rows),
        q=q,
        role=role,
        roles=list(Role),
        page=page.number,
        pages=page.pages,
        total=total,
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user(user_id: int):
    allow(can_manage_users(current_user))
    person = db.session.get(User, user_id) or abort(404)
    form = RolesForm()
    if request.method == "GET":
        form.roles.data = sorted(r.value for r in person.role_set)
        form.totp_required.data = person.totp_required
    if form.validate_on_submit():
        try:
            services.set_roles(current_user, person, {Role(r) for r in form.roles.data})
        except services.AccountError as error:
            form.roles.errors.append(str(error))
        else:
            if bool(form.totp_required.data) != person.totp_required:
                services.set_two_factor_required(
                    current_user, person, bool(form.totp_required.data)
                )
            db.session.commit()
            flash(_("Saved changes to %(name)s.", name=person.display_name), "success")
            return redirect_to(url_for("admin.user", user_id=person.id))
    return render("admin/user.html", form=form, person=person, action_form=ConfirmForm())


@bp.route("/users/<int:user_id>/<action>", methods=["POST"])
@login_required
def user_action(user_id: int, action: str):
    allow(can_manage_users(current_user))
    person = db.session.get(User, user_id) or abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if action == "deactivate":
            services.set_active(current_user, person, False)
            message = _("%(name)s can no longer sign in.", name=person.display_name)
        elif action == "reactivate":
            services.set_active(current_user, person, True)
            message = _("%(name)s can sign in again.", name=person.display_name)
        elif action == "reset-two-step":
            services.reset_two_factor(current_user, person)
            message = _("Two-step sign in was reset for %(name)s.", name=person.display_name)
        else:
            abort(404)
    except services.AccountError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect_to(url_for("admin.user", user_id=person.id))


@bp.route("/invite", methods=["GET", "POST"])
@login_required
def invite():
    allow(can_manage_users(current_user))
    form = InviteForm()
    if form.validate_on_submit():
        try:
            person = services.create_account(
                actor=current_user,
                username=form.username.data,
                roles={Role(r) for r in form.roles.data},
                preferred_name=form.preferred_name.data,
                email=form.email.data or None,
                phone=form.phone.data or None,
            )
        except services.AccountError as error:
            form.username.errors.append(str(error))
        else:
            link = services.invite(actor=current_user, user=person)
            db.session.commit()
            return render("admin/invited.html", person=person, link=link)
    return render("admin/invite.html", form=form)


@bp.route("/outbox")
@login_required
def outbox():
    allow(can_view_outbox(current_user))
    # The permission is applied in the query, so a message nobody may read never loads.
    visible = messages_visible_to(current_user)
    page = page_of(db.session.scalar(select(func.count(Notification.id)).where(visible)), PAGE_SIZE)
    rows = db.session.scalars(
        page.of(select(Notification).where(visible).order_by(Notification.id.desc()))
    )
    return render(
        "admin/outbox.html",
        notifications=list(rows),
        page=page.number,
        pages=page.pages,
        can_send_again=can_send_message_again(current_user),
        action_form=ConfirmForm(),
    )


@bp.route("/outbox/<int:notification_id>/send-again", methods=["POST"])
@login_required
def send_again(notification_id: int):
    allow(can_send_message_again(current_user))
    note = db.session.get(Notification, notification_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        outbox_service.send_again(current_user, note)
    except outbox_service.OutboxError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("The message is being sent again."), "success")
    return redirect_to(url_for("admin.outbox"))


@bp.route("/audit")
@login_required
def audit():
    """The audit log, newest first, filtered by the address's parameters (bookmarkable)."""
    allow(can_view_audit(current_user))
    filters = audit_search.parse_filters(request.args)
    query = audit_search.search(filters)
    page = page_of(audit_search.count(query), PAGE_SIZE)
    rows = db.session.execute(page.of(query)).all()
    return render(
        "admin/audit.html",
        rows=rows,
        page=page.number,
        pages=page.pages,
        total=page.total,
        filters=filters,
        args=filters.as_args(),
        actions=audit_search.action_choices(),
        export_limit=audit_search.EXPORT_LIMIT,
    )


@bp.route("/audit.csv")
@login_required
@writes_when_read
def audit_csv():
    """The entries the same filters find, as CSV (at most ``EXPORT_LIMIT``, newest first; text
    that could be a formula is neutralised). The download is itself audited, with its filters."""
    allow(can_view_audit(current_user))
    filters = audit_search.parse_filters(request.args)
    if filters.errors:
        flash(_("Correct the search before downloading it."), "error")
        typed = {name: request.args.get(name, "")[:300] for name in audit_search.PARAMETERS}
        return redirect_to(url_for("admin.audit", **{k: v for k, v in typed.items() if v}))
    rows = db.session.execute(audit_search.search(filters).limit(audit_search.EXPORT_LIMIT)).all()
    out = io.StringIO()
    writer = csv.writer(out)
    # The same columns as the page, no more: an entry's detail and address stay in the log
    # (some details, such as a check's outcome, are for fewer eyes than the log's).
    writer.writerow([_("When (UTC)"), _("Who"), _("What"), _("On behalf"), _("Whose data")])
    for entry, actor, subject in rows:
        at = entry.at
        if at is not None and at.tzinfo is not None:
            at = at.astimezone(UTC).replace(tzinfo=None)
        writer.writerow(
            [
                neutralise(value)
                for value in (
                    at.isoformat(sep=" ", timespec="seconds") if at else "",
                    actor or _("System"),
                    entry.action,
                    _("yes") if entry.on_behalf else "",
                    subject or "",
                )
            ]
        )
    record_audit(
        "audit.exported",
        actor=current_user,
        filters=filters.as_args(),
        rows=len(rows),
        limited=len(rows) >= audit_search.EXPORT_LIMIT,
    )
    db.session.commit()
    response = make_response("\ufeff" + out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/organisations", methods=["GET", "POST"])
@login_required
def organisations():
    """The list of services and organisations people choose from when raising an item."""
    allow(can_manage_users(current_user))
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            services.add_organisation(current_user, form.name.data)
        except services.AccountError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Added %(name)s.", name=form.name.data.strip()), "success")
            return redirect_to(url_for("admin.organisations"))
    rows = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    return render(
        "admin/organisations.html", form=form, organisations=rows, action_form=ConfirmForm()
    )


@bp.route("/organisations/<int:organisation_id>/toggle", methods=["POST"])
@login_required
def toggle_organisation(organisation_id: int):
    allow(can_manage_users(current_user))
    organisation = db.session.get(Organisation, organisation_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.set_organisation_active(current_user, organisation, not organisation.is_active)
    db.session.commit()
    return redirect_to(url_for("admin.organisations"))
