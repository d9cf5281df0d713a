"""Making someone active in a role whose training they lack, or whose DBS renewal has passed:
the application page warns before the move, and going ahead needs a reason, kept as the
move's reason and in the audit log (what had run out, never the reason's words). Managers
only. The day is pinned (1 March 2027)."""

from __future__ import annotations

from datetime import date, timedelta

from engage.core.audit import AuditEntry
from engage.core.outbox import Notification
from engage.extensions import db
from engage.mentoring.models import Application, Completion, Course, RoleHeld
from engage.people.models import Role, User
from tests.conftest import post, sign_in
from tests.mentoring.conftest import TO_TRAINING, TODAY

WARNING = "Before you make Tomasz active: something the role needs is missing or has run out."
REASON = "They did both courses with their last organisation; I have seen the certificates."


def _at_training(make_application, move_along, role: str = "mentor", **details) -> int:
    application_id = make_application(role, **details)
    move_along(application_id, *TO_TRAINING)
    return application_id


def _did_courses(app, user_id: int, *names: str, expires: date | None = None) -> None:
    with app.app_context():
        for name in names:
            course = db.session.scalar(db.select(Course).where(Course.name == name))
            db.session.add(
                Completion(
                    user_id=user_id,
                    course_id=course.id,
                    completed_on=TODAY - timedelta(days=30),
                    expires_on=expires,
                )
            )
        db.session.commit()


def _state(app, application_id: int) -> dict:
    with app.app_context():
        application = db.session.get(Application, application_id)
        return {
            "stage": application.stage,
            "user_id": application.user_id,
            "moves": len(application.moves),
            "users": db.session.scalar(db.select(db.func.count(User.id))),
            "held": db.session.scalar(db.select(db.func.count(RoleHeld.id))),
            "messages": db.session.scalar(db.select(db.func.count(Notification.id))),
            "audit": db.session.scalar(db.select(db.func.count(AuditEntry.id))),
        }


def test_the_application_page_warns_before_the_move_and_activation_needs_a_reason(
    app, client, manager, make_application, move_along
):
    application_id = _at_training(make_application, move_along)
    sign_in(client, "manager")
    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert WARNING in page
    assert "There is no record of them doing “Safeguarding”." in page
    url = f"/applications/{application_id}/activate"
    page = client.get(url).get_data(as_text=True)
    assert WARNING in page and "Going ahead although" in page
    assert 'aria-describedby="readiness reason-hint"' in page

    before = _state(app, application_id)
    response = post(client, url, {"account": "new", "username": "", "contact_consent": "yes"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Say why you are going ahead although a check or training the role needs" in html
    assert 'href="#reason"' in html  # the error summary leads to the box
    assert 'value="yes" checked' in html  # what was chosen stays
    assert _state(app, application_id) == before  # no account, no role, no message

    response = post(
        client,
        url,
        {"account": "new", "username": "", "contact_consent": "yes", "reason": f"  {REASON} "},
    )
    assert response.status_code == 303
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.stage == "active"
        assert application.moves[-1].to_stage == "active"
        assert application.moves[-1].reason == REASON
        entry = db.session.scalar(
            db.select(AuditEntry).where(
                AuditEntry.action == "application.activated_despite_warning"
            )
        )
        assert entry.actor_id == manager.id and entry.subject_id == application.user_id
        assert entry.detail_dict["problems"] == ["no_training"]
        assert entry.detail_dict["application"] == application_id
        assert "certificates" not in entry.detail  # the reason stays with the record
    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert REASON in page and WARNING not in page  # the history keeps it; no more warning


def test_no_warning_and_no_reason_needed_when_their_account_has_the_training(
    app, client, manager, make_user, make_application, move_along
):
    annie = make_user("annie", roles={Role.PEER}, email="ann@example.org")
    _did_courses(app, annie.id, "Boundaries")  # all the champion role needs
    application_id = _at_training(make_application, move_along, "champion", email="ann@example.org")
    sign_in(client, "manager")
    assert WARNING not in client.get(f"/applications/{application_id}").get_data(as_text=True)
    url = f"/applications/{application_id}/activate"
    page = client.get(url).get_data(as_text=True)
    assert WARNING not in page and "Going ahead although" not in page
    response = post(
        client, url, {"account": "existing", "existing_login": "annie", "contact_consent": "no"}
    )
    assert response.status_code == 303
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.stage == "active" and application.moves[-1].reason == ""
        assert not db.session.scalar(
            db.select(AuditEntry).where(
                AuditEntry.action == "application.activated_despite_warning"
            )
        )


def test_a_dbs_renewal_passed_or_training_run_out_is_warned_about(
    app, client, manager, make_user, make_application, move_along
):
    annie = make_user("annie", roles={Role.PEER}, email="ann@example.org")
    _did_courses(app, annie.id, "Boundaries")
    _did_courses(app, annie.id, "Safeguarding", expires=date(2027, 2, 14))
    application_id = _at_training(make_application, move_along, email="ann@example.org")
    with app.app_context():  # the check recorded on the way is due for renewal now
        application = db.session.get(Application, application_id)
        application.dbs_checks[-1].renewal_date = date(2027, 2, 27)
        db.session.commit()
    sign_in(client, "manager")
    url = f"/applications/{application_id}/activate"
    page = client.get(url).get_data(as_text=True)  # offers annie's account, so hers counts
    assert "Their DBS check was due for renewal on 27 February 2027." in page
    assert "Their “Safeguarding” training ran out on 14 February 2027." in page
    assert "Boundaries" not in page.split('id="readiness"')[1].split("</div>\n</div>")[0]
    data = {"account": "existing", "existing_login": "annie", "contact_consent": "no"}
    response = post(client, url, data)
    assert "Say why you are going ahead" in response.get_data(as_text=True)
    assert _state(app, application_id)["stage"] == "training"
    assert post(client, url, data | {"reason": REASON}).status_code == 303
    with app.app_context():
        entry = db.session.scalar(
            db.select(AuditEntry).where(
                AuditEntry.action == "application.activated_despite_warning"
            )
        )
        assert entry.detail_dict["problems"] == ["check_due", "training_ran_out"]


def test_the_warning_and_reason_never_reach_the_peer(
    app, client, manager, make_user, make_application, move_along
):
    annie = make_user("annie", roles={Role.PEER}, email="ann@example.org")
    application_id = _at_training(make_application, move_along, "champion", email="ann@example.org")
    sign_in(client, "manager")
    url = f"/applications/{application_id}/activate"
    data = {"account": "existing", "existing_login": "annie", "contact_consent": "no"}
    assert post(client, url, data | {"reason": REASON}).status_code == 303
    other = app.test_client()
    sign_in(other, annie.username)
    for page_url in ("/", "/me", f"/applications/{application_id}"):
        page = other.get(page_url).get_data(as_text=True)
        assert REASON not in page and "Going ahead" not in page and "no record of" not in page
