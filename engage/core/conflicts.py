"""Concurrent writes wait or try again; they never reach a person as a server error.

One mechanism for every domain. On SQLite, a request that writes takes the write lock when its
transaction begins, so writers queue (``engage.core.db``). What still collides is tried again
from the start, as if the person had pressed the button a moment later:

- SQLite "database is locked": a reading page that also writes (an audit entry, a session
  touch) after someone else wrote (its next try takes the write lock from the start and
  waits its turn), or a writer that waited longer than the busy timeout;
- PostgreSQL deadlocks, serialisation failures and lock timeouts;
- a unique key taken at the same moment by another request (two presses of one form on two
  connections): the second try finds the first one's row and answers as a repeat press does.

Trying again is safe because nothing leaves before a commit: the rolled-back attempt's
messages are dropped (``engage.core.outbox``), its flashed messages are taken back, and its
uploaded files are read again from the start.

So routes never catch ``IntegrityError`` for a double press: a form carries a
:class:`engage.core.forms.SubmissionKey`, its service stores the key in a unique column, and the
route looks for the row with that key before making one. A second press, or the second try of
a clash, finds it.

One thing is not tried again: an edit made from a page that has gone stale (the row's version
moved on since the page was shown). That is the person's call, so :func:`check_version` and
:func:`saving` turn it into :class:`ChangedMeanwhile`, an :class:`IllegalMove` whose message the
route shows beside what they typed.
"""

from __future__ import annotations

import copy
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, g, request, session
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from engage.core.db import WRITES_AFTER_READING
from engage.core.rules import IllegalMove
from engage.extensions import db

log = logging.getLogger(__name__)

#: How many times a request is run before its conflict is treated as a real error.
ATTEMPTS = 6

# SQLite result codes (the low byte): busy (another writer holds the lock, or this reader's
# snapshot went stale) and locked (a table lock inside one connection).
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
# PostgreSQL SQLSTATEs: serialisation failure, deadlock, lock not available, unique violation.
_POSTGRES_CONFLICTS = {"40001", "40P01", "55P03", "23505"}
# SQLite's extended code for a UNIQUE constraint.
_SQLITE_UNIQUE = 2067

T = TypeVar("T")


def is_conflict(error: BaseException) -> bool:
    """True when ``error`` came from another request writing at the same moment, so running
    the same request again is the right answer."""
    if not isinstance(error, DBAPIError) or error.orig is None:
        return False
    original = error.orig
    sqlite_code = getattr(original, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED) or sqlite_code == _SQLITE_UNIQUE
    return getattr(original, "sqlstate", None) in _POSTGRES_CONFLICTS


def retrying(work: Callable[[], T]) -> T:
    """Run ``work`` (a request's hooks or its view), again from a clean slate after a
    conflict, up to :data:`ATTEMPTS` times."""
    # What the session held before, to take back what a failed try flashed. Static files
    # never touch the session (reading it would make every file vary by cookie).
    saved = None if request.endpoint == "static" else copy.deepcopy(dict(session))
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return work()
        except DBAPIError as error:
            if attempt == ATTEMPTS or not is_conflict(error):
                raise
            log.info(
                "conflict on %s %s, trying again (%d): %s",
                request.method,
                request.path,
                attempt,
                error.orig,
            )
            _clean_slate(saved)
            # A random pause, longer each time, so colliding requests fall out of step.
            time.sleep(random.uniform(0.005, 0.03) * attempt)  # noqa: S311
    raise AssertionError("unreachable")


def _clean_slate(saved: dict[str, Any] | None) -> None:
    db.session.rollback()
    g.setdefault(WRITES_AFTER_READING, True)
    if saved is not None:
        session.clear()
        session.update(saved)
    for _name, upload in request.files.items(multi=True):
        upload.stream.seek(0)


class Engage(Flask):
    """Flask, with each request's hooks and view tried again after a write conflict."""

    def preprocess_request(self) -> Any:
        return retrying(super().preprocess_request)

    def dispatch_request(self) -> Any:
        return retrying(super().dispatch_request)


# Stale edits --------------------------------------------------------------------------------

CHANGED_MEANWHILE = _l(
    "Someone else changed this while you were working on it. Nothing was saved. Check what "
    "they changed, then try again."
)


class ChangedMeanwhile(IllegalMove):
    """Someone else changed this row since the person's page was shown. Nothing was saved."""

    def __init__(self) -> None:
        super().__init__(str(CHANGED_MEANWHILE))


def check_version(row: Any, seen_version: str | int | None) -> None:
    """Refuse an edit made from a stale page: ``seen_version`` is the row's ``version`` as the
    page showed it (a hidden field). None or blank means the page did not say, and is allowed.
    Raises :class:`ChangedMeanwhile`."""
    if seen_version in (None, "") or str(seen_version) == str(row.version):
        return
    raise ChangedMeanwhile


@contextmanager
def saving() -> Iterator[None]:
    """Run a route's service call and commit (``with saving(): service(...)``). When another
    request changed the same versioned row at the same moment, roll back and raise
    :class:`ChangedMeanwhile` instead of a server error."""
    try:
        yield
        db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise ChangedMeanwhile from error
