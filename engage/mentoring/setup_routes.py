"""Peer roles (``/roles``) and the training catalogue (``/training/courses``), kept by admins
and managers."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from engage.core.conflicts import ChangedMeanwhile, check_version, saving
from engage.core.htmx import redirect_to, render
from engage.core.permissions import allow
from engage.extensions import db
from engage.mentoring import bp, services
from engage.mentoring.forms import CourseForm, RoleForm
from engage.mentoring.models import CheckLevel, Course, MentoringError, PeerRole
from engage.mentoring.permissions import can_keep_roles


def _course_choices() -> list[tuple[str, str]]:
    courses = db.session.scalars(select(Course).order_by(Course.is_active.desc(), Course.name))
    return [
        (str(c.id), c.name if c.is_active else _("%(name)s (no longer offered)", name=c.name))
        for c in courses
    ]


# Roles ---------------------------------------------------------------------------------------


@bp.route("/roles")
@login_required
def roles():
    allow(can_keep_roles(current_user))
    rows = db.session.scalars(
        select(PeerRole).order_by(PeerRole.is_active.desc(), PeerRole.name)
    ).all()
    return render("mentoring/roles.html", rows=rows)


def _load_role(role_id: int) -> PeerRole:
    role = db.session.get(PeerRole, role_id)
    if role is None:
        abort(404)
    return role


@bp.route("/roles/new", methods=["GET", "POST"])
@bp.route("/roles/<int:role_id>", methods=["GET", "POST"])
@login_required
def role_form(role_id: int | None = None):
    allow(can_keep_roles(current_user))
    role = _load_role(role_id) if role_id is not None else None
    form = RoleForm()
    form.courses.choices = _course_choices()
    if request.method == "GET" and role is not None:
        form.version.data = str(role.version)
        form.name.data = role.name
        form.description.data = role.description
        form.check_level.data = role.check_level
        form.paid.data = "yes" if role.paid else "no"
        form.active.data = "yes" if role.is_active else "no"
        form.courses.data = [str(c.id) for c in role.courses]
    problem, status = None, 200
    if form.validate_on_submit():
        wanted = {int(i) for i in form.courses.data or []}
        courses = (
            list(db.session.scalars(select(Course).where(Course.id.in_(wanted)))) if wanted else []
        )
        try:
            with saving():
                if role is not None:
                    check_version(role, form.version.data)
                saved = services.save_role(
                    current_user,
                    role,
                    name=form.name.data,
                    description=form.description.data,
                    check_level=CheckLevel(form.check_level.data),
                    paid=form.paid.data == "yes",
                    is_active=form.active.data == "yes",
                    courses=courses,
                )
        except ChangedMeanwhile as error:
            problem, status = str(error), 409
        except MentoringError as error:
            form.name.errors.append(str(error))
        else:
            flash(_("The role “%(name)s” is saved.", name=saved.name), "success")
            return redirect_to(url_for("mentoring.roles"))
        db.session.rollback()
        if role is not None:
            role = _load_role(role.id)
            form.version.data = str(role.version)
    return render(
        "mentoring/setup_form.html",
        form=form,
        heading=_("Change the role") if role else _("Add a role"),
        caption=role.name if role else None,
        back=url_for("mentoring.roles"),
        back_text=_("Back to peer roles"),
        problem=problem,
        status=status,
    )


# Courses -------------------------------------------------------------------------------------


@bp.route("/training/courses")
@login_required
def courses():
    allow(can_keep_roles(current_user))
    rows = db.session.scalars(select(Course).order_by(Course.is_active.desc(), Course.name)).all()
    return render("mentoring/courses.html", rows=rows)


def _load_course(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    return course


@bp.route("/training/courses/new", methods=["GET", "POST"])
@bp.route("/training/courses/<int:course_id>", methods=["GET", "POST"])
@login_required
def course_form(course_id: int | None = None):
    allow(can_keep_roles(current_user))
    course = _load_course(course_id) if course_id is not None else None
    form = CourseForm()
    if request.method == "GET" and course is not None:
        form.version.data = str(course.version)
        form.name.data = course.name
        form.description.data = course.description
        form.valid_months.data = course.valid_months
        form.active.data = "yes" if course.is_active else "no"
    problem, status = None, 200
    if form.validate_on_submit():
        try:
            with saving():
                if course is not None:
                    check_version(course, form.version.data)
                saved = services.save_course(
                    current_user,
                    course,
                    name=form.name.data,
                    description=form.description.data or "",
                    valid_months=form.valid_months.data,
                    is_active=form.active.data == "yes",
                )
        except ChangedMeanwhile as error:
            problem, status = str(error), 409
        except MentoringError as error:
            form.name.errors.append(str(error))
        else:
            flash(_("The course “%(name)s” is saved.", name=saved.name), "success")
            return redirect_to(url_for("mentoring.courses"))
        db.session.rollback()
        if course is not None:
            course = _load_course(course.id)
            form.version.data = str(course.version)
    return render(
        "mentoring/setup_form.html",
        form=form,
        heading=_("Change the course") if course else _("Add a course"),
        caption=course.name if course else None,
        back=url_for("mentoring.courses"),
        back_text=_("Back to the courses"),
        problem=problem,
        status=status,
    )
