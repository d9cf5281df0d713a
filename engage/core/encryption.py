"""Sensitive columns encrypted at rest, in the application, with Fernet (AES-128-CBC with an
HMAC-SHA256 tag: authenticated, so an altered value fails loudly instead of reading as
garbage).

Keys come from ``ENGAGE_ENCRYPTION_KEYS``: Fernet keys separated by commas. The first
encrypts; every one of them is tried to decrypt, so a new key can be put first while values
written under the old one are still read (``engage keys rotate`` then re-encrypts them and the
old key can go). In development and tests, with the variable unset, a key is made once and
kept in the instance folder (``encryption.key``); production never makes one (``engage serve``
refuses to start without it: see :func:`engage.cli.production_problems`).

A column is encrypted by declaring it :class:`EncryptedText`. The database then holds only
ciphertext, so SQL cannot filter, group, sort or compare by such a column: read the rows and
do it in Python. The one exception is a blank, where a column asks for it
(``blank_in_clear``): a blank holds no secret, and SQL can still ask "is there one?".
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from sqlalchemy import Text, and_, column, select, table, update
from sqlalchemy.types import TypeDecorator

#: The key file development and tests keep in the instance folder.
KEY_FILE = "encryption.key"
_EXTENSION = "engage.encryption"


class EncryptionError(RuntimeError):
    """No key is configured, or a stored value cannot be decrypted with any configured key
    (a wrong or missing key, or the ciphertext was altered). Never shows the value."""


def parse_keys(raw: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """The keys in ``ENGAGE_ENCRYPTION_KEYS``, in order. Raises EncryptionError for one that
    is not a Fernet key (without repeating it: keys never go into a log)."""
    if raw is None:
        return []
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    keys = [part.strip() for part in parts if part and part.strip()]
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise EncryptionError(
                f"ENGAGE_ENCRYPTION_KEYS: key number {number} is not a Fernet key "
                "(make one with `engage keys new`)."
            ) from None
    return keys


def new_key() -> str:
    return Fernet.generate_key().decode()


def _instance_key(instance_path: str) -> str:
    """The development key kept in the instance folder, made the first time. Two processes
    starting together agree: the file appears whole or not at all (a hard link never
    replaces an existing file)."""
    path = Path(instance_path) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mode 0600
        try:
            with os.fdopen(handle, "w") as file:
                file.write(new_key() + "\n")
            # Another process may have made it first: then theirs is used.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


def init_app(app: Flask) -> None:
    """Read the keys: ``ENCRYPTION_KEYS``, or in development and tests the instance key."""
    keys = parse_keys(app.config.get("ENCRYPTION_KEYS"))
    if not keys and app.config["ENV"] != "production":
        keys = parse_keys(_instance_key(app.instance_path))
    app.extensions[_EXTENSION] = keys


def keys_configured(app: Flask) -> bool:
    return bool(app.extensions.get(_EXTENSION))


def _cipher() -> MultiFernet:
    keys = current_app.extensions.get(_EXTENSION)
    if not keys:
        raise EncryptionError(
            "No encryption key: set ENGAGE_ENCRYPTION_KEYS (make one with `engage keys new`)."
        )
    cache = current_app.extensions.setdefault("engage.encryption.cipher", {})
    cipher = cache.get(tuple(keys))
    if cipher is None:
        cipher = cache[tuple(keys)] = MultiFernet([Fernet(key.encode()) for key in keys])
    return cipher


def encrypt(value: str) -> str:
    return _cipher().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """Raises EncryptionError when no configured key opens ``token`` or it was altered."""
    try:
        return _cipher().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise EncryptionError(
            "A stored value could not be decrypted: it was altered, or none of the keys in "
            "ENGAGE_ENCRYPTION_KEYS is the one it was written with."
        ) from None


class EncryptedText(TypeDecorator):
    """Text encrypted on the way into the database and decrypted on the way out.

    ``blank_in_clear``: keep an empty string empty (for columns SQL must ask "given or
    not?" of). Otherwise even a blank is encrypted, so the database does not show which
    questions someone left unanswered.
    """

    impl = Text
    cache_ok = True

    def __init__(self, blank_in_clear: bool = False) -> None:
        super().__init__()
        self.blank_in_clear = blank_in_clear

    @property
    def python_type(self) -> type:
        return str

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None or (self.blank_in_clear and value == ""):
            return value
        return encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if value is None or (self.blank_in_clear and value == ""):
            return value
        return decrypt(value)

    def copy(self, **kw: Any) -> EncryptedText:
        return EncryptedText(blank_in_clear=self.blank_in_clear)


# Which columns are encrypted, and re-encrypting them ---------------------------------------


@dataclass(frozen=True)
class EncryptedColumns:
    table: str
    key: str  # the primary key column
    columns: tuple[str, ...]


def encrypted_columns(metadata: Any) -> list[EncryptedColumns]:
    """Every table with an encrypted column, and those columns, found from the models so a
    new encrypted column is rotated without anyone remembering to list it."""
    found = []
    for name, model_table in sorted(metadata.tables.items()):
        names = tuple(c.name for c in model_table.columns if isinstance(c.type, EncryptedText))
        if names:
            (key,) = [c.name for c in model_table.primary_key.columns]
            found.append(EncryptedColumns(name, key, names))
    return found


def rotate(
    engine: Any,
    metadata: Any,
    *,
    batch_size: int = 500,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Re-encrypt every encrypted value under the first key, in short transactions of
    ``batch_size`` rows, while the site keeps running. Returns how many values were
    re-encrypted, per ``table.column``.

    Each value is written back only if it is still the one that was read, so a change
    someone saves meanwhile (already under the new key) is never overwritten.
    """
    cipher = _cipher()
    counts: dict[str, int] = {}
    for spec in encrypted_columns(metadata):
        raw = table(spec.table, column(spec.key), *(column(c, Text) for c in spec.columns))
        key_column = raw.c[spec.key]
        for name in spec.columns:
            counts[f"{spec.table}.{name}"] = 0
        for rows in _batches(engine, raw, key_column, spec, batch_size):
            with engine.begin() as connection:
                for row in rows:
                    for name in spec.columns:
                        token = row._mapping[name]
                        if not token:
                            continue  # NULL, or a blank kept in the clear
                        try:
                            fresh = cipher.rotate(token.encode("ascii")).decode("ascii")
                        except InvalidToken:
                            raise EncryptionError(
                                f"{spec.table}.{name} row {row._mapping[spec.key]} could not "
                                "be decrypted with any key in ENGAGE_ENCRYPTION_KEYS: keep "
                                "the old key in the list until rotation has finished."
                            ) from None
                        done = connection.execute(
                            update(raw)
                            .where(and_(key_column == row._mapping[spec.key], raw.c[name] == token))
                            .values({name: fresh})
                        )
                        counts[f"{spec.table}.{name}"] += done.rowcount
            if progress is not None:
                progress(spec.table, len(rows))
    return counts


def _batches(engine: Any, raw: Any, key_column: Any, spec: EncryptedColumns, size: int) -> Iterator:
    """Rows of one table, ``size`` at a time in key order, each batch read in its own short
    transaction."""
    last = None
    while True:
        query = select(raw).order_by(key_column).limit(size)
        if last is not None:
            query = query.where(key_column > last)
        with engine.connect() as connection:
            rows = connection.execute(query).fetchall()
        if not rows:
            return
        last = rows[-1]._mapping[spec.key]
        yield rows
