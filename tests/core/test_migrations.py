"""Every migration steps down and back up on its own, and at head the migrated schema is what
the models describe: on SQLite, and on PostgreSQL in a scratch database when
``ENGAGE_TEST_DATABASE_URL`` is set."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from engage import create_app
from engage.core.backup import _scripts
from engage.extensions import db
from tests.servers import scratch_database


@pytest.fixture
def _rollback():
    """This test builds its own app and database; leave db.session alone."""
    yield


def _revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _differences() -> list:
    with db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), db.metadata)


def test_every_migration_steps_down_and_up(tmp_path):
    with scratch_database(tmp_path, "test_migrations") as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path)})
        with app.app_context():
            scripts = _scripts()
            # Oldest first: base → … → head.
            revisions = [script.revision for script in scripts.walk_revisions()][::-1]
            assert len(scripts.get_heads()) == 1, "the migrations must form one line"
            try:
                upgrade()
                assert _revision() == revisions[-1]
                assert _differences() == []

                for previous in reversed([None, *revisions[:-1]]):
                    downgrade(revision="-1")
                    assert _revision() == previous
                assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

                for revision in revisions:
                    upgrade(revision="+1")
                    assert _revision() == revision
                assert _differences() == []
            finally:
                db.session.remove()
                db.engine.dispose()
