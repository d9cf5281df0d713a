"""Encryption keys over a database's life: the migration that encrypts what was there (and
decrypts it on the way down), ``engage keys rotate`` to a new key with no downtime, and the
key file development makes. Each test builds its own app and database (SQLite, or PostgreSQL
when ENGAGE_TEST_DATABASE_URL is set)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from engage import create_app
from engage.cli import main, production_problems
from engage.core import encryption
from engage.core.db import clock_at
from engage.extensions import db
from tests.servers import scratch_database

#: Each encrypted column, read raw.
RAW = {
    "bank_details": ("account_name", "sort_code", "account_number", "roll_number"),
    "equality_monitoring": (
        "gender",
        "ethnicity",
        "age_band",
        "disability",
        "sexual_orientation",
        "lived_experience",
    ),
    "dbs_check": ("outcome",),
    "dbs_risk_decision": ("decision",),
    "supervision_session": ("notes",),
}


@pytest.fixture
def _rollback():
    """These tests build their own app and database; leave db.session alone."""
    yield


def _app(tmp_path, url: str, keys: str):
    return create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
            "ENCRYPTION_KEYS": keys,
        }
    )


def _raw() -> dict[str, list[tuple]]:
    return {
        table: [
            tuple(row)
            for row in db.session.execute(
                text(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")  # noqa: S608
            )
        ]
        for table, columns in RAW.items()
    }


def _decrypted() -> dict[str, list[tuple]]:
    """Every encrypted column read through the models (decrypted), in id order."""
    found = {}
    for table, columns in RAW.items():
        model_table = db.metadata.tables[table]
        query = select(*(model_table.c[c] for c in columns)).order_by(model_table.c.id)
        found[table] = [tuple(row) for row in db.session.execute(query)]
    return found


def _seed_demo() -> None:
    """The demo partnership, made at a pinned moment (tests never depend on today)."""
    from engage import demo

    with clock_at(datetime(2027, 2, 28, 12, 0, tzinfo=UTC)):
        demo.seed(extra_peers=3)
        db.session.commit()


def test_migration_encrypts_and_decrypts_and_keeps_every_value(tmp_path):
    key = Fernet.generate_key().decode()
    with scratch_database(tmp_path, "test_encryption_migration") as url:
        app = _app(tmp_path, url, key)
        with app.app_context():
            upgrade()
            _seed_demo()
            values = _decrypted()
            for table, rows in values.items():
                assert rows, f"the demo made no {table} rows"
            encrypted = _raw()
            assert encrypted != values
            db.session.remove()

            downgrade(revision="0012_reauth")
            assert _raw() == values  # plaintext again, every value kept
            db.session.remove()

            upgrade()
            assert _decrypted() == values
            again = _raw()
            for table, rows in again.items():
                for raw_row, plain_row in zip(rows, values[table], strict=True):
                    for raw_value, plain in zip(raw_row, plain_row, strict=True):
                        if plain:  # a blank bank detail stays blank; all else is a token
                            assert raw_value != plain
                            assert encryption.decrypt(raw_value) == plain
            db.session.remove()
            db.engine.dispose()


def test_rotation_to_a_new_key_then_the_old_one_can_go(tmp_path, monkeypatch):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with scratch_database(tmp_path, "test_encryption_rotation") as url:
        monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(tmp_path))
        monkeypatch.setenv("ENGAGE_DATABASE_URL", url)
        monkeypatch.setenv("ENGAGE_ENCRYPTION_KEYS", old)
        app = _app(tmp_path, url, old)
        with app.app_context():
            upgrade()
            _seed_demo()
            values = _decrypted()
            raw_before = _raw()
            db.session.remove()
            db.engine.dispose()

        # The new key first, the old one kept after it: the site reads everything meanwhile.
        monkeypatch.setenv("ENGAGE_ENCRYPTION_KEYS", f"{new},{old}")
        result = CliRunner().invoke(main, ["keys", "rotate", "--batch-size", "3"])
        assert result.exit_code == 0, result.output
        assert "bank_details.sort_code:" in result.output
        assert "supervision_session.notes:" in result.output
        assert "Done:" in result.output

        only_new = _app(tmp_path, url, new)
        with only_new.app_context():
            assert _decrypted() == values
            rotated = _raw()
            db.session.remove()
            db.engine.dispose()
        assert rotated != raw_before

        # The old key alone no longer opens anything: it was really re-encrypted.
        only_old = _app(tmp_path, url, old)
        with only_old.app_context():
            with pytest.raises(encryption.EncryptionError):
                _decrypted()
            db.session.remove()
            db.engine.dispose()


def test_rotation_never_overwrites_a_change_saved_meanwhile(tmp_path):
    """The write-back is a compare-and-set: a value changed between the read and the write
    keeps the change."""
    key = Fernet.generate_key().decode()
    with scratch_database(tmp_path, "test_encryption_race") as url:
        app = _app(tmp_path, url, key)
        with app.app_context():
            upgrade()
            _seed_demo()
            before = _decrypted()["supervision_session"]
            first_id = db.session.execute(
                text("SELECT min(id) FROM supervision_session")
            ).scalar_one()
            db.session.remove()
            original_batches = encryption._batches

            def batches_then_someone_saves(*args, **kwargs):
                for rows in original_batches(*args, **kwargs):
                    if args[3].table == "supervision_session":
                        with db.engine.begin() as connection:
                            connection.execute(
                                text("UPDATE supervision_session SET notes = :n WHERE id = :i"),
                                {"n": encryption.encrypt("Changed meanwhile"), "i": first_id},
                            )
                    yield rows

            encryption._batches = batches_then_someone_saves
            try:
                counts = encryption.rotate(db.engine, db.metadata, batch_size=1000)
            finally:
                encryption._batches = original_batches
            after = _decrypted()["supervision_session"]
            assert after[0] == ("Changed meanwhile",)
            assert after[1:] == before[1:]
            assert counts["supervision_session.notes"] == len(before) - 1
            db.session.remove()
            db.engine.dispose()


def test_development_makes_one_key_file_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.delenv("ENGAGE_ENCRYPTION_KEYS", raising=False)
    url = f"sqlite:///{tmp_path / 'dev.db'}"
    first = _app(tmp_path, url, "")
    key_file = tmp_path / encryption.KEY_FILE
    assert key_file.exists()
    assert key_file.stat().st_mode & 0o077 == 0  # readable by its owner only
    second = _app(tmp_path, url, "")
    assert first.extensions["engage.encryption"] == second.extensions["engage.encryption"]
    Fernet(key_file.read_text().strip().encode())  # a real key


def test_production_never_makes_a_key_and_refuses_to_start_without_one(tmp_path):
    app = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "y" * 40,
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
        }
    )
    assert not (tmp_path / encryption.KEY_FILE).exists()
    assert any("ENGAGE_ENCRYPTION_KEYS" in str(problem) for problem in production_problems(app))
    with app.app_context(), pytest.raises(encryption.EncryptionError, match="No encryption key"):
        encryption.encrypt("12345678")
    configured = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "y" * 40,
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
            "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        }
    )
    assert not any("ENCRYPTION" in str(problem) for problem in production_problems(configured))


def test_a_key_that_is_not_a_key_is_refused_without_repeating_it(tmp_path):
    with pytest.raises(encryption.EncryptionError) as refused:
        _app(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", "not-a-key-secret-value")
    assert "key number 1" in str(refused.value)
    assert "not-a-key-secret-value" not in str(refused.value)


def test_keys_new_prints_a_fresh_key():
    first = CliRunner().invoke(main, ["keys", "new"])
    second = CliRunner().invoke(main, ["keys", "new"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert first.output != second.output
    Fernet(first.output.strip().encode())
