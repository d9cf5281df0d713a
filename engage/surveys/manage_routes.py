"""Running surveys (managers): plan a round, open, remind, close, reopen and share it, type in
paper forms, set the suppression threshold; and the list of surveys each person sees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from engage.core import dates
from engage.core.conflicts import ChangedMeanwhile, check_version
from engage.core.htmx import redirect_to, render
from engage.core.permissions import allow
from engage.extensions import db
from engage.people.models import Role, User, UserRole
from engage.surveys import bp, services
from engage.surveys import definitions as defs
from engage.surveys import permissions as perm
from engage.surveys.forms import (
    ConfirmForm,
    ReopenForm,
    RoundForm,
    ThresholdForm,
    field_value,
    paper_form,
)
from engage.surveys.models import (
    Audience,
    RoundInvitee,
    SurveyError,
    SurveyRound,
)
from engage.surveys.routes import _language, _round


def _moment(day, time) -> datetime:  # noqa: ANN001
    """A day and a time in the partnership's zone, as the instant they name."""
    return datetime.combine(day, time, tzinfo=dates.local_timezone()).astimezone(UTC)


@bp.route("/surveys")
@login_required
def index():
    """Managers and boards: every round. Everyone else: the surveys waiting for them."""
    waiting = services.waiting_for(current_user)
    rounds = []
    if perm.can_see_surveys_list(current_user):
        rounds = db.session.scalars(
            select(SurveyRound).order_by(SurveyRound.opens_at.desc(), SurveyRound.id.desc())
        ).all()
    return render("surveys/index.html", waiting=waiting, rounds=rounds)


def _peer_choices() -> list[tuple[str, str]]:
    people = db.session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.is_active,
            UserRole.role.in_([Role.PEER.value, Role.BOARD.value, Role.PARTNER.value]),
        )
        .order_by(User.username)
        .distinct()
    )
    return [(str(p.id), p.display_name) for p in people]


def _forum_choices() -> list[tuple[str, str]]:
    from engage.forums.models import Forum

    forums = db.session.scalars(
        select(Forum).where(Forum.is_training.is_(False)).order_by(Forum.name)
    )
    return [("", _("Choose a forum"))] + [(str(f.id), f.name) for f in forums]


@bp.route("/surveys/new", methods=["GET", "POST"])
@login_required
def new_round():
    allow(perm.can_run_surveys(current_user))
    definitions = defs.latest_all(defs.all_definitions())
    form = RoundForm()
    form.definition.choices = [
        (f"{d.slug}:{d.version}", defs.text_in(d.title, _language())) for d in definitions
    ]
    form.forum.choices = _forum_choices()
    form.people.choices = _peer_choices()
    if request.method == "GET":
        today = dates.local_today()
        form.opens_on.data = today
        form.closes_on.data = today + timedelta(days=28)
    error = None
    if form.validate_on_submit():
        slug, _sep, version = form.definition.data.partition(":")
        definition = defs.all_definitions().get((slug, int(version)))
        try:
            if definition is None:
                raise SurveyError(_("Choose a survey"))
            people = [db.session.get(User, int(i)) for i in form.people.data or [] if i.isdigit()]
            round_ = services.create_round(
                current_user,
                definition,
                title=form.title.data,
                audience=Audience(form.audience.data),
                forum_id=int(form.forum.data) if form.forum.data else None,
                people=[p for p in people if p is not None],
                opens_at=_moment(form.opens_on.data, form.opens_time.data),
                closes_at=_moment(form.closes_on.data, form.closes_time.data),
                submission_key=form.submission_key.key,
            )
        except SurveyError as refused:
            db.session.rollback()
            error = str(refused)
        else:
            db.session.commit()
            flash(_("The survey round is planned."), "success")
            return redirect_to(url_for("surveys.manage", round_id=round_.id))
    return render(
        "surveys/new.html",
        status=400 if error or form.errors else 200,
        form=form,
        error=error,
    )


@bp.route("/surveys/<int:round_id>/manage")
@login_required
def manage(round_id: int):
    allow(perm.can_run_surveys(current_user))
    round_ = _round(round_id)
    return render(
        "surveys/manage.html",
        round=round_,
        counts=services.counts(round_),
        form=ConfirmForm(),
        reopen_form=ReopenForm(),
        language=_language(),
    )


_ACTIONS = {
    "open": (services.open_round, _l("The survey is open and the invitations are on their way.")),
    "close": (services.close_round, _l("The survey is closed.")),
    "remind": (services.send_reminder, _l("The reminder is on its way.")),
    "share": (services.share_results, _l("The results are marked as shared.")),
}


@bp.route("/surveys/<int:round_id>/<any(open, close, remind, share):action>", methods=["POST"])
@login_required
def act(round_id: int, action: str):
    allow(perm.can_run_surveys(current_user))
    round_ = _round(round_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    run, done_message = _ACTIONS[action]
    try:
        check_version(round_, request.form.get("version"))
        run(current_user, round_)
    except (SurveyError, ChangedMeanwhile) as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(str(done_message), "success")
    return redirect_to(url_for("surveys.manage", round_id=round_id))


@bp.route("/surveys/<int:round_id>/reopen", methods=["POST"])
@login_required
def reopen(round_id: int):
    allow(perm.can_run_surveys(current_user))
    round_ = _round(round_id)
    form = ReopenForm()
    error = None
    if form.validate_on_submit():
        try:
            check_version(round_, request.form.get("version"))
            services.reopen_round(
                current_user, round_, _moment(form.closes_on.data, form.closes_time.data)
            )
        except (SurveyError, ChangedMeanwhile) as refused:
            db.session.rollback()
            error = str(refused)
        else:
            db.session.commit()
            flash(_("The survey is open again."), "success")
            return redirect_to(url_for("surveys.manage", round_id=round_id))
    return render(
        "surveys/manage.html",
        status=400,
        round=round_,
        counts=services.counts(round_),
        form=ConfirmForm(),
        reopen_form=form,
        reopen_error=error,
        language=_language(),
    )


def _waiting_people(round_: SurveyRound) -> list[tuple[str, str]]:
    """People who may still answer (an identified round's paper form names one)."""
    invited = db.session.scalars(
        select(RoundInvitee).where(
            RoundInvitee.round_id == round_.id, RoundInvitee.responded.is_(False)
        )
    ).all()
    return sorted(
        ((str(i.user_id), i.user.display_name) for i in invited), key=lambda pair: pair[1]
    )


@bp.route("/surveys/<int:round_id>/paper", methods=["GET", "POST"])
@login_required
def paper(round_id: int):
    """Type in a paper form: every question on one page."""
    allow(perm.can_run_surveys(current_user))
    round_ = _round(round_id)
    definition = round_.definition
    language = _language()
    people = None if round_.anonymous else _waiting_people(round_)
    form = paper_form(definition.questions, language, people)
    error = None
    if form.validate_on_submit():
        answers = {
            q.id: field_value(q, getattr(form, f"q_{q.id}").data) for q in definition.questions
        }
        answers = {k: v for k, v in answers.items() if v is not None}
        person = None
        if people is not None and form.person.data and form.person.data.isdigit():
            person = db.session.get(User, int(form.person.data))
        try:
            services.submit_paper(
                current_user,
                round_,
                answers,
                person=person,
                submission_key=form.submission_key.key,
            )
        except SurveyError as refused:
            db.session.rollback()
            error = str(refused)
        else:
            db.session.commit()
            flash(_("The paper form is saved. You can type in the next one."), "success")
            return redirect_to(url_for("surveys.paper", round_id=round_id))
    return render(
        "surveys/paper.html",
        status=400 if error or form.errors else 200,
        round=round_,
        form=form,
        questions=definition.questions,
        error=error,
    )


@bp.route("/surveys/settings", methods=["GET", "POST"])
@login_required
def settings():
    allow(perm.can_change_settings(current_user))
    form = ThresholdForm()
    if request.method == "GET":
        form.threshold.data = services.suppression_threshold()
    if form.validate_on_submit():
        services.set_suppression_threshold(current_user, form.threshold.data)
        db.session.commit()
        flash(
            _("Saved. Results now show groups of %(n)s or more.", n=form.threshold.data), "success"
        )
        return redirect_to(url_for("surveys.settings"))
    return render("surveys/settings.html", status=400 if form.errors else 200, form=form)
