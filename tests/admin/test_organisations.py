from engage.extensions import db
from engage.people.models import Organisation, Role
from tests.conftest import post


def test_admins_keep_the_list_of_services(app, client, signed_in):
    signed_in(Role.ADMIN)
    assert post(client, "/admin/organisations", {"name": "  City   Council "}).status_code == 303
    again = post(client, "/admin/organisations", {"name": "city council"})
    assert "already on the list" in again.get_data(as_text=True)
    with app.app_context():
        org = db.session.scalar(db.select(Organisation))
        assert org.name == "City Council"
    post(client, f"/admin/organisations/{org.id}/toggle", {}, form_url="/admin/organisations")
    with app.app_context():
        assert db.session.get(Organisation, org.id).is_active is False
    assert "City Council" not in client.get("/register/new").get_data(as_text=True)


def test_only_admins_keep_the_list(client, signed_in):
    signed_in(Role.MANAGER)
    assert client.get("/admin/organisations").status_code == 403
