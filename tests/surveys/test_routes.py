"""Survey pages: answering one question at a time, the personal answer link, paper forms,
running a round, exports, and who may open which page."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from engage.core.audit import AuditEntry
from engage.extensions import db
from engage.people.models import Role, User, hash_token
from engage.surveys import services
from engage.surveys.models import Answer, Response, RoundInvitee, SurveyRound
from tests.conftest import csrf_token, post, sign_in
from tests.surveys.conftest import PARTNERS_ANSWERS, conditional_definition


def _answer(client, round_id, question, value, **query):
    url = f"/surveys/{round_id}/questions/{question}"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return post(client, url, {"answer": value}, form_url=url)


def test_a_peer_answers_one_question_at_a_time_and_checks_before_sending(
    app, client, make_round, make_user
):
    make_user("sam")
    round_id = make_round()
    sign_in(client, "sam")
    home = client.get("/").get_data(as_text=True)
    assert f"/surveys/{round_id}" in home and "Partners, spring 2031" in home
    start = client.get(f"/surveys/{round_id}").get_data(as_text=True)
    assert "Start now" in start and "anonymous" in start
    page = client.get(f"/surveys/{round_id}/questions/feel_heard").get_data(as_text=True)
    assert "Question 1 of 7" in page and "I feel heard and listened to" in page
    assert "&lt;span" not in page and ">None<" not in page  # the heading is markup, no empty hint
    assert f'href="/surveys/{round_id}"' in page  # back to the start
    response = _answer(client, round_id, "feel_heard", "4")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/questions/views_valued")
    # The back link from question 2 shows the answer kept.
    back = client.get(f"/surveys/{round_id}/questions/feel_heard").get_data(as_text=True)
    assert re.search(r'value="4"\s+checked|checked[^>]*value="4"', back)
    for question, value in list(PARTNERS_ANSWERS.items())[1:]:
        assert _answer(client, round_id, question, value).status_code == 303
    check = client.get(f"/surveys/{round_id}/check").get_data(as_text=True)
    assert "Check your answers" in check and "Agree" in check and "Prefer not to say" in check
    # Change an answer from the check page: back to the check page after saving.
    change = _answer(client, round_id, "feel_heard", "2", change=1)
    assert change.headers["Location"].endswith(f"/surveys/{round_id}/check")
    assert "Disagree" in client.get(f"/surveys/{round_id}/check").get_data(as_text=True)
    sent = post(client, f"/surveys/{round_id}/check")
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/done")
    done = client.get(f"/surveys/{round_id}/done").get_data(as_text=True)
    assert "Thank you" in done and "What happens next" in done
    assert "already answered" in client.get(f"/surveys/{round_id}").get_data(as_text=True)
    with app.app_context():
        value = db.session.scalar(select(Answer.value).where(Answer.question_id == "feel_heard"))
        assert value == "2"


def test_a_wrong_or_missing_answer_is_explained_and_nothing_is_saved(
    app, client, make_round, make_user
):
    make_user("sam")
    round_id = make_round()
    sign_in(client, "sam")
    for value in ("", "9", "<script>"):
        response = _answer(client, round_id, "feel_heard", value)
        assert response.status_code == 400
        assert "Choose an answer" in response.get_data(as_text=True)
    assert "Needs an answer" in client.get(f"/surveys/{round_id}/check").get_data(as_text=True)
    refused = post(client, f"/surveys/{round_id}/check")
    assert refused.status_code == 400 and "still need an answer" in refused.get_data(as_text=True)
    # A question the survey does not ask goes back to the next one to answer.
    assert client.get(f"/surveys/{round_id}/questions/nope").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_a_number_out_of_range_keeps_what_was_typed(app, client, make_round, make_user):
    make_user("sam")
    round_id = make_round(definition=conditional_definition())
    sign_in(client, "sam")
    assert _answer(client, round_id, "turned_away", "no").status_code == 303
    for typed in ("9999999999999999999999", "12", "old"):
        response = _answer(client, round_id, "age", typed)
        body = response.get_data(as_text=True)
        assert response.status_code == 400 and f'value="{typed}"' in body
        assert "Enter a number from 16 to 120" in body or "whole number" in body.lower()


def test_a_hidden_question_is_skipped_and_its_answer_dropped(app, client, make_round, make_user):
    make_user("sam")
    round_id = make_round(definition=conditional_definition())
    sign_in(client, "sam")
    assert (
        _answer(client, round_id, "turned_away", "yes")
        .headers["Location"]
        .endswith("/questions/how_often")
    )
    assert _answer(client, round_id, "how_often", "often").status_code == 303
    assert _answer(client, round_id, "where", "At the council").status_code == 303
    assert _answer(client, round_id, "turned_away", "no", change=1).status_code == 303
    check = client.get(f"/surveys/{round_id}/check").get_data(as_text=True)
    assert "How often?" not in check and "At the council" not in check
    # Asking for the now hidden question goes on to the next one to answer.
    assert client.get(f"/surveys/{round_id}/questions/how_often").status_code == 303
    assert post(client, f"/surveys/{round_id}/check").status_code == 303
    with app.app_context():
        assert db.session.scalars(select(Answer.question_id)).all() == ["turned_away"]


def test_a_personal_link_answers_without_signing_in_once(app, client, make_round, make_user):
    person = make_user("sam", password=None)
    round_id = make_round()
    with app.app_context():
        invitee = db.session.get(RoundInvitee, (round_id, person.id))
        invitee.token_hash = hash_token("sams-token")
        db.session.commit()
    # Someone else's guess gets nowhere.
    assert client.get(f"/surveys/{round_id}/answer/guess").status_code == 404
    assert client.get(f"/surveys/{round_id}").status_code == 302  # sign in first
    assert client.get(f"/surveys/{round_id}/answer/sams-token").status_code == 303
    assert "Start now" in client.get(f"/surveys/{round_id}").get_data(as_text=True)
    for question, value in PARTNERS_ANSWERS.items():
        assert _answer(client, round_id, question, value).status_code == 303
    assert post(client, f"/surveys/{round_id}/check").status_code == 303
    # The link used again, in this browser or another, finds the answers already in.
    other = app.test_client()
    assert other.get(f"/surveys/{round_id}/answer/sams-token").status_code == 303
    assert "already answered" in other.get(f"/surveys/{round_id}").get_data(as_text=True)
    assert post(
        other, f"/surveys/{round_id}/check", form_url=f"/surveys/{round_id}"
    ).status_code in (200, 400)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    # The link is for that round only.
    second = make_round(title="Another round")
    assert client.get(f"/surveys/{second}").status_code == 302


def test_a_closed_round_says_so(app, client, make_round, make_user, manager):
    make_user("sam")
    round_id = make_round()
    with app.test_request_context():
        services.close_round(
            db.session.get(User, manager.id), db.session.get(SurveyRound, round_id)
        )
        db.session.commit()
    sign_in(client, "sam")
    page = client.get(f"/surveys/{round_id}/questions/feel_heard").get_data(as_text=True)
    assert "not taking answers" in page


def test_a_manager_plans_a_round_and_types_in_a_paper_form(app, client, now, make_user, manager):
    make_user("sam")
    sign_in(client, manager.username)
    form = client.get("/surveys/new").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', form).group(1)
    data = {
        "definition": "coproduction-partners:1",
        "title": "Partners, spring 2031",
        "audience": "all_peers",
        "opens_on": "2031-03-12",
        "opens_time": "09:00",
        "closes_on": "2031-04-09",
        "closes_time": "17:00",
        "submission_key": key,
    }
    first = post(client, "/surveys/new", data)
    again = post(client, "/surveys/new", data)  # a double press makes one round
    assert first.status_code == again.status_code == 303
    with app.app_context():
        rounds = db.session.scalars(select(SurveyRound)).all()
        assert len(rounds) == 1 and rounds[0].state == "open"
        round_id = rounds[0].id
    manage = client.get(f"/surveys/{round_id}/manage").get_data(as_text=True)
    assert "Invited" in manage and "Type in a paper form" in manage
    paper = {f"q_{k}": v for k, v in PARTNERS_ANSWERS.items()}
    assert post(client, f"/surveys/{round_id}/paper", paper).status_code == 303
    with app.app_context():
        response = db.session.scalar(select(Response))
        assert response.on_paper and response.user_id is None
    # Closing a day too early by mistake: reopen it until a new time.
    version = re.search(
        r'name="version" value="(\d+)"',
        client.get(f"/surveys/{round_id}/manage").get_data(as_text=True),
    ).group(1)
    closed = post(
        client,
        f"/surveys/{round_id}/close",
        {"version": version},
        form_url=f"/surveys/{round_id}/manage",
    )
    assert closed.status_code == 303
    with app.app_context():
        assert db.session.get(SurveyRound, round_id).state == "closed"


def test_a_round_with_bad_dates_keeps_what_was_typed(app, client, now, manager):
    sign_in(client, manager.username)
    data = {
        "definition": "coproduction-partners:1",
        "title": "Partners, spring 2031",
        "audience": "list",
        "opens_on": "2031-03-12",
        "opens_time": "09:00",
        "closes_on": "2031-03-01",
        "closes_time": "25:00",
    }
    response = post(client, "/surveys/new", data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and 'value="Partners, spring 2031"' in body
    assert "Choose at least one person" in body


def test_exports_are_formula_safe_private_and_recorded(app, client, make_round, make_user, manager):
    make_user("sam")
    round_id = make_round()
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        sam = db.session.scalar(select(User).where(User.username == "sam"))
        answers = {**PARTNERS_ANSWERS, "what_should_change": '=HYPERLINK("http://x","y")'}
        for question, value in answers.items():
            services.save_answer(round_, sam, question, value)
        services.submit(round_, sam)
        db.session.commit()
    sign_in(client, manager.username)
    raw = client.get(f"/surveys/{round_id}/answers.csv")
    assert raw.status_code == 200 and raw.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(raw.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][-1] == '\'=HYPERLINK("http://x","y")'
    assert not any("sam" in cell.lower() for row in rows for cell in row)
    for extension in ("csv", "xlsx"):
        export = client.get(f"/surveys/{round_id}/results.{extension}")
        assert export.status_code == 200 and export.headers["Cache-Control"] == "no-store"
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("survey.%exported"))
        ).all()
        assert sorted(actions) == [
            "survey.answers_exported",
            "survey.results_exported",
            "survey.results_exported",
        ]


def test_raising_a_free_text_answer_from_the_results(app, client, make_round, make_user, manager):
    make_user("sam")
    round_id = make_round()
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        sam = db.session.scalar(select(User).where(User.username == "sam"))
        for question, value in {
            **PARTNERS_ANSWERS,
            "what_should_change": "Evening meetings",
        }.items():
            services.save_answer(round_, sam, question, value)
        services.submit(round_, sam)
        db.session.commit()
        answer_id = db.session.scalar(select(Answer.id).where(Answer.text.is_not(None)))
    sign_in(client, manager.username)
    results = client.get(f"/surveys/{round_id}/results").get_data(as_text=True)
    assert "Evening meetings" in results and "Put this in the register" in results
    url = f"/surveys/{round_id}/answers/{answer_id}/raise"
    page = client.get(url).get_data(as_text=True)
    assert "Evening meetings" in page
    raised = post(
        client,
        url,
        {
            "title": "No evening meetings",
            "what_happened": "People who work cannot come.",
            "agency": "other",
            "theme": "other",
        },
    )
    assert raised.status_code == 303 and "/register/" in raised.headers["Location"]
    assert "In the register as item" in client.get(f"/surveys/{round_id}/results").get_data(
        as_text=True
    )


ROUND_PAGES = {
    # url template -> roles allowed; others get 404 (hidden) or 403
    "/surveys": set(Role),
    "/surveys/new": {Role.MANAGER},
    "/surveys/settings": {Role.MANAGER, Role.ADMIN},
    "/surveys/{round}/manage": {Role.MANAGER},
    "/surveys/{round}/paper": {Role.MANAGER},
    "/surveys/{round}/results": {Role.MANAGER, Role.BOARD},
    "/surveys/{round}/results.csv": {Role.MANAGER, Role.BOARD},
    "/surveys/{round}/results.xlsx": {Role.MANAGER, Role.BOARD},
    "/surveys/{round}/answers.csv": {Role.MANAGER},
    "/surveys/{round}/answers/{answer}/raise": {Role.MANAGER},
}
HIDDEN = {
    "/surveys/{round}/results",
    "/surveys/{round}/results.csv",
    "/surveys/{round}/results.xlsx",
    "/surveys/{round}/answers.csv",
}


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "visitor")
def test_every_survey_page_refuses_the_roles_it_should(
    app, client, make_round, make_user, manager, role
):
    """On a closed round (board members read results once a round has closed)."""
    make_user("sam")
    round_id = make_round()
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        sam = db.session.scalar(select(User).where(User.username == "sam"))
        for question, value in {**PARTNERS_ANSWERS, "what_should_change": "More notice"}.items():
            services.save_answer(round_, sam, question, value)
        services.submit(round_, sam)
        services.close_round(db.session.get(User, manager.id), round_)
        db.session.commit()
        answer_id = db.session.scalar(select(Answer.id).where(Answer.text.is_not(None)))
    if role is not None:
        make_user("me", roles={role})
        assert sign_in(client, "me").status_code == 303
    for template, allowed in ROUND_PAGES.items():
        url = template.format(round=round_id, answer=answer_id)
        status = client.get(url).status_code
        if role is None:
            assert status == 302, url
        elif role in allowed:
            assert status == 200, (role, url, status)
        elif template in HIDDEN and role not in (Role.MANAGER, Role.BOARD):
            assert status == 404, (role, url, status)
        else:
            assert status in (403, 404), (role, url, status)
    # Nobody but the person (and nobody at all, in an anonymous round) reads one answer.
    if role is not None and role != Role.MANAGER:
        body = client.get(f"/surveys/{round_id}/results").get_data(as_text=True)
        assert "More notice" not in body


def test_board_members_wait_for_a_round_to_close(app, client, make_round, make_user):
    round_id = make_round()
    make_user("boardie", roles={Role.BOARD})
    sign_in(client, "boardie")
    assert client.get(f"/surveys/{round_id}/results").status_code == 403
    assert client.get(f"/surveys/{round_id}/answers.csv").status_code == 403


def test_a_peer_outside_the_audience_sees_nothing_of_the_round(
    app, client, make_round, make_user, make_forum
):
    member = make_user("member")
    make_user("outsider")
    forum_id = make_forum(members=[member])
    from engage.surveys.models import Audience

    round_id = make_round(audience=Audience.FORUM, forum_id=forum_id)
    sign_in(client, "outsider")
    for url in (
        f"/surveys/{round_id}",
        f"/surveys/{round_id}/questions/feel_heard",
        f"/surveys/{round_id}/check",
        f"/surveys/{round_id}/results",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            f"/surveys/{round_id}/check", data={"csrf_token": csrf_token(client, "/")}
        ).status_code
        == 404
    )
