"""Applying at /join: no account, plain words, three languages, one application per press,
kind answers to every mistake, and no door left open to a flood or a bot."""

from __future__ import annotations

import pytest

from engage.core.outbox import Notification
from engage.extensions import db
from engage.mentoring.models import Application
from engage.people.models import Role
from tests.conftest import sign_in
from tests.mentoring.conftest import applications, join_data, send_join


def _notes(app) -> list[Notification]:
    with app.app_context():
        return list(db.session.scalars(db.select(Notification).order_by(Notification.id)))


def test_anyone_can_open_the_form_and_sees_only_open_roles(client, roles):
    page = client.get("/join")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Peer mentor" in html and "Involvement champion" in html
    assert "Old role" not in html  # closed to applications
    assert "Walk alongside someone." in html and "This role is paid." in html
    assert "I am not sure yet" in html
    # The field for bots is out of reach of people, keyboards and screen readers.
    assert 'aria-hidden="true"' in html and 'tabindex="-1"' in html


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("pl", "Dołącz do nas w roli wsparcia rówieśniczego"),
        ("ar", "انضم إلينا في دور دعم الأقران"),
    ],
)
def test_the_form_and_its_confirmation_are_translated(app, client, roles, language, heading):
    headers = {"Accept-Language": language}
    html = client.get("/join", headers=headers).get_data(as_text=True)
    assert heading in html and f'lang="{language}"' in html
    data = join_data(client, roles["champion"])
    response = client.post("/join", data=data, headers=headers)
    assert response.status_code == 303
    thanks = client.get(response.headers["Location"], headers=headers).get_data(as_text=True)
    assert {"pl": "Dziękujemy, mamy Twoje zgłoszenie", "ar": "شكرًا لك، لقد وصلنا طلبك"}[
        language
    ] in thanks
    (application,) = applications(app)
    assert application.locale == language
    (note,) = _notes(app)
    assert {"pl": "Dziękujemy", "ar": "شكرًا"}[language] in note.body


def test_an_application_is_kept_and_confirmed_the_way_they_chose(app, client, roles):
    response = send_join(client, roles["mentor"])
    assert response.status_code == 303 and response.headers["Location"].endswith("/join/thanks")
    thanks = client.get("/join/thanks").get_data(as_text=True)
    assert "within 10 working days" in thanks and "sent you an email" in thanks
    (application,) = applications(app)
    assert application.name == "Tomasz" and application.role.name == "Peer mentor"
    assert application.stage == "applied" and application.email == "tomasz@example.org"
    assert application.access_needs == "Easy read, please" and not application.made_with_worker
    (note,) = _notes(app)
    assert note.to_address == "tomasz@example.org" and note.kind == "update"


def test_not_sure_yet_and_a_worker_filling_it_in(app, client, roles):
    response = send_join(
        client,
        "not_sure",
        contact_way="worker",
        email="",
        worker_name="Rae",
        worker_contact="Riverside Outreach, 0117 496 0000",
        by_worker="y",
        helper_name="Rae",
        helper_organisation="Riverside Outreach",
    )
    assert response.status_code == 303
    assert "We will get in touch with your worker." in client.get("/join/thanks").get_data(
        as_text=True
    )
    (application,) = applications(app)
    assert application.role is None and application.made_with_worker
    assert (application.helper_name, application.helper_organisation) == (
        "Rae",
        "Riverside Outreach",
    )
    (note,) = _notes(app)
    assert note.status == "undeliverable"  # staff pass it on through the worker


def test_a_double_press_makes_one_application(app, client, roles):
    data = join_data(client, roles["champion"])
    first = client.post("/join", data=data)
    second = client.post("/join", data=data)
    assert first.status_code == second.status_code == 303
    assert len(applications(app)) == 1
    assert len(_notes(app)) == 1  # and one confirmation


def test_a_bot_filling_the_hidden_field_is_thanked_and_nothing_is_kept(app, client, roles):
    response = send_join(client, roles["champion"], website="http://spam.example")
    assert response.status_code == 303
    assert "Thank you, we have your application" in client.get("/join/thanks").get_data(
        as_text=True
    )
    assert applications(app) == [] and _notes(app) == []


def test_a_flood_from_one_address_is_refused_kindly_and_keeps_nothing(
    app, client, roles, monkeypatch
):
    monkeypatch.setitem(app.config, "JOIN_LIMIT_PER_ADDRESS", "3 per hour")
    # Forms that come back with a mistake never count: fixing one is never punished.
    for _ in range(4):
        assert send_join(client, roles["champion"], name="").status_code == 200
    for n in range(3):
        assert send_join(client, roles["champion"], name=f"Person {n}").status_code == 303
    response = send_join(client, roles["champion"], name="Fourth person", what_draws="My words")
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Nothing was lost" in html
    assert 'value="Fourth person"' in html and "My words" in html  # what they typed is there
    assert len(applications(app)) == 3 and len(_notes(app)) == 3
    # Bots are counted too.
    assert send_join(client, roles["champion"], website="spam").status_code == 429


@pytest.mark.parametrize(
    ("changes", "message", "kept"),
    [
        ({"name": "", "contact_way": None}, "Tell us what to call you", "Someone helped me once"),
        ({"contact_way": None}, "Choose how we should contact you", "Tomasz"),
        (
            {"contact_way": "email", "email": "", "phone": "07700 900123"},
            "Fill this in so we can contact you the way you chose",
            "07700 900123",
        ),
        ({"contact_way": "text", "phone": "call me"}, "Enter a phone number", "call me"),
        ({"email": "tomasz at home"}, "Enter an email address like", "tomasz at home"),
        ({"contact_way": "post", "postal_address": ""}, "Fill this in so we can", "Tomasz"),
        ({"contact_way": "worker", "worker_contact": ""}, "Fill this in so we can", "Tomasz"),
        ({"by_worker": "y"}, "Tell us your name, as the worker", "Tomasz"),
        ({"what_draws": "x" * 50_000}, "Keep this to 2000 characters or fewer", "Tomasz"),
        ({"name": "n" * 101}, "Keep this to 100 characters or fewer", "Someone helped me once"),
        ({"role": "99999999999999999999"}, "Choose a role, or", "Tomasz"),
        ({"role": "banana"}, "Choose a role, or", "Tomasz"),
        ({"contact_way": "pigeon"}, "Choose how we should contact you", "Tomasz"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_mistakes_get_a_clear_message_and_keep_what_was_typed(
    app, client, roles, changes, message, kept
):
    response = send_join(client, roles["champion"], **changes)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html and message in html
    assert kept in html
    assert applications(app) == []


def test_a_closed_role_is_refused_kindly(app, client, roles):
    response = send_join(client, roles["closed"])
    assert response.status_code == 200
    assert "Choose a role, or" in response.get_data(as_text=True)
    assert applications(app) == []


def test_a_role_closed_while_the_form_was_open_is_refused_kindly(app, client, roles):
    from engage.mentoring.models import PeerRole

    data = join_data(client, roles["champion"])
    with app.app_context():
        db.session.get(PeerRole, roles["champion"]).is_active = False
        db.session.commit()
    response = client.post("/join", data=data)
    assert response.status_code == 200
    assert "Choose a role, or" in response.get_data(as_text=True)
    assert applications(app) == []


def test_signed_in_people_can_apply_too(app, client, roles, make_user):
    make_user("sam", roles={Role.PEER})
    sign_in(client, "sam")
    assert send_join(client, roles["champion"]).status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Application.id))) == 1
