"""Publishing "You said, we did": the setting and who may change it, the page signed out (on
and off), for peers and partners, its cache headers, and that neither the public page nor a
partner's dashboard ever shows a person's name, a raiser's words, a figure hidden to protect a
small group or a figure not marked public."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from engage.changes import services
from engage.changes.models import State
from engage.core import domains, settings
from engage.core.audit import AuditEntry
from engage.core.figures import Figure, Kind, Section, Table
from engage.extensions import db
from engage.people import services as people
from engage.people.models import ConsentPurpose, Organisation, Role, User
from tests.conftest import post, sign_in

PAGE = "/you-said-we-did"
#: A day inside the page's "last 12 months" (pinned below) for the resolution.
TODAY = date(2025, 9, 15)
RESOLVED_AT = datetime(2025, 7, 1, 10, tzinfo=UTC)

# Words only the raiser wrote, and names of people: none may reach the public.
TITLE = "Turned away from the night shelter"
ACCOUNT = "I waited outside in the rain until morning"
PEER_NAME = "Zebedee Quillfeather"
OWNER_NAME = "Ottoline Brackenbury"
SUPPORT_WORDS = "Same thing happened to my brother"
# What the board wrote: the public page tells it.
WE_DID = "The shelter now lets people in at any hour"
FOR_WHOM = "People arriving after 10pm"


@pytest.fixture
def resolved(app, make_user, make_item, pin_today):
    """A resolved item raised by a peer with a distinctive name, who agreed to be named and to
    our using their words (so people signed in see them), owned by a named board member,
    with another peer's "me too" account."""
    pin_today(TODAY)
    peer = make_user("zebedee", preferred_name=PEER_NAME)
    owner = make_user("ottoline", roles={Role.BOARD}, preferred_name=OWNER_NAME)
    supporter = make_user("supporter")
    with app.test_request_context():
        person = db.session.get(User, peer.id)
        people.give_consent(person, person, ConsentPurpose.PHOTOS_QUOTES)
        shelter = Organisation(name="Night Shelter Trust")
        db.session.add(shelter)
        db.session.commit()
        shelter_id = shelter.id
    item_id = make_item(
        peer,
        title=TITLE,
        show_name=True,
        owner_id=owner.id,
        owner_organisation_id=shelter_id,
        agency_id=shelter_id,
        state=State.RESOLVED.value,
        resolved_at=RESOLVED_AT,
        what_changed=WE_DID,
        changed_for_whom=FOR_WHOM,
        lasting="It is in the shelter's written policy",
    )
    with app.test_request_context():
        from engage.changes.models import Item, Support

        item = db.session.get(Item, item_id)
        item.what_happened = ACCOUNT
        db.session.add(
            Support(
                item_id=item_id, user_id=supporter.id, account=SUPPORT_WORDS, share_with_board=True
            )
        )
        db.session.commit()
    return item_id


def publish(app, on: bool = True) -> None:
    with app.test_request_context():
        settings.put(services.PUBLISH_SETTING, "yes" if on else "no")
        db.session.commit()


def assert_identifies_nobody(page: str) -> None:
    for words in (TITLE, ACCOUNT, PEER_NAME, "zebedee", OWNER_NAME, "ottoline", SUPPORT_WORDS):
        assert words not in page, words


# Signed out ------------------------------------------------------------------------------------


def test_off_signed_out_visitors_are_asked_to_sign_in(client, resolved):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert WE_DID not in response.get_data(as_text=True)


def test_on_signed_out_visitors_read_what_changed_and_the_figures(app, client, resolved):
    publish(app)
    response = client.get(PAGE)
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert WE_DID in page and FOR_WHOM in page
    assert "Something people raised about: Housing" in page
    assert "1 Jul 2025" in page
    assert_identifies_nobody(page)
    assert "You said</dt>" not in page  # no row for the raiser's words at all
    # The headline figures for the last 12 months (September 2024 to August 2025).
    assert 'id="section-system-change"' in page
    assert 'id="figure-items_resolved"' in page
    assert "1 September 2024 to 31 August 2025" in page
    assert "See the records" not in page  # nothing a visitor could not open


def test_the_public_page_may_be_cached_and_is_the_same_for_every_visitor(app, resolved):
    publish(app)
    first, second = app.test_client(), app.test_client()
    one, two = first.get(PAGE), second.get(PAGE)

    assert one.headers["Cache-Control"] == "public, max-age=300"
    assert {"Accept-Language", "Cookie"} <= set(one.vary)
    # Nothing of one visitor: no cookie, no CSRF token, no form.
    assert "Set-Cookie" not in one.headers
    body = one.get_data(as_text=True)
    assert "csrf" not in body.lower() and "<form" not in body
    assert body == two.get_data(as_text=True)
    # Page two, too.
    assert first.get(PAGE + "?page=2").headers["Cache-Control"] == "public, max-age=300"


def test_the_sign_in_page_links_to_it_only_once_published(app, client, resolved):
    link = 'href="/you-said-we-did"'
    assert link not in client.get("/login").get_data(as_text=True)
    publish(app)
    assert link in client.get("/login").get_data(as_text=True)


def test_switching_it_off_again_closes_it(app, client, resolved):
    publish(app)
    assert client.get(PAGE).status_code == 200
    publish(app, on=False)
    assert client.get(PAGE).status_code == 302


# Signed in -------------------------------------------------------------------------------------


@pytest.mark.parametrize("on", [False, True])
def test_peers_read_the_raisers_words_where_they_agreed(app, client, signed_in, resolved, on):
    publish(app, on)
    signed_in(Role.PEER)
    response = client.get(PAGE)
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert TITLE in page and ACCOUNT in page  # consent to use their words stands
    assert WE_DID in page
    # A page for someone signed in is never kept by a cache.
    assert "public" not in response.headers["Cache-Control"]
    assert "no-store" in response.headers["Cache-Control"]
    assert 'id="section-system-change"' in page


def test_partners_read_it_signed_in_and_no_name_is_shown(app, client, signed_in, resolved):
    publish(app)
    signed_in(Role.PARTNER)
    response = client.get(PAGE)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    for name in (PEER_NAME, OWNER_NAME, SUPPORT_WORDS):
        assert name not in page


# The setting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_managers_and_admins_publish_it_and_set_n(app, client, signed_in, role):
    actor = signed_in(role)
    page = client.get("/register/settings").get_data(as_text=True)
    assert "is not public now" in page
    assert 'value="28"' in page

    response = post(client, "/register/settings", {"publish": "yes", "plan_days": "14"})
    assert response.status_code == 303
    with app.test_request_context():
        assert services.is_published()
        from engage.changes.measures import plan_within_days

        assert plan_within_days() == 14
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "register.settings_changed")
        ).one()
        assert entry.actor_id == actor.id
    assert "is public now" in client.get("/register/settings").get_data(as_text=True)


def test_the_settings_form_refuses_a_bad_number(client, signed_in):
    signed_in(Role.MANAGER)
    response = post(client, "/register/settings", {"publish": "yes", "plan_days": "0"})
    assert response.status_code == 400
    assert "Enter a whole number of days from 1 to 365" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.PEER, Role.BOARD, Role.PARTNER, Role.FINANCE])
def test_nobody_else_may_publish_it(app, client, signed_in, role):
    signed_in(role)
    assert client.get("/register/settings").status_code == 403
    token_page = client.get("/register/new")
    assert token_page.status_code == 200
    from tests.conftest import csrf_token

    token = csrf_token(client, "/register/new")
    response = client.post(
        "/register/settings", data={"publish": "yes", "plan_days": "7", "csrf_token": token}
    )
    assert response.status_code == 403
    with app.test_request_context():
        assert not services.is_published()


def test_signed_out_the_settings_page_asks_to_sign_in(client):
    assert client.get("/register/settings").status_code == 302


def test_staff_find_the_settings_from_the_register_and_admin(client, signed_in, make_user):
    signed_in(Role.MANAGER)
    assert 'href="/register/settings"' in client.get("/register").get_data(as_text=True)
    admin = make_user(roles={Role.ADMIN})
    other = client.application.test_client()
    sign_in(other, admin.username)
    assert 'href="/register/settings"' in other.get("/admin").get_data(as_text=True)


# Never a person, a hidden figure or a figure not marked public --------------------------------


@pytest.fixture
def private_section(monkeypatch):
    """A section beside the real ones with a figure of each kind the public must not see."""

    def build(current, previous) -> Section:  # noqa: ANN001
        return Section(
            "test-private",
            "Test section",
            figures=[
                Figure("shown", "Sessions held (test)", 12, 10, public=True),
                Figure(
                    "money",
                    "Fees paid to peers (test)",
                    Decimal("98765.43"),
                    kind=Kind.MONEY,
                    public=False,
                ),
                Figure(
                    "small", "Peers in a small group (test)", None, public=True, suppressed=True
                ),
                Figure("named", f"Hours given by {PEER_NAME}", 3, public=False),
            ],
            tables=[
                Table("people", "Hours by person (test)", "Person", ["Hours"], [(PEER_NAME, 3)]),
                Table(
                    "places",
                    "Meetings by place (test)",
                    "Place",
                    ["Meetings"],
                    [("Hub", 4)],
                    public=True,
                ),
            ],
        )

    monkeypatch.setattr(
        domains, "_sections", [*domains._sections, domains._Section(99, "test-private", build)]
    )


def assert_only_public(page: str) -> None:
    assert "Sessions held (test)" in page and "Meetings by place (test)" in page
    for hidden in (
        "Fees paid to peers (test)",
        "98,765.43",
        "Peers in a small group (test)",
        "Hours by person (test)",
        "Not shown",
    ):
        assert hidden not in page, hidden
    assert_identifies_nobody(page)


def test_the_public_page_shows_only_public_figures(app, client, resolved, private_section):
    publish(app)
    assert_only_public(client.get(PAGE).get_data(as_text=True))


def test_a_partners_dashboard_shows_only_public_figures(
    client, signed_in, resolved, private_section
):
    signed_in(Role.PARTNER, preferred_name="Patience Partner")
    response = client.get("/dashboard?period=last-12-months")
    assert response.status_code == 200
    assert_only_public(response.get_data(as_text=True))


def test_managers_still_see_every_figure(client, signed_in, resolved, private_section):
    signed_in(Role.MANAGER)
    page = client.get("/dashboard?period=last-12-months").get_data(as_text=True)
    assert "Fees paid to peers (test)" in page and "Hours by person (test)" in page


def test_the_public_figures_are_kept_five_minutes_then_counted_again(
    app, client, resolved, monkeypatch, clock
):
    """ "You said, we did" is in every peer's menu: its figures (the same for everyone, naming
    nobody) are counted once every five minutes, as the page tells caches, not on each visit."""
    from datetime import timedelta

    built = {"times": 0}

    def build(current, previous) -> Section:  # noqa: ANN001
        built["times"] += 1
        return Section(
            "test-counted",
            "Counted section",
            figures=[Figure("n", f"Counted {built['times']} times (test)", 1, public=True)],
        )

    monkeypatch.setattr(
        domains, "_sections", [*domains._sections, domains._Section(98, "test-counted", build)]
    )
    publish(app)
    start = clock(datetime(2025, 7, 1, 9, tzinfo=UTC))
    assert "Counted 1 times (test)" in client.get(PAGE).get_data(as_text=True)
    clock(start + timedelta(minutes=4))
    assert "Counted 1 times (test)" in client.get(PAGE).get_data(as_text=True)
    assert built["times"] == 1
    clock(start + timedelta(minutes=5, seconds=1))
    assert "Counted 2 times (test)" in client.get(PAGE).get_data(as_text=True)
    assert built["times"] == 2
