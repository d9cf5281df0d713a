"""Two admins, the only two, erase each other at the same moment: one erasure happens, the
other is refused, and an admin is always left. Real threads and a database of its own (on
PostgreSQL too, where nothing but the admins' row locks would stop both)."""

from __future__ import annotations

import threading

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from engage import create_app
from engage.extensions import db
from engage.people import erasure, services
from engage.people.models import Role, User
from tests.servers import scratch_database


@pytest.fixture
def _rollback():
    """This test builds its own app and database; leave db.session alone."""
    yield


@pytest.fixture
def site(tmp_path):
    with scratch_database(tmp_path, "test_erase_admins") as url:
        app = create_app(
            {"INSTANCE_PATH": str(tmp_path / "instance"), "SQLALCHEMY_DATABASE_URI": url}
        )
        with app.app_context():
            upgrade()
            for name in ("ada", "bo"):
                services.create_account(actor=None, username=name, roles={Role.ADMIN})
            db.session.commit()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_two_admins_erasing_each_other_at_once_leave_one_admin(site):
    start = threading.Barrier(2, timeout=30)
    outcomes: dict[str, str] = {}

    def erase_the_other(me: str, other: str) -> None:
        with site.test_request_context(method="POST"):  # as the erase form posts
            start.wait()  # before any query: on SQLite a POST's first query takes the lock
            actor = db.session.scalar(select(User).where(User.username == me))
            person = db.session.scalar(select(User).where(User.username == other))
            try:
                done = erasure.erase(person, actor, "testing")
                db.session.commit()
                outcomes[me] = "erased" if done else "nothing"
            except erasure.ErasureError:
                db.session.rollback()
                outcomes[me] = "refused"
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=erase_the_other, args=("ada", "bo")),
        threading.Thread(target=erase_the_other, args=("bo", "ada")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["erased", "refused"]
    with site.app_context():
        admins = [
            user
            for user in db.session.scalars(select(User).where(User.erased_at.is_(None)))
            if user.has_role(Role.ADMIN)
        ]
        assert len(admins) == 1
