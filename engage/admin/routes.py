"""Admin pages: list and find accounts, invite people, change roles, deactivate, and read the
outbox and audit log."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, contains_eager

from engage.admin import bp
from engage.core import outbox as outbox_service
from engage.core.audit import AuditEntry
from engage.core.htmx import redirect_to, render
from engage.core.numbers import page_of
from engage.core.outbox import Notification
from engage.core.permissions import allow
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
    allow(can_view_audit(current_user))
    actor = aliased(User)
    subject = aliased(User)
    page = page_of(db.session.scalar(select(func.count(AuditEntry.id))), PAGE_SIZE)
    rows = db.session.execute(
        page.of(
            select(AuditEntry, actor.username, subject.username)
            .outerjoin(actor, AuditEntry.actor_id == actor.id)
            .outerjoin(subject, AuditEntry.subject_id == subject.id)
            .order_by(AuditEntry.id.desc())
        )
    ).all()
    return render("admin/audit.html", rows=rows, page=page.number, pages=page.pages)


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
