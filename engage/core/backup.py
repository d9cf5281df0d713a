"""Backups that hold everything engage keeps, and restoring them (``engage backup`` and
``engage restore``).

A backup is one ``.tar.gz`` archive:

- ``manifest.json``: when it was taken (UTC), the database kind, engage's migration revision,
  and every file in the archive with its size and SHA-256;
- ``database.sqlite`` (SQLite's online backup API: a consistent snapshot while the site keeps
  writing) or ``database.pgdump`` (``pg_dump --format=custom``, itself a consistent snapshot);
- ``files/...``: the instance folder's files (receipts, meeting papers, the erasure log), but
  not the live SQLite database, its journal files, or temporary files.

The database is copied first and the files second, so every file a copied row names is in the
backup (a file is written before its row is committed), unless it was deleted in the seconds
between. A receipt uploaded in those seconds comes along without its row; after a restore
``engage tick`` removes it once it is two days old.

A restore checks every hash before it changes anything, then puts the database back (SQLite
through the backup API into the live file, so open connections never see half a file;
PostgreSQL: ``pg_restore --clean --if-exists --no-owner``, run by psql in one transaction),
puts the files back exactly as they were (files added since are removed, as no row names
them), migrates the database to head if the backup is older, and then runs every
``engage.core.domains.after_restore`` hook, such as erasing again the people erased since
the backup.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from engage.core import domains, encryption, generation
from engage.extensions import db

MANIFEST = "manifest.json"
FORMAT = 1
#: Endings of files that are never backed up: a half-written file, an editor's copy, SQLite's
#: journals.
TEMPORARY_ENDINGS = (".tmp", ".part", "~", "-journal", "-wal", "-shm")


class BackupError(Exception):
    """Why a backup or a restore could not be done; safe to show as it is."""


@dataclass(frozen=True)
class Manifest:
    taken_at: datetime
    database: str  # "sqlite" or "postgresql"
    revision: str | None
    #: Archive member name → (size, sha256), the database included.
    members: dict[str, tuple[int, str]]

    @property
    def files(self) -> list[str]:
        """The instance folder's files, relative to it, as POSIX paths."""
        prefix = "files/"
        return sorted(name[len(prefix) :] for name in self.members if name.startswith(prefix))

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "format": FORMAT,
                "taken_at": self.taken_at.isoformat(),
                "database": self.database,
                "revision": self.revision,
                "members": [
                    {"name": name, "size": size, "sha256": digest}
                    for name, (size, digest) in sorted(self.members.items())
                ],
            },
            indent=2,
        ).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            raw = json.loads(data)
            if raw.get("format") != FORMAT:
                raise BackupError("This backup was written by another version of engage.")
            members = {m["name"]: (int(m["size"]), str(m["sha256"])) for m in raw["members"]}
            taken_at = datetime.fromisoformat(raw["taken_at"])
            return cls(taken_at, raw["database"], raw["revision"], members)
        except (ValueError, KeyError, TypeError) as error:
            raise BackupError("The backup's manifest cannot be read.") from error


def database_kind() -> str:
    return "sqlite" if _url().get_backend_name() == "sqlite" else "postgresql"


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def backup(target: Path) -> Manifest:
    """Write a backup of this instance's database and files to ``target`` (a new file)."""
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    kind = database_kind()
    taken_at = datetime.now(UTC)
    revision = current_revision()
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".engage-backup-") as scratch:
        dump = Path(scratch) / ("database.sqlite" if kind == "sqlite" else "database.pgdump")
        if kind == "sqlite":
            _copy_sqlite(Path(_url().database or ""), dump)
        else:
            _pg_dump(dump)
        members = {dump.name: _measure(dump)}
        files = list(_instance_files(exclude={target.resolve()}))
        partial = Path(scratch) / "backup.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(dump, arcname=dump.name)
            for relative in files:
                path = _instance() / relative
                with path.open("rb") as handle:
                    data = handle.read()
                members[f"files/{relative}"] = (len(data), hashlib.sha256(data).hexdigest())
                _add_bytes(archive, f"files/{relative}", data)
            manifest = Manifest(taken_at, kind, revision, members)
            _add_bytes(archive, MANIFEST, manifest.to_json())
        # Only a complete archive takes the name: a failed backup never looks like a good one.
        os.replace(partial, target)
    return manifest


def read_manifest(source: Path) -> Manifest:
    try:
        with tarfile.open(source, "r:gz") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            return Manifest.from_json(member.read())
    except (OSError, tarfile.TarError, KeyError) as error:
        raise BackupError(f"{source} is not an engage backup.") from error


def restore(source: Path) -> tuple[Manifest, list[str]]:
    """Put this instance back as the backup ``source`` holds it; returns the manifest and the
    after-restore hooks' lines. Nothing is changed unless every hash in the manifest matches."""
    from flask_migrate import upgrade

    manifest = read_manifest(source)
    if manifest.database != database_kind():
        raise BackupError(
            f"This backup holds a {manifest.database} database; this site uses {database_kind()}."
        )
    if manifest.revision is not None:
        try:
            _scripts().get_revision(manifest.revision)
        except Exception as error:  # alembic raises several kinds for an unknown revision
            raise BackupError(
                "This backup was made by a newer engage: upgrade engage, then restore it."
            ) from error
    instance = _instance()
    counted = _generation()
    with tempfile.TemporaryDirectory(dir=instance, prefix=".engage-restore-") as scratch:
        unpacked = Path(scratch)
        _unpack_checked(source, manifest, unpacked)
        db.session.remove()
        db.engine.dispose()
        if manifest.database == "sqlite":
            _restore_sqlite(unpacked / "database.sqlite", Path(_url().database or ""))
        else:
            _pg_restore(unpacked / "database.pgdump")
        _restore_files(manifest, unpacked / "files")
    db.engine.dispose()
    upgrade()
    # Workers still running keep figures against the counter; the backup's is older.
    generation.move_past(counted)
    lines = [hook(manifest.taken_at) for hook in domains.after_restore_hooks()]
    db.session.commit()
    return manifest, lines


# The database.


def _generation() -> int:
    """Where the data generation stands before the restore (0 for a database without it)."""
    try:
        return generation.current()
    except SQLAlchemyError:
        db.session.rollback()
        return 0


def _url() -> URL:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _copy_sqlite(live: Path, copy: Path) -> None:
    source = sqlite3.connect(live)
    target = sqlite3.connect(copy)
    try:
        with target:
            # SQLite's online backup API copies a consistent snapshot even while others write.
            source.backup(target)
    finally:
        target.close()
        source.close()


def _restore_sqlite(copy: Path, live: Path) -> None:
    source = sqlite3.connect(copy)
    target = sqlite3.connect(live, timeout=60)
    try:
        with target:
            # Page by page inside one write transaction of the live file: anyone reading it
            # sees the old database or the restored one, never a mixture.
            source.backup(target)
    finally:
        target.close()
        source.close()


def _libpq() -> tuple[str, dict[str, str]]:
    """The database address for pg_dump and pg_restore, and their environment: the password
    goes in PGPASSWORD, never on a command line others can read."""
    url = _url()
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as error:
        raise BackupError(f"{args[0]} is not installed: install PostgreSQL's client.") from error
    if done.returncode != 0:
        raise BackupError(f"{what} failed:\n{done.stderr.strip()}")
    return done.stdout


def _pg_dump(target: Path) -> None:
    address, env = _libpq()
    _run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", f"--dbname={address}"],
        env,
        "pg_dump",
    )


def _pg_restore(dump: Path) -> None:
    """Put the dump back in one transaction: ``pg_restore --clean --if-exists --no-owner``
    writes the SQL, and psql runs it as one transaction after dropping every table there is now
    (a schema newer than the backup has tables and constraints its ``--clean`` cannot know
    about; migrating to head makes them again). Any failure leaves the database as it was."""
    address, env = _libpq()
    with db.engine.connect() as connection:
        tables = sorted(inspect(connection).get_table_names())
    db.engine.dispose()
    script = dump.with_suffix(".sql")
    _run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--file={script}", str(dump)],
        env,
        "pg_restore",
    )
    drops = "".join(f'DROP TABLE IF EXISTS "{name}" CASCADE;\n' for name in tables)
    script.write_text(
        "SET client_min_messages = warning;\n" + drops + script.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    _run(
        [
            "psql",
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            f"--file={script}",
            f"--dbname={address}",
        ],
        env,
        "Restoring the PostgreSQL database",
    )
    script.unlink()


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    return ScriptDirectory.from_config(config)


# The instance folder's files.


def _instance() -> Path:
    return Path(current_app.instance_path).resolve()


def _is_backed_up(relative: PurePosixPath) -> bool:
    if any(part.startswith(".") for part in relative.parts):
        return False  # hidden and temporary folders, this module's own scratch folders
    if str(relative) == encryption.KEY_FILE:
        # The key that opens the encrypted columns never travels with them: a stolen backup
        # must not be readable. A restore leaves the key file where it is.
        return False
    return not relative.name.endswith(TEMPORARY_ENDINGS)


def _instance_files(exclude: set[Path] = frozenset()) -> Iterator[str]:
    """The instance folder's files to back up, as POSIX paths relative to it."""
    instance = _instance()
    live = set()
    if database_kind() == "sqlite":
        live.add(Path(_url().database or "").resolve())
    for folder, folders, names in os.walk(instance):
        folders.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            if path.resolve() in live or path.resolve() in exclude:
                continue
            relative = PurePosixPath(path.relative_to(instance).as_posix())
            if _is_backed_up(relative):
                yield str(relative)


def _restore_files(manifest: Manifest, unpacked: Path) -> None:
    instance = _instance()
    kept = domains.kept_on_restore()
    wanted = set(manifest.files)
    for relative in _instance_files():
        if relative not in wanted and relative not in kept:
            (instance / relative).unlink()  # added since the backup: nothing names it now
    for relative in manifest.files:
        target = instance / relative
        if relative in kept and target.exists():
            continue  # a log of what happened since the backup: the current copy knows more
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(unpacked / relative, target)


# The archive.


def _measure(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return path.stat().st_size, digest.hexdigest()


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name != ""


def _unpack_checked(source: Path, manifest: Manifest, into: Path) -> None:
    """Unpack the manifest's members into ``into``, refusing any whose hash differs."""
    found = set()
    with tarfile.open(source, "r:gz") as archive:
        for member in archive:
            if member.name == MANIFEST:
                continue
            if member.name not in manifest.members or not member.isfile():
                raise BackupError(f"The backup holds {member.name!r}, which its manifest lacks.")
            if not _safe_member(member.name):
                raise BackupError(f"The backup holds an unsafe name: {member.name!r}.")
            handle = archive.extractfile(member)
            if handle is None:
                raise BackupError(f"{member.name} cannot be read from the backup.")
            target = into / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as out:
                shutil.copyfileobj(handle, out)
            if _measure(target) != manifest.members[member.name]:
                raise BackupError(f"{member.name} in the backup is damaged: its hash differs.")
            found.add(member.name)
    missing = sorted(set(manifest.members) - found)
    if missing:
        raise BackupError("The backup is missing: " + ", ".join(missing))
