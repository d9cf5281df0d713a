"""How many times the partnership's records have changed, and figures kept until they do.

Working out the dashboard's measures reads the whole programme's history: at a large
partnership's size (10,000 people, 100,000 involvement records) about a third of a second of
database time, on every visit, for figures that change only when someone's records do. So every
committed change moves one counter on (the table ``data_generation``, one row), in the same
transaction as the change itself, and :func:`kept` keeps what was worked out against the counter
it was worked out at. A reader gets the kept figures only while the counter still stands there:
the first visit after any change counts again, every later one is a lookup.

- The counter moves in the change's own transaction, as its last statement: nobody sees the new
  count before the change, and a change rolled back takes its move back with it. (On PostgreSQL
  the row is locked only between that statement and the commit.)
- Rows that never change a figure do not move it: the audit log, the outbox, sign-in sessions,
  survey drafts, download links, saved report snapshots.
- Kept figures also expire after :data:`KEEP_SECONDS` at the latest, because some figures move
  with the clock alone (a meeting counts as held once it has started), and in case the data was
  changed without engage (a restore, a hand-written SQL statement).
- Each worker process keeps its own few entries (:data:`MOST_KEPT`); the counter they compare
  against is shared through the database.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import timedelta
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import BigInteger, Integer, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from engage.extensions import db

T = TypeVar("T")

#: The longest figures are kept, even when nothing has changed.
KEEP_SECONDS = 300

#: Entries each worker keeps (periods × languages × public or whole); the oldest go first.
MOST_KEPT = 32

#: Tables whose rows never change a figure: writing them leaves the counter where it is.
UNCOUNTED = frozenset(
    {
        "audit_entry",
        "calendar_feed",
        "data_download",
        "data_generation",
        "notification",
        "report_snapshot",
        "survey_draft",
        "user_session",
    }
)

_CHANGED = "engage.data_changed"
#: ``engage serve --threads`` serves requests of one worker in several threads.
_lock = threading.Lock()
_EXTENSION = "engage.kept_figures"


class DataGeneration(db.Model):
    __tablename__ = "data_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, default=0)


def _counts(obj: Any) -> bool:
    table = getattr(obj, "__table__", None)
    return table is None or table.name not in UNCOUNTED


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, flush_context: Any) -> None:
    # After a flush the session still lists what it wrote as new, dirty and deleted.
    if any(_counts(obj) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: Any) -> None:
    """A bulk ``update()``, ``delete()`` or ``insert()`` through the session writes without a
    flush; so may a text statement, which is assumed to unless it reads."""
    if state.is_select:
        return
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if table is not None and getattr(table, "name", None) in UNCOUNTED:
            return
    elif str(state.statement).lstrip()[:6].upper() == "SELECT":
        return
    session = state.session
    session.info[_CHANGED] = True


@event.listens_for(Session, "before_commit")
def _move_on(session: Session) -> None:
    """The last statement of a transaction that changed anything: the counter moves on.
    (Pending objects are flushed first by this statement's own autoflush.)"""
    if not session.info.get(_CHANGED) and not any(
        _counts(obj) for obj in (*session.new, *session.dirty, *session.deleted)
    ):
        return
    session.info.pop(_CHANGED, None)
    moved = session.execute(
        update(DataGeneration)
        .where(DataGeneration.id == 1)
        .values(number=DataGeneration.number + 1)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount == 0:  # a database made without the migrations' first row
        session.add(DataGeneration(id=1, number=1))
        session.flush()
    session.info.pop(_CHANGED, None)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: Any) -> None:
    # A transaction rolled back as a whole takes its changes, and the need to move on, with it.
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)


def current() -> int:
    """Where the counter stands, as this transaction sees it (0 before any change)."""
    return db.session.scalar(select(DataGeneration.number).where(DataGeneration.id == 1)) or 0


def move_past(number: int) -> None:
    """Set the counter beyond ``number`` (and beyond where it stands): a restored database
    brings back an older count, and figures kept against the counts in between are not the
    restored data's."""
    row = db.session.get(DataGeneration, 1)
    if row is None:
        db.session.add(DataGeneration(id=1, number=number + 1))
    else:
        row.number = max(row.number, number) + 1
    db.session.flush()


def kept(key: Hashable, work_out: Callable[[], T]) -> T:
    """``work_out()``'s answer for ``key``, worked out again only when the records have changed
    since it was kept (or it is :data:`KEEP_SECONDS` old). ``key`` must name everything else
    the answer depends on: the period, the language, what the reader may see.

    In a transaction that has changed something not yet committed, the counter has not moved
    yet, so the answer is worked out afresh and not kept."""
    from engage.core.db import utcnow

    session = db.session()
    if session.info.get(_CHANGED) or any(
        _counts(obj) for obj in (*session.new, *session.dirty, *session.deleted)
    ):
        return work_out()
    full_key = (current(), key)
    now = utcnow()
    with _lock:
        entries: OrderedDict = current_app.extensions.setdefault(_EXTENSION, OrderedDict())
        hit = entries.get(full_key)
        if hit is not None and hit[0] > now:
            entries.move_to_end(full_key)
            return hit[1]
    # Worked out outside the lock: another thread may work out the same, and one is kept.
    answer = work_out()
    with _lock:
        entries[full_key] = (now + timedelta(seconds=KEEP_SECONDS), answer)
        entries.move_to_end(full_key)
        while len(entries) > MOST_KEPT:
            entries.popitem(last=False)
    return answer


def forget_kept(app: Any) -> None:
    """Drop every kept answer of ``app`` (the tests' rolled-back data takes the counter back)."""
    app.extensions.pop(_EXTENSION, None)
