"""Names and titles cannot pretend to be something else: bidirectional controls that reorder
text (U+202E typed before "nimda" shows "admin") are dropped from whatever is typed, and from
text stored before; the marks Arabic text uses are kept."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations

import engage
from engage.changes.models import Item
from engage.core.audit import AuditEntry
from engage.core.forms import BIDI_CONTROLS, without_bidi_controls
from engage.extensions import db
from engage.forums.models import Forum
from engage.people.models import Profile, Role, User
from tests.conftest import post, sign_in

RLO = "\u202e"  # right-to-left override
RLM, ALM = "\u200f", "\u061c"  # marks: they reorder nothing


def test_only_the_controls_that_reorder_text_are_dropped():
    every = "".join(chr(c) for c in BIDI_CONTROLS)
    assert every == "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    assert without_bidi_controls(f"{RLO}nimda{every}") == "nimda"
    assert without_bidi_controls(f"محمد{RLM} علي{ALM}") == f"محمد{RLM} علي{ALM}"
    assert without_bidi_controls(None) is None and without_bidi_controls(3) == 3


def _profile_name(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).profile.preferred_name


def test_a_name_typed_with_an_override_is_stored_and_shown_as_it_reads(app, client, make_user):
    peer = make_user("sam", roles={Role.PEER}, preferred_name="Sam")
    sign_in(client, "sam")
    response = post(client, "/me/details", {"preferred_name": f"{RLO}nimda", "pronouns": ""})
    assert response.status_code == 303
    assert _profile_name(app, peer.id) == "nimda"
    make_user("mgr", roles={Role.MANAGER})
    staff = app.test_client()
    sign_in(staff, "mgr")
    for url in (f"/people/{peer.id}", "/people"):
        page = staff.get(url).get_data(as_text=True)
        assert "nimda" in page and RLO not in page, url


def test_titles_typed_with_an_override_are_stored_without_it(app, client, make_user):
    make_user("pat", roles={Role.PEER})
    sign_in(client, "pat")
    raised = {
        "title": f"Turned away {RLO}DI tuohtiw",
        "what_happened": f"They said {RLO}no help",
        "agency": "other",
        "agency_other": "Housing office",
        "theme": "housing",
        "show_name": "no",
    }
    assert post(client, "/register/new", raised).status_code == 303
    make_user("mgr", roles={Role.MANAGER})
    staff = app.test_client()
    sign_in(staff, "mgr")
    forum = {"name": f"{RLO}muroF s'nemoW", "purpose": "Advise", "open_to_all": "open"}
    assert post(staff, "/forums/new", forum).status_code == 303
    with app.app_context():
        item = db.session.scalar(db.select(Item))
        assert (item.title, item.what_happened) == ("Turned away DI tuohtiw", "They said no help")
        assert db.session.scalar(db.select(Forum.name)) == "muroF s'nemoW"
    assert "Turned away DI tuohtiw" in staff.get("/register").get_data(as_text=True)
    assert "muroF s&#39;nemoW" in staff.get("/forums").get_data(as_text=True)


def test_arabic_names_keep_their_marks_and_read_as_typed(app, client, make_user):
    name = f"محمد{RLM} (Mo){ALM}"
    peer = make_user("mo", roles={Role.PEER}, preferred_name="Mo")
    sign_in(client, "mo")
    assert post(client, "/me/details", {"preferred_name": name}).status_code == 303
    assert _profile_name(app, peer.id) == name
    make_user("mgr", roles={Role.MANAGER})
    staff = app.test_client()
    sign_in(staff, "mgr")
    assert name in staff.get(f"/people/{peer.id}").get_data(as_text=True)


def test_passwords_are_kept_exactly_as_typed(client, make_user):
    password = f"my {RLO}secret phrase 42"
    make_user("pw", roles={Role.PEER}, password=password)
    assert sign_in(client, "pw", password).status_code == 303


def _bidi_migration():
    path = Path(engage.__file__).parent / "migrations" / "versions" / "0007_bidi_controls.py"
    spec = importlib.util.spec_from_file_location("bidi_controls_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("control", [RLO, "\u2066", "\u202a"])
def test_text_stored_before_is_cleaned_and_the_audit_log_left_alone(app, make_user, control):
    peer = make_user("old", roles={Role.PEER}, preferred_name="Old")
    with app.app_context():
        profile = db.session.scalar(db.select(Profile).where(Profile.user_id == peer.id))
        profile.preferred_name = f"{control}nimda{RLM}"
        db.session.add(AuditEntry(action=f"note {control}", detail=control))
        db.session.commit()
        with Operations.context(MigrationContext.configure(db.session.connection())):
            _bidi_migration().upgrade()
        db.session.commit()
        assert _profile_name(app, peer.id) == f"nimda{RLM}"
        assert (
            db.session.scalar(db.select(AuditEntry.action).where(AuditEntry.action.like("note%")))
            == f"note {control}"
        )
