"""Two-step sign in that production asks of whole roles (``ENGAGE_TWO_STEP_ROLES``): finance
sees bank details and makes payment runs, admins change roles, so in production both must set
up a code before using the site; the development demo still signs in with a password."""

from __future__ import annotations

import re

import pyotp
import pytest

from engage import config, create_app
from engage.people.models import Role
from tests.conftest import csrf_token, post, sign_in


def test_production_asks_it_of_admin_and_finance_and_development_of_nobody(monkeypatch):
    monkeypatch.delenv("ENGAGE_TWO_STEP_ROLES", raising=False)
    assert config.load({"ENV": "production"})["TWO_STEP_ROLES"] == {"admin", "finance"}
    assert config.load({})["TWO_STEP_ROLES"] == frozenset()
    monkeypatch.setenv("ENGAGE_TWO_STEP_ROLES", " finance, Board ")
    assert config.load({"ENV": "production"})["TWO_STEP_ROLES"] == {"finance", "board"}
    monkeypatch.setenv("ENGAGE_TWO_STEP_ROLES", "")
    assert config.load({"ENV": "production"})["TWO_STEP_ROLES"] == frozenset()


def test_an_unknown_role_is_refused_at_start(tmp_path):
    with pytest.raises(RuntimeError, match="TWO_STEP_ROLES"):
        create_app({"INSTANCE_PATH": str(tmp_path), "TWO_STEP_ROLES": "finance,treasurer"})


@pytest.fixture
def production(app):
    """The same database, served as production (plain http, so cookies are not Secure)."""
    return create_app(
        {
            "ENV": "production",
            "SECRET_KEY": app.config["SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_PATH": app.instance_path,
            "SESSION_COOKIE_SECURE": False,
            "BASE_URL": "http://localhost",
            "TESTING": True,
        }
    )


@pytest.mark.parametrize("role", [Role.FINANCE, Role.ADMIN])
def test_finance_and_admin_set_up_two_step_before_anything_else(production, make_user, role):
    make_user("staff", roles={role, Role.BOARD})
    client = production.test_client()
    assert sign_in(client, "staff").status_code == 303
    for url in ("/", "/payments/runs", "/admin", "/me"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"] == "/me/two-step"
    page = client.get("/me/two-step").get_data(as_text=True)
    secret = re.search(r"<code[^>]*>([A-Z2-7]+)</code>", page).group(1)
    assert post(client, "/me/two-step", {"code": pyotp.TOTP(secret).now()}).status_code == 303
    assert client.get("/").status_code == 200
    # They cannot turn it off again.
    page = client.get("/me/two-step").get_data(as_text=True)
    assert "Turn off two-step sign in" not in page
    post(client, "/me/two-step", {})
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert sign_in(client, "staff").headers["Location"] == "/login/code"


@pytest.mark.parametrize("role", [Role.PEER, Role.MANAGER, Role.BOARD, Role.PARTNER])
def test_other_roles_sign_in_with_a_password_in_production(production, make_user, role):
    make_user("person", roles={role})
    client = production.test_client()
    assert sign_in(client, "person").status_code == 303
    assert client.get("/").status_code == 200


def test_the_development_demo_signs_in_with_a_password(client, make_user):
    make_user("fin", roles={Role.FINANCE})
    assert sign_in(client, "fin").status_code == 303
    assert client.get("/payments").status_code == 200
