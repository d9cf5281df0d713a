"""``engage backup`` and ``engage restore``: one archive holds the database and the instance
folder's files; restoring it puts both back exactly, migrates an older backup and runs the
after-restore hooks (such as erasing again the people erased since the backup).

On SQLite by default; on PostgreSQL (pg_dump and pg_restore) in a scratch database when
``ENGAGE_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask_migrate import upgrade

from engage import create_app
from engage.cli import main
from engage.core import domains, settings
from engage.extensions import db
from engage.people import services
from engage.people.models import Role
from tests.servers import scratch_database

ERASURE_LOG = "erasures.log"


@pytest.fixture
def _rollback():
    """These tests build their own app and database; leave db.session alone."""
    yield


@pytest.fixture
def site(tmp_path, monkeypatch):
    """An instance folder and database of its own, as ``engage`` commands see them."""
    instance = tmp_path / "instance"
    with scratch_database(tmp_path, "test_backup") as url:
        monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(instance))
        monkeypatch.setenv("ENGAGE_DATABASE_URL", url)
        monkeypatch.delenv("ENGAGE_ENV", raising=False)
        app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": url})
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def hooks(monkeypatch):
    """An after-restore hook of this test only, and the erasure log kept on restore."""
    monkeypatch.setattr(domains, "_after_restore", list(domains._after_restore))
    monkeypatch.setattr(domains, "_kept_on_restore", set(domains._kept_on_restore))
    domains.keep_on_restore(ERASURE_LOG)
    calls: list[datetime] = []

    @domains.after_restore(order=1)
    def erase_again(taken_at: datetime) -> str:
        calls.append(taken_at)
        settings.put("test.restored", "yes")
        return "Erased 0 people again."

    return calls


def engage(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def seed(app, names=("amal", "bea", "chidi")) -> None:
    with app.app_context():
        upgrade()
        for name in names:
            services.create_account(
                actor=None, username=name, roles={Role.PEER}, preferred_name=name.title()
            )
        db.session.commit()
    instance = Path(app.instance_path)
    (instance / "receipts").mkdir(parents=True, exist_ok=True)
    (instance / "papers").mkdir(parents=True, exist_ok=True)
    (instance / "receipts" / "a1.jpg").write_bytes(b"\xff\xd8 receipt one")
    (instance / "receipts" / "b2.pdf").write_bytes(b"%PDF receipt two")
    (instance / "papers" / "agenda.pdf").write_bytes(b"%PDF the agenda")
    (instance / ERASURE_LOG).write_text('{"user": 99, "erased_at": "2026-01-01"}\n')
    (instance / "receipts" / "upload.part").write_bytes(b"half a file")
    (instance / ".scratch").mkdir(exist_ok=True)
    (instance / ".scratch" / "x").write_bytes(b"temporary")


def tables(app) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    with app.app_context():
        db.session.remove()
        with db.engine.connect() as connection:
            return {
                table.name: sorted(
                    (tuple(map(repr, row)) for row in connection.execute(sa.select(table))),
                )
                for table in db.metadata.sorted_tables
            }


def files(app) -> dict[str, bytes]:
    instance = Path(app.instance_path)
    return {
        path.relative_to(instance).as_posix(): path.read_bytes()
        for path in instance.rglob("*")
        if path.is_file() and not path.name.startswith("test_backup")
    }


def test_backup_and_restore_put_back_the_data_and_the_files(site, hooks, tmp_path):
    seed(site)
    before_tables, before_files = tables(site), files(site)
    archive = tmp_path / "backups" / "engage.tar.gz"

    # Someone keeps writing while the backup is taken: it is still one consistent moment.
    stop, written = threading.Event(), []

    def keep_writing() -> None:
        with site.app_context():
            while not stop.is_set():
                n = len(written)
                services.create_account(actor=None, username=f"busy{n}", roles={Role.PEER})
                db.session.commit()
                written.append(n)
            db.session.remove()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        result = engage("backup", str(archive))
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert engage("backup", str(archive)).exit_code != 0  # never overwrites a backup

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        names = set(tar.getnames())
        for member in manifest["members"]:
            data = tar.extractfile(member["name"]).read()
            assert (len(data), hashlib.sha256(data).hexdigest()) == (
                member["size"],
                member["sha256"],
            )
    backed_up = {m["name"][len("files/") :] for m in manifest["members"] if "/" in m["name"]}
    assert backed_up == {"receipts/a1.jpg", "receipts/b2.pdf", "papers/agenda.pdf", ERASURE_LOG}
    assert not any(name.endswith((".db", "-wal", "-shm")) for name in names)
    assert manifest["revision"] and manifest["database"] in ("sqlite", "postgresql")

    # Everything changes after the backup.
    with site.app_context():
        db.session.execute(sa.text("DELETE FROM profile WHERE preferred_name = 'Bea'"))
        services.create_account(actor=None, username="later", roles={Role.PEER})
        db.session.commit()
    instance = Path(site.instance_path)
    (instance / "receipts" / "a1.jpg").unlink()
    (instance / "papers" / "agenda.pdf").write_bytes(b"changed")
    (instance / "receipts" / "new.jpg").write_bytes(b"uploaded after the backup")
    with (instance / ERASURE_LOG).open("a") as log:
        log.write('{"user": 2, "erased_at": "after the backup"}\n')
    current_log = (instance / ERASURE_LOG).read_bytes()

    refused = engage("restore", str(archive), input="n\n")
    assert refused.exit_code != 0 and (instance / "receipts" / "new.jpg").exists()

    counted = int(tables(site)["data_generation"][0][1])
    result = engage("restore", str(archive), "--yes")
    assert result.exit_code == 0, result.output
    assert "Erased 0 people again." in result.output

    after = tables(site)
    assert "'later'" not in str(after["user"])
    # Everything committed before the backup began is back, as it was...
    for table, rows in before_tables.items():
        if table not in (
            "user",
            "profile",
            "user_role",
            "setting",
            "audit_entry",
            "data_generation",
        ):
            assert after[table] == rows, table
    # ... but the data generation moves on past every count before the restore, so figures that
    # workers still running kept (engage.core.generation) are never taken for the restored data's.
    assert int(after["data_generation"][0][1]) > counted
    assert set(before_tables["profile"]) <= set(after["profile"])
    # ... and, of the writer's accounts, exactly those the snapshot held.
    assert after["user"] == _users_in_backup(archive, site)
    after_files = files(site)
    assert after_files.pop(ERASURE_LOG) == current_log  # the log of erasures since is kept
    before_files.pop(ERASURE_LOG)
    assert after_files == before_files
    assert len(hooks) == 1 and hooks[0].isoformat() == manifest["taken_at"]
    with site.app_context():
        assert settings.get("test.restored") == "yes"


def _users_in_backup(archive: Path, site) -> list[tuple]:
    """The ``user`` rows the backup's own database holds, read by restoring it elsewhere."""
    with site.app_context():
        if db.engine.dialect.name != "sqlite":
            # The restored database is the dump's: compare against the live, restored one.
            with db.engine.connect() as connection:
                return sorted(
                    tuple(map(repr, row))
                    for row in connection.execute(sa.select(db.metadata.tables["user"]))
                )
    with tarfile.open(archive) as tar:
        data = tar.extractfile("database.sqlite").read()
    copy = archive.parent / "copy.sqlite"
    copy.write_bytes(data)
    engine = sa.create_engine(f"sqlite:///{copy}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            return sorted(
                tuple(map(repr, row))
                for row in connection.execute(sa.select(db.metadata.tables["user"]))
            )
    finally:
        engine.dispose()


def test_an_older_backup_is_migrated_to_head(site, hooks, tmp_path):
    with site.app_context():
        upgrade(revision="0009")
        db.engine.dispose()
    archive = tmp_path / "old.tar.gz"
    assert engage("backup", str(archive)).exit_code == 0
    with site.app_context():
        upgrade()
        db.engine.dispose()
    result = engage("restore", str(archive), "--yes")
    assert result.exit_code == 0, result.output
    with site.app_context(), db.engine.connect() as connection:
        from alembic.migration import MigrationContext
        from alembic.script import ScriptDirectory

        from engage.core.backup import _scripts

        revision = MigrationContext.configure(connection).get_current_revision()
        assert revision == ScriptDirectory.get_current_head(_scripts())
    assert len(hooks) == 1


def _rewritten(archive: Path, target: Path, change) -> Path:
    """A copy of ``archive`` with ``change(name, data)`` applied to each member."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as copy:
        for member in source:
            data = change(member.name, source.extractfile(member).read())
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return target


def test_a_backup_that_cannot_be_restored_changes_nothing(site, hooks, tmp_path, monkeypatch):
    seed(site)
    archive = tmp_path / "engage.tar.gz"
    assert engage("backup", str(archive)).exit_code == 0
    (Path(site.instance_path) / "receipts" / "new.jpg").write_bytes(b"kept")

    # One receipt changed inside the archive, its manifest unchanged.
    damaged = _rewritten(
        archive,
        tmp_path / "damaged.tar.gz",
        lambda name, data: data.replace(b"one", b"two") if name.endswith("a1.jpg") else data,
    )
    result = CliRunner().invoke(main, ["restore", str(damaged), "--yes"])
    assert result.exit_code != 0 and "damaged" in result.output

    # A backup of the other kind of database.
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    other = "postgresql" if manifest["database"] == "sqlite" else "sqlite"
    fake = _rewritten(
        archive,
        tmp_path / "fake.tar.gz",
        lambda name, data: (
            json.dumps({**manifest, "database": other}).encode()
            if name == "manifest.json"
            else data
        ),
    )
    result = CliRunner().invoke(main, ["restore", str(fake), "--yes"])
    assert result.exit_code != 0 and f"holds a {other} database" in result.output

    # Production never restores on a typed "y" alone.
    monkeypatch.setenv("ENGAGE_ENV", "production")
    monkeypatch.setenv("ENGAGE_SECRET_KEY", "k" * 40)
    result = CliRunner().invoke(main, ["restore", str(archive)], input="y\n")
    assert result.exit_code != 0 and "--yes" in result.output

    assert (Path(site.instance_path) / "receipts" / "new.jpg").exists()
    assert hooks == []


def test_a_person_erased_after_the_backup_stays_erased_after_a_restore(site, tmp_path):
    """The real erasure log and its after-restore hook: restoring a backup from before an
    erasure erases the person again, and the log itself is not rolled back."""
    from engage.people import erasure
    from engage.people.models import User

    seed(site)
    with site.app_context():
        services.create_account(actor=None, username="ada", roles={Role.ADMIN})
        db.session.commit()
    archive = tmp_path / "engage.tar.gz"
    assert engage("backup", str(archive)).exit_code == 0

    with site.test_request_context():
        admin = db.session.scalar(sa.select(User).where(User.username == "ada"))
        bea = db.session.scalar(sa.select(User).where(User.username == "bea"))
        bea_id = bea.id
        assert erasure.erase(bea, admin, "asked to be forgotten")
        db.session.commit()

    result = engage("restore", str(archive), "--yes")
    assert result.exit_code == 0, result.output
    assert "Erased again 1 person(s)" in result.output
    with site.app_context():
        bea = db.session.get(User, bea_id)
        assert bea.erased_at is not None and bea.username.startswith("former-")
        db.session.remove()
    assert "Bea" not in str(tables(site)["profile"])
    assert str(bea_id) in (Path(site.instance_path) / erasure.LOG_NAME).read_text()
