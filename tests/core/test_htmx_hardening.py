"""htmx never runs what people typed (issue 13): its config refuses eval and other sites, keeps
no copies of pages, and ``hx-*`` attributes typed into a text field stay inert text."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from engage.people.models import Role
from tests.conftest import post

INJECTED = '<div hx-get="/admin" hx-trigger="load" hx-target="body">x</div>'


class Attributes(HTMLParser):
    """Every attribute name of every element in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.hx_targets: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs) -> None:  # noqa: ANN001
        for name, value in attrs:
            self.names.append(name)
            if name.startswith(("hx-", "data-hx-")):
                self.hx_targets.append((name, value))


def live_hx(html: str) -> list[tuple[str, str | None]]:
    parser = Attributes()
    parser.feed(html)
    return parser.hx_targets


def test_htmx_config_refuses_eval_other_sites_and_keeps_no_history(client):
    html = client.get("/login").get_data(as_text=True)
    meta = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', html).group(1)
    config = json.loads(meta)
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["selfRequestsOnly"] is True
    assert config["historyCacheSize"] == 0
    assert config["refreshOnHistoryMiss"] is True


def test_the_vendored_htmx_knows_these_settings():
    from pathlib import Path

    source = (Path(__file__).parents[2] / "static/htmx/htmx.min.js").read_text()
    assert 'version:"2.0.' in source
    for key in ("allowEval", "allowScriptTags", "selfRequestsOnly", "historyCacheSize"):
        assert f"{key}:" in source, key
    assert "refreshOnHistoryMiss:" in source


def test_hx_attributes_typed_into_a_register_item_stay_text(client, signed_in):
    signed_in(Role.PEER)
    response = post(
        client,
        "/register/new",
        {
            "title": "Door locked " + INJECTED,
            "what_happened": "It was locked. " + INJECTED,
            "agency": "other",
            "agency_other": "Housing " + INJECTED,
            "theme": "housing",
            "show_name": "no",
        },
    )
    assert response.status_code == 303
    item = re.search(r"/register/(\d+)", response.headers["Location"]).group(1)
    for url in (f"/register/{item}", "/register"):
        html = client.get(url).get_data(as_text=True)
        assert "&lt;div hx-get=&#34;/admin&#34;" in html or "&lt;div hx-get=&quot;/admin" in html
        assert not [hx for hx in live_hx(html) if hx[1] and "/admin" in hx[1]], url
