"""The engage command: demo, backup, create-admin and the production refusals."""

from __future__ import annotations

import sqlite3
import tarfile

import pytest
from click.testing import CliRunner

from engage.cli import main


@pytest.fixture
def _rollback():
    """These commands build their own app and database; leave db.session alone."""
    yield


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Run ``engage ...`` against a scratch SQLite database in its own instance folder."""
    monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("ENGAGE_DATABASE_URL", raising=False)

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


def users(tmp_path):
    with sqlite3.connect(tmp_path / "engage.db") as connection:
        return [row[0] for row in connection.execute("SELECT username FROM user ORDER BY id")]


def generation_of(tmp_path) -> int:
    with sqlite3.connect(tmp_path / "engage.db") as connection:
        return connection.execute("SELECT number FROM data_generation").fetchone()[0]


def test_demo_fills_a_fresh_database_and_can_be_run_again(run, tmp_path):
    result = run("demo", "--peers", "3")
    assert result.exit_code == 0, result.output
    for name in ("peer", "peer2", "manager", "finance", "board", "partner", "admin"):
        assert name in result.output
    assert "engage-demo" in result.output
    assert len(users(tmp_path)) == 10
    counted = generation_of(tmp_path)
    again = run("demo", "--peers", "1")  # replaces its own demo database
    assert again.exit_code == 0, again.output
    assert len(users(tmp_path)) == 8
    # A server left running keeps figures against the data generation: it never goes back.
    assert generation_of(tmp_path) > counted


def test_demo_leaves_a_real_database_alone(run, tmp_path):
    assert run("db", "upgrade").exit_code == 0
    created = run(
        "create-admin", "--username", "root", "--email", "", "--password", "plum cactus harbour"
    )
    assert created.exit_code == 0, created.output
    refused = CliRunner().invoke(main, ["demo"])
    assert refused.exit_code != 0
    assert "real accounts" in refused.output
    assert users(tmp_path) == ["root"]


def test_backup_makes_a_consistent_copy(run, tmp_path):
    run("demo", "--peers", "0")
    target = tmp_path / "backups" / "copy.tar.gz"
    result = run("backup", str(target))
    assert result.exit_code == 0, result.output
    with tarfile.open(target) as archive:
        (tmp_path / "copy.db").write_bytes(archive.extractfile("database.sqlite").read())
    with sqlite3.connect(tmp_path / "copy.db") as connection:
        assert connection.execute("SELECT count(*) FROM user").fetchone()[0] == 7
    again = CliRunner().invoke(main, ["backup", str(target)])
    assert again.exit_code != 0 and "exists already" in again.output


def test_serve_refuses_production_with_demo_accounts(run, monkeypatch):
    run("demo", "--peers", "0")
    monkeypatch.setenv("ENGAGE_ENV", "production")
    monkeypatch.setenv("ENGAGE_SECRET_KEY", "k" * 40)
    result = CliRunner().invoke(main, ["serve", "--workers", "1"])
    assert result.exit_code != 0
    assert "demo" in result.output


def test_serve_refuses_production_with_the_development_key(run, monkeypatch):
    run("db", "upgrade")
    monkeypatch.setenv("ENGAGE_ENV", "production")
    result = CliRunner().invoke(main, ["serve", "--workers", "1"])
    assert result.exit_code != 0
    assert "development key" in result.output


def test_tick_escalates_overdue_items_once(run):
    run("demo", "--peers", "12")
    first = run("tick")
    assert first.exit_code == 0, first.output
    assert "Escalated" in first.output
    second = run("tick")
    assert "Escalated 0 overdue item(s)" in second.output


def test_translation_commands_find_the_project_folder():
    from engage import cli

    root = cli._root()
    assert (root / "babel.cfg").exists() and (root / "translations" / "messages.pot").exists()
