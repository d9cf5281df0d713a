"""The recruitment pipeline (``/applications``, managers): the board by stage, the list with
how long each has waited, an application's page with its history, moving it on, its
references and checks, and making someone active.

DBS outcomes and risk-assessment decisions appear only on managers' pages, and each page that
shows them records the view in the audit log.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from engage.core import dates
from engage.core.conflicts import ChangedMeanwhile, check_version, saving
from engage.core.db import writes_when_read
from engage.core.htmx import redirect_to, render, updated
from engage.core.numbers import database_id, page_of
from engage.core.permissions import allow
from engage.core.rules import IllegalMove
from engage.core.security import is_safe_next
from engage.extensions import db
from engage.mentoring import bp, checks, services
from engage.mentoring.forms import (
    EXISTING_ACCOUNT,
    ActivateForm,
    ApplicationRoleForm,
    DbsForm,
    DecisionForm,
    MoveForm,
    ReferenceForm,
)
from engage.mentoring.join_forms import NOT_SURE
from engage.mentoring.models import (
    REASON_NEEDED,
    ROUTE,
    STAGE_MEANINGS,
    Application,
    CheckLevel,
    DbsCheck,
    DbsOutcome,
    PeerRole,
    Reference,
    ReferenceOutcome,
    RiskDecisionKind,
    Stage,
)
from engage.mentoring.permissions import can_run_recruitment, can_see_checks, can_view_application
from engage.people.models import CHANNEL_LABELS, User

PAGE_SIZE = 25
#: Cards shown in one column of the board; the rest are a link to the list.
CARDS_PER_COLUMN = 20
#: The board's columns: every stage on the way, and on hold. Finished applications are
#: counted under the board, with links to the list.
COLUMNS = [*ROUTE[:-1], Stage.ON_HOLD]
FINISHED = [Stage.ACTIVE, Stage.WITHDRAWN, Stage.NOT_PROGRESSED]


def _load(application_id: int) -> Application:
    """An application the viewer may see; for anyone else it does not exist."""
    application = db.session.get(Application, application_id)
    if application is None or not can_view_application(current_user, application):
        abort(404)
    return application


# Filters ---------------------------------------------------------------------------------------


def _filters(values: Any) -> dict[str, str]:
    """The role and stage asked for (``?role=``, ``?stage=``), read safely: anything that is
    not a role id, "not_sure" or a stage is no filter."""
    role = str(values.get("role") or "").strip()
    if role != NOT_SURE and database_id(role) is None:
        role = ""
    stage = str(values.get("stage") or "").strip()
    if stage not in {s.value for s in Stage}:
        stage = ""
    return {key: value for key, value in (("role", role), ("stage", stage)) if value}


def _filtered(query, filters: dict[str, str]):  # noqa: ANN001, ANN202
    role = filters.get("role")
    if role == NOT_SURE:
        query = query.where(Application.role_id.is_(None))
    elif role:
        query = query.where(Application.role_id == int(role))
    if filters.get("stage"):
        query = query.where(Application.stage == filters["stage"])
    return query


def _roles() -> list[PeerRole]:
    return list(db.session.scalars(select(PeerRole).order_by(PeerRole.name)))


def _board_context(filters: dict[str, str], **extra: Any) -> dict[str, Any]:
    """The board: counts per stage (one query) and the longest-waiting cards of each column
    (one query, at most CARDS_PER_COLUMN a column), whatever the number of applications."""
    counts = dict(
        db.session.execute(
            _filtered(
                select(Application.stage, func.count(Application.id)).group_by(Application.stage),
                filters,
            )
        ).all()
    )
    columns = [Stage(filters["stage"])] if filters.get("stage") else COLUMNS
    ranked = _filtered(
        select(
            Application.id,
            func.row_number()
            .over(
                partition_by=Application.stage,
                order_by=(Application.stage_since, Application.id),
            )
            .label("place"),
        ).where(Application.stage.in_([c.value for c in columns])),
        filters,
    ).subquery()
    cards = db.session.scalars(
        select(Application)
        .join(ranked, ranked.c.id == Application.id)
        .where(ranked.c.place <= CARDS_PER_COLUMN)
        .options(joinedload(Application.role))
        .order_by(Application.stage_since, Application.id)
    ).all()
    by_stage: dict[str, list[Application]] = {c.value: [] for c in columns}
    for card in cards:
        by_stage[card.stage].append(card)
    today = dates.local_today()
    return {
        "columns": [
            (stage, by_stage[stage.value], counts.get(stage.value, 0)) for stage in columns
        ],
        "finished": [(stage, counts.get(stage.value, 0)) for stage in FINISHED],
        "filters": filters,
        "roles": _roles(),
        "stages": list(Stage),
        "waiting": lambda a: services.days_waiting(a, today),
        "not_sure": NOT_SURE,
        "board_url": url_for("mentoring.applications", **filters),
        **extra,
    }


# The board and the list ---------------------------------------------------------------------------


@bp.route("/applications")
@login_required
def applications():
    allow(can_run_recruitment(current_user))
    filters = _filters(request.args)
    return render("mentoring/board.html", block="board", **_board_context(filters))


@bp.route("/applications/list")
@login_required
def application_list():
    allow(can_run_recruitment(current_user))
    filters = _filters(request.args)
    query = _filtered(select(Application), filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = page_of(total, PAGE_SIZE)
    rows = db.session.scalars(
        page.of(
            query.options(joinedload(Application.role)).order_by(
                Application.stage_since, Application.id
            )
        )
    ).all()
    today = dates.local_today()
    return render(
        "mentoring/list.html",
        block="results",
        rows=rows,
        total=total,
        page=page.number,
        pages=page.pages,
        filters=filters,
        roles=_roles(),
        stages=list(Stage),
        waiting=lambda a: services.days_waiting(a, today),
        not_sure=NOT_SURE,
    )


# One application --------------------------------------------------------------------------------


@bp.route("/applications/<int:application_id>")
@login_required
def application(application_id: int):
    application = db.session.scalar(
        select(Application)
        .where(Application.id == application_id)
        .options(
            joinedload(Application.role),
            selectinload(Application.moves),
            selectinload(Application.references),
            selectinload(Application.dbs_checks),
        )
    )
    if application is None or not can_view_application(current_user, application):
        abort(404)
    show_checks = can_see_checks(current_user)
    if show_checks and checks.record_view(current_user, application):
        db.session.commit()
    return render(
        "mentoring/application.html",
        **_application_context(application, show_checks),
    )


def _application_context(application: Application, show_checks: bool) -> dict[str, Any]:
    actors = {move.actor_id for move in application.moves if move.actor_id is not None}
    names = (
        {u.id: u.display_name for u in db.session.scalars(select(User).where(User.id.in_(actors)))}
        if actors
        else {}
    )
    return {
        "application": application,
        "meaning": STAGE_MEANINGS[application.stage_enum],
        "moves": application.next_moves(),
        "waiting_days": services.days_waiting(application),
        "actor_names": names,
        "messages": services.messages_for(application),
        "channel_labels": CHANNEL_LABELS,
        "show_checks": show_checks,
        "check": application.current_check if show_checks else None,
        "earlier_checks": application.dbs_checks[:-1] if show_checks else [],
        "needed_level": application.role.check_level_enum if application.role else None,
        "review_overdue": checks.review_overdue(application) if show_checks else False,
        "reason_needed": REASON_NEEDED,
        # Before "Make active": what the role needs that is missing or has run out.
        "activation_warnings": (
            services.activation_problems(
                application, application.user or services.matching_account(application)
            )
            if application.stage_enum == Stage.TRAINING
            else []
        ),
        "no_check": CheckLevel.NONE,
        "disclosed": DbsOutcome.DISCLOSED.value,
    }


# Moving on --------------------------------------------------------------------------------------


def _target(value: str | None) -> Stage | None:
    try:
        return Stage(value or "")
    except ValueError:
        return None


@bp.route("/applications/<int:application_id>/move", methods=["GET", "POST"])
@login_required
def move(application_id: int):
    """The form to move an application, with a reason; also what each board card's one
    button sends (its page comes back in place under htmx)."""
    application = _load(application_id)
    form = MoveForm()
    target = _target(request.values.get("to"))
    if target is None or target == Stage.ACTIVE:
        if target == Stage.ACTIVE:
            return redirect_to(url_for("mentoring.activate", application_id=application.id))
        abort(404)
    next_url = request.values.get("next") or ""
    if not is_safe_next(next_url):
        next_url = ""
    back = next_url or url_for("mentoring.application", application_id=application.id)
    if request.method == "GET":
        form.version.data = str(application.version)
        form.to.data = target.value
    from_board = bool(next_url) and urlsplit(next_url).path == url_for("mentoring.applications")
    problem, status = None, 200
    if form.validate_on_submit():
        try:
            with saving():
                check_version(application, form.version.data)
                services.move(
                    current_user,
                    application,
                    target,
                    reason=form.reason.data or "",
                    note_to_person=form.note_to_person.data or "",
                )
        except ChangedMeanwhile as error:
            problem, status = str(error), 409
        except IllegalMove as error:
            if target in REASON_NEEDED and not (form.reason.data or "").strip():
                form.reason.errors.append(str(error))
            else:
                problem = str(error)
        else:
            message = _("%(name)s moved to “%(stage)s”.", name=application.name, stage=target.label)
            if target == Stage.NOT_PROGRESSED:
                message += " " + _("We have sent them a kind message.")
            if from_board:
                return updated(
                    "mentoring/board.html",
                    "board",
                    next_url,
                    message,
                    **_board_context(_filters(_query_of(next_url)), notice=message),
                )
            flash(message, "success")
            return redirect_to(back)
        db.session.rollback()
        application = _load(application_id)
        form.version.data = str(application.version)
        if from_board and problem:
            # A board card's button: say what went wrong on the board, as it is now.
            return render(
                "mentoring/board.html",
                block="board",
                **_board_context(_filters(_query_of(next_url)), problem=problem),
            )
    return render(
        "mentoring/move.html",
        form=form,
        application=application,
        target=target,
        reason_needed=target in REASON_NEEDED,
        tells_them=target == Stage.NOT_PROGRESSED,
        back=back,
        next_url=next_url,
        problem=problem,
        status=status,
    )


def _query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


@bp.route("/applications/<int:application_id>/role", methods=["GET", "POST"])
@login_required
def change_role(application_id: int):
    application = _load(application_id)
    form = ApplicationRoleForm()
    form.role.choices = [
        (str(r.id), r.name) for r in _roles() if r.is_active or r.id == application.role_id
    ] + [(NOT_SURE, _("Not sure yet"))]
    if request.method == "GET":
        form.version.data = str(application.version)
        form.role.data = str(application.role_id) if application.role_id else NOT_SURE
    problem, status = None, 200
    if form.validate_on_submit():
        role = None if form.role.data == NOT_SURE else db.session.get(PeerRole, int(form.role.data))
        try:
            with saving():
                check_version(application, form.version.data)
                services.set_role(current_user, application, role)
        except ChangedMeanwhile as error:
            problem, status = str(error), 409
        except IllegalMove as error:
            problem = str(error)
        else:
            flash(_("The role is saved."), "success")
            return redirect_to(url_for("mentoring.application", application_id=application.id))
        db.session.rollback()
        application = _load(application_id)
        form.version.data = str(application.version)
    return _form_page(
        application,
        form,
        heading=_("Which role is it for?"),
        problem=problem,
        status=status,
    )


def _form_page(
    application: Application,
    form: Any,
    *,
    heading: str,
    problem: str | None = None,
    status: int = 200,
    intro: str | None = None,
    date_fields: tuple[str, ...] = (),
) -> Any:
    return render(
        "mentoring/form_page.html",
        form=form,
        application=application,
        heading=heading,
        intro=intro,
        problem=problem,
        status=status,
        date_fields=date_fields,
    )


# References ---------------------------------------------------------------------------------------


def _load_reference(application: Application, reference_id: int) -> Reference:
    reference = db.session.get(Reference, reference_id)
    if reference is None or reference.application_id != application.id:
        abort(404)
    return reference


@bp.route("/applications/<int:application_id>/references/new", methods=["GET", "POST"])
@bp.route(
    "/applications/<int:application_id>/references/<int:reference_id>", methods=["GET", "POST"]
)
@login_required
def reference(application_id: int, reference_id: int | None = None):
    application = _load(application_id)
    row = _load_reference(application, reference_id) if reference_id is not None else None
    form = ReferenceForm()
    if request.method == "GET":
        if row is None:
            form.requested_on.data = dates.local_today()
        else:
            form.version.data = str(row.version)
            form.referee_name.data = row.referee_name
            form.how_to_reach.data = row.how_to_reach
            form.requested_on.data = row.requested_on
            form.received_on.data = row.received_on
            form.outcome.data = row.outcome
    if row is None:
        del form.received_on
        del form.outcome
    problem, status = None, 200
    if form.validate_on_submit():
        try:
            with saving():
                if row is None:
                    checks.add_reference(
                        current_user,
                        application,
                        referee_name=form.referee_name.data,
                        how_to_reach=form.how_to_reach.data,
                        requested_on=form.requested_on.data,
                    )
                else:
                    check_version(row, form.version.data)
                    checks.update_reference(
                        current_user,
                        row,
                        referee_name=form.referee_name.data,
                        how_to_reach=form.how_to_reach.data,
                        requested_on=form.requested_on.data,
                        received_on=form.received_on.data,
                        outcome=ReferenceOutcome(form.outcome.data) if form.outcome.data else None,
                    )
        except ChangedMeanwhile as error:
            problem, status = str(error), 409
        except IllegalMove as error:
            problem = str(error)
        else:
            flash(_("The reference is saved."), "success")
            return redirect_to(
                url_for("mentoring.application", application_id=application.id) + "#references"
            )
        db.session.rollback()
        application = _load(application_id)
        if row is not None:
            row = _load_reference(application, row.id)
            form.version.data = str(row.version)
    return _form_page(
        application,
        form,
        heading=_("Add a reference") if row is None else _("Update the reference"),
        problem=problem,
        status=status,
        date_fields=("requested_on", "received_on"),
    )


# DBS checks and decisions -----------------------------------------------------------------------


def _load_check(application: Application, check_id: int) -> DbsCheck:
    check = db.session.get(DbsCheck, check_id)
    if check is None or check.application_id != application.id:
        abort(404)
    return check


def _checks_page(application: Application) -> Application:
    allow(can_see_checks(current_user), hide=True)
    if checks.record_view(current_user, application):
        db.session.commit()
    return application


@bp.route("/applications/<int:application_id>/dbs/new", methods=["GET", "POST"])
@bp.route("/applications/<int:application_id>/dbs/<int:check_id>", methods=["GET", "POST"])
@login_required
@writes_when_read(when=lambda args: args.get("check_id") is not None)
def dbs_check(application_id: int, check_id: int | None = None):
    application = _load(application_id)
    allow(can_see_checks(current_user), hide=True)
    check = _load_check(application, check_id) if check_id is not None else None
    form = DbsForm()
    if request.method == "GET":
        if check is None:
            needed = application.role.check_level_enum if application.role else CheckLevel.NONE
            form.level.data = needed.value if needed != CheckLevel.NONE else None
        else:
            _checks_page(application)
            form.version.data = str(check.version)
            form.level.data = check.level
            form.certificate_date.data = check.certificate_date
            form.outcome.data = check.outcome
            form.renewal_date.data = check.renewal_date
    problem, status = None, 200
    if form.validate_on_submit():
        values = {
            "level": CheckLevel(form.level.data),
            "certificate_date": form.certificate_date.data,
            "outcome": DbsOutcome(form.outcome.data),
            "renewal_date": form.renewal_date.data,
        }
        try:
            with saving():
                if check is None:
                    saved = checks.record_check(current_user, application, **values)
                else:
                    check_version(check, form.version.data)
                    checks.update_check(current_user, check, **values)
                    saved = check
        except ChangedMeanwhile as error:
            problem, status = str(error), 409
        except IllegalMove as error:
            problem = str(error)
        else:
            flash(_("The DBS check is saved."), "success")
            if saved.outcome == DbsOutcome.DISCLOSED.value and saved.current_decision is None:
                return redirect_to(
                    url_for(
                        "mentoring.risk_decision",
                        application_id=application.id,
                        check_id=saved.id,
                    )
                )
            return redirect_to(
                url_for("mentoring.application", application_id=application.id) + "#checks"
            )
        db.session.rollback()
        application = _load(application_id)
        if check is not None:
            check = _load_check(application, check.id)
            form.version.data = str(check.version)
    return _form_page(
        application,
        form,
        heading=_("Record a DBS check") if check is None else _("Change the DBS check"),
        intro=_(
            "Keep only the level, the date on the certificate, the outcome and when to renew "
            "it. Never write down what a certificate says."
        ),
        problem=problem,
        status=status,
        date_fields=("certificate_date", "renewal_date"),
    )


@bp.route("/applications/<int:application_id>/dbs/<int:check_id>/decision", methods=["GET", "POST"])
@login_required
@writes_when_read
def risk_decision(application_id: int, check_id: int):
    application = _load(application_id)
    allow(can_see_checks(current_user), hide=True)
    check = _load_check(application, check_id)
    if check.outcome != DbsOutcome.DISCLOSED.value:
        abort(404)
    if request.method == "GET":
        _checks_page(application)
    form = DecisionForm()
    problem = None
    if form.validate_on_submit():
        try:
            checks.record_decision(
                current_user,
                check,
                decision=RiskDecisionKind(form.decision.data),
                review_date=form.review_date.data,
            )
        except IllegalMove as error:
            db.session.rollback()
            problem = str(error)
            form.review_date.errors.append(problem)
        else:
            db.session.commit()
            flash(_("The decision is recorded."), "success")
            return redirect_to(
                url_for("mentoring.application", application_id=application.id) + "#checks"
            )
    return _form_page(
        application,
        form,
        heading=_("Individual risk-assessment decision"),
        intro=_(
            "Information was disclosed on the DBS certificate. That is not a no: talk it "
            "through with them, think about this role and what support would help, and "
            "record what you decided together."
        ),
        problem=problem if problem and not form.errors else None,
        date_fields=("review_date",),
    )


# Becoming active --------------------------------------------------------------------------------


@bp.route("/applications/<int:application_id>/activate", methods=["GET", "POST"])
@login_required
def activate(application_id: int):
    application = _load(application_id)
    form = ActivateForm()
    match = services.matching_account(application)
    if request.method == "GET":
        form.version.data = str(application.version)
        if match is not None:
            form.account.data = EXISTING_ACCOUNT
            form.existing_login.data = match.username
    problem, status = None, 200
    # Whose training counts: the account that would hold the role (the one the page offers).
    holder = match if form.account.data == EXISTING_ACCOUNT else None
    warnings = None
    if application.stage_enum != Stage.TRAINING:
        problem = _("Only an application at “Training” can be made active.")
    elif form.validate_on_submit():
        existing = None
        if form.account.data == EXISTING_ACCOUNT:
            existing = User.find_by_login(form.existing_login.data or "")
            if existing is None:
                form.existing_login.errors.append(
                    _("There is no account with that username or email address")
                )
        holder = existing
        if not form.errors:
            try:
                with saving():
                    check_version(application, form.version.data)
                    done = services.activate(
                        current_user,
                        application,
                        existing=existing,
                        username=form.username.data or "",
                        contact_consent=form.contact_consent.data == "yes",
                        reason=form.reason.data or "",
                    )
            except ChangedMeanwhile as error:
                problem, status = str(error), 409
            except services.ReasonNeeded as error:
                form.reason.errors.append(str(error))
                warnings = error.problems
            except IllegalMove as error:
                problem = str(error)
            else:
                return _activated(application, done)
            db.session.rollback()
            application = _load(application_id)
            form.version.data = str(application.version)
    if warnings is None and application.stage_enum == Stage.TRAINING:
        warnings = services.activation_problems(application, holder)
    return render(
        "mentoring/activate.html",
        form=form,
        application=application,
        match=match,
        warnings=warnings or [],
        problem=problem,
        status=status,
    )


def _activated(application: Application, done: services.Activation):
    name = application.name
    if done.link is None:
        flash(_("%(name)s is active. Their account is linked.", name=name), "success")
    elif done.sent:
        flash(
            _("%(name)s is active. We have sent them an invitation to sign in.", name=name),
            "success",
        )
    else:
        flash(
            _(
                "%(name)s is active. They have no email address or phone number, so print a "
                "sign-in link and give it to them.",
                name=name,
            ),
            "success",
        )
        return redirect_to(url_for("people.sign_in_link", person_id=done.user.id))
    return redirect_to(url_for("mentoring.application", application_id=application.id))
