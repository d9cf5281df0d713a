"""The production server, as the README starts it: ``engage serve`` (gunicorn, 2 workers) on a
demo database, talked to over real sockets by several visitors at once.

Under ``engage serve`` every request once became the last person who signed in: the command
ran gunicorn inside the CLI's application context, every worker inherited it, and Flask-Login's
cached user in ``g`` outlived each request. The test client and ``engage run`` could not show
it; only the real server can.
"""

from __future__ import annotations

import itertools
import re
import threading

import pytest

from tests.servers import (
    DEMO_PASSWORD,
    PRODUCTION_ENCRYPTION_KEY,
    Server,
    Visitor,
    engage_env,
    run_engage,
    scratch_database,
)

#: Pages nobody may see without signing in, with what a stranger must get instead.
PRIVATE = ["/me", "/payments/runs/1.csv", "/payments", "/admin/outbox", "/claims"]


@pytest.fixture(autouse=True)
def _rollback():
    """Replace the shared rolled-back session (tests/conftest.py): the server has its own."""
    yield


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    """``engage demo`` then ``engage serve --workers 2``, each as its own process."""
    instance = tmp_path_factory.mktemp("production-server")
    with scratch_database(instance, "test_production_server") as url:
        env = engage_env(instance, url)
        run_engage(env, "demo", "--peers", "3")
        server = Server(env, "serve", instance / "server.log", "--workers", "2")
        try:
            yield server
        finally:
            server.stop()


def _signed_in_as(answer) -> str | None:
    """The username /me shows, or None when the answer is not the profile page."""
    if answer.status != 200:
        return None
    found = re.search(r"Username</dt>\s*<dd[^>]*>\s*([^<\s]+)", answer.text)
    return found.group(1) if found else "?"


def _is_sent_to_sign_in(answer) -> bool:
    return answer.status in (302, 303) and answer.location == "/login"


def test_each_request_is_signed_in_only_through_its_own_cookie(production_server):
    url = production_server.url
    stranger = Visitor(url)
    assert _is_sent_to_sign_in(stranger.get("/me"))

    people = {name: Visitor(url).sign_in(name) for name in ("peer", "finance", "manager")}
    # Strangers and signed-in people, interleaved, many times over both workers.
    for round_, name in zip(range(30), itertools.cycle(people), strict=False):
        assert _signed_in_as(people[name].get("/me")) == name, (round_, name)
        for path in PRIVATE:
            answer = Visitor(url).get(path)
            assert _is_sent_to_sign_in(answer), (round_, path, answer.status)
            assert "sort code" not in answer.text.lower()

    # Signing one person out leaves the others signed in as themselves, and no one else.
    people.pop("manager").request("POST", "/logout")
    for name, visitor in people.items():
        assert _signed_in_as(visitor.get("/me")) == name
    assert _is_sent_to_sign_in(stranger.get("/me"))
    assert production_server.server_errors() == []


def test_at_the_same_time_every_answer_belongs_to_its_own_visitor(production_server):
    url = production_server.url
    people = {name: Visitor(url).sign_in(name) for name in ("peer", "peer2", "finance", "admin")}
    mistakes: list[tuple] = []

    def visit(name: str | None) -> None:
        visitor = people[name] if name else Visitor(url)
        for _ in range(15):
            answer = visitor.get("/me")
            seen = _signed_in_as(answer)
            if name is None and not _is_sent_to_sign_in(answer):
                mistakes.append(("stranger saw", answer.status, seen))
            elif name is not None and seen != name:
                mistakes.append((name, "saw", answer.status, seen))

    threads = [
        threading.Thread(target=visit, args=(name,)) for name in [*people, None, None, None, None]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert mistakes == []
    assert production_server.server_errors() == []


def test_a_stolen_finance_cookie_is_the_only_way_into_finance_pages(production_server):
    url = production_server.url
    finance = Visitor(url).sign_in("finance")
    # The file holds bank details: finance types their password again first, and the
    # confirmation (kept on the server, against this session) holds across both workers.
    answer = finance.get("/payments/runs/1.csv")
    assert answer.status in (302, 303)
    assert answer.location == "/confirm-it-is-you"
    answer = finance.post(
        "/confirm-it-is-you",
        {"password": DEMO_PASSWORD},
        form_page="/confirm-it-is-you?next=/payments/runs/1",
    )
    # Back to the run's page, whose links now download (not to the file: the browser would
    # stay on the confirmation page while it arrived).
    assert answer.status == 303 and answer.location == "/payments/runs/1"
    for _ in range(4):
        assert finance.get("/payments/runs/1.csv").status == 200
    # Someone else signed in as finance elsewhere has not confirmed anything.
    elsewhere = Visitor(url).sign_in("finance")
    assert elsewhere.get("/payments/runs/1.csv").status in (302, 303)
    assert _is_sent_to_sign_in(Visitor(url).get("/payments/runs/1.csv"))
    peer = Visitor(url).sign_in("peer")
    assert peer.get("/payments/runs/1.csv").status in (403, 404)
    # Right after finance's download, a stranger's request still belongs to no one.
    assert _is_sent_to_sign_in(Visitor(url).get("/payments/runs/1.csv"))


def test_production_serves_a_real_database_only_to_its_own_host_name(tmp_path):
    """``ENGAGE_ENV=production`` on a real database (the demo one is refused: see
    tests/core/test_cli.py): served only to its own host name, with HSTS and __Host- cookies."""
    with scratch_database(tmp_path, "test_production_mode") as url:
        # Set up as `engage check` asks (it runs at start-up and refuses otherwise), with this
        # computer's address trusted too so the test can reach it.
        production = engage_env(
            tmp_path,
            url,
            ENGAGE_ENV="production",
            ENGAGE_BASE_URL="https://engage.example.org",
            ENGAGE_TRUSTED_HOSTS="127.0.0.1",
            ENGAGE_PROXY_COUNT="1",
            ENGAGE_EMAIL_SENDER="smtp",
            ENGAGE_ENCRYPTION_KEYS=PRODUCTION_ENCRYPTION_KEY,
        )
        run_engage(production, "db", "upgrade")
        server = Server(production, "serve", tmp_path / "server.log", "--workers", "1")
        try:
            visitor = Visitor(server.url)
            answer = visitor.get("/login")
            assert answer.status == 200
            assert "max-age" in answer.headers.get("Strict-Transport-Security", "")
            assert "__Host-engage" in answer.headers.get("Set-Cookie", "")
            hostile = visitor.request("GET", "/login", headers={"Host": "evil.example.com"})
            assert hostile.status == 400 and "evil.example.com" not in hostile.text
        finally:
            server.stop()


def _register_counts(visitor) -> set[int]:
    """The item counts the register's measures give, over enough visits to reach both
    workers (each keeps its own figures: engage.core.generation)."""
    counts = set()
    for _ in range(8):
        page = visitor.get("/register").text
        found = re.search(r"from the (\d+) items? in the register", page)
        assert found, page[:300]
        counts.add(int(found.group(1)))
    return counts


def test_figures_kept_by_each_worker_count_a_new_item_at_once(production_server):
    """The register's measures are kept between visits in each worker; an item raised through
    either worker is counted on the next visit to both."""
    manager = Visitor(production_server.url).sign_in("manager")
    peer = Visitor(production_server.url).sign_in("peer")
    (before,) = _register_counts(manager)
    for n in (1, 2):
        raised = peer.post(
            "/register/new",
            {
                "title": f"Kept figures check {n}",
                "what_happened": "Told to come back another day.",
                "agency": "other",
                "agency_other": "Housing office",
                "theme": "housing",
                "show_name": "no",
            },
        )
        assert raised.status == 303, raised.text[:300]
        assert _register_counts(manager) == {before + n}
    assert production_server.server_errors() == []
