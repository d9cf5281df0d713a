"""Profiles, on behalf working, consent and pause."""

from __future__ import annotations

import re

from engage.core.audit import AuditEntry
from engage.extensions import db
from engage.people import services
from engage.people.models import ConsentPurpose, ConsentRecord, Role, User
from tests.conftest import csrf_token, post


def test_a_peer_edits_their_access_needs(app, client, signed_in):
    me = signed_in(Role.PEER)
    response = post(
        client,
        "/me/access-needs",
        {"needs": ["needs_step_free", "needs_quiet_space"], "interpreter_language": "Polish"},
    )
    assert response.status_code == 303
    with app.app_context():
        profile = db.session.get(User, me.id).profile
        assert profile.needs_step_free and profile.needs_quiet_space
        assert not profile.needs_childcare
        assert profile.interpreter_language == "Polish"
    page = client.get("/me").get_data(as_text=True)
    assert "Interpreter: Polish" in page


def test_what_was_not_given_says_so_in_words(client, signed_in):
    signed_in(Role.PEER)  # no email, phone or emergency contact
    page = client.get("/me").get_data(as_text=True)
    assert ">None<" not in page
    for label in ("Pronouns", "Email", "Mobile", "Emergency contact"):
        assert re.search(label + r"</dt>\s*<dd[^>]*>\s*Not given", page), label


def test_errors_keep_what_was_typed(client, signed_in):
    signed_in(Role.PEER)
    response = post(client, "/me/details", {"preferred_name": "", "pronouns": "they/them"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in body
    assert "Enter the name you would like us to use" in body
    assert 'value="they/them"' in body


def test_contact_by_text_needs_a_number(client, signed_in, confirmed):
    signed_in(Role.PEER)
    confirmed()
    response = post(client, "/me/contact", {"contact_channel": "text", "phone": ""})
    assert "Fill this in so we can contact you the way you chose" in response.get_data(as_text=True)


def test_declining_payment_is_recorded(app, client, signed_in):
    me = signed_in(Role.PEER)
    assert post(client, "/me/payment", {"payment_preference": "decline"}).status_code == 303
    with app.app_context():
        assert db.session.get(User, me.id).profile.payment_preference == "decline"


def test_a_manager_acts_on_behalf_and_it_is_recorded(app, client, make_user, signed_in):
    peer = make_user("kit")
    manager = signed_in(Role.MANAGER)
    page = client.get(f"/people/{peer.id}").get_data(as_text=True)
    assert "You are working on behalf of Kit" in page
    response = post(client, f"/people/{peer.id}/payment", {"payment_preference": "voucher"})
    assert response.headers["Location"] == f"/people/{peer.id}"
    with app.app_context():
        entries = db.session.scalars(
            db.select(AuditEntry).filter_by(subject_id=peer.id, actor_id=manager.id)
        ).all()
        actions = {e.action for e in entries}
        assert {"profile.viewed", "profile.payment_changed"} <= actions
        assert all(e.on_behalf for e in entries)


#: Words a page says to the peer themselves: a manager working for a peer never reads them.
PEER_VOICE = (
    "Pause your involvement",
    "Your involvement is paused",
    "Pause my involvement",
    "I am ready to take part again",
    "What you agree to",
    "I agree",
    "You have withdrawn this",
    "recorded your choice",
    "Your answers",
    "Payment for your time",
    "how we contact you",
)


def _speaks_about(page: str, name: str) -> None:
    for words in PEER_VOICE:
        assert words not in page, words
    assert name in page


def test_profile_pages_speak_to_a_manager_about_the_peer(client, make_user, signed_in):
    kit = make_user("kit", preferred_name="Kit")
    signed_in(Role.MANAGER)
    base = f"/people/{kit.id}"

    def after(response) -> str:
        assert response.status_code == 303
        return client.get(response.headers["Location"]).get_data(as_text=True)

    _speaks_about(client.get(base).get_data(as_text=True), "how we contact them")
    _speaks_about(client.get(f"{base}/payment").get_data(as_text=True), "Kit")
    page = client.get(f"{base}/pause").get_data(as_text=True)
    _speaks_about(page, "Pause involvement for Kit")
    assert "they will not get invitations" in page
    page = after(post(client, f"{base}/pause", {"pause_note": ""}))
    _speaks_about(page, "Involvement paused for Kit. They will not get invitations")
    _speaks_about(client.get(f"{base}/pause").get_data(as_text=True), "Kit is ready to take")
    _speaks_about(after(post(client, f"{base}/pause", {})), "Kit will get invitations again.")
    page = client.get(f"{base}/consent").get_data(as_text=True)
    _speaks_about(page, "What Kit agrees to")
    assert "Read each one to Kit" in page and "They agree" in page
    given = after(post(client, f"{base}/consent", {"purpose": "photos_quotes", "action": "give"}))
    _speaks_about(given, "Choice recorded for Kit.")
    gone = {"purpose": "photos_quotes", "action": "withdraw"}
    _speaks_about(after(post(client, f"{base}/consent", gone)), "Withdrawn for Kit.")
    _speaks_about(client.get(f"{base}/equality").get_data(as_text=True), "Kit answers only")
    saved = after(post(client, f"{base}/equality", {"gender": "prefer-not"}))
    _speaks_about(saved, "Answers saved for Kit.")


def test_manager_creates_a_peer_without_email_and_makes_a_link(app, client, signed_in):
    signed_in(Role.MANAGER)
    new = {"preferred_name": "Rosa", "username": "rosa", "contact_consent": "no"}
    response = post(client, "/people/new", new)
    assert response.status_code == 303
    link_page = response.headers["Location"]
    response = post(client, link_page, {})
    assert "/invitation/" in response.get_data(as_text=True)
    # A double click on "Create account" does not make a second account.
    again = post(client, "/people/new", new)
    assert "already taken" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).where(User.username == "rosa")) == 1
        rosa = db.session.scalar(db.select(User).filter_by(username="rosa"))
        assert db.session.scalars(db.select(ConsentRecord).filter_by(user_id=rosa.id)).all() == []


def test_a_peer_added_by_a_manager_who_agreed_to_contact_is_invited_to_take_part(
    app, client, signed_in
):
    manager = signed_in(Role.MANAGER)
    answer = post(client, "/people/new", {"preferred_name": "Ola", "username": "ola"})
    assert "Say whether they agreed to be contacted" in answer.get_data(as_text=True)
    assert 'value="Ola"' in answer.get_data(as_text=True)
    new = {"preferred_name": "Ola", "username": "ola", "contact_consent": "yes"}
    assert post(client, "/people/new", new).status_code == 303
    with app.app_context():
        ola = db.session.scalar(db.select(User).filter_by(username="ola"))
        (record,) = db.session.scalars(db.select(ConsentRecord).filter_by(user_id=ola.id))
        assert record.purpose == "contact" and record.withdrawn_at is None
        assert record.given_by_id == manager.id


def test_consent_is_given_and_withdrawn_with_history(app, client, signed_in):
    me = signed_in(Role.PEER, contact_consent=False)
    post(client, "/me/consent", {"purpose": "photos_quotes", "action": "give"})
    post(client, "/me/consent", {"purpose": "photos_quotes", "action": "give"})  # double click
    post(client, "/me/consent", {"purpose": "photos_quotes", "action": "withdraw"})
    with app.app_context():
        records = db.session.scalars(db.select(ConsentRecord).filter_by(user_id=me.id)).all()
        assert len(records) == 1
        assert records[0].withdrawn_at is not None
        assert records[0].wording_version == services.CONSENT_WORDING_VERSION


def test_pause_and_resume(app, client, signed_in):
    me = signed_in(Role.PEER)
    post(client, "/me/pause", {"pause_note": "Need a break"})
    with app.app_context():
        assert db.session.get(User, me.id).profile.is_paused
    assert "Your involvement is paused" in client.get("/").get_data(as_text=True)
    post(client, "/me/pause", {})
    with app.app_context():
        assert not db.session.get(User, me.id).profile.is_paused


def test_equality_answers_are_saved_but_not_copied_into_the_audit_log(app, client, signed_in):
    me = signed_in(Role.PEER)
    post(client, "/me/equality", {"gender": "woman", "lived_experience": ["homelessness"]})
    with app.app_context():
        row = services.equality_for(db.session.get(User, me.id))
        assert row.gender == "woman" and row.lived_experience == "homelessness"
        entry = db.session.scalar(db.select(AuditEntry).filter_by(action="equality.saved"))
        assert "woman" not in entry.detail


def test_user_text_is_escaped(client, signed_in):
    signed_in(Role.PEER)
    post(client, "/me/details", {"preferred_name": "<script>alert(1)</script>"})
    body = client.get("/me").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_consent_purposes_are_validated(client, signed_in):
    signed_in(Role.PEER)
    assert post(client, "/me/consent", {"purpose": "nonsense"}).status_code == 400


def test_give_consent_service_is_idempotent(ctx, make_user):
    user = db.session.merge(make_user())
    first = services.give_consent(user, user, ConsentPurpose.CONTACT)
    db.session.flush()
    assert services.give_consent(user, user, ConsentPurpose.CONTACT) is first


def test_people_search_answers_htmx_with_only_the_results(client, make_user, signed_in):
    make_user("kit", preferred_name="Kit")
    make_user("rosa", preferred_name="Rosa")
    signed_in(Role.MANAGER)
    page = client.get("/people?q=kit")
    fragment = client.get("/people?q=kit", headers={"HX-Request": "true"})
    assert page.status_code == fragment.status_code == 200
    assert "<html" in page.get_data(as_text=True)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "Kit" in body and "Rosa" not in body
    assert "HX-Request" in fragment.headers["Vary"]
    boosted = client.get("/people?q=kit", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)  # boosted navigation gets the page


def test_a_search_with_a_nul_in_it_is_read_without_it(client, make_user, signed_in):
    """PostgreSQL refuses a NUL in text: /people?q=%00 was a server error there."""
    make_user("kit", preferred_name="Kit")
    signed_in(Role.MANAGER)
    response = client.get("/people?q=k%00it")
    assert response.status_code == 200
    assert "Kit" in response.get_data(as_text=True)


def test_every_peer_journey_is_reachable_from_the_peers_page(client, make_user, signed_in):
    """Assisted digital: reply to meetings, claim, raise an item, accept or decline payment."""
    peer = make_user("kit", preferred_name="Kit")
    signed_in(Role.MANAGER)
    page = client.get(f"/people/{peer.id}").get_data(as_text=True)
    for link in (
        f'href="/people/{peer.id}/meetings"',
        f'href="/claims/new?for={peer.id}"',
        f'href="/register/new?for={peer.id}"',
        f'href="/people/{peer.id}/payments"',
    ):
        assert link in page, link
    for url in (
        f"/people/{peer.id}/meetings",
        f"/claims/new?for={peer.id}",
        f"/register/new?for={peer.id}",
        f"/people/{peer.id}/payments",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "You are working on behalf of Kit" in response.get_data(as_text=True), url


ON_BEHALF_PAGES = (
    "/people/{id}/meetings",
    "/claims/new?for={id}",
    "/register/new?for={id}",
    "/people/{id}/payments",
)
ON_BEHALF_POSTS = (
    "/people/{id}/meetings/1/reply",
    "/people/{id}/payments/1/decline",
    "/people/{id}/payments/1/accept",
)


def test_a_peer_cannot_act_for_anyone(client, make_user, signed_in):
    other = make_user("other")
    signed_in(Role.PEER)
    token = csrf_token(client, "/me/details")
    for url in ON_BEHALF_PAGES:
        assert client.get(url.format(id=other.id)).status_code == 404, url
    for url in ON_BEHALF_POSTS:
        response = client.post(url.format(id=other.id), data={"csrf_token": token, "reply": "yes"})
        assert response.status_code == 404, url


def test_a_manager_acts_only_for_peers(client, make_user, signed_in):
    staff = make_user("staffer", roles={Role.BOARD})
    signed_in(Role.MANAGER)
    token = csrf_token(client, "/me/details")
    for url in ON_BEHALF_PAGES:
        assert client.get(url.format(id=staff.id)).status_code == 404, url
    for url in ON_BEHALF_POSTS:
        response = client.post(url.format(id=staff.id), data={"csrf_token": token, "reply": "yes"})
        assert response.status_code == 404, url
