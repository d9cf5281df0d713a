"""Results pages (managers and board members), their exports, and raising a free-text
answer in the register (managers)."""

from __future__ import annotations

from flask import abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from engage.core import audit, dates
from engage.core.htmx import redirect_to, render
from engage.core.numbers import page_of, requested_page
from engage.core.permissions import allow
from engage.extensions import db
from engage.people.models import Organisation
from engage.surveys import bp, exports, results, services
from engage.surveys import permissions as perm
from engage.surveys.forms import RaiseFromAnswerForm
from engage.surveys.models import Answer, SurveyError
from engage.surveys.routes import _language, _round

#: Free-text answers shown a page at a time: a big round has thousands.
FREE_TEXT_PAGE = 50


def _results_round(round_id: int):
    round_ = _round(round_id)
    # Someone who may not see these results is told nothing about them.
    allow(
        perm.can_see_results(current_user, round_), hide=not perm.can_see_surveys_list(current_user)
    )
    return round_


def _breakdown_choice() -> str | None:
    by = request.args.get("by", "")
    return by if by in results.BREAKDOWNS else None


@bp.route("/surveys/<int:round_id>/results")
@login_required
def results_page(round_id: int):
    round_ = _results_round(round_id)
    language = _language()
    threshold = services.suppression_threshold()
    by = _breakdown_choice()
    counts = results.answer_counts(round_, by)
    free_text, free_page = [], None
    if perm.can_read_free_text(current_user):
        wanted = requested_page()
        free_text, total = results.free_text(round_, wanted, FREE_TEXT_PAGE)
        free_page = page_of(total, FREE_TEXT_PAGE, wanted)
        if free_page.number != wanted:  # asked beyond the last page: show the last
            free_text, _total = results.free_text(round_, free_page.number, FREE_TEXT_PAGE)
    return render(
        "surveys/results.html",
        round=round_,
        counts=services.counts(round_),
        threshold=threshold,
        questions=results.question_results(round_, counts, language, threshold),
        trend=results.trend(round_, language, threshold),
        by=by,
        breakdown_labels=results.BREAKDOWNS,
        breakdowns=results.breakdowns(round_, counts, by, language, threshold) if by else [],
        free_text=free_text,
        free_page=free_page,
        language=language,
    )


def _download(body: bytes, filename: str, content_type: str):
    response = make_response(body)
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/surveys/<int:round_id>/results.<any(csv, xlsx):extension>")
@login_required
def results_export(round_id: int, extension: str):
    """The results' figures (never single answers) as a spreadsheet."""
    round_ = _results_round(round_id)
    language = _language()
    threshold = services.suppression_threshold()
    counts = results.answer_counts(round_)
    questions = results.question_results(round_, counts, language, threshold)
    trend = results.trend(round_, language, threshold)
    audit.record("survey.results_exported", actor=current_user, round=round_.id, format=extension)
    db.session.commit()
    name = exports.filename(round_, "results", extension, dates.local_today())
    if extension == "csv":
        return _download(exports.results_csv(questions), name, "text/csv; charset=utf-8")
    return _download(
        exports.results_xlsx(round_, questions, trend),
        name,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@bp.route("/surveys/<int:round_id>/answers.csv")
@login_required
def raw_answers(round_id: int):
    """Every response's answers with nothing that identifies anyone: no names, no dates, no
    groups, in no particular order. Managers only."""
    round_ = _results_round(round_id)
    allow(perm.can_export_raw_answers(current_user))
    audit.record("survey.answers_exported", actor=current_user, round=round_.id)
    db.session.commit()
    name = exports.filename(round_, "answers", "csv", dates.local_today())
    return _download(exports.raw_answers_csv(round_, _language()), name, "text/csv; charset=utf-8")


def _organisations() -> list[tuple[str, str]]:
    rows = db.session.scalars(
        select(Organisation).where(Organisation.is_active).order_by(Organisation.name)
    )
    return (
        [("", _("Choose a service"))]
        + [(str(o.id), o.name) for o in rows]
        + [("other", _("Other"))]
    )


@bp.route("/surveys/<int:round_id>/answers/<int:answer_id>/raise", methods=["GET", "POST"])
@login_required
def raise_answer(round_id: int, answer_id: int):
    """Put a free-text answer into the register, rewritten so nobody can be recognised."""
    allow(perm.can_read_free_text(current_user))
    round_ = _round(round_id)
    answer = db.session.get(Answer, answer_id)
    if answer is None or answer.round_id != round_.id or answer.text is None:
        abort(404)
    if answer.raised_item_id is not None and request.method == "GET":
        flash(_("This answer is already in the register."), "info")
        return redirect_to(url_for("changes.item", item_id=answer.raised_item_id))
    form = RaiseFromAnswerForm()
    form.agency.choices = _organisations()
    if request.method == "GET":
        form.what_happened.data = answer.text
    error = None
    if form.validate_on_submit():
        agency = form.agency.data
        try:
            item = services.raise_from_answer(
                current_user,
                answer,
                submission_key=form.submission_key.key,
                title=form.title.data,
                what_happened=form.what_happened.data,
                theme=form.theme.data,
                who_affected=form.who_affected.data or "",
                agency_id=int(agency) if agency.isdigit() else None,
                agency_other=form.agency_other.data or "",
            )
        except SurveyError as refused:
            db.session.rollback()
            error = str(refused)
        else:
            db.session.commit()
            flash(_("It is in the register. The board will see it."), "success")
            return redirect_to(url_for("changes.item", item_id=item.id))
    question = round_.definition.question(answer.question_id)
    return render(
        "surveys/raise.html",
        status=400 if error or form.errors else 200,
        round=round_,
        answer=answer,
        question_label=question.label(_language()),
        form=form,
        error=error,
    )
