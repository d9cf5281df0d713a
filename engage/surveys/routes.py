"""Answering a survey: one question per page, save and resume, check your answers, and the
personal answer link that lets someone answer from a text message without signing in."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from engage.core.htmx import redirect_to, render
from engage.core.permissions import allow
from engage.extensions import db
from engage.people.models import User
from engage.surveys import bp, services
from engage.surveys.definitions import Question
from engage.surveys.forms import CheckForm, field_data, field_value, question_form
from engage.surveys.models import RoundInvitee, SurveyError, SurveyRound

#: Where a browser keeps which person each personal answer link stands for, by round.
LINKS_KEY = "survey_links"


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "en"


def _round(round_id: int) -> SurveyRound:
    round_ = db.session.get(SurveyRound, round_id)
    if round_ is None:
        abort(404)
    return round_


def _linked_person(round_: SurveyRound) -> User | None:
    """The person whose personal link was opened in this browser for this round."""
    user_id = session.get(LINKS_KEY, {}).get(str(round_.id))
    if user_id is None or db.session.get(RoundInvitee, (round_.id, user_id)) is None:
        return None
    person = db.session.get(User, user_id)
    return person if person is not None and person.is_active else None


def _respondent(round_: SurveyRound) -> User:
    """Who is answering: the person of a personal link opened here, else the signed-in
    person if the round is for them. Anyone else is sent to sign in, or told nothing (404)."""
    person = _linked_person(round_)
    if person is not None:
        return person
    if not current_user.is_authenticated:
        abort(redirect(url_for("people.login", next=request.full_path.rstrip("?"))))
    allow(services.in_audience(round_, current_user), hide=True)
    return current_user


def _easy_read(person: User) -> bool:
    return bool(person.profile and person.profile.needs_easy_read)


def _not_answering(round_: SurveyRound, person: User) -> HttpResponse | None:
    """The page to show instead of a question when this person cannot answer now."""
    if services.has_responded(round_, person):
        return render("surveys/answered.html", round=round_)
    if not round_.accepting():
        return render("surveys/not_open.html", round=round_)
    return None


def _answers(round_: SurveyRound, person: User) -> dict[str, Any]:
    return services.draft_answers(round_, person)


def _visible(round_: SurveyRound, answers: dict[str, Any]) -> list[Question]:
    return round_.definition.visible_questions(answers)


def _next_step(round_: SurveyRound, answers: dict[str, Any], after: str | None) -> str:
    """The question after ``after`` (or, with no ``after``, the first one still unanswered),
    else check your answers."""
    visible = _visible(round_, answers)
    ids = [q.id for q in visible]
    if after is not None and after in ids:
        later = visible[ids.index(after) + 1 :]
    else:
        later = [q for q in visible if q.id not in answers]
    if later:
        return url_for("surveys.question", round_id=round_.id, question_id=later[0].id)
    return url_for("surveys.check", round_id=round_.id)


def _after_change(round_: SurveyRound, before: list[str], answers: dict[str, Any]) -> str:
    """After changing an answer from "check your answers": back there, unless the new answer
    brought in a question the person has not seen yet."""
    revealed = [q for q in _visible(round_, answers) if q.id not in before]
    if revealed:
        return url_for("surveys.question", round_id=round_.id, question_id=revealed[0].id, change=1)
    return url_for("surveys.check", round_id=round_.id)


@bp.route("/surveys/<int:round_id>/answer/<token>")
def answer_link(round_id: int, token: str):
    """A personal answer link from an invitation: this browser answers as its person, for
    this round only, until they send their answers."""
    invitee = services.person_for_link(round_id, token[:100])
    if invitee is None:
        return render("surveys/link_not_working.html", status=404)
    links = dict(session.get(LINKS_KEY, {}))
    links[str(round_id)] = invitee.user_id
    session[LINKS_KEY] = links
    if invitee.user.locale and not current_user.is_authenticated:
        session["locale"] = invitee.user.locale  # the survey in the language they chose
    return redirect(url_for("surveys.start", round_id=round_id), 303)


@bp.route("/surveys/<int:round_id>")
def start(round_id: int):
    round_ = _round(round_id)
    person = _respondent(round_)
    stop = _not_answering(round_, person)
    if stop is not None:
        return stop
    answers = _answers(round_, person)
    visible = _visible(round_, answers)
    return render(
        "surveys/start.html",
        round=round_,
        definition=round_.definition,
        language=_language(),
        question_count=len(visible),
        started=bool(answers),
        next_url=_next_step(round_, answers, None),
    )


@bp.route("/surveys/<int:round_id>/questions/<question_id>", methods=["GET", "POST"])
def question(round_id: int, question_id: str):
    round_ = _round(round_id)
    person = _respondent(round_)
    stop = _not_answering(round_, person)
    if stop is not None:
        return stop
    answers = _answers(round_, person)
    visible = _visible(round_, answers)
    ids = [q.id for q in visible]
    if question_id not in ids:
        # A question this survey does not ask, or one the answers so far hide.
        return redirect(_next_step(round_, answers, None), 303)
    asked = visible[ids.index(question_id)]
    language = _language()
    form = question_form(asked, language, _easy_read(person))
    if request.method == "GET":
        form.answer.data = field_data(asked, answers.get(asked.id))
    elif form.validate_on_submit():
        try:
            services.save_answer(round_, person, asked.id, field_value(asked, form.answer.data))
        except SurveyError:
            db.session.rollback()
            return _not_answering(round_, person) or abort(409)
        db.session.commit()
        now = _answers(round_, person)
        if request.args.get("change"):
            return redirect_to(_after_change(round_, ids, now))
        return redirect_to(_next_step(round_, now, asked.id))
    position = ids.index(question_id)
    back = (
        url_for("surveys.check", round_id=round_.id)
        if request.args.get("change")
        else url_for("surveys.question", round_id=round_.id, question_id=ids[position - 1])
        if position
        else url_for("surveys.start", round_id=round_.id)
    )
    return render(
        "surveys/question.html",
        status=200 if request.method == "GET" or not form.errors else 400,
        round=round_,
        question=asked,
        form=form,
        number=position + 1,
        of=len(ids),
        back=back,
        change=bool(request.args.get("change")),
        language=language,
        easy_read=_easy_read(person),
    )


@bp.route("/surveys/<int:round_id>/saved")
def saved(round_id: int):
    """ "Come back later": what is kept and until when."""
    round_ = _round(round_id)
    person = _respondent(round_)
    return _not_answering(round_, person) or render(
        "surveys/saved.html", round=round_, signed_in=current_user.is_authenticated
    )


@bp.route("/surveys/<int:round_id>/check", methods=["GET", "POST"])
def check(round_id: int):
    round_ = _round(round_id)
    person = _respondent(round_)
    stop = _not_answering(round_, person)
    if stop is not None:
        return stop
    form = CheckForm()
    answers = _answers(round_, person)
    missing = services.missing_answers(round_.definition, answers)
    error = None
    if form.validate_on_submit():
        if services.has_responded(round_, person):  # another press of "Send" got there first
            return render("surveys/answered.html", round=round_)
        if missing:
            error = _("Some questions still need an answer. Use the Change links to answer them.")
        else:
            try:
                services.submit(round_, person)
            except SurveyError:
                db.session.rollback()
                return _not_answering(round_, person) or abort(409)
            db.session.commit()
            return redirect_to(url_for("surveys.done", round_id=round_.id))
    language = _language()
    easy_read = _easy_read(person)
    rows = [
        {
            "question": q,
            "label": q.label(language, easy_read=easy_read),
            "answer": _shown_answer(q, answers.get(q.id), language),
            "missing": q.id in missing,
        }
        for q in _visible(round_, answers)
    ]
    return render(
        "surveys/check.html",
        status=400 if error else 200,
        round=round_,
        rows=rows,
        form=form,
        error=error,
    )


def _shown_answer(question: Question, value: Any, language: str) -> str:
    if value in (None, "", []):
        return ""
    if question.type == "multiple":
        return ", ".join(question.option_label(v, language) for v in value)
    if question.type in ("agree", "single"):
        return question.option_label(value, language)
    return str(value)


@bp.route("/surveys/<int:round_id>/done")
def done(round_id: int):
    round_ = _round(round_id)
    person = _linked_person(round_) or (current_user if current_user.is_authenticated else None)
    if person is None or not services.has_responded(round_, person):
        return redirect(url_for("surveys.start", round_id=round_.id), 303)
    return render(
        "surveys/done.html",
        round=round_,
        definition=round_.definition,
        language=_language(),
    )
