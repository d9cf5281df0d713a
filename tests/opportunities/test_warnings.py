"""Choosing people for work that needs a peer role's check and training: the warning next to
each name before choosing (managers only), the reason going ahead needs, kept on the interest
and in the audit log, and what happens with bad or stale forms. "Now" is pinned to 1 March
2027 (tests/opportunities/conftest.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from engage.core.audit import AuditEntry
from engage.core.outbox import Notification
from engage.extensions import db
from engage.mentoring import services as mentoring
from engage.mentoring.models import (
    Application,
    CheckLevel,
    Completion,
    ContactWay,
    DbsCheck,
    Stage,
)
from engage.opportunities import services
from engage.opportunities.models import Interest, Opportunity
from engage.people.models import Role, User
from tests.conftest import count_queries, csrf_token, post, sign_in
from tests.opportunities.conftest import TODAY

ANN_WARNING = "Ann: a check or training this work needs is missing or has run out."
RAN_OUT = "Their “Safeguarding” training ran out on 1 February 2027."
REASON = "Booked on the refresher next week; this review is on paper only."


@pytest.fixture
def roles(app, people) -> dict[str, int]:
    """ "mentor": an enhanced DBS check and Safeguarding (counts 36 months); "old": a role not
    offered any more. Returns their ids."""
    with app.test_request_context():
        actor = db.session.get(User, people["manager"].id)
        safeguarding = mentoring.save_course(
            actor, None, name="Safeguarding", description="", valid_months=36, is_active=True
        )
        made = {
            key: mentoring.save_role(
                actor,
                None,
                name=name,
                description="",
                check_level=CheckLevel.ENHANCED,
                paid=True,
                is_active=active,
                courses=[safeguarding],
            )
            for key, name, active in (("mentor", "Peer mentor", True), ("old", "Old role", False))
        }
        db.session.commit()
        return {key: role.id for key, role in made.items()} | {"safeguarding": safeguarding.id}


def _equip(app, roles, user: User, training_until: date) -> None:
    """A current enhanced check, and Safeguarding done until ``training_until``."""
    with app.app_context():
        application = Application(
            name=user.username,
            contact_way=ContactWay.EMAIL.value,
            email=f"{user.username}@example.org",
            user_id=user.id,
            role_id=roles["mentor"],
            stage=Stage.ACTIVE.value,
        )
        application.dbs_checks.append(
            DbsCheck(
                level="enhanced",
                certificate_date=TODAY - timedelta(days=100),
                outcome="clear",
                renewal_date=TODAY + timedelta(days=900),
            )
        )
        db.session.add(application)
        db.session.add(
            Completion(
                user_id=user.id,
                course_id=roles["safeguarding"],
                completed_on=training_until - timedelta(days=3 * 365),
                expires_on=training_until,
            )
        )
        db.session.commit()


@pytest.fixture
def needs_role(app, people, roles, publish, interested) -> int:
    """An opportunity needing the mentor role, two places, Ann (whose Safeguarding ran out on
    1 February) and Bob (all in date) interested. Returns its id."""
    _equip(app, roles, people["ann"], date(2027, 2, 1))
    _equip(app, roles, people["bob"], date(2028, 6, 1))
    opportunity_id = publish(people["manager"], places=2, peer_role_id=roles["mentor"])
    interested(opportunity_id, people["ann"], people["bob"])
    return opportunity_id


def _interests(app, opportunity_id: int) -> dict[str, Interest]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(Interest).where(Interest.opportunity_id == opportunity_id)
        ).all()
        return {row.user.username: row for row in rows}


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)))


def _switch(client, username: str) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert sign_in(client, username).status_code == 303


def test_the_warning_shows_next_to_the_name_before_choosing(app, client, people, needs_role):
    sign_in(client, "manager")
    page = client.get(f"/opportunities/{needs_role}").get_data(as_text=True)
    assert ANN_WARNING in page and RAN_OUT in page
    assert "Bob: a check" not in page
    ann, bob = people["ann"].id, people["bob"].id
    assert f'name="reason_{ann}"' in page and f'name="reason_{bob}"' not in page
    assert 'aria-describedby="people-note-1 people-readiness-1"' in page
    assert 'data-aria-controls="conditional-people"' in page  # the box opens when ticked
    assert "Peer mentor" in page  # what it needs, in its details


def test_choosing_without_a_reason_is_refused_and_nothing_changes(app, client, people, needs_role):
    sign_in(client, "manager")
    url = f"/opportunities/{needs_role}"
    ann, bob = people["ann"].id, people["bob"].id
    response = post(client, f"{url}/select", {"people": [ann, bob], f"reason_{ann}": "  "}, url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Say why you are choosing Ann although a check or training this work needs" in html
    assert f'href="#reason_{ann}"' in html
    assert f'value="{ann}" checked' in html and f'value="{bob}" checked' in html  # kept
    assert ANN_WARNING in html
    rows = _interests(app, needs_role)
    assert not rows["ann"].selected and not rows["bob"].selected
    with app.app_context():
        assert db.session.get(Opportunity, needs_role).status == "open"
        assert not db.session.scalar(
            db.select(Notification).where(Notification.subject.startswith("You have been chosen"))
        )
    assert _audit(app, "opportunity.selected") == []
    assert _audit(app, "opportunity.chosen_despite_warning") == []


def test_with_a_reason_they_are_chosen_and_the_reason_is_kept_and_audited(
    app, client, people, needs_role
):
    sign_in(client, "manager")
    url = f"/opportunities/{needs_role}"
    ann, bob = people["ann"].id, people["bob"].id
    response = post(
        client, f"{url}/select", {"people": [ann, bob], f"reason_{ann}": f" {REASON} "}, url
    )
    assert response.status_code == 303
    rows = _interests(app, needs_role)
    assert rows["ann"].selected and rows["ann"].override_reason == REASON
    assert rows["bob"].selected and rows["bob"].override_reason == ""
    [entry] = _audit(app, "opportunity.chosen_despite_warning")
    assert entry.subject_id == ann and entry.actor_id == people["manager"].id
    assert entry.detail_dict == {
        "opportunity": needs_role,
        "problems": ["training_ran_out"],
        "role": entry.detail_dict["role"],
    }
    assert "refresher" not in entry.detail  # the reason stays with the record, for managers
    page = client.get(url).get_data(as_text=True)
    chosen = page.split("Chosen</h2>")[1].split("</table>")[0]
    assert "Chosen despite a warning" in chosen and REASON in chosen
    assert chosen.count("Chosen despite a warning") == 1  # not Bob


def test_someone_without_a_problem_is_chosen_with_no_reason(app, client, people, needs_role):
    sign_in(client, "manager")
    url = f"/opportunities/{needs_role}"
    response = post(client, f"{url}/select", {"people": [people["bob"].id]}, url)
    assert response.status_code == 303
    assert _interests(app, needs_role)["bob"].selected
    assert _audit(app, "opportunity.chosen_despite_warning") == []


def test_work_that_needs_no_role_warns_about_nobody(
    app, client, people, roles, publish, interested
):
    opportunity_id = publish(people["manager"])
    interested(opportunity_id, people["ann"])  # nothing recorded for her at all
    sign_in(client, "manager")
    url = f"/opportunities/{opportunity_id}"
    page = client.get(url).get_data(as_text=True)
    assert "a check or training this work needs" not in page and "reason_" not in page
    assert post(client, f"{url}/select", {"people": [people["ann"].id]}, url).status_code == 303


def test_peers_and_partners_never_see_the_warnings_or_reasons(
    app, client, people, roles, make_request, interested
):
    _equip(app, roles, people["ann"], date(2027, 2, 1))
    request_id = make_request(people["partner"])
    with app.test_request_context():
        opportunity = services.accept_request(
            db.session.get(User, people["manager"].id),
            db.session.get(services.ConsultationRequest, request_id),
            title="Review our hostel leaflet",
            description="Read it and tell us.",
            activity="document_review",
            places=2,
            paid=True,
            peer_role_id=roles["mentor"],
        )
        db.session.commit()
        opportunity_id = opportunity.id
    interested(opportunity_id, people["ann"], people["bob"])
    hidden = ("ran out", "a check or training", "Going ahead", "reason_", "despite a warning")

    def nothing_shown(username: str, urls: list[str]):  # noqa: ANN202
        viewer = app.test_client()
        assert sign_in(viewer, username).status_code == 303
        for url in urls:
            html = viewer.get(url).get_data(as_text=True)
            assert not any(word in html for word in hidden), (username, url)
            assert REASON not in html
        return viewer

    url = f"/opportunities/{opportunity_id}"
    nothing_shown("ann", [url, "/opportunities", "/"])
    sign_in(client, "manager")
    response = post(
        client,
        f"{url}/select",
        {"people": [people["ann"].id], f"reason_{people['ann'].id}": REASON},
        url,
    )
    assert response.status_code == 303
    nothing_shown("ann", [url, "/opportunities", "/"])
    nothing_shown("bob", [url, "/opportunities", "/"])
    partner = nothing_shown("partner", [f"/requests/{request_id}", "/requests", "/"])
    assert partner.get(url).status_code in (403, 404)


def test_publishing_says_which_role_it_needs_and_refuses_a_made_up_one(app, client, people, roles):
    sign_in(client, "manager")
    form = client.get("/opportunities/new").get_data(as_text=True)
    assert "Does it need the checks and training of a peer role?" in form
    assert ">Peer mentor</option>" in form and "Old role" not in form
    details = {
        "title": "Panel",
        "description": "Sit on a panel.",
        "activity": "interview_panel",
        "places": "1",
        "paid": "yes",
        "rung": "consultation",
        "forum": "",
    }
    for bad in ("999", str(roles["old"]), "mentor"):
        response = post(client, "/opportunities/new", details | {"peer_role": bad})
        assert response.status_code in (200, 400), bad
        assert "Choose one of the options" in response.get_data(as_text=True), bad
        assert 'value="Panel"' in response.get_data(as_text=True)  # what was typed stays
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Opportunity.id))) == 0
    response = post(client, "/opportunities/new", details | {"peer_role": str(roles["mentor"])})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(Opportunity.peer_role_id)) == roles["mentor"]
        # The service says no too, whoever calls it.
        with (
            app.test_request_context(),
            pytest.raises(services.OpportunityError, match="not offered"),
        ):
            services.publish(
                db.session.get(User, people["manager"].id),
                title="x",
                description="y",
                peer_role_id=roles["old"],
            )


def test_managers_change_the_role_it_needs_and_nobody_else_can(app, client, people, roles, publish):
    opportunity_id = publish(people["manager"])
    url = f"/opportunities/{opportunity_id}/role"
    sign_in(client, "manager")
    assert client.get(url).status_code == 200
    response = post(client, url, {"peer_role": "12345"})
    assert "Choose one of the options" in response.get_data(as_text=True)
    response = post(client, url, {"peer_role": str(roles["mentor"])})
    assert response.status_code == 303
    assert post(client, url, {"peer_role": str(roles["mentor"])}).status_code == 303  # again
    with app.app_context():
        assert db.session.get(Opportunity, opportunity_id).peer_role_id == roles["mentor"]
    assert len(_audit(app, "opportunity.role_changed")) == 1
    page = client.get(f"/opportunities/{opportunity_id}").get_data(as_text=True)
    assert "Peer mentor" in page
    assert post(client, url, {"peer_role": ""}).status_code == 303
    with app.app_context():
        assert db.session.get(Opportunity, opportunity_id).peer_role_id is None
    for username in ("ann", "partner"):
        _switch(client, username)
        assert client.get(url).status_code in (403, 404)
        response = post(client, url, {"peer_role": str(roles["mentor"])}, form_url="/")
        assert response.status_code in (403, 404)
    with app.app_context():
        assert db.session.get(Opportunity, opportunity_id).peer_role_id is None


def test_a_stale_page_is_refused_kindly_when_a_warning_appeared_meanwhile(
    app, client, people, roles, publish, interested
):
    _equip(app, roles, people["ann"], date(2027, 2, 1))
    opportunity_id = publish(people["manager"])
    interested(opportunity_id, people["ann"])
    sign_in(client, "manager")
    url = f"/opportunities/{opportunity_id}"
    assert ANN_WARNING not in client.get(url).get_data(as_text=True)
    token = csrf_token(client, url)
    # Another manager says the work needs the mentor role, before this one presses the button.
    with app.test_request_context():
        services.set_peer_role(
            db.session.get(User, people["manager"].id),
            db.session.get(Opportunity, opportunity_id),
            roles["mentor"],
        )
        db.session.commit()
    response = client.post(
        f"{url}/select", data={"people": [people["ann"].id], "csrf_token": token}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Say why you are choosing Ann" in html and ANN_WARNING in html
    assert f'value="{people["ann"].id}" checked' in html
    assert not _interests(app, opportunity_id)["ann"].selected


def test_a_second_press_or_a_made_up_person_gets_a_kind_message(app, client, people, needs_role):
    sign_in(client, "manager")
    url = f"/opportunities/{needs_role}"
    ann = people["ann"].id
    data = {"people": [ann], f"reason_{ann}": REASON}
    assert post(client, f"{url}/select", data, url).status_code == 303
    again = post(client, f"{url}/select", data, url)
    assert again.status_code == 400
    assert "Choose from the people shown" in again.get_data(as_text=True)
    for made_up in ("99999", "ann"):
        response = post(client, f"{url}/select", {"people": [made_up]}, url)
        assert response.status_code == 400
        assert "Choose from the people shown" in response.get_data(as_text=True)
    assert len(_audit(app, "opportunity.chosen_despite_warning")) == 1
    assert len(_audit(app, "opportunity.selected")) == 1


def test_the_warnings_keep_the_queries_bounded(
    app, client, make_user, people, roles, needs_role, interested
):
    sign_in(client, "manager")
    url = f"/opportunities/{needs_role}"
    few = count_queries(app, client, url)
    more = [make_user(roles={Role.PEER}) for _ in range(8)]
    for person in more[:4]:
        _equip(app, roles, person, date(2026, 12, 1))
    interested(needs_role, *more)
    assert count_queries(app, client, url) == few
    page = client.get(url).get_data(as_text=True)
    assert page.count("a check or training this work needs is missing") == 9
