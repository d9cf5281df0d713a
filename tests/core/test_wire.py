"""What a page costs on the wire (issue 15): static files under fingerprinted names, compressed
and cached for a year; pages gzipped when the browser accepts it; and the CSRF token masked
afresh on every page, so compression cannot give it away (BREACH)."""

from __future__ import annotations

import gzip
import json
import re

from flask import Response, stream_with_context

from engage import ROOT
from engage.core import assets, compression
from engage.core.csrf import mask, unmask
from engage.people.models import Role
from tests.conftest import PASSWORD, csrf_token

HASHED = r"[0-9a-f]{12}"


def static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_name_their_stylesheets_and_scripts_by_a_hash_of_their_content(client):
    urls = static_urls(client.get("/login").get_data(as_text=True))
    assert any(re.fullmatch(rf"/static/css/engage\.{HASHED}\.css", url) for url in urls)
    assert any(
        re.fullmatch(rf"/static/govuk/govuk-frontend\.min\.{HASHED}\.css", url) for url in urls
    )
    assert any(re.fullmatch(rf"/static/js/engage\.{HASHED}\.mjs", url) for url in urls)
    assert any(re.fullmatch(rf"/static/htmx/htmx\.min\.{HASHED}\.js", url) for url in urls)
    assert all(re.search(rf"\.{HASHED}\.\w+$", url) for url in urls), urls


def test_a_fingerprinted_file_is_compressed_and_kept_for_a_year(client):
    url = next(
        url
        for url in static_urls(client.get("/login").get_data(as_text=True))
        if "/css/engage." in url
    )
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "max-age=31536000, public, immutable"
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.mimetype == "text/css"
    body = gzip.decompress(response.data)
    assert body == (ROOT / "static/css/engage.css").read_bytes()  # it loads nothing: unchanged

    plain = client.get(url)
    assert plain.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert plain.data == body


def test_a_hashed_name_the_server_never_had_is_not_found(client):
    assert client.get("/static/css/engage.0123456789ab.css").status_code == 404


def test_what_a_stylesheet_or_module_loads_is_named_by_its_hash_too(tmp_path):
    source = tmp_path / "static"
    (source / "css").mkdir(parents=True)
    (source / "js").mkdir()
    (source / "img").mkdir()
    (source / "img" / "crest.svg").write_text("<svg/>")
    (source / "css" / "site.css").write_text(
        "a{background:url(../img/crest.svg)} b{background:url('data:image/png;base64,AA')}"
        " i{background:url(missing.png)}"
    )
    (source / "js" / "part.mjs").write_text("export const x = 1\n")
    (source / "js" / "main.mjs").write_text("import { x } from './part.mjs'\nconsole.log(x)\n")
    manifest = assets.Manifest(source, tmp_path / ".static", tmp_path)

    crest = manifest.names["img/crest.svg"]
    assert re.fullmatch(rf"img/crest\.{HASHED}\.svg", crest)
    css = (tmp_path / ".static" / manifest.names["css/site.css"]).read_text()
    assert f"url(../{crest})" in css
    assert "url('data:image/png;base64,AA')" in css  # not a file of ours: as it was
    assert "url(missing.png)" in css
    main = (tmp_path / ".static" / manifest.names["js/main.mjs"]).read_text()
    assert f"from './{manifest.names['js/part.mjs'].removeprefix('js/')}'" in main
    # The same content gives the same name; what a file loads is part of its content.
    again = assets.Manifest(source, tmp_path / ".static", tmp_path)
    assert again.names == manifest.names
    (source / "js" / "part.mjs").write_text("export const x = 2\n")
    changed = assets.Manifest(source, tmp_path / ".static", tmp_path)
    assert changed.names["js/part.mjs"] != manifest.names["js/part.mjs"]
    assert changed.names["js/main.mjs"] != manifest.names["js/main.mjs"]


def test_pages_are_gzipped_only_for_browsers_that_accept_it(client):
    plain = client.get("/login")
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    assert "<html" in plain.get_data(as_text=True)

    packed = client.get("/login", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    html = gzip.decompress(packed.data).decode()
    assert "<html" in html
    assert len(packed.data) < len(html) / 2


def test_files_sent_as_they_are_and_streams_are_never_gzipped(app):
    with app.test_request_context(headers={"Accept-Encoding": "gzip"}):
        pdf = compression.compress(Response(b"%PDF" * 500, mimetype="application/pdf"))
        assert "Content-Encoding" not in pdf.headers
        streamed = compression.compress(
            Response(stream_with_context(iter(["<p>x</p>" * 500])), mimetype="text/html")
        )
        assert "Content-Encoding" not in streamed.headers
        tiny = compression.compress(Response("<p>hi</p>", mimetype="text/html"))
        assert "Content-Encoding" not in tiny.headers
        csv = compression.compress(Response("a,b\n" * 500, mimetype="text/csv"))
        assert csv.headers["Content-Encoding"] == "gzip"


# --- the CSRF token, masked ---------------------------------------------------------------------


def test_every_page_shows_the_token_with_different_bytes(client):
    first, second = csrf_token(client), csrf_token(client)
    assert first != second
    assert unmask(first) == unmask(second)  # one session, one token behind both


def test_mask_and_unmask_are_inverse_and_leave_anything_else_alone():
    token = "IjEyMzQ1Njc4OTAi.aBcDeF.signature-part_xyz"
    masked = mask(token)
    assert masked != token and unmask(masked) == token
    assert mask(token) != masked
    assert mask("") == ""
    for other in (None, "", token, "not base64!", "YWJj"):
        assert unmask(other) == other


def test_a_masked_token_from_a_page_signs_in(client, make_user):
    user = make_user(Role.PEER)
    token = csrf_token(client)
    response = client.post(
        "/login", data={"login": user.username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code in (302, 303)


def test_a_tampered_token_is_refused_kindly(client, make_user):
    user = make_user(Role.PEER)
    token = csrf_token(client)
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = client.post(
        "/login", data={"login": user.username, "password": PASSWORD, "csrf_token": tampered}
    )
    assert response.status_code == 400
    assert "This page was open too long" in response.get_data(as_text=True)


def test_htmx_sends_the_masked_token_in_its_header(client, make_user):
    user = make_user(Role.PEER)
    html = client.get("/login").get_data(as_text=True)
    headers = json.loads(re.search(r"hx-headers='([^']+)'", html).group(1))
    response = client.post(
        "/login",
        data={"login": user.username, "password": PASSWORD},
        headers={"HX-Request": "true", "X-CSRFToken": headers["X-CSRFToken"]},
    )
    assert response.status_code != 400
    assert response.headers.get("HX-Redirect") or response.status_code in (302, 303)


def test_pdfs_read_their_stylesheets_from_the_fingerprinted_copies(app):
    from engage.dashboard import pdf

    url = "/static/" + app.extensions["engage.assets"].names["css/print.css"]
    file = pdf._static_file("http://localhost" + url, assets.folder(app), app.static_url_path)
    assert file.read_bytes() == (ROOT / "static/css/print.css").read_bytes()
