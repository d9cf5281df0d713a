"""The declarative base, a UTC time type and small mixins shared by every domain."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import current_app, g, has_request_context, request
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.types import TypeDecorator

# Named constraints, so Alembic can drop and alter them on every database (SQLite included).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: A moment that "now" stands still at, inside ``clock_at`` only.
_fixed_now: ContextVar[datetime | None] = ContextVar("engage_fixed_now", default=None)


def utcnow() -> datetime:
    """Now, in UTC. Every "now" in engage comes from here, so ``clock_at`` can move it."""
    fixed = _fixed_now.get()
    return fixed if fixed is not None else datetime.now(UTC)


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Make ``utcnow()`` answer ``moment`` inside the block: the demo builds each item's history
    as if every step happened on its own day, and tests pin the day the demo is made. Column
    defaults are read when the session flushes, so flush inside the block."""
    if moment.tzinfo is None:
        raise ValueError("clock_at needs an aware datetime")
    token = _fixed_now.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _fixed_now.reset(token)


class UTCDateTime(TypeDecorator):
    """Times are stored in UTC and always come back timezone-aware.

    SQLite has no time zones, so without this a value read back would be naive and compare
    wrongly with ``utcnow()``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use engage.core.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING),
        type_annotation_map={datetime: UTCDateTime()},
    )


class CreatedMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


#: How long an SQLite writer waits for another to finish before giving up (then the request is
#: tried again: see engage.core.conflicts).
SQLITE_BUSY_TIMEOUT_MS = 20_000

#: Set in ``g`` when a reading page turned out to write too (engage.core.conflicts): its next
#: try takes the write lock from the start, so it waits its turn instead of colliding again.
WRITES_AFTER_READING = "writes_after_reading"

#: Requests that only read. Any other request takes SQLite's write lock when its first
#: transaction begins.
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writes_when_read(view: Any = None, *, when: Callable[[dict], bool] | None = None) -> Any:
    """Mark a view whose GET writes too (an audit entry of a staff member seeing a record, a
    download logged): on SQLite it takes the write lock as it begins, as a POST does, and
    waits its turn. Begun as a reader, its write would fail with "database is locked"
    whenever someone else wrote meanwhile, and the whole request would run again.

    ``when(view_args)`` narrows it to the addresses that write (e.g. someone else's profile,
    not one's own). Put it directly above the ``def``, below ``login_required``."""

    def mark(view: Any) -> Any:
        view.writes_when_read = when or (lambda _args: True)
        return view

    return mark(view) if view is not None else mark


def _view_writes() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    test = getattr(view, "writes_when_read", None)
    return test is not None and bool(test(request.view_args or {}))


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL lets readers carry on while one request writes; the busy timeout makes a second
    writer wait instead of failing at once. Deleted content is overwritten (secure_delete), so
    what an erasure removes does not linger in the file's free pages."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        # Let SQLAlchemy, not pysqlite, issue BEGIN, so savepoints and rollbacks are real.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: Any) -> None:
    """On SQLite, a request that changes things (a POST) and every command take the write lock
    as their transaction begins ("BEGIN IMMEDIATE"), so concurrent writers queue (the busy
    timeout) instead of failing: SQLite cannot let a transaction that has read start writing
    once someone else has written. Pages that only read begin as readers and never wait;
    pages that also write when read say so (:func:`writes_when_read`).
    PostgreSQL needs none of this: there services lock the rows they change."""
    if conn.dialect.name != "sqlite":
        return
    mode = conn.get_execution_options().get("sqlite_begin")  # e.g. the tests' outer transaction
    if mode is None:
        reading = (
            has_request_context()
            and request.method in READING_METHODS
            and not g.get(WRITES_AFTER_READING)
            and not _view_writes()
        )
        mode = "" if reading else "IMMEDIATE"
    conn.exec_driver_sql(f"BEGIN {mode}".strip())
