"""Two managers save the cohort estimate from pages showing the same estimate, at the same
moment: one is saved, the other is told someone else changed it, and nothing is half-saved.
Real threads and a database of its own (on PostgreSQL too, where both requests read "no
estimate yet" and only the unique estimate number stops the second)."""

from __future__ import annotations

import contextlib
import re
import threading

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from engage import create_app
from engage.core.security import hash_password
from engage.dashboard import cohort
from engage.dashboard.models import CohortEstimate, CohortShare
from engage.extensions import db
from engage.people import services
from engage.people.models import Role
from tests.conftest import PASSWORD, csrf_token, sign_in
from tests.servers import scratch_database


@pytest.fixture
def _rollback():
    """This test builds its own app and database; leave db.session alone."""
    yield


@pytest.fixture
def site(tmp_path):
    with scratch_database(tmp_path, "test_cohort_estimate") as url:
        app = create_app(
            {
                "INSTANCE_PATH": str(tmp_path / "instance"),
                "SQLALCHEMY_DATABASE_URI": url,
                "TESTING": True,
                "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
            }
        )
        with app.app_context():
            upgrade()
            for name in ("ada", "bo"):
                user = services.create_account(actor=None, username=name, roles={Role.MANAGER})
                user.password_hash = hash_password(PASSWORD)
            db.session.commit()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_two_saves_from_the_same_estimate_at_once_save_one(site, monkeypatch):
    clients = {}
    forms = {}
    for name in ("ada", "bo"):
        client = site.test_client()
        assert sign_in(client, name).status_code == 303
        page = client.get("/dashboard/cohort").get_data(as_text=True)
        hidden = dict(
            re.findall(r'name="(version|submission_key)" type="hidden" value="([^"]*)"', page)
        )
        assert hidden["version"] == "0"
        clients[name] = client
        forms[name] = {"csrf_token": csrf_token(client, "/dashboard/cohort"), **hidden}
    start = threading.Barrier(2, timeout=30)
    statuses: dict[str, int] = {}
    # Make the race certain where the database lets it happen: each request's first look at
    # the newest estimate waits until the other has looked too, so both read "none yet".
    # (SQLite queues writing requests from their first query, so there the second never
    # gets to look before the first is done: the wait times out, and it reads "one".)
    both_read = threading.Barrier(2, timeout=3)
    looked = threading.local()
    newest_number = cohort.newest_number

    def newest_then_wait() -> int:
        number = newest_number()
        if not getattr(looked, "once", False):
            looked.once = True
            with contextlib.suppress(threading.BrokenBarrierError):
                both_read.wait()
        return number

    monkeypatch.setattr(cohort, "newest_number", newest_then_wait)

    def save(name: str, woman: str) -> None:
        data = {**forms[name], "gender__woman": woman, "gender__man": "40", "age_band__18_24": "9"}
        start.wait()
        statuses[name] = clients[name].post("/dashboard/cohort", data=data).status_code

    threads = [
        threading.Thread(target=save, args=("ada", "45")),
        threading.Thread(target=save, args=("bo", "55")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses.values()) == [303, 409]
    with site.app_context():
        assert db.session.scalar(select(func.count()).select_from(CohortEstimate)) == 1
        # All three shares of the one that won, none of the other's.
        assert db.session.scalar(select(func.count()).select_from(CohortShare)) == 3
        (woman,) = db.session.scalars(
            select(CohortShare.share_percent).where(CohortShare.group == "woman")
        ).all()
        winner = "ada" if statuses["ada"] == 303 else "bo"
        assert str(woman) == {"ada": "45.0", "bo": "55.0"}[winner]
