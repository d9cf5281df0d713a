"""The declarative base, a UTC time type and small mixins shared by every domain."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

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


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL lets readers carry on while one request writes; the busy timeout makes a second
    writer wait instead of failing at once."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        # Let SQLAlchemy, not pysqlite, issue BEGIN, so savepoints and rollbacks are real.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: Any) -> None:
    if conn.dialect.name == "sqlite":
        # "IMMEDIATE" when asked (see lock_for_writing): take the write lock at the start.
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def lock_for_writing(session: Any) -> None:
    """Serialise this request's writes with everyone else's, on SQLite.

    SQLite lets one writer in at a time. A transaction that starts by reading and then wants
    to write fails at once if another wrote in between, so requests that must happen exactly
    once under concurrent clicks (a claim sent twice, a payment run made twice) end the
    transaction they are in and start a new one holding the write lock. Others wait their
    turn (the busy timeout) and then see what the first one did. PostgreSQL needs none of
    this: there the services lock the rows they change.

    Call it before loading what the request will change: objects loaded earlier are expired.
    """
    if hasattr(session, "registry"):  # a scoped_session: act on this request's session
        session = session()
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
