"""The admin's home page."""

from __future__ import annotations

from engage.people.models import Role


def test_messages_and_audit_links_to_both(client, signed_in):
    signed_in(Role.ADMIN)
    page = client.get("/").get_data(as_text=True)
    panel = page[page.index("Messages and audit") :]
    panel = panel[: panel.index("</section>")]
    assert 'href="/admin/outbox"' in panel and 'href="/admin/audit"' in panel
