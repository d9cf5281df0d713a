"""An unexpected error's page carries a short id that is also on the log line (issue 13)."""

from __future__ import annotations

import logging
import re

from engage import create_app
from engage.core.errors import ERROR_ID_ALPHABET, new_error_id

ERROR_ID = re.compile(rf"[{ERROR_ID_ALPHABET}]{{4}}-[{ERROR_ID_ALPHABET}]{{4}}")


def raising_app(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})

    @app.get("/boom-for-test")  # a test-only route: an unexpected error, as a bug would raise
    def boom():
        raise RuntimeError("secret internals")

    return app


def test_the_page_and_the_log_line_carry_the_same_id(tmp_path, caplog):
    app = raising_app(tmp_path)
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom-for-test")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    shown = re.search(r'class="engage-error-id">([^<]+)<', body).group(1)
    assert ERROR_ID.fullmatch(shown)
    assert "Quote this if you contact us" in body
    records = [r for r in caplog.records if shown in r.getMessage()]
    assert len(records) == 1
    assert records[0].exc_info and "secret internals" in str(records[0].exc_info[1])
    # Never a trace, a version or a debugger on the page.
    for leak in ("secret internals", "Traceback", "Werkzeug", "Python/", "__debugger__"):
        assert leak not in body


def test_each_error_gets_its_own_id(tmp_path):
    client = raising_app(tmp_path).test_client()
    ids = {
        re.search(ERROR_ID, client.get("/boom-for-test").get_data(as_text=True)).group(0)
        for _ in range(3)
    }
    assert len(ids) == 3


def test_error_ids_are_short_and_easy_to_read_out():
    ids = {new_error_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(ERROR_ID.fullmatch(i) for i in ids)
    assert not any(c in "".join(ids) for c in "01OILSB5U8V")


def test_a_not_found_page_has_no_error_id(client):
    assert not ERROR_ID.search(client.get("/no-such-page").get_data(as_text=True))
