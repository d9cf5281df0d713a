"""A peer's words on "You said, we did" (their item's title and account) are shown only while
they consent to our using their words ("photos and quotes"): withdrawing stops it at once, and
staff are told on the item's page."""

from __future__ import annotations

from datetime import UTC, datetime

from engage.changes.models import Source, State
from engage.extensions import db
from engage.people import services as people_services
from engage.people.models import ConsentPurpose, Role, User
from tests.conftest import csrf_token, post, sign_in

TITLE = "Turned away without ID"
ACCOUNT = "They said I needed photo ID."
RESOLVED = {
    "state": State.RESOLVED.value,
    "what_changed": "Two proofs of ID accepted",
    "changed_for_whom": "Everyone",
    "lasting": "In policy",
    "resolved_at": datetime(2026, 3, 1, 12, tzinfo=UTC),
}


def _consent(app, user, purpose=ConsentPurpose.PHOTOS_QUOTES) -> None:
    with app.test_request_context():
        person = db.session.get(User, user.id)
        people_services.give_consent(person, person, purpose)
        db.session.commit()


def _card(client) -> str:
    return client.get("/you-said-we-did").get_data(as_text=True)


def test_withdrawing_consent_to_quote_hides_the_words_at_once(app, client, make_user, make_item):
    raiser = make_user("raiser")
    _consent(app, raiser)
    item_id = make_item(raiser, title=TITLE, **RESOLVED)
    make_user("mgr", roles={Role.MANAGER})
    make_user("reader")
    sign_in(client, "reader")
    page = _card(client)
    assert TITLE in page and ACCOUNT in page and "Two proofs of ID accepted" in page
    home = client.get("/").get_data(as_text=True)
    assert TITLE in home

    # The raiser withdraws, on their own consent page.
    raiser_client = app.test_client()
    sign_in(raiser_client, "raiser")
    answer = post(raiser_client, "/me/consent", {"purpose": "photos_quotes", "action": "withdraw"})
    assert answer.status_code == 303

    page = _card(client)
    assert TITLE not in page and ACCOUNT not in page
    assert "The words of the person who raised this are kept private." in page
    assert "Something people raised about: Housing" in page
    assert "Two proofs of ID accepted" in page  # what changed is still told
    home = client.get("/").get_data(as_text=True)
    assert TITLE not in home and "We did: Two proofs of ID accepted" in home

    # Staff see why on the item's page.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, "mgr")
    staff_page = client.get(f"/register/{item_id}").get_data(as_text=True)
    assert 'id="quote-withheld"' in staff_page
    assert "has withdrawn their consent to our using their words" in staff_page
    # Giving it again brings the words back.
    post(raiser_client, "/me/consent", {"purpose": "photos_quotes", "action": "give"})
    assert TITLE in _card(client)
    assert 'id="quote-withheld"' not in client.get(f"/register/{item_id}").get_data(as_text=True)


def test_words_are_never_shown_without_consent(app, client, make_user, make_item):
    raiser = make_user("raiser")  # consent to contact only
    item_id = make_item(raiser, title=TITLE, **RESOLVED)
    make_user("mgr", roles={Role.MANAGER})
    sign_in(client, "mgr")
    page = _card(client)
    assert TITLE not in page and ACCOUNT not in page
    staff_page = client.get(f"/register/{item_id}").get_data(as_text=True)
    assert "has not agreed to our using their words" in staff_page


def test_the_raisers_own_page_never_carries_the_staff_notice(app, client, make_user, make_item):
    raiser = make_user("raiser")
    item_id = make_item(raiser, title=TITLE, **RESOLVED)
    sign_in(client, "raiser")
    page = client.get(f"/register/{item_id}").get_data(as_text=True)
    assert TITLE in page and 'id="quote-withheld"' not in page


def test_items_written_up_by_staff_are_nobodys_quote(app, client, make_user, make_item):
    manager = make_user("mgr", roles={Role.MANAGER})
    make_item(manager, title="Raised at the forum", source=Source.MEETING, **RESOLVED)
    make_user("reader")
    sign_in(client, "reader")
    assert "Raised at the forum" in _card(client)
