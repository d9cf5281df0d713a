"""Surveys' part of a person's data download: the rounds they were invited to, their answers
to surveys that were not anonymous, and answers they saved to finish later.

Answers to an anonymous survey are stored without any link to the person (see
``engage.surveys.models``), so they cannot be found for anyone and are not in the download;
the README says so."""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import gettext as _
from sqlalchemy import select

from engage.core.domains import DataFile, personal_data
from engage.extensions import db
from engage.people.models import User
from engage.people.my_data import someone
from engage.surveys.models import Answer, Draft, Response, RoundInvitee, SurveyRound


@personal_data(60, tables=("survey_response", "survey_answer", "survey_invitee", "survey_draft"))
def export(person: User) -> Iterator[DataFile]:
    name = someone(person)
    invited = db.session.execute(
        select(RoundInvitee, SurveyRound)
        .join(SurveyRound, SurveyRound.id == RoundInvitee.round_id)
        .where(RoundInvitee.user_id == person.id)
        .order_by(SurveyRound.opens_at)
    ).all()
    yield DataFile(
        "surveys-invitations",
        _("Surveys you were asked to answer, and whether you answered."),
        [
            {
                "survey": survey.title,
                "anonymous": survey.anonymous,
                "opens": survey.opens_at,
                "closes": survey.closes_at,
                "invitation_sent": invitee.invited,
                "answered": invitee.responded,
            }
            for invitee, survey in invited
        ],
    )
    responses = db.session.execute(
        select(Response, SurveyRound)
        .join(SurveyRound, SurveyRound.id == Response.round_id)
        .where(Response.user_id == person.id)
        .order_by(Response.submitted_on)
    ).all()
    titles = {response.id: survey.title for response, survey in responses}
    answers = (
        db.session.scalars(select(Answer).where(Answer.response_id.in_(titles)).order_by(Answer.id))
        if titles
        else []
    )
    yield DataFile(
        "surveys-answers",
        _(
            "Your answers to surveys that were not anonymous. Answers to anonymous surveys "
            "are kept with no link to you, so they cannot be found or included."
        ),
        [
            {
                "survey": titles[answer.response_id],
                "question": answer.question_id,
                "answer": answer.value,
                "number": answer.number,
                "text": answer.text,
            }
            for answer in answers
        ],
    )
    yield DataFile(
        "surveys-responses",
        _("When you answered each survey that was not anonymous, and whether on paper."),
        [
            {
                "survey": survey.title,
                "answered_on": response.submitted_on,
                "on_paper": response.on_paper,
                "typed_in_by": name(response.entered_by_id),
                "gender": response.gender,
                "ethnicity": response.ethnicity,
                "age_band": response.age_band,
                "disability": response.disability,
                "sexual_orientation": response.sexual_orientation,
            }
            for response, survey in responses
        ],
    )
    drafts = db.session.execute(
        select(Draft, SurveyRound)
        .join(SurveyRound, SurveyRound.id == Draft.round_id)
        .where(Draft.user_id == person.id)
    ).all()
    yield DataFile(
        "surveys-saved-answers",
        _("Answers you saved to finish later (they are deleted once you send the survey)."),
        [
            {"survey": survey.title, "saved": draft.updated_at, "answers": draft.answers_json}
            for draft, survey in drafts
        ],
    )
