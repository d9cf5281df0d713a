"""Numbers from addresses never become server errors: every list page, asked for with page
numbers too big for any database, below 1 or not numbers at all, answers; ids and other
numbers in ``?for=``, ``?meeting=``, ``?year=`` and ``?level=`` are bounded the same way."""

from __future__ import annotations

import pytest

from engage.extensions import db
from engage.people.models import Role
from tests.conftest import sign_in

#: Every page with pages, and a role that may see it ({peer} is a peer's id, {run} a run's).
LIST_PAGES = {
    "/admin": Role.ADMIN,
    "/admin/outbox": Role.ADMIN,
    "/admin/audit": Role.ADMIN,
    "/people": Role.MANAGER,
    "/register": Role.MANAGER,
    "/you-said-we-did": Role.PEER,
    "/requests": Role.PARTNER,
    "/opportunities": Role.PEER,
    "/claims": Role.MANAGER,
    "/claims?mine=1": Role.PEER,
    "/payments/time": Role.MANAGER,
    "/me/payments": Role.PEER,
    "/people/{peer}/payments": Role.FINANCE,
    "/payments/runs": Role.FINANCE,
    "/payments/runs/{run}": Role.FINANCE,
}

BAD_PAGES = ["99999999999999999999", "-5", "abc", "1e9", "0", "²", "9" * 5000, ""]


def _run(app, finance_id: int) -> int:
    """An empty payment run, enough for its page to have pages."""
    from engage.payments.models import PaymentRun

    with app.app_context():
        run = PaymentRun(key="bounds-run", created_by_id=finance_id)
        db.session.add(run)
        db.session.commit()
        return run.id


@pytest.mark.parametrize("template", LIST_PAGES)
def test_every_list_page_answers_any_page_number(app, client, make_user, template):
    peer = make_user("pagedpeer", roles={Role.PEER})
    viewer = make_user("viewer", roles={LIST_PAGES[template], Role.FINANCE})
    run = _run(app, viewer.id)
    assert sign_in(client, "viewer").status_code == 303
    url = template.format(peer=peer.id, run=run)
    joiner = "&" if "?" in url else "?"
    for page in BAD_PAGES:
        response = client.get(f"{url}{joiner}page={page}")
        # Out of range is the last page, nonsense is page 1: the list itself, never an error.
        assert response.status_code == 200, (url, page[:30], response.status_code)


def test_a_page_beyond_the_last_shows_the_last(client, make_user, monkeypatch):
    from engage.admin import routes

    monkeypatch.setattr(routes, "PAGE_SIZE", 2)
    for name in ("adam", "beth", "cara"):
        make_user(name, roles={Role.PEER})
    make_user("zed", roles={Role.ADMIN})
    sign_in(client, "zed")
    for page in ("2", "99999999999999999999"):
        body = client.get(f"/admin?page={page}").get_data(as_text=True)
        assert "Page 2 of 2" in body and "cara" in body and "zed" in body and "adam" not in body
    body = client.get("/admin?page=-5").get_data(as_text=True)
    assert "Page 1 of 2" in body and "adam" in body and "zed" not in body


@pytest.mark.parametrize(
    "level", ["99999999999999999999", "-1", "abc", "1e9", "²", "9" * 5000, "0", "7", "2"]
)
def test_register_filters_ignore_numbers_that_are_not_theirs(client, signed_in, level):
    signed_in(Role.MANAGER)
    for name in ("level", "agency"):
        response = client.get(f"/register?{name}={level}")
        assert response.status_code == 200, (name, level)
        assert client.get(f"/register.csv?{name}={level}").status_code == 200


@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "abc", "1e9", "²", "0"])
def test_ids_in_addresses_that_could_not_exist_are_not_found(client, make_user, value):
    make_user("mgr", roles={Role.MANAGER, Role.BOARD})
    sign_in(client, "mgr")
    for url in ("/register/new", "/claims/new", "/claims/cash"):
        assert client.get(f"{url}?for={value}").status_code == 404, (url, value)
    # Entering time for someone: a person who is not on the list is simply not chosen.
    assert client.get(f"/payments/time/new?for={value}").status_code == 200


def test_a_board_agenda_for_a_meeting_that_could_not_exist_is_not_found(app, client, make_user):
    from tests.changes.test_boards import make_board

    make_user("mgr", roles={Role.MANAGER})
    sign_in(client, "mgr")
    board_id = make_board(app)["board"]
    assert client.get(f"/boards/{board_id}/agenda").status_code == 200
    for value in ("99999999999999999999", "-1", "abc", "²"):
        assert client.get(f"/boards/{board_id}/agenda?meeting={value}").status_code == 404
        assert client.get(f"/boards/{board_id}/decisions?meeting={value}").status_code == 404
        # A page beyond the last (or none that could be) shows a page that there is.
        for url in ("meetings", "meetings?when=upcoming&", "decisions"):
            sep = "" if url.endswith("&") else "?"
            assert client.get(f"/boards/{board_id}/{url}{sep}page={value}").status_code == 200


@pytest.mark.parametrize("year", ["99999999999999999999", "1", "9999", "abc", "-2026", "²"])
def test_a_tax_year_out_of_range_shows_this_year_and_says_so(client, make_user, year):
    peer = make_user("payee", roles={Role.PEER})
    make_user("fin", roles={Role.FINANCE})
    sign_in(client, "fin")
    response = client.get(f"/payments/people/{peer.id}?year={year}")
    assert response.status_code == 200
    assert "We can show tax years from 2000" in response.get_data(as_text=True)
